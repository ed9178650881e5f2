// GoogLeNet (Szegedy et al. 2015), torchvision's layout: every conv is BasicConv2d
// (conv without bias, BN with eps 1e-3, ReLU); max pools use ceil_mode; the "5x5"
// branch of each inception block uses a 3x3 conv as torchvision does. In eval mode
// the auxiliary classifiers and dropout do nothing and are left out, as is the
// input transform of the pretrained weights.
#include <string>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {
namespace {

// <unit>.conv, <unit>.bn, <unit>.relu
int basic_conv(ModelBuilder& b, const std::string& unit, int x, int64_t out_channels, int64_t kernel,
               int64_t stride = 1, int64_t pad = 0) {
  int y = b.conv(unit + ".conv", x,
                 {.out_channels = out_channels, .kernel = kernel, .stride = stride, .pad = pad, .bias = false});
  return b.relu(unit + ".relu", b.batch_norm(unit + ".bn", y, {.epsilon = 1e-3f}));
}

struct Inception {
  const char* name;
  int64_t ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj;
};

// Four branches concatenated along channels: 1x1; 1x1 -> 3x3; 1x1 -> 3x3 (the "5x5"
// branch); 3x3/1 max pool -> 1x1.
int inception(ModelBuilder& b, int x, const Inception& spec) {
  const std::string n = spec.name;
  int branch1 = basic_conv(b, n + ".branch1", x, spec.ch1x1, 1);
  int branch2 = basic_conv(b, n + ".branch2.0", x, spec.ch3x3_reduce, 1);
  branch2 = basic_conv(b, n + ".branch2.1", branch2, spec.ch3x3, 3, 1, 1);
  int branch3 = basic_conv(b, n + ".branch3.0", x, spec.ch5x5_reduce, 1);
  branch3 = basic_conv(b, n + ".branch3.1", branch3, spec.ch5x5, 3, 1, 1);
  int branch4 = b.max_pool(n + ".branch4.0", x, {.kernel = 3, .stride = 1, .pad = 1, .ceil_mode = true});
  branch4 = basic_conv(b, n + ".branch4.1", branch4, spec.pool_proj, 1);
  return b.concat(n + ".concat", {branch1, branch2, branch3, branch4});
}

const PoolSpec kCeilPool{.kernel = 3, .stride = 2, .ceil_mode = true};

}  // namespace

Graph build_googlenet(uint64_t seed) {
  ModelBuilder b("googlenet", {1, 3, 224, 224}, seed);
  int x = basic_conv(b, "conv1", b.input(), 64, 7, 2, 3);  // (N, 64, 112, 112)
  x = b.max_pool("maxpool1", x, kCeilPool);                 // (N, 64, 56, 56)
  x = basic_conv(b, "conv2", x, 64, 1);
  x = basic_conv(b, "conv3", x, 192, 3, 1, 1);
  x = b.max_pool("maxpool2", x, kCeilPool);                 // (N, 192, 28, 28)
  x = inception(b, x, {"inception3a", 64, 96, 128, 16, 32, 32});
  x = inception(b, x, {"inception3b", 128, 128, 192, 32, 96, 64});
  x = b.max_pool("maxpool3", x, kCeilPool);                 // (N, 480, 14, 14)
  x = inception(b, x, {"inception4a", 192, 96, 208, 16, 48, 64});
  x = inception(b, x, {"inception4b", 160, 112, 224, 24, 64, 64});
  x = inception(b, x, {"inception4c", 128, 128, 256, 24, 64, 64});
  x = inception(b, x, {"inception4d", 112, 144, 288, 32, 64, 64});
  x = inception(b, x, {"inception4e", 256, 160, 320, 32, 128, 128});
  x = b.max_pool("maxpool4", x, {.kernel = 2, .stride = 2, .ceil_mode = true});  // (N, 832, 7, 7)
  x = inception(b, x, {"inception5a", 256, 160, 320, 32, 128, 128});
  x = inception(b, x, {"inception5b", 384, 192, 384, 48, 128, 128});
  x = b.flatten("flatten", b.global_avg_pool("avgpool", x));  // (N, 1024)
  return b.finish(b.linear("fc", x, 1000));                   // (N, 1000)
}

}  // namespace tandem::zoo
