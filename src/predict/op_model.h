// The latency model of one op type on one device: a roofline base, optionally
// corrected by a linear model or boosted trees (both predict log(measured/roofline)).
// Fitting picks the kind with the best accuracy on a validation part of the group
// (whole models left out, or shapes, see validation_split), then refits it on all of
// the group; groups with too few samples or shapes keep the roofline.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "predict/boosted_trees.h"
#include "predict/linear_model.h"
#include "predict/roofline.h"

namespace tandem {

enum class ModelKind { Roofline, Linear, Trees };

const char* model_kind_name(ModelKind kind);  // "roofline", "linear", "trees"
// Parses a comma-separated list; throws Error(InvalidInput) naming an unknown kind.
std::vector<ModelKind> parse_model_kinds(const std::string& list);

struct FitOptions {
  std::vector<ModelKind> kinds = {ModelKind::Roofline, ModelKind::Linear, ModelKind::Trees};
  double floor_us = kDefaultFloorUs;
  int min_op_roofline_samples = 6;  // fewer: the op uses the device-wide roofline
  int min_learned_samples = 12;     // fewer samples or ...
  int min_learned_signatures = 4;   // ... fewer distinct shapes: roofline only
  double validation_share = 0.25;   // of the group's signatures, for choosing the kind
  double ridge = 1e-3;
  TreeOptions trees;
  uint64_t seed = 1;
};

struct OpModel {
  ModelKind kind = ModelKind::Roofline;
  Roofline roofline;
  std::optional<LinearModel> linear;
  std::shared_ptr<const BoostedTrees> trees;
  // The learned correction (log measured/roofline) is clamped to the range the
  // training targets spanned: beyond the shapes it saw, a model may not invent a
  // larger correction than any it was shown.
  double min_correction = 0, max_correction = 0;
  int samples = 0;
  double validation_within_10pct = -1;  // of the chosen kind; -1 when not validated

  double predict_us(const NodeFeatures& f) const;
  std::vector<double> predict_us(const std::vector<NodeFeatures>& features) const;
};

// Fits the model of one (device, op) group. `device_roofline` serves small groups;
// `ref_threads` and `unfitted_load_slope` as for Roofline::fit.
OpModel fit_op_model(const std::vector<LatencySample>& group, const Roofline& device_roofline, double ref_threads,
                     double unfitted_load_slope, const FitOptions& options);

nlohmann::json op_model_json(const OpModel& model);
// Throws Error(InvalidInput) naming `where` for a malformed model.
OpModel op_model_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace tandem
