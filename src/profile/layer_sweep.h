// The layer sweep on real devices (design.md, method items 2 and 4): the devices being
// compared, and every grid point of every layer timed on every device, written as a
// CSV table and as profile runs that predictors train on. Each layer is profiled as it
// sits inside a model, between two convs (build_layer_in_context), and the layer's
// own node time is what the table gives: its cost without the conversions from and to
// the plain layout of a graph's boundary.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends/device.h"
#include "profile/layer_grid.h"
#include "profile/layer_timer.h"
#include "profile/profile.h"

namespace tandem {

struct StudyDevice {
  std::string name;   // "cpu:0", "cuda"
  std::string label;  // "cpu:0 (1 thread)", "cuda"
  std::unique_ptr<Device> device;
};

// Creates the devices `names` with `base` options and per-device thread counts:
// `threads` is empty (all cores), one value for every device, or one value per device.
// Throws Error(InvalidInput) on a repeated name, a count mismatch or an unusable device.
std::vector<StudyDevice> open_study_devices(const std::vector<std::string>& names, const std::vector<int>& threads,
                                            const DeviceOptions& base = {});
// "cpu" plus "cuda" where list_backends() says cuda is usable here.
std::vector<std::string> default_study_devices();

// One layer of the sweep timed on one device.
struct SweepRow {
  LayerSpec spec;
  std::string device;
  int threads = 0;            // the device's actual thread count
  double flops = 0;           // of the layer's node
  double measured_load = -1;  // CPU busy share while timing, -1 when unknown
  LayerTiming timing;         // the layer's node inside its graph
  ProfileRun run;             // every node of the graph, as "sweep/<layer>/<params>"
};

// Every point of the layers' grids: each swept parameter varied with the others at
// their defaults, and unless `quick` the crossed grid (crossed_specs); a spec reached
// from two grids appears once.
std::vector<LayerSpec> sweep_specs(const std::vector<LayerKind>& layers, bool quick);

// Profiles every spec's graph in context on every device (per-node times over
// `timer`'s repeats and minimum time after its warm-up), the points taking turns as
// the zoo models do (interleaved.h): a slow phase of the machine lasting seconds,
// which would slow every layer timed during it, lands on many layers' turns alike and
// the median leaves it out. Rows come back in spec order (devices inner); `progress`
// (optional) gets each row as it is done.
std::vector<SweepRow> run_sweep(const std::vector<LayerSpec>& specs, std::vector<StudyDevice>& devices,
                                const TimerOptions& timer, const std::function<void(const SweepRow&)>& progress = {});

// CSV: layer,batch,c_in,c_out,size,kernel,groups,stride,streamed_mb,context_c,device,
// threads,flops,median_us,p10_us,p90_us,repeats (pooling, LRN, BN: c_in = c_out = C; fc:
// c_in = F_in, c_out = F_out; context_c: the channels the context conv reads; an empty
// cell where a parameter does not apply). Throws Error(Io) when it cannot write.
void write_sweep_csv(const std::vector<SweepRow>& rows, const std::string& path);

// Fails before a long sweep when the table cannot be written or the profile exists
// but is not a readable tandem profile.
void check_sweep_outputs(const std::string& table, const std::string& profile);

// Adds the rows as runs "sweep/<layer>/<params>" to the profile at `path` (created
// when absent), replacing earlier runs of the same layer, device and batch. The file
// is a cache (profile_cache.h): a device whose fingerprint changed (other threads,
// CPU, version) loses its old runs first; the returned notes say so. Throws Error
// when the file exists but is not a readable tandem profile.
std::vector<std::string> add_sweep_to_profile(const std::vector<SweepRow>& rows,
                                              const std::vector<StudyDevice>& devices, const std::string& path);

}  // namespace tandem
