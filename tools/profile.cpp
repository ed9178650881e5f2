// `tandem profile MODEL... --devices cpu,cuda --batch 1,2,4 --load 0,50,100 -o PROFILE`:
// measures every node of every model on every usable device at every batch size and
// injected CPU load, and the links between the host and each device; reuses what the
// profile file already holds while device fingerprints match. Progress goes to stderr.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/files.h"
#include "cli_util.h"
#include "commands.h"
#include "ir/prepare.h"
#include "profile/fingerprint.h"
#include "profile/interleaved.h"
#include "profile/link_profiler.h"
#include "profile/node_profiler.h"
#include "profile/profile_cache.h"
#include "runtime/auto_planner.h"

namespace tandem::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct ProfileArgs {
  std::vector<std::string> models;
  std::vector<std::string> devices{"cpu"};
  std::vector<int64_t> batches{1};
  std::vector<double> loads{0};  // percent of the cores
  MeasureOptions measure;
  ProfilingTurns turns;
  std::string output;
  bool force = false;
  bool all_runs = false;  // medians over every timed run, not only the quiet ones
  CoreFlags cores;
};

struct Config {
  size_t model = 0;
  size_t device = 0;
  int64_t batch = 1;
  double load = 0;  // share 0..1
};

template <class T>
void sort_unique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

