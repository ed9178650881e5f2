// Accuracy metrics of latency predictions.
#include "predict/accuracy.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace tandem {

Accuracy accuracy_of(const std::vector<double>& measured, const std::vector<double>& predicted) {
  Accuracy a;
  double within_10 = 0, within_20 = 0, error_sum = 0;
  for (size_t i = 0; i < measured.size() && i < predicted.size(); ++i) {
    if (!(measured[i] > 0)) continue;
    double error = std::abs(predicted[i] - measured[i]) / measured[i];
    // A hair of tolerance so that exactly 10% counts as within 10%.
    within_10 += error <= 0.10 + 1e-12 ? 1 : 0;
    within_20 += error <= 0.20 + 1e-12 ? 1 : 0;
    error_sum += error;
    ++a.count;
  }
  if (a.count == 0) return a;
  a.within_10pct = within_10 / a.count;
  a.within_20pct = within_20 / a.count;
  a.mape = 100 * error_sum / a.count;
  return a;
}

bool more_accurate(const Accuracy& a, const Accuracy& b) {
  if (a.within_10pct != b.within_10pct) return a.within_10pct > b.within_10pct;
  return a.mape < b.mape;
}

nlohmann::json accuracy_json(const Accuracy& a) {
  return {{"count", a.count}, {"within_10pct", a.within_10pct}, {"within_20pct", a.within_20pct}, {"mape", a.mape}};
}

}  // namespace tandem
