// `tandem bench --compare DEV,...,auto MODEL...`: per model and batch size, each
// listed device alone, the auto plan across them, and the measured oracle
// (runtime/compare.h), timed interleaved; prints a table and optionally writes JSON
// and a markdown table.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backends/cpu/cpu_device.h"
#include "commands.h"
#include "runtime/compare.h"

namespace tandem::cli {

namespace {

const std::vector<int64_t> kDefaultBatches{1, 4, 16, 64};

// The listed devices without "auto" (auto always runs, planned across them).
std::vector<std::string> single_devices(const BenchArgs& args) {
  std::vector<std::string> devices;
  for (const std::string& name : args.compare)
    if (name != "auto") devices.push_back(name);
  if (devices.empty()) fail(ErrorKind::InvalidInput, "--compare needs at least one device besides auto");
  return devices;
}

CompareOptions compare_options(const BenchArgs& args, int64_t batch) {
  CompareOptions options;
  options.devices = single_devices(args);
  options.make_inputs = [](const std::vector<TensorSpec>& specs) { return random_inputs(specs); };
  options.auto_options.devices = options.devices;
  options.auto_options.profile_path = args.profile;
  options.auto_options.batch = batch;
  options.auto_options.device.threads = args.threads;
  options.auto_options.device.cores = pinned_cores(args.cores, options.devices);
  options.auto_options.device.tf32 = args.gpu.tf32;
  options.auto_options.device.graphs = !args.gpu.no_cuda_graphs;
  options.timing = InterleaveOptions{args.warmup, args.repeats, args.seconds};
  options.oracle_budget_s = args.oracle_budget;
  return options;
}

double best_single_us(const Comparison& c) {
  double best = std::numeric_limits<double>::infinity();
  for (const DeviceMeasurement& d : c.devices)
    if (d.usable) best = std::min(best, d.measured.stats.median);
  return best;
}

std::string ratio(double a, double b) { return std::isfinite(b) && b > 0 ? fmt::format("{:.3f}", a / b) : "—"; }

std::string nodes_text(const std::map<std::string, int>& nodes) {
  std::string text;
  for (const auto& [device, count] : nodes) text += (text.empty() ? "" : " ") + fmt::format("{}={}", device, count);
  return text;
}

std::string candidates_text(const Comparison& c) {
  return fmt::format("{}/{}{}", c.candidates_measured, c.candidates_total, c.exhaustive ? " (all)" : "");
}

std::vector<std::string> header(const std::vector<std::string>& devices) {
  std::vector<std::string> row{"model", "batch"};
  row.insert(row.end(), devices.begin(), devices.end());
  for (const char* column : {"auto", "oracle", "auto/best single", "auto/oracle", "auto nodes", "switches auto/oracle",
                             "candidates measured"})
    row.push_back(column);
  return row;
}

// One table row; `format` turns µs into a cell.
template <class Format>
std::vector<std::string> row_of(const Comparison& c, Format format) {
  std::vector<std::string> row{c.model, std::to_string(c.batch)};
  for (const DeviceMeasurement& d : c.devices) row.push_back(d.usable ? format(d.measured.stats.median) : "—");
  double auto_us = c.auto_plan.measured.stats.median;
  row.push_back(format(auto_us));
  row.push_back(format(c.oracle.measured.stats.median));
  row.push_back(ratio(auto_us, best_single_us(c)));
  row.push_back(ratio(auto_us, c.oracle.measured.stats.median));
  row.push_back(nodes_text(c.auto_plan.nodes_per_device));
  row.push_back(fmt::format("{}/{}", c.auto_plan.switches, c.oracle.switches));
  row.push_back(candidates_text(c));
  return row;
}

nlohmann::json json_of(const Measured& m) {
  return {{"median_us", m.stats.median}, {"p10_us", m.stats.p10}, {"p90_us", m.stats.p90}, {"runs", m.runs}};
}

nlohmann::json json_of(const PlacementMeasurement& p) {
  nlohmann::json j = json_of(p.measured);
  j["switches"] = p.switches;
  j["nodes_per_device"] = p.nodes_per_device;
  j["source"] = p.source;
  j["placement"] = p.placement;
  return j;
}

nlohmann::json json_of(const Comparison& c) {
  nlohmann::json devices = nlohmann::json::object();
  for (const DeviceMeasurement& d : c.devices)
    devices[d.device] = d.usable ? json_of(d.measured) : nlohmann::json{{"usable", false}, {"reason", d.reason}};
  nlohmann::json auto_plan = json_of(c.auto_plan);
  auto_plan["strategy"] = c.auto_strategy;
  auto_plan["predicted_us"] = c.predicted_auto_us;
  double auto_us = c.auto_plan.measured.stats.median;
  return {{"model", c.model}, {"batch", c.batch}, {"devices", devices}, {"auto", auto_plan},
          {"oracle", json_of(c.oracle)}, {"auto_over_best_single", auto_us / best_single_us(c)},
          {"auto_over_oracle", auto_us / c.oracle.measured.stats.median},
          {"candidates_measured", c.candidates_measured}, {"candidates_total", c.candidates_total},
          {"exhaustive", c.exhaustive}, {"checked_against", c.checked_against},
          {"max_output_difference", c.max_output_difference}};
}

std::string markdown_of(const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  for (size_t r = 0; r < rows.size(); ++r) {
    text += "|";
    for (const std::string& cell : rows[r]) text += " " + cell + " |";
    text += "\n";
    if (r == 0) {
      text += "|";
      for (size_t c = 0; c < rows[r].size(); ++c) text += c < 2 ? "---|" : "---:|";
      text += "\n";
    }
  }
  return text;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write '" + path + "'");
  out << text;
}

// Each unusable device's reason, once.
void report_unusable(const Comparison& c) {
  for (const DeviceMeasurement& d : c.devices)
    if (!d.usable) std::printf("%s: not usable here (%s); shown as —\n", d.device.c_str(), d.reason.c_str());
}

}  // namespace

void add_bench_compare_options(CLI::App& bench, BenchArgs& args) {
  bench.add_option("--compare", args.compare,
                   "Compare devices, e.g. cpu,cuda,auto: each alone, auto across them, and the measured oracle")
      ->delimiter(',')
      ->allow_extra_args(false);
  bench.add_option("--oracle-budget", args.oracle_budget,
                   "--compare: seconds per model and batch for screening oracle candidates (default 20)");
  bench.add_option("--markdown", args.markdown, "--compare: also write the table as markdown");
  add_core_flags(bench, args.cores);  // plain bench pins its --device (or auto's --devices) too
}

void bench_compare(const BenchArgs& args) {
  const std::vector<int64_t>& batches = args.batches.empty() ? kDefaultBatches : args.batches;
  std::vector<std::vector<std::string>> table{header(single_devices(args))}, markdown{table.front()};
  nlohmann::json results = nlohmann::json::array();
  bool reported = false;
  for (const std::string& model : args.models)
    for (int64_t batch : batches) {
      Comparison c = compare_placements(model, compare_options(args, batch));
      if (!reported) report_unusable(c);
      reported = true;
      table.push_back(row_of(c, format_us));
      markdown.push_back(row_of(c, [](double us) { return fmt::format("{:.4g}", us / 1e3); }));
      results.push_back(json_of(c));
    }
  print_table(table);
  if (!args.markdown.empty()) write_file(args.markdown, markdown_of(markdown));
  if (args.json.empty()) return;
  nlohmann::json report{{"results", results}, {"cpu", cpu_model_name()}, {"threads", args.threads},
                        {"compare", args.compare}, {"oracle_budget_s", args.oracle_budget}};
  write_file(args.json, report.dump(2) + "\n");
}

}  // namespace tandem::cli
