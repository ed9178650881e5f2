// Training the per-device, per-op models, and predicting node and copy times.
#include "predict/predictor.h"

#include <algorithm>

#include "predict/boundary_fit.h"
#include "tandem/error.h"

namespace tandem {

DeviceKind device_kind_of_name(const std::string& device) {
  if (device.rfind("cuda", 0) == 0) return DeviceKind::Gpu;
  if (device.rfind("remote", 0) == 0) return DeviceKind::Remote;
  return DeviceKind::Host;
}

static DeviceKind kind_of_fingerprint(const DeviceFingerprint& fingerprint) {
  if (fingerprint.kind == "gpu") return DeviceKind::Gpu;
  if (fingerprint.kind == "remote") return DeviceKind::Remote;
  if (fingerprint.kind == "host") return DeviceKind::Host;
  return device_kind_of_name(fingerprint.device);
}

// The device's entry before training: kind, description, threads, default roofline.
static DeviceModels describe_device(const std::string& name, const std::map<std::string, DeviceFingerprint>& devices,
                                    const std::vector<const LatencySample*>& samples) {
  DeviceModels models;
  models.kind = device_kind_of_name(name);
  auto fingerprint = devices.find(name);
  if (fingerprint != devices.end()) {
    models.kind = kind_of_fingerprint(fingerprint->second);
    models.description = fingerprint->second.description;
    models.threads = fingerprint->second.threads;
  }
  if (models.threads <= 0 && !samples.empty()) models.threads = static_cast<int>(samples[0]->features.threads);
  models.channels_last = std::any_of(samples.begin(), samples.end(),
                                     [](const LatencySample* s) { return s->features.channels_last > 0; });
  models.fallback = Roofline::defaults(models.kind, models.threads);
  return models;
}

std::string model_group(const NodeFeatures& f) {
  if (f.op == "Conv" && f.groups > 1 && f.groups == f.in_channels && f.groups == f.out_channels) return "Conv/depthwise";
  return f.op;
}

static DeviceModels fit_device(DeviceModels models, const std::vector<const LatencySample*>& samples,
                               const FitOptions& options) {
  if (samples.empty()) return models;
  double ref_threads = models.kind == DeviceKind::Gpu ? 0 : std::max(1, models.threads);
  double slope = models.fallback.load_slope;
  std::vector<LatencySample> all;
  std::map<std::string, std::vector<LatencySample>> by_op;
  for (const LatencySample* s : samples) {
    all.push_back(*s);
    by_op[model_group(s->features)].push_back(*s);
  }
  models.fallback = Roofline::fit(all, ref_threads, slope);
  for (const auto& [op, group] : by_op)
    models.ops[op] = fit_op_model(group, models.fallback, ref_threads, slope, options);
  return models;
}

Predictor Predictor::fit(const std::vector<LatencySample>& samples, const std::map<std::string, DeviceFingerprint>& devices,
                         const std::vector<LinkProfile>& links, const FitOptions& options) {
  std::map<std::string, std::vector<const LatencySample*>> by_device;
  for (const auto& [name, fingerprint] : devices) by_device[name];
  for (const LatencySample& s : samples) by_device[s.device].push_back(&s);
  Predictor predictor;
  predictor.floor_us_ = options.floor_us;
  for (const auto& [name, device_samples] : by_device)
    predictor.devices_[name] = fit_device(describe_device(name, devices, device_samples), device_samples, options);
  for (const LinkProfile& link : links) predictor.links_[{link.device, link.direction}] = link.fit;
  return predictor;
}

Predictor Predictor::fit(const Profile& profile, const FitOptions& options) {
  Predictor predictor = fit(training_set(profile, options.floor_us).samples, profile.devices, profile.links, options);
  for (const auto& [device, boundary] : boundary_samples(profile))
    predictor.links_[{device, "boundary"}] = fit_boundary(boundary);
  for (auto& [device, extras] : boundary_extras(profile)) {
    auto models = predictor.devices_.find(device);
    if (models != predictor.devices_.end()) models->second.boundary_extra_us = std::move(extras);
  }
  for (auto& [device, signatures] : fused_signatures(profile)) {
    auto models = predictor.devices_.find(device);
    if (models != predictor.devices_.end()) models->second.fused = std::move(signatures);
  }
  return predictor;
}

bool Predictor::fused(const std::string& device, const std::string& signature) const {
  const DeviceModels* models = this->device(device);
  return models && models->fused.count(signature) != 0;
}

const DeviceModels* Predictor::device(const std::string& name) const {
  auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : &it->second;
}

double Predictor::predict(const NodeFeatures& f, const std::string& device) const {
  return predict(std::vector{f}, device).at(0);
}

std::vector<double> Predictor::predict(const std::vector<NodeFeatures>& features, const std::string& device) const {
  std::vector<double> times(features.size());
  const DeviceModels* models = this->device(device);
  if (!models) {
    for (size_t i = 0; i < features.size(); ++i) {
      int threads = static_cast<int>(features[i].threads);
      times[i] = Roofline::defaults(device_kind_of_name(device), threads).time_us(features[i]);
    }
    return times;
  }
  std::map<std::string, std::vector<size_t>> by_op;
  for (size_t i = 0; i < features.size(); ++i) by_op[model_group(features[i])].push_back(i);
  for (const auto& [op, indices] : by_op) {
    auto model = models->ops.find(op);
    if (model == models->ops.end()) model = models->ops.find(features[indices[0]].op);
    std::vector<NodeFeatures> group;
    for (size_t i : indices) {
      group.push_back(features[i]);
      group.back().channels_last = models->channels_last ? 1 : 0;
    }
    std::vector<double> predicted;
    if (model != models->ops.end()) predicted = model->second.predict_us(group);
    else
      for (const NodeFeatures& f : group) predicted.push_back(models->fallback.time_us(f));
    for (size_t k = 0; k < indices.size(); ++k) times[indices[k]] = predicted[k];
  }
  return times;
}

LinkFit Predictor::copy_model(const std::string& device, const std::string& direction) const {
  if (direction != "to_device" && direction != "to_host")
    fail(ErrorKind::InvalidInput, "copy direction must be to_device or to_host, got '" + direction + "'");
  auto link = links_.find({device, direction});
  if (link != links_.end()) return link->second;
  if (device == "cpu" || device == "reference") return {};
  // No link measured: memcpy at 5 GB/s, PCIe at 6 GB/s, a network at ~1 Gbit/s.
  const DeviceModels* models = this->device(device);
  DeviceKind kind = models ? models->kind : device_kind_of_name(device);
  if (kind == DeviceKind::Gpu) return {10, 6e3};
  if (kind == DeviceKind::Remote) return {1000, 100};
  return {1, 5e3};
}

double Predictor::boundary_extra_us(const std::string& device, const std::string& signature,
                                    const NodeFeatures& f) const {
  if (const DeviceModels* models = this->device(device)) {
    auto measured = models->boundary_extra_us.find(signature);
    if (measured != models->boundary_extra_us.end()) return measured->second;
  }
  auto link = links_.find({device, "boundary"});
  return link == links_.end() ? 0 : link->second.time_us(f.input_bytes + f.output_bytes) + link->second.time_us(0);
}

double Predictor::predict_copy(const std::string& device, const std::string& direction, double bytes) const {
  return copy_model(device, direction).time_us(bytes);
}

}  // namespace tandem
