// Gradient-boosted regression trees through XGBoost's C API. The predictor trains one
// per device and op type on log_features() with the target log(measured / roofline).
// The model is saved as XGBoost's JSON text, which the predictor file embeds, so a
// predictor file is self-contained. Every XGBoost call is checked; a failure throws
// Error(Internal) (training) or Error(InvalidInput) (loading) naming the call and
// XGBoost's message.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem {

struct TreeOptions {
  // Any XGBoost regression objective. Pseudo-Huber (slope 1 on the log ratio): squared
  // error for corrections within a factor e, linear beyond, so that the few nodes whose
  // time depends on the model around them (a layout reorder, a cold cache) do not pull
  // the trees; "reg:absoluteerror" converges slowly.
  std::string objective = "reg:pseudohubererror";
  int rounds = 200;
  int max_depth = 4;
  double eta = 0.1;
  double subsample = 0.8;
  double min_child_weight = 2;
  int threads = 1;       // XGBoost threads; one keeps it deterministic and polite
  uint64_t seed = 1;
};

class BoostedTrees {
 public:
  static BoostedTrees fit(const std::vector<std::vector<double>>& rows, const std::vector<double>& targets,
                          const TreeOptions& options = {});
  // Throws Error(InvalidInput) when XGBoost rejects the text.
  static BoostedTrees from_json_text(const std::string& text);

  BoostedTrees(BoostedTrees&&) noexcept;
  BoostedTrees& operator=(BoostedTrees&&) noexcept;
  ~BoostedTrees();

  std::vector<double> predict(const std::vector<std::vector<double>>& rows) const;
  double predict_row(const std::vector<double>& row) const;
  size_t inputs() const { return inputs_; }
  std::string to_json_text() const;

 private:
  BoostedTrees(void* booster, size_t inputs) : booster_(booster), inputs_(inputs) {}
  void* booster_ = nullptr;  // BoosterHandle
  size_t inputs_ = 0;
};

}  // namespace tandem
