// Ridge-regularised robust least squares (Eigen): y ≈ intercept + w · standardise(x),
// with Huber weights by iteratively reweighted least squares so that a few wildly
// off measurements (a thread preempted on a busy machine) do not drag the fit.
// Inputs are clamped to the range seen in training, so the model never extrapolates
// a trend beyond its data (the roofline it corrects does that).
// The predictor feeds it log_features() and the target log(measured / roofline), so
// it is a log-linear correction of the roofline per device and op type. Columns that
// do not vary in training (e.g. threads on a one-thread-count profile) get weight 0.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tandem {

class LinearModel {
 public:
  // rows: one input vector per sample, all of the same length; `ridge` is the penalty
  // per sample on the standardised weights (the intercept is not penalised); residuals
  // beyond `huber` count linearly, not squared (0: plain least squares).
  static LinearModel fit(const std::vector<std::vector<double>>& rows, const std::vector<double>& targets,
                         double ridge = 1e-3, double huber = 0.1);
  double predict(const std::vector<double>& row) const;
  size_t inputs() const { return weights_.size(); }

  nlohmann::json to_json() const;
  // Throws Error(InvalidInput) naming `where` for a malformed model.
  static LinearModel from_json(const nlohmann::json& j, const std::string& where);

 private:
  std::vector<double> mean_, scale_, weights_, lower_, upper_;
  double intercept_ = 0;
};

}  // namespace tandem
