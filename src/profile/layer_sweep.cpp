// The layer sweep: opening the compared devices, timing the grids, the CSV table and
// the profile runs.
#include "profile/layer_sweep.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "backends/registry.h"
#include "core/files.h"
#include "profile/cache_stream.h"
#include "profile/fingerprint.h"
#include "profile/interleaved.h"
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
  auto add = [&](const LayerSpec& spec) {
    if (seen.insert(layer_name(spec.kind) + "/" + params_label(spec)).second) specs.push_back(spec);
  };
  for (LayerKind kind : layers) {
    for (const std::string& param : swept_params(kind)) {
      for (int64_t value : sweep_grid(kind, param, quick)) {
        LayerSpec spec = default_spec(kind);
        set_param(spec, param, value);
        add(spec);
      }
    }
    if (!quick)
      for (const LayerSpec& spec : crossed_specs(kind)) add(spec);
  }
  return specs;
}

// The row of `spec` from its graph's profiled run, which keeps only the layer's node
// (named after the layer kind): the convs around it read or write the graph's
// plain boundary layout, unlike any conv inside a model, and would teach predictors
// that cost.
static SweepRow row_of(const LayerSpec& spec, const StudyDevice& d, ProfileRun run) {
  SweepRow row;
  row.spec = spec;
  row.device = d.name;
  row.threads = d.device->info().threads;
  run.model = "sweep/" + layer_name(spec.kind) + "/" + params_label(spec);
  std::erase_if(run.nodes, [&](const NodeSample& node) { return node.name != layer_name(spec.kind); });
  if (run.nodes.size() != 1) fail(ErrorKind::Internal, "sweep: no node " + layer_name(spec.kind) + " in " + run.model);
  row.timing.us = run.nodes[0].us;
  row.flops = run.nodes[0].features.flops;
  row.timing.warmup = run.warmup;
  row.timing.repeats = run.repeats;
  row.measured_load = run.measured_load;
  row.run = std::move(run);
  return row;
}

std::vector<SweepRow> run_sweep(const std::vector<LayerSpec>& specs, std::vector<StudyDevice>& devices,
                                const TimerOptions& timer, const std::function<void(const SweepRow&)>& progress) {
  MeasureOptions measure;
  measure.warmup = timer.warmup;
  measure.repeats = timer.min_repeats;
  measure.max_repeats = timer.max_repeats;
  measure.min_seconds = timer.min_seconds;
  measure.isolated_runs = 0;
  // Every (layer, device) point is one configuration, in spec order, devices inner.
  // Configurations are made in that order, so a layer's graph (its random weights can
  // run to hundreds of MB) is built for its first device and dropped after its last.
  std::vector<ProfilerMaker> makers;
  std::unique_ptr<Graph> graph;
  int64_t most_streamed_mb = 0;
  for (const LayerSpec& spec : specs) most_streamed_mb = std::max(most_streamed_mb, spec.streamed_mb);
  std::optional<CacheStream> stream;  // one buffer, each layer reading its share
  if (most_streamed_mb > 0) stream.emplace(static_cast<size_t>(most_streamed_mb) << 20);
  for (const LayerSpec& spec : specs)
    for (size_t d = 0; d < devices.size(); ++d)
      makers.push_back([&spec, &devices, &graph, &stream, d] {
        if (d == 0) graph = std::make_unique<Graph>(build_layer_in_context(spec));
        auto profiler = std::make_unique<NodeProfiler>(*graph, "sweep", *devices[d].device, spec.batch);
        if (spec.streamed_mb > 0) profiler->stream_before_timed_runs(*stream, static_cast<size_t>(spec.streamed_mb) << 20);
        if (d + 1 == devices.size()) graph.reset();
        return profiler;
      });
  std::vector<std::optional<SweepRow>> done(makers.size());
  profile_interleaved(makers, 0, measure, ProfilingTurns{}, [&](size_t config, ProfileRun run, double) {
    done[config] = row_of(specs[config / devices.size()], devices[config % devices.size()], std::move(run));
    if (progress) progress(*done[config]);
  });
  std::vector<SweepRow> rows;
  for (std::optional<SweepRow>& row : done)
    if (row) rows.push_back(std::move(*row));
  return rows;
}

void write_sweep_csv(const std::vector<SweepRow>& rows, const std::string& path) {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write sweep table '" + path + "'");
  out << "layer,batch,c_in,c_out,size,kernel,groups,stride,streamed_mb,context_c,device,threads,flops,median_us,p10_us,"
         "p90_us,repeats\n";
  for (const SweepRow& r : rows) {
    const LayerSpec& s = r.spec;
    bool fc = s.kind == LayerKind::Fc;
    bool pool = s.kind == LayerKind::MaxPool || s.kind == LayerKind::AvgPool;
    bool window = s.kind == LayerKind::Conv || s.kind == LayerKind::DwConv || pool;
    int64_t c_out = layer_output_channels(s);
    std::string groups = s.kind == LayerKind::Conv     ? std::to_string(s.groups)
                         : s.kind == LayerKind::DwConv ? std::to_string(s.in_channels)
                                                       : "";
    std::string context_c = layer_has_context(s.kind) ? std::to_string(context_channels_of(s)) : "";
    out << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{:.0f},{:.2f},{:.2f},{:.2f},{}\n", layer_name(s.kind),
                       s.batch, s.in_channels, c_out, fc ? "" : std::to_string(s.size),
                       window ? std::to_string(s.kernel) : "", groups, window ? std::to_string(stride_of(s)) : "",
                       s.streamed_mb, context_c, r.device, r.threads, r.flops, r.timing.us.median, r.timing.us.p10,
                       r.timing.us.p90, r.timing.repeats);
  }
  if (!out) fail(ErrorKind::Io, "failed writing sweep table '" + path + "'");
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
  for (const SweepRow& row : rows) put_run(profile, row.run);
  write_profile(profile, path);
  return notes;
}

}  // namespace tandem
