// Fitting one (device, op) model: roofline base, learned corrections, choice of kind
// on held-out signatures, and the model's JSON form.
#include "predict/op_model.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "predict/accuracy.h"
#include "predict/log_features.h"
#include "tandem/error.h"

namespace tandem {

const char* model_kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::Roofline: return "roofline";
    case ModelKind::Linear: return "linear";
    case ModelKind::Trees: return "trees";
  }
  return "?";
}

static ModelKind parse_model_kind(const std::string& name) {
  for (ModelKind kind : {ModelKind::Roofline, ModelKind::Linear, ModelKind::Trees})
    if (name == model_kind_name(kind)) return kind;
  fail(ErrorKind::InvalidInput, "unknown predictor model '" + name + "' (use roofline, linear, trees)");
}

std::vector<ModelKind> parse_model_kinds(const std::string& list) {
  std::vector<ModelKind> kinds;
  std::stringstream stream(list);
  std::string name;
  while (std::getline(stream, name, ','))
    if (!name.empty()) kinds.push_back(parse_model_kind(name));
  if (kinds.empty()) fail(ErrorKind::InvalidInput, "no predictor models given (use roofline, linear, trees)");
  return kinds;
}

namespace {

// A learned correction is at most this factor either way: keeps a model that
// extrapolates badly within sight of the roofline.
constexpr double kMaxLogCorrection = 3.9;  // ~50x

struct Rows {
  std::vector<std::vector<double>> inputs;
  std::vector<double> targets;  // log(measured / roofline)
};

Rows rows_of(const std::vector<LatencySample>& samples, const Roofline& roofline) {
  Rows rows;
  for (const LatencySample& s : samples) {
    double base = roofline.time_us(s.features);
    rows.inputs.push_back(log_features(s.features, base));
    rows.targets.push_back(std::log(s.us / base));
  }
  return rows;
}

// The group's own roofline when it has enough samples, else the device's. A node's
// fixed cost (dispatch, timer) is the device's, not the op's: an op whose samples
// are all large cannot tell it, and a larger one fitted there would dominate the
// op's small shapes (e.g. a 3 µs Gemm predicted at 80 µs).
Roofline base_roofline(const std::vector<LatencySample>& samples, const Roofline& device_roofline, double ref_threads,
                       double unfitted_load_slope, const FitOptions& options) {
  if (static_cast<int>(samples.size()) < options.min_op_roofline_samples) return device_roofline;
  return Roofline::fit(samples, ref_threads, unfitted_load_slope, device_roofline.overhead_us);
}

OpModel train(ModelKind kind, const std::vector<LatencySample>& samples, const Roofline& base, const FitOptions& options) {
  OpModel model;
  model.kind = kind;
  model.samples = static_cast<int>(samples.size());
  model.roofline = base;
  if (kind == ModelKind::Roofline) return model;
  Rows rows = rows_of(samples, base);
  auto [low, high] = std::minmax_element(rows.targets.begin(), rows.targets.end());
  model.min_correction = std::max(*low, -kMaxLogCorrection);
  model.max_correction = std::min(*high, kMaxLogCorrection);
  if (kind == ModelKind::Linear) model.linear = LinearModel::fit(rows.inputs, rows.targets, options.ridge);
  if (kind == ModelKind::Trees)
    model.trees = std::make_shared<const BoostedTrees>(BoostedTrees::fit(rows.inputs, rows.targets, options.trees));
  return model;
}

size_t distinct_signatures(const std::vector<LatencySample>& samples) {
  std::set<std::string> signatures;
  for (const LatencySample& s : samples) signatures.insert(s.signature);
  return signatures.size();
}

Accuracy validate(const OpModel& model, const std::vector<LatencySample>& validation) {
  std::vector<NodeFeatures> features;
  std::vector<double> measured;
  for (const LatencySample& s : validation) {
    features.push_back(s.features);
    measured.push_back(s.us);
  }
  return accuracy_of(measured, model.predict_us(features));
}

void read_correction_range(const nlohmann::json& j, const std::string& where, OpModel& model) {
  const auto& range = j.contains("correction_range") ? j["correction_range"] : nlohmann::json();
  if (!range.is_array() || range.size() != 2 || !range[0].is_number() || !range[1].is_number() ||
      range[0].get<double>() > range[1].get<double>())
    fail(ErrorKind::InvalidInput, where + ": missing 'correction_range' [low, high] of the learned correction");
  model.min_correction = range[0].get<double>();
  model.max_correction = range[1].get<double>();
}

}  // namespace

double OpModel::predict_us(const NodeFeatures& f) const { return predict_us(std::vector{f}).at(0); }

