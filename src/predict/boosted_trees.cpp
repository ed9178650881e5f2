// XGBoost C API wrapper: dense matrices in, regression boosting, JSON save/load.
#include "predict/boosted_trees.h"

#include <xgboost/c_api.h>

#include <cmath>

#include <fmt/format.h>

#include "tandem/error.h"

namespace tandem {

namespace {

// Checks an XGBoost return code; names the call and XGBoost's last error.
void check(int status, const char* call, ErrorKind kind = ErrorKind::Internal) {
  if (status != 0) fail(kind, fmt::format("XGBoost {} failed: {}", call, XGBGetLastError()));
}
#define TANDEM_XGB(call) check((call), #call)

// A DMatrix owned for the scope; rows are copied into float.
class Matrix {
 public:
  Matrix(const std::vector<std::vector<double>>& rows, size_t columns) {
    std::vector<float> data;
    data.reserve(rows.size() * columns);
    for (const std::vector<double>& row : rows) {
      if (row.size() != columns)
        fail(ErrorKind::Internal, fmt::format("boosted trees take {} inputs, got {}", columns, row.size()));
      for (double v : row) data.push_back(static_cast<float>(v));
    }
    TANDEM_XGB(XGDMatrixCreateFromMat(data.data(), rows.size(), columns, NAN, &handle));
  }
  ~Matrix() { XGDMatrixFree(handle); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
  DMatrixHandle handle = nullptr;
};

void set_param(BoosterHandle booster, const char* name, const std::string& value) {
  check(XGBoosterSetParam(booster, name, value.c_str()), fmt::format("XGBoosterSetParam({})", name).c_str());
}

}  // namespace

BoostedTrees BoostedTrees::fit(const std::vector<std::vector<double>>& rows, const std::vector<double>& targets,
                               const TreeOptions& options) {
  if (rows.empty() || rows.size() != targets.size())
    fail(ErrorKind::Internal, "boosted trees need one target per row and at least one row");
  size_t columns = rows[0].size();
  Matrix train(rows, columns);
  std::vector<float> labels(targets.begin(), targets.end());
  TANDEM_XGB(XGDMatrixSetFloatInfo(train.handle, "label", labels.data(), labels.size()));
  BoosterHandle booster = nullptr;
  TANDEM_XGB(XGBoosterCreate(&train.handle, 1, &booster));
  BoostedTrees model(booster, columns);
  set_param(booster, "objective", options.objective);
  set_param(booster, "base_score", "0");
  set_param(booster, "max_depth", std::to_string(options.max_depth));
  set_param(booster, "eta", fmt::format("{}", options.eta));
  set_param(booster, "subsample", fmt::format("{}", options.subsample));
  set_param(booster, "min_child_weight", fmt::format("{}", options.min_child_weight));
  set_param(booster, "nthread", std::to_string(options.threads));
  set_param(booster, "seed", std::to_string(options.seed));
  set_param(booster, "verbosity", "0");
  for (int round = 0; round < options.rounds; ++round)
    TANDEM_XGB(XGBoosterUpdateOneIter(booster, round, train.handle));
  return model;
}

BoostedTrees BoostedTrees::from_json_text(const std::string& text) {
  BoosterHandle booster = nullptr;
  TANDEM_XGB(XGBoosterCreate(nullptr, 0, &booster));
  BoostedTrees model(booster, 0);
  check(XGBoosterLoadModelFromBuffer(booster, text.data(), text.size()), "XGBoosterLoadModelFromBuffer",
        ErrorKind::InvalidInput);
  bst_ulong features = 0;
  check(XGBoosterGetNumFeature(booster, &features), "XGBoosterGetNumFeature", ErrorKind::InvalidInput);
  model.inputs_ = static_cast<size_t>(features);
  return model;
}

BoostedTrees::BoostedTrees(BoostedTrees&& other) noexcept : booster_(other.booster_), inputs_(other.inputs_) {
  other.booster_ = nullptr;
}

BoostedTrees& BoostedTrees::operator=(BoostedTrees&& other) noexcept {
  std::swap(booster_, other.booster_);
  std::swap(inputs_, other.inputs_);
  return *this;
}

BoostedTrees::~BoostedTrees() {
  if (booster_) XGBoosterFree(booster_);
}

std::vector<double> BoostedTrees::predict(const std::vector<std::vector<double>>& rows) const {
  if (rows.empty()) return {};
  Matrix matrix(rows, inputs_);
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  TANDEM_XGB(XGBoosterPredictFromDMatrix(booster_, matrix.handle, config, &shape, &dims, &result));
  return std::vector<double>(result, result + rows.size());
}

double BoostedTrees::predict_row(const std::vector<double>& row) const { return predict(std::vector<std::vector<double>>{row}).at(0); }

std::string BoostedTrees::to_json_text() const {
  bst_ulong length = 0;
  const char* data = nullptr;
  TANDEM_XGB(XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &length, &data));
  return std::string(data, length);
}

}  // namespace tandem
