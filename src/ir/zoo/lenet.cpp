// LeNet-5 on a 1x32x32 image: conv5-pool-conv5-pool-fc120-fc84-fc10, with ReLU and
// 2x2 max pooling (the common modern form of LeCun et al. 1998; 61,706 parameters).
#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {

Graph build_lenet5(uint64_t seed) {
  ModelBuilder b("lenet5", {1, 1, 32, 32}, seed);
  const PoolSpec pool2x2{.kernel = 2, .stride = 2};
  int x = b.relu("relu1", b.conv("conv1", b.input(), {.out_channels = 6, .kernel = 5}));  // (N, 6, 28, 28)
  x = b.max_pool("pool1", x, pool2x2);                                                   // (N, 6, 14, 14)
  x = b.relu("relu2", b.conv("conv2", x, {.out_channels = 16, .kernel = 5}));            // (N, 16, 10, 10)
  x = b.max_pool("pool2", x, pool2x2);                                                   // (N, 16, 5, 5)
  x = b.flatten("flatten", x);                                                           // (N, 400)
  x = b.relu("relu3", b.linear("fc1", x, 120));
  x = b.relu("relu4", b.linear("fc2", x, 84));
  return b.finish(b.linear("fc3", x, 10));                                               // (N, 10)
}

}  // namespace tandem::zoo
