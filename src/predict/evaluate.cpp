// Leave-one-model-out and shape hold-out evaluation of predictors, and its summaries.
#include "predict/evaluate.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace tandem {

namespace {

void predict_held_out(const std::vector<LatencySample>& training, const std::vector<LatencySample>& test,
                      const Profile& profile, const std::string& method, const FitOptions& options,
                      std::vector<HeldOutPrediction>& out) {
  if (test.empty()) return;
  Predictor predictor = Predictor::fit(training, profile.devices, profile.links, options);
  std::map<std::string, std::vector<const LatencySample*>> by_device;
  for (const LatencySample& s : test) by_device[s.device].push_back(&s);
  for (const auto& [device, samples] : by_device) {
    std::vector<NodeFeatures> features;
    for (const LatencySample* s : samples) features.push_back(s->features);
    std::vector<double> predicted = predictor.predict(features, device);
    for (size_t i = 0; i < samples.size(); ++i)
      out.push_back({method, device, model_group(samples[i]->features), samples[i]->source, samples[i]->signature,
                     samples[i]->injected_load, samples[i]->features.batch, samples[i]->us, predicted[i]});
  }
}

void leave_models_out(const std::vector<LatencySample>& samples, const Profile& profile, const FitOptions& options,
                      Evaluation& e) {
  std::set<std::string> models;
  for (const LatencySample& s : samples)
    if (!is_sweep_source(s.source)) models.insert(s.source);
  for (const std::string& model : models) {
    std::set<std::string> model_keys;
    std::vector<LatencySample> training, test;
    for (const LatencySample& s : samples)
      if (s.source == model) model_keys.insert(signature_key(s)), test.push_back(s);
    for (const LatencySample& s : samples)
      if (s.source != model && !model_keys.count(signature_key(s))) training.push_back(s);
    if (training.empty()) continue;
    e.held_out_models.push_back(model);
    predict_held_out(training, test, profile, "leave_model_out", options, e.predictions);
  }
}

void hold_out_shapes(const std::vector<LatencySample>& samples, const Profile& profile, const EvaluationOptions& options,
                     Evaluation& e) {
  std::set<std::string> keys = held_out_signatures(samples, options.shape_holdout_share, options.seed);
  std::vector<LatencySample> training, test;
  for (const LatencySample& s : samples) (keys.count(signature_key(s)) ? test : training).push_back(s);
  if (training.empty()) return;
  predict_held_out(training, test, profile, "shape_holdout", options.fit, e.predictions);
}

template <typename Key, typename KeyOf>
std::map<Key, Accuracy> accuracy_by(const Evaluation& e, const std::string& method, KeyOf key_of) {
  std::map<Key, std::pair<std::vector<double>, std::vector<double>>> pairs;
  for (const HeldOutPrediction& p : e.predictions) {
    if (!method.empty() && p.method != method) continue;
    auto& [measured, predicted] = pairs[key_of(p)];
    measured.push_back(p.measured_us);
    predicted.push_back(p.predicted_us);
  }
  std::map<Key, Accuracy> result;
  for (const auto& [key, values] : pairs) result[key] = accuracy_of(values.first, values.second);
  return result;
}

double load_level(double load) { return std::round(load * 100) / 100; }

// Measured and predicted values per device.
using DevicePairs = std::map<std::string, std::pair<std::vector<double>, std::vector<double>>>;

std::map<std::string, Accuracy> accuracy_per_device(const DevicePairs& pairs) {
  std::map<std::string, Accuracy> result;
  for (const auto& [device, values] : pairs) result[device] = accuracy_of(values.first, values.second);
  return result;
}

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The device part of a signature_key ("device|signature").
std::string device_of(const std::string& key) { return key.substr(0, key.find('|')); }

std::map<std::string, Accuracy> repeatability_of(const std::vector<LatencySample>& samples) {
  std::map<std::pair<std::string, double>, std::vector<double>> groups;
  for (const LatencySample& s : samples) groups[{signature_key(s), load_level(s.injected_load)}].push_back(s.us);
  DevicePairs pairs;
  for (const auto& [key, times] : groups) {
    if (times.size() < 2) continue;
    auto& [measured, predicted] = pairs[device_of(key.first)];
    double median = median_of(times);
    for (double t : times) measured.push_back(t), predicted.push_back(median);
  }
  return accuracy_per_device(pairs);
}

std::map<std::string, Accuracy> cross_model_repeatability_of(const std::vector<LatencySample>& samples) {
  std::map<std::pair<std::string, double>, std::map<std::string, std::vector<double>>> groups;
  for (const LatencySample& s : samples)
    groups[{signature_key(s), load_level(s.injected_load)}][s.source].push_back(s.us);
  DevicePairs pairs;
  for (const auto& [key, by_source] : groups) {
    if (by_source.size() < 2) continue;
    auto& [measured, predicted] = pairs[device_of(key.first)];
    for (const auto& [source, times] : by_source) {
      std::vector<double> others;
      for (const auto& [other, other_times] : by_source)
        if (other != source) others.push_back(median_of(other_times));
      measured.push_back(median_of(times));
      predicted.push_back(median_of(others));
    }
  }
  return accuracy_per_device(pairs);
}

}  // namespace