std::string format_duration(double seconds) {
  long s = std::lround(seconds);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// Expected seconds of the configurations left: each takes min_seconds plus time in
// proportion to its FLOPs, at the seconds per FLOP seen so far on its device.
class Eta {
 public:
  Eta(size_t devices, double min_seconds) : seconds_(devices), flops_(devices), min_seconds_(min_seconds) {}
  void done(size_t device, double flops, double seconds) {
    seconds_[device] += std::max(0.0, seconds - min_seconds_);
    flops_[device] += flops;
  }
  std::string left(const std::vector<std::pair<size_t, double>>& remaining) const {
    double total = 0;
    for (const auto& [device, flops] : remaining) {
      double per_flop = flops_[device] > 0 ? seconds_[device] / flops_[device] : overall_per_flop();
      if (per_flop < 0) return "?";
      total += min_seconds_ + per_flop * flops;
    }
    return format_duration(total);
  }

 private:
  double overall_per_flop() const {
    double s = 0, f = 0;
    for (size_t i = 0; i < flops_.size(); ++i) s += seconds_[i], f += flops_[i];
    return f > 0 ? s / f : -1;
  }
  std::vector<double> seconds_, flops_;
  double min_seconds_;
};

// How many of the link's measured sizes its fit predicts within ±`share`.
size_t sizes_within(const LinkProfile& link, double share) {
  return static_cast<size_t>(std::count_if(link.samples.begin(), link.samples.end(), [&](const LinkSample& s) {
    return s.us.median > 0 && std::abs(link.fit.time_us(s.bytes) / s.us.median - 1) <= share;
  }));
}

class ProfileCommand {
 public:
  explicit ProfileCommand(ProfileArgs args) : args_(std::move(args)) {}

  void run() {
    check_args();
    DeviceOptions options;
    options.cores = pinned_cores(args_.cores, args_.devices);
    devices_ = usable_devices(args_.devices, options);
    check_writable(args_.output, "profile");
    std::vector<std::string> notes;
    try {
      profile_ = open_profile_cache(args_.output, args_.force, notes);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::InvalidInput) throw;
      fail(e.kind(), std::string(e.what()) + " (--force starts a new profile in its place)");
    }
    for (const std::string& note : notes) fmt::print(stderr, "{}\n", note);
    for (auto& device : devices_) {
      std::string message = refresh_fingerprint(profile_, fingerprint_of(*device));
      if (!message.empty()) fmt::print(stderr, "{}\n", message);
    }
    plan_configs();
    flops_ = model_flops();  // also fails early on a model that does not load
    for (auto& device : devices_) profile_device_links(*device);
    profile_models();
    print_summary();
  }

 private:
  void check_args() {
    sort_unique(args_.batches);
    sort_unique(args_.loads);
    for (int64_t b : args_.batches)
      if (b < 1) fail(ErrorKind::InvalidInput, "batch sizes must be at least 1, got " + std::to_string(b));
    for (double l : args_.loads)
      if (!(l >= 0 && l <= 100)) fail(ErrorKind::InvalidInput, fmt::format("--load is a percentage 0..100, got {}", l));
    if (args_.measure.repeats < 1 || args_.measure.warmup < 0 || args_.measure.min_seconds < 0)
      fail(ErrorKind::InvalidInput, "--repeats must be at least 1, --warmup and --min-seconds at least 0");
    if (args_.turns.window < 1) fail(ErrorKind::InvalidInput, "--interleave must be at least 1 (1: one after another)");
    args_.measure.quiet_runs_only = !args_.all_runs;
  }

  void profile_device_links(Device& device) {
    if (!has_link(device) || (!args_.force && has_links(profile_, device.name()))) return;
    fmt::print(stderr, "timing copies between host and {} (1 KB .. 64 MB)\n", device.name());
    put_links(profile_, device.name(), profile_links(device));
    write_profile(profile_, args_.output);
  }

  // Load-major, then batch, model and device: the configurations measured together
  // (profile/interleaved.h) are the models at one batch size.
  void plan_configs() {
    for (double load : args_.loads)
      for (int64_t batch : args_.batches)
        for (size_t m = 0; m < args_.models.size(); ++m)
          for (size_t d = 0; d < devices_.size(); ++d) configs_.push_back({m, d, batch, load / 100});
    done_.assign(configs_.size(), false);
  }

  bool has_pending(size_t model) const {
    for (size_t i = 0; i < configs_.size(); ++i)
      if (configs_[i].model == model && !done_[i] && !cached(configs_[i])) return true;
    return false;
  }

  // FLOPs per model at batch 1, for progress estimates; 0 for models with nothing to measure.
  std::vector<double> model_flops() const {
    std::vector<double> flops(args_.models.size(), 0.0);
    for (size_t m = 0; m < args_.models.size(); ++m) {
      if (!has_pending(m)) continue;
      Graph g = load_model(args_.models[m]);
      prepare_graph(g, PrepareOptions{1, {}, true});
      flops[m] = graph_flops(g);
    }
    return flops;
  }

  // The profile's run for the configuration, unless --force measures it again.
  const ProfileRun* cached_run(const Config& c) const {
    if (args_.force) return nullptr;
    return find_run(profile_, model_key(args_.models[c.model]), devices_[c.device]->name(), c.batch, c.load);
  }
  bool cached(const Config& c) const { return cached_run(c) != nullptr; }

  std::string eta() const {
    std::vector<std::pair<size_t, double>> remaining;
    for (size_t i = 0; i < configs_.size(); ++i)
      if (!done_[i] && !cached(configs_[i]))
        remaining.push_back({configs_[i].device, flops_[configs_[i].model] * static_cast<double>(configs_[i].batch)});
    return eta_.left(remaining);
  }

  void finish(size_t i, const std::string& result) {
    done_[i] = true;
    const Config& c = configs_[i];
    fmt::print(stderr, "[{}/{}] {} {} batch {} load {:.0f}%: {}\n", ++finished_, configs_.size(), args_.models[c.model],
               devices_[c.device]->name(), c.batch, c.load * 100, result);
  }

  void profile_models() {
    std::vector<size_t> pending;
    for (size_t i = 0; i < configs_.size(); ++i) {
      if (const ProfileRun* run = cached_run(configs_[i])) {
        ++cached_;
        touched_.push_back(i);
        finish(i, "cached " + format_us(run->total_us.median));
      } else {
        pending.push_back(i);
      }
    }
    if (pending.empty()) return;
    if (args_.turns.window > 1 && pending.size() > 1)
      fmt::print(stderr, "measuring {} configuration(s), up to {} at a time, their timed runs taking turns\n",
                 pending.size(), std::min<size_t>(pending.size(), static_cast<size_t>(args_.turns.window)));
    for (double load : args_.loads) {
      std::vector<size_t> at_load;
      for (size_t i : pending)
        if (configs_[i].load == load / 100) at_load.push_back(i);
      std::vector<ProfilerMaker> makers;
      for (size_t i : at_load) makers.push_back([this, i] { return make_profiler(i); });
      profile_interleaved(makers, load / 100, args_.measure, args_.turns,
                          [&](size_t k, ProfileRun run, double seconds) { record(at_load[k], std::move(run), seconds); });
    }
  }

  // The configuration's profiler, its model loaded on first use; nullptr (reported)
  // when the device cannot compile the model.
  std::unique_ptr<NodeProfiler> make_profiler(size_t i) {
    const Config& c = configs_[i];
    auto [it, fresh] = loaded_.try_emplace(c.model);
    if (fresh) it->second = load_model(args_.models[c.model]);
    try {
      return std::make_unique<NodeProfiler>(it->second, model_key(args_.models[c.model]), *devices_[c.device], c.batch);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Unsupported) throw;
      finish(i, std::string("skipped: ") + e.what());
      release_loaded(c.model);
      return nullptr;
    }
  }

  // Drops a model's loaded graph once none of its configurations is left to measure.
  void release_loaded(size_t model) {
    if (!has_pending(model)) loaded_.erase(model);
  }

  void record(size_t i, ProfileRun run, double seconds) {
    double total = run.total_us.median;
    put_run(profile_, std::move(run));
    write_profile(profile_, args_.output);
    ++measured_;
    touched_.push_back(i);
    done_[i] = true;
    const Config& c = configs_[i];
    eta_.done(c.device, flops_[c.model] * static_cast<double>(c.batch), seconds);
    release_loaded(c.model);
    finish(i, fmt::format("{} (eta {})", format_us(total), eta()));
  }

  void print_summary() const;

  ProfileArgs args_;
  std::vector<std::unique_ptr<Device>> devices_;
  Profile profile_;
  std::vector<double> flops_;
  std::vector<Config> configs_;
  std::vector<bool> done_;
  size_t finished_ = 0, measured_ = 0, cached_ = 0;
  Eta eta_{args_.devices.size(), args_.measure.min_seconds};
  std::vector<size_t> touched_;  // configurations measured or found in the cache, in order
  std::map<size_t, Graph> loaded_;  // models being measured, as loaded
  Clock::time_point started_ = Clock::now();
};