std::vector<double> OpModel::predict_us(const std::vector<NodeFeatures>& features) const {
  std::vector<double> times, corrections(features.size(), 0.0);
  std::vector<std::vector<double>> rows;
  for (const NodeFeatures& f : features) {
    times.push_back(roofline.time_us(f));
    if (kind != ModelKind::Roofline) rows.push_back(log_features(f, times.back()));
  }
  if (kind == ModelKind::Linear && linear)
    for (size_t i = 0; i < rows.size(); ++i) corrections[i] = linear->predict(rows[i]);
  if (kind == ModelKind::Trees && trees) corrections = trees->predict(rows);
  for (size_t i = 0; i < times.size(); ++i)
    times[i] *= std::exp(std::clamp(corrections[i], min_correction, max_correction));
  return times;
}

OpModel fit_op_model(const std::vector<LatencySample>& group, const Roofline& device_roofline, double ref_threads,
                     double unfitted_load_slope, const FitOptions& options) {
  auto base_of = [&](const std::vector<LatencySample>& samples) {
    return base_roofline(samples, device_roofline, ref_threads, unfitted_load_slope, options);
  };
  bool enough = static_cast<int>(group.size()) >= options.min_learned_samples &&
                static_cast<int>(distinct_signatures(group)) >= options.min_learned_signatures;
  if (!enough) return train(ModelKind::Roofline, group, base_of(group), options);
  auto [training, validation] = validation_split(group, options.validation_share, options.seed);
  if (training.empty() || validation.empty()) return train(ModelKind::Roofline, group, base_of(group), options);
  Roofline training_base = base_of(training);
  ModelKind best_kind = ModelKind::Roofline;
  Accuracy best;
  best.within_10pct = -1;
  for (ModelKind kind : options.kinds) {
    Accuracy accuracy = validate(train(kind, training, training_base, options), validation);
    if (more_accurate(accuracy, best)) best = accuracy, best_kind = kind;
  }
  OpModel model = train(best_kind, group, base_of(group), options);
  model.validation_within_10pct = best.within_10pct;
  return model;
}

nlohmann::json op_model_json(const OpModel& model) {
  nlohmann::json j = {{"model", model_kind_name(model.kind)},
                      {"samples", model.samples},
                      {"validation_within_10pct", model.validation_within_10pct},
                      {"roofline", roofline_json(model.roofline)}};
  if (model.kind != ModelKind::Roofline) j["correction_range"] = {model.min_correction, model.max_correction};
  if (model.kind == ModelKind::Linear && model.linear) j["linear"] = model.linear->to_json();
  if (model.kind == ModelKind::Trees && model.trees) j["trees"] = model.trees->to_json_text();
  return j;
}

OpModel op_model_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("model") || !j["model"].is_string())
    fail(ErrorKind::InvalidInput, where + ": missing string 'model'");
  OpModel model;
  model.kind = parse_model_kind(j["model"].get<std::string>());
  if (j.contains("samples") && j["samples"].is_number_integer()) model.samples = j["samples"].get<int>();
  if (j.contains("validation_within_10pct") && j["validation_within_10pct"].is_number())
    model.validation_within_10pct = j["validation_within_10pct"].get<double>();
  if (!j.contains("roofline")) fail(ErrorKind::InvalidInput, where + ": missing 'roofline'");
  model.roofline = roofline_from_json(j["roofline"], where + ".roofline");
  const size_t inputs = log_feature_names().size();
  if (model.kind != ModelKind::Roofline) read_correction_range(j, where, model);
  if (model.kind == ModelKind::Linear) {
    if (!j.contains("linear")) fail(ErrorKind::InvalidInput, where + ": missing 'linear'");
    model.linear = LinearModel::from_json(j["linear"], where + ".linear");
    if (model.linear->inputs() != inputs)
      fail(ErrorKind::InvalidInput, where + ".linear: takes " + std::to_string(model.linear->inputs()) +
                                        " inputs, this tandem gives " + std::to_string(inputs));
  }
  if (model.kind == ModelKind::Trees) {
    if (!j.contains("trees") || !j["trees"].is_string())
      fail(ErrorKind::InvalidInput, where + ": missing string 'trees' (the XGBoost model)");
    try {
      model.trees = std::make_shared<const BoostedTrees>(BoostedTrees::from_json_text(j["trees"].get<std::string>()));
    } catch (const Error& e) {
      fail(ErrorKind::InvalidInput, where + ".trees: " + e.what());
    }
    if (model.trees->inputs() != inputs)
      fail(ErrorKind::InvalidInput, where + ".trees: takes " + std::to_string(model.trees->inputs()) +
                                        " inputs, this tandem gives " + std::to_string(inputs));
  }
  return model;
}

}  // namespace tandem
