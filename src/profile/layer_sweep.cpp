// The layer sweep: opening the compared devices, timing the grids, the CSV table and
// the profile runs.
#include "profile/layer_sweep.h"

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "backends/registry.h"
#include "core/files.h"
#include "predict/features.h"
#include "profile/cpu_load.h"
#include "profile/fingerprint.h"
#include "profile/node_profiler.h"
#include "profile/profile_cache.h"
#include "tandem/error.h"

namespace tandem {

std::vector<std::string> default_study_devices() {
  std::vector<std::string> names = {"cpu"};
  for (const BackendStatus& b : list_backends())
    if (b.name == "cuda" && b.usable) names.push_back("cuda");
  return names;
}

std::vector<StudyDevice> open_study_devices(const std::vector<std::string>& names, const std::vector<int>& threads,
                                            const DeviceOptions& base) {
  if (names.empty()) fail(ErrorKind::InvalidInput, "no devices given");
  if (threads.size() > 1 && threads.size() != names.size())
    fail(ErrorKind::InvalidInput, fmt::format("--threads gives {} counts for {} devices (give one, or one per device)",
                                              threads.size(), names.size()));
  std::vector<StudyDevice> devices;
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!seen.insert(names[i]).second)
      fail(ErrorKind::InvalidInput, "device '" + names[i] + "' is given twice; use cpu:0,cpu:1 for two CPU devices");
    StudyDevice d;
    d.name = names[i];
    DeviceOptions options = base;
    options.threads = threads.empty() ? 0 : threads.size() == 1 ? threads[0] : threads[i];
    d.device = create_device(d.name, options);
    const DeviceInfo& info = d.device->info();
    d.label = info.kind == DeviceKind::Host && d.name != "reference"
                  ? fmt::format("{} ({} thread{})", d.name, info.threads, info.threads == 1 ? "" : "s")
                  : d.name;
    devices.push_back(std::move(d));
  }
  return devices;
}

std::vector<LayerSpec> sweep_specs(const std::vector<LayerKind>& layers, bool quick) {
  std::vector<LayerSpec> specs;
  std::set<std::string> seen;
  for (LayerKind kind : layers) {
    for (const std::string& param : swept_params(kind)) {
      for (int64_t value : sweep_grid(kind, param, quick)) {
        LayerSpec spec = default_spec(kind);
        set_param(spec, param, value);
        if (seen.insert(layer_name(kind) + "/" + params_label(spec)).second) specs.push_back(spec);
      }
    }
  }
  return specs;
}

std::vector<SweepRow> run_sweep(const std::vector<LayerSpec>& specs, std::vector<StudyDevice>& devices,
                                const TimerOptions& timer, const std::function<void(const SweepRow&)>& progress) {
  std::vector<SweepRow> rows;
  for (const LayerSpec& spec : specs) {
    Graph graph = build_layer_graph(spec);
    for (StudyDevice& d : devices) {
      SweepRow row;
      row.spec = spec;
      row.device = d.name;
      row.threads = d.device->info().threads;
      row.flops = graph_flops(graph);
      LayerTimer layer_timer(*d.device, graph);
      CpuLoadMeter meter;
      row.timing = layer_timer.time(timer);
      row.measured_load = meter.busy_share().value_or(-1.0);
      if (progress) progress(row);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

void write_sweep_csv(const std::vector<SweepRow>& rows, const std::string& path) {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write sweep table '" + path + "'");
  out << "layer,batch,c_in,c_out,size,kernel,groups,stride,device,threads,flops,median_us,p10_us,p90_us,repeats\n";
  for (const SweepRow& r : rows) {
    const LayerSpec& s = r.spec;
    bool fc = s.kind == LayerKind::Fc;
    bool pool = s.kind == LayerKind::MaxPool || s.kind == LayerKind::AvgPool;
    bool window = s.kind == LayerKind::Conv || s.kind == LayerKind::DwConv || pool;
    int64_t c_out = s.kind == LayerKind::Conv || fc ? s.out_channels : s.in_channels;
    std::string groups = s.kind == LayerKind::Conv     ? std::to_string(s.groups)
                         : s.kind == LayerKind::DwConv ? std::to_string(s.in_channels)
                                                       : "";
    out << fmt::format("{},{},{},{},{},{},{},{},{},{},{:.0f},{:.2f},{:.2f},{:.2f},{}\n", layer_name(s.kind), s.batch,
                       s.in_channels, c_out, fc ? "" : std::to_string(s.size), window ? std::to_string(s.kernel) : "",
                       groups, pool ? std::to_string(s.stride) : "", r.device, r.threads, r.flops, r.timing.us.median,
                       r.timing.us.p10, r.timing.us.p90, r.timing.repeats);
  }
  if (!out) fail(ErrorKind::Io, "failed writing sweep table '" + path + "'");
}

static ProfileRun profile_run_of(const SweepRow& row) {
  Graph graph = build_layer_graph(row.spec);
  const Node& node = graph.nodes.at(0);
  NodeSample sample;
  sample.name = node.name;
  sample.signature = node_signature(node, graph);
  sample.us = row.timing.us;
  sample.features = node_features(node, graph);
  sample.features.threads = row.threads;
  ProfileRun run;
  run.model = "sweep/" + layer_name(row.spec.kind) + "/" + params_label(row.spec);
  run.device = row.device;
  run.batch = row.spec.batch;
  run.measured_load = row.measured_load;
  run.warmup = row.timing.warmup;
  run.repeats = row.timing.repeats;
  run.total_us = row.timing.us;
  run.nodes.push_back(std::move(sample));
  return run;
}

void check_sweep_outputs(const std::string& table, const std::string& profile) {
  check_writable(table, "sweep table");
  std::vector<std::string> notes;
  if (!profile.empty()) open_profile_cache(profile, false, notes);
}

std::vector<std::string> add_sweep_to_profile(const std::vector<SweepRow>& rows,
                                              const std::vector<StudyDevice>& devices, const std::string& path) {
  std::vector<std::string> notes;
  Profile profile = open_profile_cache(path, false, notes);
  for (const StudyDevice& d : devices) {
    std::string dropped = refresh_fingerprint(profile, fingerprint_of(*d.device));
    if (!dropped.empty()) notes.push_back(dropped);
  }
  for (const SweepRow& row : rows) put_run(profile, profile_run_of(row));
  write_profile(profile, path);
  return notes;
}

}  // namespace tandem