void ProfileCommand::print_summary() const {
  std::vector<std::vector<std::string>> links = {
      {"link", "direction", "sizes", "latency", "bandwidth", "max error", "mean error", "within 10%"}};
  for (const LinkProfile& l : profile_.links) {
    if (l.samples.empty()) continue;
    links.push_back({l.device, l.direction,
                     format_bytes(l.samples.front().bytes) + " .. " + format_bytes(l.samples.back().bytes),
                     format_us(l.fit.latency_us), fmt::format("{:.2f} GB/s", l.fit.bytes_per_us / 1e3),
                     fmt::format("{:.1f}%", l.fit.max_rel_error * 100), fmt::format("{:.1f}%", l.fit.mean_rel_error * 100),
                     fmt::format("{}/{}", sizes_within(l, 0.10), l.samples.size())});
  }
  if (links.size() > 1) {
    print_table(links);
    fmt::print("\n");
  }
  std::vector<std::vector<std::string>> runs = {
      {"model", "device", "batch", "load", "median", "p10", "p90", "runs", "busy"}};
  for (size_t i : touched_) {
    const Config& c = configs_[i];
    const ProfileRun* r = find_run(profile_, model_key(args_.models[c.model]), devices_[c.device]->name(), c.batch, c.load);
    if (!r) continue;
    runs.push_back({r->model, r->device, std::to_string(r->batch), fmt::format("{:.0f}%", r->load * 100),
                    format_us(r->total_us.median), format_us(r->total_us.p10), format_us(r->total_us.p90),
                    r->quiet_repeats == r->repeats ? std::to_string(r->repeats)
                                                   : fmt::format("{}/{}", r->quiet_repeats, r->repeats),
                    r->measured_load < 0 ? "?" : fmt::format("{:.0f}%", r->measured_load * 100)});
  }
  print_table(runs);
  double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
  fmt::print("\n{} run(s) measured, {} cached, in {}; profile {} {}\n", measured_, cached_, format_duration(seconds),
             args_.output, measured_ > 0 ? "written" : "unchanged");
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("profile", "Measure every layer on every device, and the copy links, into a profile");
  static ProfileArgs args;
  cmd->add_option("MODEL", args.models, "ONNX files or zoo model names")->required();
  cmd->add_option("--devices", args.devices, "Devices, comma-separated (default cpu); unusable ones are skipped")
      ->delimiter(',');
  cmd->add_option("--batch", args.batches, "Batch sizes, comma-separated (default 1)")->delimiter(',');
  cmd->add_option("--load", args.loads, "Injected CPU load in % of the cores, comma-separated (default 0)")
      ->delimiter(',');
  cmd->add_option("--repeats", args.measure.repeats, "At least this many timed runs (default 10)");
  cmd->add_option("--min-seconds", args.measure.min_seconds,
                  "And at least this many seconds of timed runs per configuration (default 1)");
  cmd->add_option("--warmup", args.measure.warmup, "Untimed runs first (default 2)");
  cmd->add_flag("--all-runs", args.all_runs,
                "Medians over every timed run (default: at no injected load, over the quiet runs, those within 10% "
                "of the fastest tenth)");
  cmd->add_option("--interleave", args.turns.window,
                  "Configurations measured together, their timed runs taking turns (default 16; 1: one after another)");
  cmd->add_option("-o,--output", args.output, "Profile file (JSON); existing runs are reused")->required();
  cmd->add_flag("--force", args.force, "Measure again what the profile already holds");
  add_core_flags(*cmd, args.cores);
  cmd->callback([] { ProfileCommand(args).run(); });
}

}  // namespace tandem::cli
