// SqueezeNet 1.1 (Iandola et al. 2016), torchvision's layout: a 3x3/2 conv, eight
// fire modules (1x1 squeeze, then 1x1 and 3x3 expand concatenated) between ceil_mode
// max pools, and a 1x1 conv classifier to 1000 channels with ReLU and global average
// pooling. Dropout is left out.
#include <string>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {
namespace {

int conv_relu(ModelBuilder& b, const std::string& conv, int x, const ConvSpec& spec) {
  return b.relu(conv + "_relu", b.conv(conv, x, spec));
}

// fire<index>.squeeze -> [fire<index>.expand1x1, fire<index>.expand3x3] -> concat
int fire(ModelBuilder& b, int index, int x, int64_t squeeze, int64_t expand) {
  const std::string n = "fire" + std::to_string(index);
  int s = conv_relu(b, n + ".squeeze", x, {.out_channels = squeeze, .kernel = 1});
  int e1 = conv_relu(b, n + ".expand1x1", s, {.out_channels = expand, .kernel = 1});
  int e3 = conv_relu(b, n + ".expand3x3", s, {.out_channels = expand, .kernel = 3, .pad = 1});
  return b.concat(n + ".concat", {e1, e3});
}

const PoolSpec kCeilPool{.kernel = 3, .stride = 2, .ceil_mode = true};

}  // namespace

Graph build_squeezenet1_1(uint64_t seed) {
  ModelBuilder b("squeezenet1_1", {1, 3, 224, 224}, seed);
  int x = conv_relu(b, "conv1", b.input(), {.out_channels = 64, .kernel = 3, .stride = 2});  // (N, 64, 111, 111)
  x = b.max_pool("pool1", x, kCeilPool);                                                    // (N, 64, 55, 55)
  x = fire(b, 2, x, 16, 64);
  x = fire(b, 3, x, 16, 64);
  x = b.max_pool("pool3", x, kCeilPool);                                                    // (N, 128, 27, 27)
  x = fire(b, 4, x, 32, 128);
  x = fire(b, 5, x, 32, 128);
  x = b.max_pool("pool5", x, kCeilPool);                                                    // (N, 256, 13, 13)
  x = fire(b, 6, x, 48, 192);
  x = fire(b, 7, x, 48, 192);
  x = fire(b, 8, x, 64, 256);
  x = fire(b, 9, x, 64, 256);
  x = conv_relu(b, "conv10", x, {.out_channels = 1000, .kernel = 1});                       // (N, 1000, 13, 13)
  x = b.global_avg_pool("avgpool", x);                                                      // (N, 1000, 1, 1)
  return b.finish(b.flatten("flatten", x));                                                 // (N, 1000)
}

}  // namespace tandem::zoo
