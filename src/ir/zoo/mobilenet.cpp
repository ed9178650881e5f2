// MobileNetV2 (Sandler et al. 2018), torchvision's layout at width 1.0: a 3x3/2 stem,
// seventeen inverted residual blocks (1x1 expand, 3x3 depthwise, 1x1 linear project;
// a shortcut when the block keeps its shape), a 1x1 conv to 1280 channels, global
// average pool and a 1000-way fc. ReLU6 is Clip(0, 6). Dropout is left out.
#include <string>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {
namespace {

// <unit>.conv (no bias) and <unit>.bn.
int conv_bn(ModelBuilder& b, const std::string& unit, int x, const ConvSpec& spec, const BatchNormSpec& bn = {}) {
  ConvSpec no_bias = spec;
  no_bias.bias = false;
  return b.batch_norm(unit + ".bn", b.conv(unit + ".conv", x, no_bias), bn);
}

int conv_bn_relu6(ModelBuilder& b, const std::string& unit, int x, const ConvSpec& spec) {
  return b.relu6(unit + ".relu6", conv_bn(b, unit, x, spec));
}

int inverted_residual(ModelBuilder& b, const std::string& block, int x, int64_t expansion, int64_t out_channels,
                      int64_t stride) {
  const int64_t hidden = b.channels(x) * expansion;
  const bool residual = stride == 1 && b.channels(x) == out_channels;
  int y = x;
  if (expansion != 1) y = conv_bn_relu6(b, block + ".expand", y, {.out_channels = hidden, .kernel = 1});
  y = conv_bn_relu6(b, block + ".depthwise", y,
                    {.out_channels = hidden, .kernel = 3, .stride = stride, .pad = 1, .group = hidden});
  // A small gain on the shortcut blocks keeps the summed activations from growing.
  y = conv_bn(b, block + ".project", y, {.out_channels = out_channels, .kernel = 1},
              {.gain = residual ? 0.3f : 1.0f});
  return residual ? b.add(block + ".add", x, y) : y;
}

struct Stage {
  int64_t expansion;
  int64_t channels;
  int64_t blocks;
  int64_t stride;  // of the stage's first block
};
const Stage kStages[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                         {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};

}  // namespace

Graph build_mobilenetv2(uint64_t seed) {
  ModelBuilder b("mobilenetv2", {1, 3, 224, 224}, seed);
  // x: (N, 32, 112, 112)
  int x = conv_bn_relu6(b, "stem", b.input(), {.out_channels = 32, .kernel = 3, .stride = 2, .pad = 1});
  int index = 1;
  for (const Stage& stage : kStages)
    for (int64_t i = 0; i < stage.blocks; ++i, ++index)
      x = inverted_residual(b, "block" + std::to_string(index), x, stage.expansion, stage.channels,
                            i == 0 ? stage.stride : 1);
  x = conv_bn_relu6(b, "head", x, {.out_channels = 1280, .kernel = 1});       // (N, 1280, 7, 7)
  x = b.flatten("flatten", b.global_avg_pool("avgpool", x));                  // (N, 1280)
  return b.finish(b.linear("classifier", x, 1000));                           // (N, 1000)
}

}  // namespace tandem::zoo
