// Ridge regression by the normal equations (Eigen LDLT) on standardised columns.
#include "predict/linear_model.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "tandem/error.h"

namespace tandem {

namespace {

// Standardises the columns of x in place; constant columns become 0 with scale 1.
void standardise(Eigen::MatrixXd& x, Eigen::VectorXd& mean, Eigen::VectorXd& scale) {
  const Eigen::Index n = x.rows();
  mean = x.colwise().mean();
  scale = ((x.rowwise() - mean.transpose()).array().square().colwise().sum() / static_cast<double>(n)).sqrt();
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    if (scale(j) > 1e-9) {
      x.col(j) = ((x.col(j).array() - mean(j)) / scale(j)).matrix();
    } else {
      x.col(j).setZero();
      scale(j) = 1;
    }
  }
}

// Weighted ridge solution; the last column of x is the unpenalised intercept.
Eigen::VectorXd weighted_ridge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const Eigen::VectorXd& w, double ridge) {
  Eigen::MatrixXd gram = x.transpose() * w.asDiagonal() * x;
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(x.cols(), ridge * w.sum() + 1e-9);
  penalty(x.cols() - 1) = 1e-9;
  gram.diagonal() += penalty;
  return gram.ldlt().solve(x.transpose() * (w.array() * y.array()).matrix());
}

}  // namespace

LinearModel LinearModel::fit(const std::vector<std::vector<double>>& rows, const std::vector<double>& targets,
                             double ridge, double huber) {
  if (rows.empty() || rows.size() != targets.size())
    fail(ErrorKind::Internal, "linear fit needs one target per row and at least one row");
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index d = static_cast<Eigen::Index>(rows[0].size());
  Eigen::MatrixXd x(n, d + 1);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (static_cast<Eigen::Index>(rows[i].size()) != d) fail(ErrorKind::Internal, "linear fit rows differ in length");
    for (Eigen::Index j = 0; j < d; ++j) x(i, j) = rows[i][j];
    y(i) = targets[i];
  }
  Eigen::MatrixXd features = x.leftCols(d);
  Eigen::VectorXd lower = features.colwise().minCoeff(), upper = features.colwise().maxCoeff();
  Eigen::VectorXd mean, scale;
  standardise(features, mean, scale);
  x.leftCols(d) = features;
  x.col(d).setOnes();
  Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
  Eigen::VectorXd beta = weighted_ridge(x, y, w, ridge);
  for (int iteration = 0; huber > 0 && iteration < 10; ++iteration) {
    Eigen::ArrayXd residual = (y - x * beta).array().abs();
    w = (huber / residual.max(huber)).matrix();
    beta = weighted_ridge(x, y, w, ridge);
  }
  LinearModel model;
  model.mean_.assign(mean.data(), mean.data() + d);
  model.scale_.assign(scale.data(), scale.data() + d);
  model.weights_.assign(beta.data(), beta.data() + d);
  model.lower_.assign(lower.data(), lower.data() + d);
  model.upper_.assign(upper.data(), upper.data() + d);
  model.intercept_ = beta(d);
  return model;
}

double LinearModel::predict(const std::vector<double>& row) const {
  if (row.size() != weights_.size())
    fail(ErrorKind::Internal, "linear model takes " + std::to_string(weights_.size()) + " inputs, got " +
                                  std::to_string(row.size()));
  double y = intercept_;
  for (size_t j = 0; j < row.size(); ++j)
    y += weights_[j] * (std::clamp(row[j], lower_[j], upper_[j]) - mean_[j]) / scale_[j];
  return y;
}

nlohmann::json LinearModel::to_json() const {
  return {{"intercept", intercept_}, {"mean", mean_},   {"scale", scale_},
          {"weights", weights_},     {"lower", lower_}, {"upper", upper_}};
}

static std::vector<double> numbers(const nlohmann::json& j, const char* name, const std::string& where) {
  if (!j.contains(name) || !j[name].is_array()) fail(ErrorKind::InvalidInput, where + ": missing array '" + name + "'");
  std::vector<double> values;
  for (const nlohmann::json& v : j[name]) {
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      fail(ErrorKind::InvalidInput, where + ": '" + name + "' holds a non-number");
    values.push_back(v.get<double>());
  }
  return values;
}

LinearModel LinearModel::from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("intercept") || !j["intercept"].is_number())
    fail(ErrorKind::InvalidInput, where + ": missing number 'intercept'");
  LinearModel model;
  model.intercept_ = j["intercept"].get<double>();
  model.mean_ = numbers(j, "mean", where);
  model.scale_ = numbers(j, "scale", where);
  model.weights_ = numbers(j, "weights", where);
  model.lower_ = numbers(j, "lower", where);
  model.upper_ = numbers(j, "upper", where);
  size_t d = model.weights_.size();
  if (model.mean_.size() != d || model.scale_.size() != d || model.lower_.size() != d || model.upper_.size() != d)
    fail(ErrorKind::InvalidInput, where + ": 'mean', 'scale', 'weights', 'lower' and 'upper' differ in length");
  for (size_t i = 0; i < d; ++i)
    if (model.lower_[i] > model.upper_[i]) fail(ErrorKind::InvalidInput, where + ": 'lower' exceeds 'upper'");
  for (double s : model.scale_)
    if (s <= 0) fail(ErrorKind::InvalidInput, where + ": 'scale' must be positive");
  return model;
}

}  // namespace tandem
