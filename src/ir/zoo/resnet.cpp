// ResNet-18 and ResNet-50 (He et al. 2016) in torchvision's layout: a 7x7/2 stem with
// max pool, four stages of residual blocks (basic blocks for 18, bottlenecks with the
// stride on the 3x3 conv for 50), global average pool and a 1000-way fc. Node names
// follow torchvision's modules ("layer2.0.conv1", "layer2.0.downsample.0").
#include <string>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {
namespace {

// The last BN of each residual branch uses a small gain so that the sum of branch and
// shortcut does not double the activations' variance at every block.
const BatchNormSpec kBranchEndBn{.gain = 0.2f};

struct Stage {
  int64_t width;   // channels of the 3x3 convs
  int64_t stride;  // of the stage's first block
};
const Stage kStages[] = {{64, 1}, {128, 2}, {256, 2}, {512, 2}};

int conv_bn(ModelBuilder& b, const std::string& conv, const std::string& bn, int x, const ConvSpec& spec,
            const BatchNormSpec& bn_spec = {}) {
  ConvSpec no_bias = spec;
  no_bias.bias = false;
  return b.batch_norm(bn, b.conv(conv, x, no_bias), bn_spec);
}

// 1x1 conv + BN on the shortcut when the block changes shape; x itself otherwise.
int shortcut(ModelBuilder& b, const std::string& block, int x, int64_t out_channels, int64_t stride) {
  if (stride == 1 && b.channels(x) == out_channels) return x;
  return conv_bn(b, block + ".downsample.0", block + ".downsample.1", x,
                 {.out_channels = out_channels, .kernel = 1, .stride = stride});
}

int basic_block(ModelBuilder& b, const std::string& block, int x, int64_t width, int64_t stride) {
  int y = conv_bn(b, block + ".conv1", block + ".bn1", x,
                  {.out_channels = width, .kernel = 3, .stride = stride, .pad = 1});
  y = b.relu(block + ".relu1", y);
  y = conv_bn(b, block + ".conv2", block + ".bn2", y, {.out_channels = width, .kernel = 3, .pad = 1}, kBranchEndBn);
  return b.relu(block + ".relu", b.add(block + ".add", y, shortcut(b, block, x, width, stride)));
}

int bottleneck(ModelBuilder& b, const std::string& block, int x, int64_t width, int64_t stride) {
  const int64_t out_channels = 4 * width;
  int y = conv_bn(b, block + ".conv1", block + ".bn1", x, {.out_channels = width, .kernel = 1});
  y = b.relu(block + ".relu1", y);
  y = conv_bn(b, block + ".conv2", block + ".bn2", y, {.out_channels = width, .kernel = 3, .stride = stride, .pad = 1});
  y = b.relu(block + ".relu2", y);
  y = conv_bn(b, block + ".conv3", block + ".bn3", y, {.out_channels = out_channels, .kernel = 1}, kBranchEndBn);
  return b.relu(block + ".relu", b.add(block + ".add", y, shortcut(b, block, x, out_channels, stride)));
}

using BlockFn = int (*)(ModelBuilder&, const std::string&, int, int64_t, int64_t);

Graph build_resnet(const std::string& name, const int64_t (&blocks)[4], BlockFn block_fn, uint64_t seed) {
  ModelBuilder b(name, {1, 3, 224, 224}, seed);
  int x = conv_bn(b, "conv1", "bn1", b.input(), {.out_channels = 64, .kernel = 7, .stride = 2, .pad = 3});
  x = b.max_pool("maxpool", b.relu("relu", x), {.kernel = 3, .stride = 2, .pad = 1});  // (N, 64, 56, 56)
  for (int s = 0; s < 4; ++s)
    for (int64_t i = 0; i < blocks[s]; ++i) {
      std::string block = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      x = block_fn(b, block, x, kStages[s].width, i == 0 ? kStages[s].stride : 1);
    }
  x = b.flatten("flatten", b.global_avg_pool("avgpool", x));  // (N, 512 or 2048)
  return b.finish(b.linear("fc", x, 1000));                   // (N, 1000)
}

}  // namespace

Graph build_resnet18(uint64_t seed) { return build_resnet("resnet18", {2, 2, 2, 2}, basic_block, seed); }
Graph build_resnet50(uint64_t seed) { return build_resnet("resnet50", {3, 4, 6, 3}, bottleneck, seed); }

}  // namespace tandem::zoo