Evaluation evaluate(const Profile& profile, const EvaluationOptions& options) {
  TrainingSet set = training_set(profile, options.fit.floor_us);
  Evaluation e;
  e.skipped = set.skipped;
  e.floor_us = options.fit.floor_us;
  e.repeatability = repeatability_of(set.samples);
  e.cross_model_repeatability = cross_model_repeatability_of(set.samples);
  if (options.leave_model_out) leave_models_out(set.samples, profile, options.fit, e);
  if (options.shape_holdout) hold_out_shapes(set.samples, profile, options, e);
  return e;
}

std::map<std::string, Accuracy> accuracy_by_device(const Evaluation& e, const std::string& method) {
  return accuracy_by<std::string>(e, method, [](const HeldOutPrediction& p) { return p.device; });
}

std::map<std::pair<std::string, std::string>, Accuracy> accuracy_by_op(const Evaluation& e, const std::string& method) {
  return accuracy_by<std::pair<std::string, std::string>>(
      e, method, [](const HeldOutPrediction& p) { return std::make_pair(p.device, p.op); });
}

std::map<std::pair<std::string, std::string>, Accuracy> accuracy_by_model(const Evaluation& e) {
  return accuracy_by<std::pair<std::string, std::string>>(
      e, "leave_model_out", [](const HeldOutPrediction& p) { return std::make_pair(p.device, p.source); });
}

std::map<std::pair<std::string, double>, Accuracy> accuracy_by_load(const Evaluation& e, const std::string& method) {
  return accuracy_by<std::pair<std::string, double>>(
      e, method, [](const HeldOutPrediction& p) { return std::make_pair(p.device, load_level(p.load)); });
}

std::map<std::string, Accuracy> whole_model_accuracy(const Evaluation& e) {
  std::map<std::tuple<std::string, std::string, double, double>, std::pair<double, double>> runs;
  for (const HeldOutPrediction& p : e.predictions) {
    if (p.method != "leave_model_out") continue;
    auto& [measured, predicted] = runs[{p.device, p.source, p.batch, load_level(p.load)}];
    measured += p.measured_us;
    predicted += p.predicted_us;
  }
  DevicePairs pairs;
  for (const auto& [key, sums] : runs) {
    auto& [measured, predicted] = pairs[std::get<0>(key)];
    measured.push_back(sums.first);
    predicted.push_back(sums.second);
  }
  return accuracy_per_device(pairs);
}

nlohmann::json evaluation_json(const Evaluation& e, const Predictor* chosen) {
  nlohmann::json devices = nlohmann::json::object();
  for (const auto& [device, accuracy] : accuracy_by_device(e)) devices[device] = accuracy_json(accuracy);
  for (const auto& [key, accuracy] : accuracy_by_op(e)) {
    nlohmann::json op = accuracy_json(accuracy);
    const DeviceModels* models = chosen ? chosen->device(key.first) : nullptr;
    if (models) {
      auto model = models->ops.find(key.second);
      op["model"] = model == models->ops.end() ? "device roofline" : model_kind_name(model->second.kind);
    }
    devices[key.first]["ops"][key.second] = op;
  }
  for (const auto& [key, accuracy] : accuracy_by_model(e))
    devices[key.first]["models"][key.second] = accuracy_json(accuracy);
  for (const auto& [key, accuracy] : accuracy_by_load(e))
    devices[key.first]["loads"][fmt::format("{:g}", key.second)] = accuracy_json(accuracy);
  for (const char* method : {"leave_model_out", "shape_holdout"})
    for (const auto& [device, accuracy] : accuracy_by_device(e, method))
      devices[device]["methods"][method] = accuracy_json(accuracy);
  for (const auto& [device, accuracy] : whole_model_accuracy(e)) devices[device]["whole_models"] = accuracy_json(accuracy);
  for (const auto& [device, accuracy] : e.repeatability)
    if (devices.contains(device)) devices[device]["repeatability"] = accuracy_json(accuracy);
  for (const auto& [device, accuracy] : e.cross_model_repeatability)
    if (devices.contains(device)) devices[device]["cross_model_repeatability"] = accuracy_json(accuracy);
  double total = e.skipped.kept_us + e.skipped.below_floor_us;
  return {{"floor_us", e.floor_us},
          {"skipped",
           {{"fused", e.skipped.fused},
            {"below_floor", e.skipped.below_floor},
            {"below_floor_time_share", total > 0 ? e.skipped.below_floor_us / total : 0.0}}},
          {"held_out_models", e.held_out_models},
          {"devices", devices}};
}

}  // namespace tandem
