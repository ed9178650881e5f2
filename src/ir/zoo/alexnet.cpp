// AlexNet in two forms:
// - "alexnet": torchvision's layout (64-192-384-256-256 channels, no LRN, 224x224).
//   Its adaptive 6x6 average pool is the identity at 224x224 and is left out.
// - "alexnet_lrn": Krizhevsky et al. 2012 (96-256-384-384-256 channels, 227x227, LRN
//   after the first two ReLUs with n=5, alpha=1e-4, beta=0.75, k=2); the original's
//   split over two GPUs appears as group=2 on conv2, conv4 and conv5.
#include <string>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {
namespace {

const PoolSpec kOverlappingPool{.kernel = 3, .stride = 2};

// conv<i> followed by relu<i>.
int conv_relu(ModelBuilder& b, int index, int x, const ConvSpec& spec) {
  std::string i = std::to_string(index);
  return b.relu("relu" + i, b.conv("conv" + i, x, spec));
}

// fc6 (+relu6), fc7 (+relu7), fc8: 4096-4096-1000 logits; dropout is left out.
Graph finish_classifier(ModelBuilder& b, int features) {
  int x = b.flatten("flatten", features);  // (N, 256 * 6 * 6)
  x = b.relu("relu6", b.linear("fc6", x, 4096));
  x = b.relu("relu7", b.linear("fc7", x, 4096));
  return b.finish(b.linear("fc8", x, 1000));  // (N, 1000)
}

}  // namespace

Graph build_alexnet(uint64_t seed) {
  ModelBuilder b("alexnet", {1, 3, 224, 224}, seed);
  int x = conv_relu(b, 1, b.input(), {.out_channels = 64, .kernel = 11, .stride = 4, .pad = 2});  // (N, 64, 55, 55)
  x = b.max_pool("pool1", x, kOverlappingPool);                                                   // (N, 64, 27, 27)
  x = conv_relu(b, 2, x, {.out_channels = 192, .kernel = 5, .pad = 2});
  x = b.max_pool("pool2", x, kOverlappingPool);                                                   // (N, 192, 13, 13)
  x = conv_relu(b, 3, x, {.out_channels = 384, .kernel = 3, .pad = 1});
  x = conv_relu(b, 4, x, {.out_channels = 256, .kernel = 3, .pad = 1});
  x = conv_relu(b, 5, x, {.out_channels = 256, .kernel = 3, .pad = 1});
  x = b.max_pool("pool5", x, kOverlappingPool);                                                   // (N, 256, 6, 6)
  return finish_classifier(b, x);
}

Graph build_alexnet_lrn(uint64_t seed) {
  ModelBuilder b("alexnet_lrn", {1, 3, 227, 227}, seed);
  const LrnSpec lrn{.size = 5, .alpha = 1e-4f, .beta = 0.75f, .bias = 2.0f};
  int x = conv_relu(b, 1, b.input(), {.out_channels = 96, .kernel = 11, .stride = 4});  // (N, 96, 55, 55)
  x = b.max_pool("pool1", b.lrn("norm1", x, lrn), kOverlappingPool);                   // (N, 96, 27, 27)
  x = conv_relu(b, 2, x, {.out_channels = 256, .kernel = 5, .pad = 2, .group = 2});
  x = b.max_pool("pool2", b.lrn("norm2", x, lrn), kOverlappingPool);                   // (N, 256, 13, 13)
  x = conv_relu(b, 3, x, {.out_channels = 384, .kernel = 3, .pad = 1});
  x = conv_relu(b, 4, x, {.out_channels = 384, .kernel = 3, .pad = 1, .group = 2});
  x = conv_relu(b, 5, x, {.out_channels = 256, .kernel = 3, .pad = 1, .group = 2});
  x = b.max_pool("pool5", x, kOverlappingPool);                                        // (N, 256, 6, 6)
  return finish_classifier(b, x);
}

}  // namespace tandem::zoo
