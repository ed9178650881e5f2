// Prediction accuracy over a set of (measured, predicted) pairs: the share within
// ±10% and ±20% of the measured time (0..1) and the mean absolute percentage error.
#pragma once
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tandem {

struct Accuracy {
  int count = 0;
  double within_10pct = 0;  // share 0..1 with |predicted - measured| <= 10% of measured
  double within_20pct = 0;
  double mape = 0;          // mean |predicted - measured| / measured, in percent
};

// Pairs with measured <= 0 are ignored.
Accuracy accuracy_of(const std::vector<double>& measured, const std::vector<double>& predicted);

// True when `a` is the better of the two: more within ±10%, then lower MAPE.
bool more_accurate(const Accuracy& a, const Accuracy& b);

nlohmann::json accuracy_json(const Accuracy& a);

}  // namespace tandem
