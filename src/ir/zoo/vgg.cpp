// VGG-16 (configuration D of Simonyan & Zisserman), torchvision's layout: thirteen
// 3x3 convolutions with ReLU in five stages separated by 2x2 max pools, then
// 4096-4096-1000 fully connected layers. The adaptive 7x7 average pool is the
// identity at 224x224 and is left out, as is dropout.
#include <string>
#include <vector>

#include "ir/zoo/architectures.h"
#include "ir/zoo/builder.h"

namespace tandem::zoo {

Graph build_vgg16(uint64_t seed) {
  ModelBuilder b("vgg16", {1, 3, 224, 224}, seed);
  const std::vector<std::vector<int64_t>> stages = {
      {64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
  int x = b.input();
  for (size_t s = 0; s < stages.size(); ++s) {
    for (size_t c = 0; c < stages[s].size(); ++c) {
      std::string name = std::to_string(s + 1) + "_" + std::to_string(c + 1);  // conv3_2
      x = b.relu("relu" + name, b.conv("conv" + name, x, {.out_channels = stages[s][c], .kernel = 3, .pad = 1}));
    }
    x = b.max_pool("pool" + std::to_string(s + 1), x, {.kernel = 2, .stride = 2});
  }
  x = b.flatten("flatten", x);  // (N, 512 * 7 * 7)
  x = b.relu("relu6", b.linear("fc6", x, 4096));
  x = b.relu("relu7", b.linear("fc7", x, 4096));
  return b.finish(b.linear("fc8", x, 1000));  // (N, 1000)
}

}  // namespace tandem::zoo
