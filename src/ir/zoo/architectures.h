// The zoo's architecture builders, one file each; zoo.cpp lists them. Each returns the
// graph at batch 1 with the input named "input" and the logits named "output".
#pragma once
#include <cstdint>

#include "ir/graph.h"

namespace tandem::zoo {

Graph build_lenet5(uint64_t seed);        // lenet.cpp
Graph build_alexnet(uint64_t seed);       // alexnet.cpp
Graph build_alexnet_lrn(uint64_t seed);   // alexnet.cpp
Graph build_vgg16(uint64_t seed);         // vgg.cpp
Graph build_resnet18(uint64_t seed);      // resnet.cpp
Graph build_resnet50(uint64_t seed);      // resnet.cpp
Graph build_mobilenetv2(uint64_t seed);   // mobilenet.cpp
Graph build_googlenet(uint64_t seed);     // googlenet.cpp
Graph build_squeezenet1_1(uint64_t seed); // squeezenet.cpp

}  // namespace tandem::zoo
