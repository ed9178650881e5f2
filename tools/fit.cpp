// `tandem fit PROFILE... -o PREDICTOR [--json REPORT] [--models roofline,linear,trees]`:
// trains latency predictors from profiles, reports their accuracy on held-out layers
// (whole models left out, and unseen shapes) per device, op type and load level, and
// writes the predictor file.
#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "predict/evaluate.h"

namespace tandem::cli {

namespace {

struct FitArgs {
  std::vector<std::string> profiles;
  std::string output, report, predictions, models = "roofline,linear,trees";
  double floor_us = kDefaultFloorUs;
  double holdout_share = 0.2;
  bool no_evaluation = false;
};

// Says which node features a profile predates: they read as 0, which the predictors
// take for a measured value (0 bytes since an input was written: in cache).
void note_missing_features(const std::string& path, const Profile& profile) {
  if (profile.missing_features.empty()) return;
  fmt::print(stderr,
             "note: {} was written before the feature(s) {}; its nodes read them as 0. Profile again "
             "(tandem profile ... --force, tandem sweep) rather than mix it with newer profiles\n",
             path, fmt::join(profile.missing_features, ", "));
}

// The profiles as one: runs and links appended, the first fingerprint of a device kept.
Profile merged_profiles(const std::vector<std::string>& paths) {
  Profile merged;
  for (const std::string& path : paths) {
    Profile p = read_profile(path);
    note_missing_features(path, p);
    for (const auto& [name, fingerprint] : p.devices) {
      auto [it, added] = merged.devices.emplace(name, fingerprint);
      if (!added && it->second.key() != fingerprint.key())
        fmt::print(stderr, "note: {} has another fingerprint of {} than an earlier profile; keeping the first\n", path, name);
    }
    merged.runs.insert(merged.runs.end(), p.runs.begin(), p.runs.end());
    merged.links.insert(merged.links.end(), p.links.begin(), p.links.end());
  }
  return merged;
}

std::string percent(double share) { return fmt::format("{:.1f}%", 100 * share); }

std::vector<std::string> accuracy_cells(const Accuracy& a) {
  return {std::to_string(a.count), percent(a.within_10pct), percent(a.within_20pct), fmt::format("{:.1f}%", a.mape)};
}

std::string chosen_model(const Predictor& predictor, const std::string& device, const std::string& op) {
  const DeviceModels* models = predictor.device(device);
  if (!models) return "-";
  auto model = models->ops.find(op);
  return model == models->ops.end() ? "device roofline" : model_kind_name(model->second.kind);
}

void print_evaluation(const Evaluation& e, const Predictor& predictor) {
  int unseen_shapes = 0;
  for (const auto& [device, accuracy] : accuracy_by_device(e, "shape_holdout")) unseen_shapes += accuracy.count;
  std::string models;
  for (const std::string& model : e.held_out_models) models += (models.empty() ? "" : ", ") + model;
  fmt::print("held-out accuracy: models left out in turn: {}; plus {} nodes of unseen shapes\n",
             models.empty() ? "none" : models, unseen_shapes);
  std::vector<std::vector<std::string>> rows = {{"device", "op", "count", "within 10%", "within 20%", "MAPE", "model"}};
  std::map<std::string, Accuracy> devices = accuracy_by_device(e);
  for (const auto& [key, accuracy] : accuracy_by_op(e)) {
    std::vector<std::string> row = {key.first, key.second};
    for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
    row.push_back(chosen_model(predictor, key.first, key.second));
    rows.push_back(row);
  }
  for (const auto& [device, accuracy] : devices) {
    std::vector<std::string> row = {device, "(all)"};
    for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
    row.push_back("");
    rows.push_back(row);
  }
  print_table(rows);
  fmt::print("\nby injected CPU load, by model left out and by hold-out method:\n");
  rows = {{"device", "held out", "count", "within 10%", "within 20%", "MAPE"}};
  for (const auto& [key, accuracy] : accuracy_by_load(e)) {
    std::vector<std::string> row = {key.first, fmt::format("load {:.0f}%", key.second * 100)};
    for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
    rows.push_back(row);
  }
  for (const auto& [key, accuracy] : accuracy_by_model(e)) {
    std::vector<std::string> row = {key.first, "model " + key.second};
    for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
    rows.push_back(row);
  }
  for (const char* method : {"leave_model_out", "shape_holdout"})
    for (const auto& [device, accuracy] : accuracy_by_device(e, method)) {
      std::vector<std::string> row = {device, method};
      for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
      rows.push_back(row);
    }
  for (const auto& [device, accuracy] : whole_model_accuracy(e)) {
    std::vector<std::string> row = {device, "whole models"};
    for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
    rows.push_back(row);
  }
  for (const auto& [label, ceilings] : {std::pair{"repeat (noise)", &e.repeatability},
                                        std::pair{"other models", &e.cross_model_repeatability}})
    for (const auto& [device, accuracy] : *ceilings) {
      std::vector<std::string> row = {device, label};
      for (const std::string& cell : accuracy_cells(accuracy)) row.push_back(cell);
      rows.push_back(row);
    }
  print_table(rows);
  fmt::print("(whole models: each left-out model's run, model, batch and load, as one prediction, the sum of its "
             "nodes;\n repeat: nodes measured more than once at the same shape and load against their median, "
             "roughly the best any predictor can reach on these measurements;\n"
             " other models: each model's median of a shape measured in several models against the other models' "
             "median, the ceiling of leave_model_out)\n");
  double total = e.skipped.kept_us + e.skipped.below_floor_us;
  fmt::print("skipped: {} fused nodes (time 0), {} nodes under {} ({:.2f}% of the measured time)\n", e.skipped.fused,
             e.skipped.below_floor, format_us(e.floor_us), total > 0 ? 100 * e.skipped.below_floor_us / total : 0.0);
}

void print_models(const Predictor& predictor) {
  std::vector<std::vector<std::string>> rows = {{"device", "op", "samples", "model", "validation within 10%"}};
  for (const auto& [device, models] : predictor.devices())
    for (const auto& [op, model] : models.ops)
      rows.push_back({device, op, std::to_string(model.samples), model_kind_name(model.kind),
                      model.validation_within_10pct < 0 ? "-" : percent(model.validation_within_10pct)});
  print_table(rows);
}

// A CSV cell in quotes (quotes inside doubled): sources and signatures hold commas.
std::string quoted(const std::string& text) {
  std::string cell = "\"";
  for (char c : text) cell += c == '"' ? std::string("\"\"") : std::string(1, c);
  return cell + "\"";
}

void write_predictions(const Evaluation& e, const std::string& path) {
  std::ofstream out(path);
  out << "method,device,op,source,load,measured_us,predicted_us,signature\n";
  for (const HeldOutPrediction& p : e.predictions)
    out << fmt::format("{},{},{},{},{},{},{},{}\n", p.method, p.device, p.op, quoted(p.source), p.load, p.measured_us,
                       p.predicted_us, quoted(p.signature));
  if (!out) fail(ErrorKind::Io, "cannot write predictions " + path);
}

void run(const FitArgs& args) {
  using Clock = std::chrono::steady_clock;
  if (!(args.floor_us >= 0)) fail(ErrorKind::InvalidInput, "--floor-us must be at least 0");
  if (!(args.holdout_share > 0 && args.holdout_share < 1))
    fail(ErrorKind::InvalidInput, "--holdout-share must be between 0 and 1");
  EvaluationOptions options;
  options.fit.kinds = parse_model_kinds(args.models);
  Profile profile = merged_profiles(args.profiles);
  options.fit.floor_us = args.floor_us;
  options.shape_holdout_share = args.holdout_share;
  Clock::time_point start = Clock::now();
  Predictor predictor = Predictor::fit(profile, options.fit);
  predictor.save(args.output);
  double fit_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("predictor written to {} (trained in {:.1f} s):\n", args.output, fit_seconds);
  print_models(predictor);
  if (args.no_evaluation) return;
  start = Clock::now();
  Evaluation evaluation = evaluate(profile, options);
  fmt::print("\n");
  print_evaluation(evaluation, predictor);
  fmt::print("evaluation took {:.1f} s\n", std::chrono::duration<double>(Clock::now() - start).count());
  if (!args.predictions.empty()) write_predictions(evaluation, args.predictions);
  if (args.report.empty()) return;
  nlohmann::json report = evaluation_json(evaluation, &predictor);
  report["profiles"] = args.profiles;
  report["predictor"] = args.output;
  report["models"] = args.models;
  std::ofstream out(args.report);
  out << report.dump(2) << "\n";
  if (!out) fail(ErrorKind::Io, "cannot write report " + args.report);
}

}  // namespace

void add_fit_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("fit", "Train latency predictors from profiles and report held-out accuracy");
  static FitArgs args;
  cmd->add_option("PROFILE", args.profiles, "Profile file(s) from tandem profile / tandem sweep")->required();
  cmd->add_option("-o,--output", args.output, "Predictor file to write")->required();
  cmd->add_option("--json", args.report, "Also write the accuracy report as JSON");
  cmd->add_option("--predictions", args.predictions, "Also write every held-out prediction as CSV");
  cmd->add_option("--models", args.models, "Model kinds to choose from: roofline,linear,trees (default all)");
  cmd->add_option("--floor-us", args.floor_us, "Skip nodes faster than this in training and evaluation (default 2)");
  cmd->add_option("--holdout-share", args.holdout_share, "Share of distinct shapes held out in the shape test (default 0.2)");
  cmd->add_flag("--no-eval", args.no_evaluation, "Only train and write the predictor");
  cmd->callback([] { run(args); });
}

}  // namespace tandem::cli
