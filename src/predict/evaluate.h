// Held-out accuracy of the predictor on a profile. Two ways of holding out, both
// with predictors trained exactly as `tandem fit` trains them:
//   leave_model_out  each profiled model in turn is left out; the predictor trains on
//                    the others and the sweeps, minus any node whose signature occurs
//                    in the left-out model, so every tested shape is unseen;
//   shape_holdout    a seeded share of the distinct signatures (per device) is left
//                    out of training and tested.
// Metrics per device, per (device, op type) and per (device, injected load level),
// pooled over both ways and for each alone. Fused nodes and nodes under the floor
// are skipped and counted.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "predict/accuracy.h"
#include "predict/predictor.h"

namespace tandem {

struct EvaluationOptions {
  FitOptions fit;
  bool leave_model_out = true;
  bool shape_holdout = true;
  double shape_holdout_share = 0.2;
  uint64_t seed = 7;
};

struct HeldOutPrediction {
  std::string method;  // "leave_model_out" or "shape_holdout"
  std::string device, op, source, signature;
  double load = 0;     // the run's injected load, 0..1
  double batch = 1;
  double measured_us = 0, predicted_us = 0;
};

struct Evaluation {
  std::vector<HeldOutPrediction> predictions;
  // The noise ceiling, per device: nodes measured more than once with the same
  // signature and load (repeated blocks, the same layer in several models), each
  // compared with the median of its group as if that were the prediction.
  std::map<std::string, Accuracy> repeatability;
  // The ceiling of leave_model_out, per device: per signature and load measured in
  // two or more sources (models), each source's median against the median of the
  // other sources' medians, i.e. a predictor that knew the shape's time from the
  // other models exactly. Lower than `repeatability` when the same work runs slower
  // or faster depending on the model around it (layouts, caches, machine load).
  std::map<std::string, Accuracy> cross_model_repeatability;
  SkippedNodes skipped;
  std::vector<std::string> held_out_models;
  double floor_us = kDefaultFloorUs;
};

Evaluation evaluate(const Profile& profile, const EvaluationOptions& options = {});

// Summaries over the predictions of `method` ("" for all).
std::map<std::string, Accuracy> accuracy_by_device(const Evaluation& e, const std::string& method = "");
std::map<std::pair<std::string, std::string>, Accuracy> accuracy_by_op(const Evaluation& e, const std::string& method = "");
// Per held-out model (the prediction's source), of leave_model_out.
std::map<std::pair<std::string, std::string>, Accuracy> accuracy_by_model(const Evaluation& e);
// Load levels rounded to 0.01.
std::map<std::pair<std::string, double>, Accuracy> accuracy_by_load(const Evaluation& e, const std::string& method = "");
// Per device, of leave_model_out, each left-out model's run (model, batch, load) as one
// prediction: the sum of its nodes' predicted times against the sum of their measured
// medians. A plan's choice between devices rests on such sums more than on any one node.
std::map<std::string, Accuracy> whole_model_accuracy(const Evaluation& e);

// The JSON report: devices.<name>.{count, within_10pct, within_20pct, mape} pooled,
// with .ops.<op> (and the chosen model kind when `chosen` is given), .models.<left-out
// model>, .loads.<level>
// .methods.<method>, .whole_models, .repeatability and .cross_model_repeatability; plus the floor, the skipped counts
// and the held-out models.
nlohmann::json evaluation_json(const Evaluation& e, const Predictor* chosen = nullptr);

}  // namespace tandem
