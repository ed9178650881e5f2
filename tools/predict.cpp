// `tandem predict MODEL -p PREDICTOR --device cpu --batch 1 [--load 50] [--threads N]`:
// predicted time of every node of a model on a device under a CPU load, the total,
// and for devices with their own memory the copies of the model's inputs and outputs.
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "ir/prepare.h"
#include "predict/predictor.h"
#include "profile/cpu_load.h"
#include "profile/node_profiler.h"

namespace tandem::cli {

namespace {

struct PredictArgs {
  std::string model, predictor, device = "cpu";
  int64_t batch = 1;
  double load_percent = -1;  // -1: measure now
  int threads = 0;
};

// Busy share of all cores over the next 0.2 s: load other programs put on the CPU.
double current_load() {
  CpuLoadMeter meter;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::optional<double> share = meter.busy_share();
  if (!share) fmt::print(stderr, "note: cannot read /proc/stat; assuming no extra CPU load\n");
  return share.value_or(0.0);
}

int threads_for(const PredictArgs& args, const Predictor& predictor) {
  if (args.threads > 0) return args.threads;
  const DeviceModels* models = predictor.device(args.device);
  if (models && models->threads > 0) return models->threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string model_label(const Predictor& predictor, const std::string& device, const std::string& op) {
  const DeviceModels* models = predictor.device(device);
  if (!models) return "defaults";
  auto model = models->ops.find(op);
  return model == models->ops.end() ? "device roofline" : model_kind_name(model->second.kind);
}

double value_bytes(const Graph& g, int id) {
  return static_cast<double>(num_elements(g.value(id).shape) * static_cast<int64_t>(dtype_size(g.value(id).dtype)));
}

void print_copies(const Predictor& predictor, const std::string& device, const Graph& g, double& total) {
  double in = 0, out = 0;
  for (int id : g.inputs) in += value_bytes(g, id);
  for (int id : g.outputs) out += value_bytes(g, id);
  double in_us = predictor.predict_copy(device, "to_device", in);
  double out_us = predictor.predict_copy(device, "to_host", out);
  fmt::print("copy inputs to {} ({}): {}\n", device, format_bytes(in), format_us(in_us));
  fmt::print("copy outputs to host ({}): {}\n", format_bytes(out), format_us(out_us));
  total += in_us + out_us;
}

void run(const PredictArgs& args) {
  if (args.batch < 1) fail(ErrorKind::InvalidInput, "--batch must be at least 1");
  if (args.load_percent != -1 && !(args.load_percent >= 0 && args.load_percent <= 100))
    fail(ErrorKind::InvalidInput, fmt::format("--load is a percentage 0..100, got {}", args.load_percent));
  Predictor predictor = Predictor::load(args.predictor);
  Graph g = load_model(args.model);
  prepare_graph(g, PrepareOptions{args.batch, {}, true});
  double load = args.load_percent >= 0 ? args.load_percent / 100 : current_load();
  int threads = threads_for(args, predictor);
  if (!predictor.device(args.device))
    fmt::print(stderr, "note: {} has no measurements of {}; using conservative defaults\n", args.predictor, args.device);
  std::vector<std::vector<std::string>> rows = {{"#", "node", "op", "output shape", "FLOPs", "predicted", "model"}};
  double total = 0;
  const std::vector<NodeFeatures> features = graph_features(g);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& node = g.nodes[i];
    NodeFeatures f = features[i];
    f.threads = threads;
    f.load = load;
    bool fused = predictor.fused(args.device, node_signature(node, g));
    double us = fused ? 0 : predictor.predict(f, args.device);
    total += us;
    std::string shape = node.outputs.empty() ? "" : shape_str(g.output(node, 0).shape);
    rows.push_back({std::to_string(i), node.name, op_label(node), shape, format_flops(f.flops),
                    fused ? "(fused)" : format_us(us), fused ? "" : model_label(predictor, args.device, node.op)});
  }
  fmt::print("predicted per-node times of {} on {} (batch {}, {} threads, extra CPU load {:.0f}%):\n", args.model,
             args.device, args.batch, threads, load * 100);
  print_table(rows);
  fmt::print("sum of node times: {}\n", format_us(total));
  if (args.device != "cpu" && args.device != "reference") {
    print_copies(predictor, args.device, g, total);
    fmt::print("total with copies: {}\n", format_us(total));
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "Predict per-node and total latency of a model on a device");
  static PredictArgs args;
  cmd->add_option("MODEL", args.model, "ONNX file or zoo model name")->required();
  cmd->add_option("-p,--predictor", args.predictor, "Predictor file from tandem fit")->required();
  cmd->add_option("--device", args.device, "Device to predict for: cpu, cpu:N, cuda, ...");
  cmd->add_option("--batch", args.batch, "Batch size (default 1)");
  cmd->add_option("--load", args.load_percent, "Extra CPU load in percent of all cores (default: measured now over 0.2 s)");
  cmd->add_option("--threads", args.threads, "CPU threads (default: as profiled)");
  cmd->callback([] { run(args); });
}

}  // namespace tandem::cli
