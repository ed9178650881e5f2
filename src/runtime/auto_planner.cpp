// The "auto" device (auto_planner.h): complete the profile cache for this model on
// the usable devices, fit a predictor, build the cost table and place.
#include "runtime/auto_planner.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "backends/registry.h"
#include "core/cores.h"
#include "plan/cost_table.h"
#include "predict/predictor.h"
#include "profile/fingerprint.h"
#include "profile/interleaved.h"
#include "profile/profile_cache.h"
#include "tandem/error.h"

namespace tandem {

namespace {

void note(const std::string& message) { std::fprintf(stderr, "%s\n", message.c_str()); }

Profile open_cache(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::vector<std::string> notes;
  try {
    Profile profile = open_profile_cache(path, false, notes);
    for (const std::string& n : notes) note(n);
    return profile;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::InvalidInput) throw;
    fail(e.kind(), std::string(e.what()) + " (remove it, or name another profile cache, to start a new one)");
  }
}

// Adds the device's host links when it has some and the cache has none; true if added.
bool complete_links(Profile& profile, Device& device, const AutoOptions& options) {
  if (!has_link(device) || has_links(profile, device.name())) return false;
  note("auto: timing copies between host and " + device.name());
  put_links(profile, device.name(), profile_links(device, options.links));
  return true;
}

// Adds the model's runs the cache lacks, on all devices at once with their timed runs
// taking turns (profile/interleaved.h), so that a phase of the machine does not
// favour one device; returns how many were added. A model a device cannot compile is
// left unmeasured there (the cost table marks what it cannot run).
int complete_runs(Profile& profile, std::vector<std::unique_ptr<Device>>& devices, const Graph& loaded,
                  const std::string& key, const AutoOptions& options) {
  std::vector<Device*> missing;
  for (auto& device : devices)
    if (!find_run(profile, key, device->name(), options.batch, options.load)) missing.push_back(device.get());
  std::vector<ProfilerMaker> makers;
  for (Device* device : missing)
    makers.push_back([&, device]() -> std::unique_ptr<NodeProfiler> {
      note("auto: profiling " + key + " on " + device->name() + " at batch " + std::to_string(options.batch));
      try {
        return std::make_unique<NodeProfiler>(loaded, key, *device, options.batch);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unsupported) throw;
        note("auto: not profiled on " + device->name() + ": " + e.what());
        return nullptr;
      }
    });
  int added = 0;
  profile_interleaved(makers, options.load, options.measure, ProfilingTurns{},
                      [&](size_t, ProfileRun run, double) {
                        put_run(profile, std::move(run));
                        ++added;
                      });
  return added;
}

// For each CPU device pinned to cores that another listed CPU device does not
// share: how much it slows down while that one computes. Devices that cannot run the
// whole model (or models too slow to time quickly) keep 1.
std::map<std::string, double> co_run_slowdowns(const Graph& prepared, std::vector<std::unique_ptr<Device>>& devices,
                                               const AutoOptions& options) {
  std::map<std::string, double> slowdowns;
  for (auto& device : devices)
    for (auto& other : devices) {
      const DeviceInfo &mine = device->info(), &theirs = other->info();
      if (device == other || mine.kind != DeviceKind::Host || theirs.kind != DeviceKind::Host || mine.cores.empty() ||
          theirs.cores.empty() || cores_overlap(mine.cores, theirs.cores))
        continue;
      try {
        double slowdown = measure_co_run_slowdown(prepared, *device, *other, options.co_run);
        slowdowns[mine.name] = slowdown;
        note("auto: " + mine.name + " runs " + fmt::format("{:.2f}", slowdown) + "x slower while " + theirs.name +
             " computes");
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unsupported) throw;
      }
      break;
    }
  return slowdowns;
}

}  // namespace

std::string default_profile_path() {
  if (const char* cache = std::getenv("TANDEM_CACHE"); cache && *cache) return cache;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/tandem/profile.json";
  return "tandem-profile.json";
}

std::vector<std::unique_ptr<Device>> usable_devices(const std::vector<std::string>& names,
                                                    const DeviceOptions& options) {
  std::vector<BackendStatus> backends = list_backends();
  std::vector<std::unique_ptr<Device>> devices;
  for (const std::string& name : names) {
    std::string backend = name.substr(0, name.find(':'));
    auto status = std::find_if(backends.begin(), backends.end(),
                               [&](const BackendStatus& b) { return b.name == backend; });
    if (status != backends.end() && !status->usable) {
      note("skipping " + name + ": not usable here (" + status->detail + ")");
      continue;
    }
    devices.push_back(create_device(name, options));
  }
  if (devices.empty()) fail(ErrorKind::InvalidInput, "none of the listed devices is usable here");
  return devices;
}

AutoPlan plan_auto(const Graph& loaded, const Graph& prepared, const std::string& model, const AutoOptions& options) {
  AutoPlan result;
  std::string path = options.profile_path.empty() ? default_profile_path() : options.profile_path;
  std::vector<std::unique_ptr<Device>> devices = usable_devices(options.devices, options.device);
  Profile profile = open_cache(path);
  std::string key = model_key(model);
  for (auto& device : devices) {
    result.devices.push_back(device->name());
    std::string message = refresh_fingerprint(profile, fingerprint_of(*device));
    if (!message.empty()) note(message);
    result.links_measured += complete_links(profile, *device, options) ? 1 : 0;
  }
  result.runs_measured = complete_runs(profile, devices, loaded, key, options);
  if (result.runs_measured + result.links_measured > 0) write_profile(profile, path);
  result.co_run = co_run_slowdowns(prepared, devices, options);
  devices.clear();
  result.predictor_source = "profile " + path;
  CostOptions cost_options;
  cost_options.threads = options.device.threads;
  cost_options.cores = options.device.cores;
  cost_options.co_run = result.co_run;
  cost_options.load = options.load;
  cost_options.predictor_path = result.predictor_source;
  cost_options.measured = measured_times(profile, key, options.batch, options.load, result.devices);
  result.measured = cost_options.measured;
  result.predictor = std::make_shared<const Predictor>(Predictor::fit(profile));
  result.costs = cost_table(prepared, *result.predictor, result.devices, cost_options);
  result.plan = place_layers(prepared, result.costs, options.place);
  for (const std::string& device : result.devices)
    if (auto pinned = options.device.cores.find(device); pinned != options.device.cores.end())
      result.plan.cores[device] = pinned->second;
  result.plan.model = model;
  result.plan.batch = options.batch;
  result.check = check_plan_by_measurement(prepared, result.costs, result.plan, options.device, options.check,
                                           options.place);
  if (result.check.kept != "plan")
    note("auto: measured check: " + result.check.kept + " ran faster than the planned placement; using it");
  return result;
}

}  // namespace tandem
