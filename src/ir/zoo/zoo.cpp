// The zoo's table of models and lookup by name.
#include "ir/zoo/zoo.h"

#include "ir/zoo/architectures.h"
#include "tandem/error.h"

namespace tandem {

const std::vector<ZooModel>& zoo_models() {
  static const std::vector<ZooModel> models = {
      {"lenet5", "LeNet-5 (ReLU, max pool), 10 classes", {1, 1, 32, 32}, zoo::build_lenet5},
      {"alexnet", "AlexNet, torchvision layout", {1, 3, 224, 224}, zoo::build_alexnet},
      {"alexnet_lrn", "AlexNet, original with LRN and grouped convs", {1, 3, 227, 227}, zoo::build_alexnet_lrn},
      {"vgg16", "VGG-16 (configuration D)", {1, 3, 224, 224}, zoo::build_vgg16},
      {"resnet18", "ResNet-18", {1, 3, 224, 224}, zoo::build_resnet18},
      {"resnet50", "ResNet-50 (stride on the 3x3 conv)", {1, 3, 224, 224}, zoo::build_resnet50},
      {"mobilenetv2", "MobileNetV2, width 1.0", {1, 3, 224, 224}, zoo::build_mobilenetv2},
      {"googlenet", "GoogLeNet, torchvision layout without aux classifiers", {1, 3, 224, 224}, zoo::build_googlenet},
      {"squeezenet1_1", "SqueezeNet 1.1", {1, 3, 224, 224}, zoo::build_squeezenet1_1},
  };
  return models;
}

const ZooModel* find_zoo_model(const std::string& name) {
  for (const ZooModel& model : zoo_models())
    if (model.name == name) return &model;
  return nullptr;
}

Graph build_zoo_model(const std::string& name, uint64_t seed) {
  const ZooModel* model = find_zoo_model(name);
  if (!model) {
    std::string known;
    for (const ZooModel& m : zoo_models()) known += (known.empty() ? "" : ", ") + m.name;
    fail(ErrorKind::InvalidInput, "unknown zoo model '" + name + "' (known: " + known + ")");
  }
  return model->build(seed);
}

}  // namespace tandem
