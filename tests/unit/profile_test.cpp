// The profiler: profile files (round trip, version and corruption errors), the link
// model fit (single line and piecewise), CPU load measurement and injection,
// per-node profiling of a small model on the reference and cpu devices, link timing,
// and the cache rules.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "backends/registry.h"
#include "ir/prepare.h"
#include "profile/cpu_load.h"
#include "profile/fingerprint.h"
#include "profile/interleaved.h"
#include "profile/link_profiler.h"
#include "profile/load_generator.h"
#include "profile/node_profiler.h"
#include "profile/profile_cache.h"
#include "profile/quiet_runs.h"
#include "tandem/error.h"

using namespace tandem;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tandem_profile_test_" + name)).string();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

DeviceFingerprint fingerprint(const std::string& device, const std::string& description = "Test CPU") {
  return {device, "host", description, 2, "0.1.0"};
}

ProfileRun sample_run(const std::string& device = "cpu", int64_t batch = 2, double load = 0.5) {
  ProfileRun run;
  run.model = "lenet5";
  run.device = device;
  run.batch = batch;
  run.load = load;
  run.measured_load = 0.75;
  run.warmup = 2;
  run.repeats = 10;
  run.quiet_repeats = 7;
  run.total_us = {120, 110, 140};
  NodeSample conv;
  conv.name = "conv1";
  conv.signature = "Conv+Relu (2, 1, 32, 32) (6, 1, 5, 5)";
  conv.us = {50, 45, 60};
  conv.features.op = "Conv";
  conv.features.flops = 1.2e6;
  conv.features.kernel = 25;
  conv.features.load = 0.5;
  conv.features.channels_last = 1;
  conv.features.residual_add = 1;
  conv.features.graph_bytes = 3.5e7;
  conv.features.in_place_input_bytes = 2048;
  conv.features.input_reuse_bytes = 4.5e6;
  NodeSample fused = conv;
  fused.name = "relu";
  fused.fused = true;
  fused.us = {};
  run.nodes = {conv, fused};
  return run;
}

Profile sample_profile() {
  Profile p;
  p.devices["cpu"] = fingerprint("cpu");
  p.devices["cpu:1"] = fingerprint("cpu:1");
  p.runs.push_back(sample_run());
  LinkProfile link{"cpu:1", "to_device", {{1024, {1.5, 1.4, 1.7}}, {4096, {2.0, 1.9, 2.2}}}, {}};
  link.fit = fit_link(link.samples);
  p.links.push_back(link);
  return p;
}

void expect_error(const std::string& path, ErrorKind kind, const std::string& words) {
  try {
    read_profile(path);
    FAIL() << "reading " << path << " did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ProfileFile, RoundTripKeepsEveryField) {
  std::string path = temp_path("round_trip.json");
  Profile written = sample_profile();
  write_profile(written, path);
  Profile read = read_profile(path);
  ASSERT_EQ(read.devices.size(), 2u);
  EXPECT_EQ(read.devices.at("cpu").key(), written.devices.at("cpu").key());
  ASSERT_EQ(read.runs.size(), 1u);
  const ProfileRun& run = read.runs[0];
  EXPECT_EQ(run.model, "lenet5");
  EXPECT_EQ(run.batch, 2);
  EXPECT_DOUBLE_EQ(run.load, 0.5);
  EXPECT_DOUBLE_EQ(run.measured_load, 0.75);
  EXPECT_EQ(run.repeats, 10);
  EXPECT_EQ(run.quiet_repeats, 7);
  EXPECT_DOUBLE_EQ(run.total_us.p90, 140);
  ASSERT_EQ(run.nodes.size(), 2u);
  EXPECT_EQ(run.nodes[0].signature, written.runs[0].nodes[0].signature);
  EXPECT_DOUBLE_EQ(run.nodes[0].us.median, 50);
  EXPECT_DOUBLE_EQ(run.nodes[0].features.flops, 1.2e6);
  EXPECT_DOUBLE_EQ(run.nodes[0].features.kernel, 25);
  EXPECT_EQ(run.nodes[0].features.op, "Conv");
  EXPECT_EQ(run.nodes[0].features.channels_last, 1);
  EXPECT_EQ(run.nodes[0].features.residual_add, 1);
  EXPECT_DOUBLE_EQ(run.nodes[0].features.graph_bytes, 3.5e7);
  EXPECT_DOUBLE_EQ(run.nodes[0].features.in_place_input_bytes, 2048);
  EXPECT_DOUBLE_EQ(run.nodes[0].features.input_reuse_bytes, 4.5e6);
  EXPECT_TRUE(run.nodes[1].fused);
  ASSERT_EQ(read.links.size(), 1u);
  EXPECT_EQ(read.links[0].direction, "to_device");
  EXPECT_EQ(read.links[0].samples.size(), 2u);
  EXPECT_DOUBLE_EQ(read.links[0].fit.bytes_per_us, written.links[0].fit.bytes_per_us);
  // A profile written before the layout, residual and graph size features existed
  // reads them as 0.
  nlohmann::json file = nlohmann::json::parse(std::ifstream(path));
  for (nlohmann::json& node : file["runs"][0]["nodes"])
    for (const char* name : {"channels_last", "residual_add", "graph_bytes", "in_place_input_bytes", "input_reuse_bytes"})
      node["features"].erase(name);
  file["runs"][0].erase("quiet_repeats");
  std::ofstream(path) << file.dump();
  EXPECT_EQ(read_profile(path).runs[0].quiet_repeats, 10) << "a file from before read every run as quiet";
  EXPECT_EQ(read_profile(path).runs[0].nodes[0].features.channels_last, 0);
  EXPECT_EQ(read_profile(path).runs[0].nodes[0].features.residual_add, 0);
  EXPECT_EQ(read_profile(path).runs[0].nodes[0].features.graph_bytes, 0);
  EXPECT_EQ(read_profile(path).runs[0].nodes[0].features.in_place_input_bytes, 0);
  EXPECT_EQ(read_profile(path).runs[0].nodes[0].features.input_reuse_bytes, 0);
  EXPECT_EQ(read_profile(path).missing_features,
            (std::set<std::string>{"channels_last", "graph_bytes", "in_place_input_bytes", "input_reuse_bytes",
                                   "residual_add"}));
  EXPECT_TRUE(read.missing_features.empty()) << "a current file lacks none";
  // As a cache, such a file keeps its links but measures its runs again.
  std::vector<std::string> notes;
  Profile cached = open_profile_cache(path, false, notes);
  EXPECT_TRUE(cached.runs.empty());
  EXPECT_EQ(cached.links.size(), 1u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("input_reuse_bytes"), std::string::npos) << notes[0];
  std::filesystem::remove(path);
}

TEST(ProfileFile, RoundTripKeepsLinkSegments) {
  std::string path = temp_path("segments.json");
  Profile written = sample_profile();
  written.links[0].fit.segments = {{0, 0.02, 50000}, {6144, 0.3, 15000}, {3e6, 10, 6000}};
  write_profile(written, path);
  const Profile profile = read_profile(path);
  const LinkFit& read = profile.links.at(0).fit;
  ASSERT_EQ(read.segments.size(), 3u);
  EXPECT_DOUBLE_EQ(read.segments[1].from_bytes, 6144);
  EXPECT_DOUBLE_EQ(read.segments[2].latency_us, 10);
  EXPECT_DOUBLE_EQ(read.segments[2].bytes_per_us, 6000);
  for (double bytes : {1024.0, 1e5, 64e6}) EXPECT_DOUBLE_EQ(read.time_us(bytes), written.links[0].fit.time_us(bytes));
  std::filesystem::remove(path);
}

// A profile written before the piecewise model: the fit is the single line.
TEST(ProfileFile, ReadsSingleLineLinkFits) {
  std::string path = temp_path("single_line.json");
  write_text(path, R"({"format": "tandem-profile", "version": 2,
    "devices": {"cpu:1": {"kind": "host", "description": "Test CPU", "threads": 2, "tandem_version": "0.1.0"}},
    "runs": [],
    "links": [{"device": "cpu:1", "direction": "to_device",
               "fit": {"latency_us": 2.0, "bytes_per_us": 1000.0, "max_rel_error": 0.1, "mean_rel_error": 0.05},
               "samples": [{"bytes": 1024.0, "us": {"median": 3.0, "p10": 2.9, "p90": 3.1}}]}]})");
  const Profile profile = read_profile(path);
  const LinkFit& fit = profile.links.at(0).fit;
  EXPECT_TRUE(fit.segments.empty());
  EXPECT_DOUBLE_EQ(fit.time_us(1e6), 2 + 1e6 / 1000);
  std::filesystem::remove(path);
}

TEST(ProfileFile, RejectsLinkSegmentsOutOfOrder) {
  std::string path = temp_path("bad_segments.json");
  Profile p = sample_profile();
  p.links[0].fit.segments = {{0, 1, 1000}, {8192, 2, 2000}, {4096, 3, 3000}};
  write_profile(p, path);
  expect_error(path, ErrorKind::InvalidInput, "links[0].fit.segments[2].from_bytes");
  std::filesystem::remove(path);
}

TEST(ProfileFile, ClearErrorsForMissingCorruptForeignAndOtherVersions) {
  std::string path = temp_path("bad.json");
  expect_error(temp_path("does_not_exist.json"), ErrorKind::Io, "cannot read profile");
  write_text(path, "{\"format\": \"tandem-profile\", \"version\": 2, \"devi");
  expect_error(path, ErrorKind::InvalidInput, "not valid JSON");
  write_text(path, "{\"format\": \"something-else\"}");
  expect_error(path, ErrorKind::InvalidInput, "not a tandem profile");
  write_text(path, "[1, 2, 3]");
  expect_error(path, ErrorKind::InvalidInput, "not a tandem profile");
  write_text(path, R"({"format": "tandem-profile", "version": 99, "devices": {}, "runs": [], "links": []})");
  expect_error(path, ErrorKind::InvalidInput, "version 99");
  write_text(path, R"({"format": "tandem-profile", "version": 1, "devices": {}, "runs": [], "links": []})");
  expect_error(path, ErrorKind::InvalidInput, "profile again");
  write_text(path, R"({"format": "tandem-profile", "version": 2, "devices": {}, "runs": [{"model": "x"}], "links": []})");
  expect_error(path, ErrorKind::InvalidInput, "runs[0]: missing field 'device'");
  write_text(path, R"({"format": "tandem-profile", "version": 2, "devices": {}, "runs": [], "links": 7})");
  expect_error(path, ErrorKind::InvalidInput, "links: expected an array");
  Profile p = sample_profile();
  p.devices.erase("cpu");
  write_profile(p, path);
  expect_error(path, ErrorKind::InvalidInput, "device 'cpu' has no entry");
  p = sample_profile();
  p.runs[0].quiet_repeats = p.runs[0].repeats + 1;
  write_profile(p, path);
  expect_error(path, ErrorKind::InvalidInput, "runs[0].quiet_repeats: must be between 0 and repeats");
  std::filesystem::remove(path);
}

TEST(LinkFit, RecoversLatencyAndBandwidthFromExactSamples) {
  std::vector<LinkSample> samples;
  for (double bytes = 1024; bytes <= 64 << 20; bytes *= 4) samples.push_back({bytes, {8 + bytes / 12000, 0, 0}});
  LinkFit fit = fit_link(samples);
  EXPECT_NEAR(fit.latency_us, 8, 1e-6);
  EXPECT_NEAR(fit.bytes_per_us, 12000, 1e-3);
  EXPECT_LT(fit.max_rel_error, 1e-9);
  EXPECT_EQ(fit.segments.size(), 1u);  // a line fits: no regimes added
  EXPECT_NEAR(fit.time_us(1 << 20), 8 + (1 << 20) / 12000.0, 1e-6);
}

TEST(LinkFit, RecoversFromNoisySamplesAndReportsTheError) {
  std::vector<LinkSample> samples;
  int k = 0;
  for (double bytes = 1024; bytes <= 64 << 20; bytes *= 2, ++k) {
    double noise = (k % 3 == 0 ? 0.04 : k % 3 == 1 ? -0.03 : 0.01);  // within ±4%
    samples.push_back({bytes, {(20 + bytes / 3000) * (1 + noise), 0, 0}});
  }
  LinkFit fit = fit_link(samples);
  EXPECT_NEAR(fit.latency_us, 20, 2);
  EXPECT_NEAR(fit.bytes_per_us, 3000, 150);
  EXPECT_EQ(fit.segments.size(), 1u);  // noise is no reason for another regime
  EXPECT_GT(fit.max_rel_error, 0.005);
  EXPECT_LT(fit.max_rel_error, 0.08);
  EXPECT_LE(fit.mean_rel_error, fit.max_rel_error);
}

// A 1 KB memcpy absorbed by the store buffers (20 ns) must not bend the line that
// the copies of a microsecond and more follow.
TEST(LinkFit, SubMicrosecondCopiesDoNotBendTheLine) {
  std::vector<LinkSample> samples = {{1024, {0.02, 0, 0}}};
  for (double bytes = 16384; bytes <= 64 << 20; bytes *= 4) samples.push_back({bytes, {0.1 + bytes / 10000, 0, 0}});
  LinkFit fit = fit_link(samples);
  EXPECT_NEAR(fit.bytes_per_us, 10000, 100);
  EXPECT_NEAR(fit.time_us(64 << 20), 0.1 + (64 << 20) / 10000.0, 0.01 * (64 << 20) / 10000.0);
  for (double bytes = 262144; bytes <= 64 << 20; bytes *= 4)
    EXPECT_NEAR(fit.time_us(bytes), 0.1 + bytes / 10000, 0.01 * bytes / 10000) << bytes;
}

// Store buffers up to 4 KB, caches up to 2 MB, DRAM beyond, with ±4% noise.
std::vector<LinkSample> three_regime_samples() {
  std::vector<LinkSample> samples;
  int k = 0;
  for (double bytes = 1024; bytes <= 64 << 20; bytes *= 2, ++k) {
    double us = bytes <= 4096 ? 0.02 + bytes / 50000 : bytes <= 2 << 20 ? 0.3 + bytes / 15000 : 10 + bytes / 6000;
    double noise = (k % 3 == 0 ? 0.04 : k % 3 == 1 ? -0.03 : 0.01);
    samples.push_back({bytes, {us * (1 + noise), 0, 0}});
  }
  return samples;
}

TEST(LinkFit, PiecewiseFitKeepsThreeRegimesWithinTenPercent) {
  std::vector<LinkSample> samples = three_regime_samples();
  LinkFit fit = fit_link(samples);
  EXPECT_GE(fit.segments.size(), 3u);
  EXPECT_LE(fit.segments.size(), static_cast<size_t>(kMaxLinkSegments));
  for (const LinkSample& s : samples)
    EXPECT_LT(std::abs(fit.time_us(s.bytes) - s.us.median) / s.us.median, 0.10) << s.bytes << " bytes";
  EXPECT_LT(fit.max_rel_error, 0.10);
  EXPECT_LE(fit.mean_rel_error, fit.max_rel_error);
  EXPECT_NEAR(fit.bytes_per_us, 6000, 600);  // the large-copy regime
  EXPECT_DOUBLE_EQ(fit.latency_us, fit.segments.back().latency_us);
}

// Caches up to 256 KB, a faster streaming regime up to 16 MB, and DRAM-bound copies
// seen only at the two largest sizes (32 and 64 MB, as on the 2-core development VM):
// the last regime gets its own segment although it has two points.
TEST(LinkFit, TheLargestTwoSizesCanFormTheirOwnRegime) {
  std::vector<LinkSample> samples;
  for (double bytes = 1024; bytes <= 64 << 20; bytes *= 2) {
    double us = bytes <= 256 << 10 ? bytes / 11500 : bytes <= 16 << 20 ? bytes / 14500 : bytes / 10400;
    samples.push_back({bytes, {us, 0, 0}});
  }
  LinkFit fit = fit_link(samples);
  for (const LinkSample& s : samples)
    EXPECT_LT(std::abs(fit.time_us(s.bytes) - s.us.median) / s.us.median, 0.10) << s.bytes << " bytes";
  EXPECT_NEAR(fit.bytes_per_us, 10400, 100);  // the DRAM regime, used beyond 64 MB
  EXPECT_GE(fit.segments.back().from_bytes, 16 << 20);
}

TEST(LinkFit, PiecewiseTimeNeverDecreasesWithBytes) {
  LinkFit fit = fit_link(three_regime_samples());
  double before = 0;
  for (double bytes = 512; bytes <= 128 << 20; bytes *= 1.05) {
    double us = fit.time_us(bytes);
    EXPECT_GE(us, before) << bytes << " bytes";
    before = us;
  }
}

TEST(LinkFit, LinesThatDoNotMeetStayMonotoneAcrossTheBreak) {
  // The second regime starts below where the first one ends.
  std::vector<LinkSegment> segments = {{0, 1, 1000}, {10000, 0, 2000}};
  EXPECT_DOUBLE_EQ(piecewise_time_us(segments, 5000), 6);
  EXPECT_DOUBLE_EQ(piecewise_time_us(segments, 10000), 11);  // held at the first regime's end
  EXPECT_DOUBLE_EQ(piecewise_time_us(segments, 30000), 15);
  EXPECT_EQ(piecewise_time_us({}, 1e6), 0);
}

TEST(LinkFit, EdgeCases) {
  EXPECT_THROW(fit_link({}), Error);
  LinkFit flat = fit_link({{1024, {5, 0, 0}}, {4096, {5, 0, 0}}, {16384, {5, 0, 0}}});
  EXPECT_NEAR(flat.latency_us, 5, 1e-9);
  EXPECT_EQ(flat.bytes_per_us, 0);
  EXPECT_NEAR(flat.time_us(1e9), 5, 1e-9);
  LinkFit one = fit_link({{4096, {2, 0, 0}}});
  EXPECT_NEAR(one.time_us(4096), 2, 1e-9);
  EXPECT_GE(one.latency_us, 0);
}

TEST(CpuLoad, BackgroundLoadSpinsRoundedShareOfCores) {
  EXPECT_EQ(BackgroundLoad(0.0, 2).threads(), 0);
  EXPECT_EQ(BackgroundLoad(0.5, 2).threads(), 1);
  EXPECT_DOUBLE_EQ(BackgroundLoad(0.5, 2).share(), 0.5);
  EXPECT_EQ(BackgroundLoad(1.0, 2).threads(), 2);
  EXPECT_EQ(BackgroundLoad(0.5, 3).threads(), 2);
  EXPECT_THROW(BackgroundLoad(1.5, 2), Error);
  EXPECT_THROW(BackgroundLoad(-0.1, 2), Error);
}

// Robust on a shared machine: other processes only add busy time, and the spinning
// threads get some CPU time however contended the cores are.
TEST(CpuLoad, MeterSeesBackgroundLoad) {
  double cpu_before = process_cpu_seconds();
  CpuLoadMeter meter;
  {
    BackgroundLoad load(1.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::optional<double> busy = meter.busy_share();
  double cpu_used = process_cpu_seconds() - cpu_before;
  EXPECT_GT(cpu_used, 0.05);
  if (std::filesystem::exists("/proc/stat")) {
    ASSERT_TRUE(busy.has_value());
    EXPECT_GT(*busy, 0.2);
    EXPECT_LE(*busy, 1.0);
  }
}

TEST(CpuLoad, UnreadableStatGivesNoShare) {
  CpuLoadMeter meter(temp_path("no_such_stat"));
  EXPECT_FALSE(meter.busy_share().has_value());
}

TEST(NodeProfiler, Lenet5OnReferenceAndCpuHasOneSamplePerNode) {
  Graph loaded = load_model("lenet5");
  MeasureOptions options;
  options.warmup = 1;
  options.repeats = 3;
  options.min_seconds = 0;
  for (const std::string name : {"reference", "cpu"}) {
    auto device = create_device(name);
    NodeProfiler profiler(loaded, "lenet5", *device, 2);
    ProfileRun run = profiler.measure(0, options);
    EXPECT_EQ(run.model, "lenet5");
    EXPECT_EQ(run.device, name);
    EXPECT_EQ(run.batch, 2);
    EXPECT_EQ(run.repeats, 3);
    EXPECT_GE(run.quiet_repeats, 1);
    EXPECT_LE(run.quiet_repeats, 3);
    EXPECT_GT(run.total_us.median, 0);
    ASSERT_EQ(run.nodes.size(), profiler.graph().nodes.size()) << name;
    int timed = 0;
    for (const NodeSample& n : run.nodes) {
      EXPECT_FALSE(n.signature.empty());
      EXPECT_EQ(n.features.threads, device->info().threads);
      EXPECT_EQ(n.features.batch, 2);
      if (n.fused) {
        EXPECT_EQ(n.isolated_us, 0) << "a fused node's cut-apart time is in the node before it";
        continue;
      }
      ++timed;
      EXPECT_GT(n.isolated_us, 0) << name << " " << n.name << " was not timed as its own segment";
      EXPECT_GT(n.us.median, 0) << name << " " << n.name;
      EXPECT_LE(n.us.p10, n.us.median);
      EXPECT_LE(n.us.median, n.us.p90);
    }
    EXPECT_GT(timed, 0);
  }
  options.isolated_runs = 0;
  auto cpu = create_device("cpu");
  NodeProfiler profiler(loaded, "lenet5", *cpu, 1);
  for (const NodeSample& n : profiler.measure(0, options).nodes) EXPECT_EQ(n.isolated_us, 0) << n.name;
  options.quiet_runs_only = false;
  EXPECT_EQ(profiler.measure(0, options).quiet_repeats, 3) << "--all-runs keeps every run";
  options.quiet_runs_only = true;
  EXPECT_EQ(profiler.measure(0.5, options).quiet_repeats, 3) << "under injected load every run counts";
}

TEST(QuietRuns, KeepTheFastPhaseOrEveryRunOfOneSpeed) {
  // Runs from a fast phase (~100 µs) and a slow one (~180 µs): the fast ones stay.
  std::vector<double> two_phases = {181, 100, 104, 179, 183, 99, 185, 108, 177, 102};
  EXPECT_EQ(quiet_runs(two_phases), (std::vector<size_t>{1, 2, 5, 7, 9}));
  EXPECT_EQ(quiet_runs(two_phases, 1.0).size(), two_phases.size()) << "a wide tolerance keeps the slow phase";
  // One speed throughout, with ordinary scatter: every run stays.
  std::vector<double> one_phase = {100, 103, 97, 105, 99, 101};
  EXPECT_EQ(quiet_runs(one_phase).size(), one_phase.size());
  // One lucky run does not set the bar: the tenth percentile does, not the minimum.
  std::vector<double> lucky = {70, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109};
  EXPECT_EQ(quiet_runs(lucky).size(), lucky.size());
  EXPECT_EQ(quiet_runs({42}), (std::vector<size_t>{0}));
  EXPECT_TRUE(quiet_runs({}).empty());
  EXPECT_EQ(quiet_runs({0, 0}).size(), 2u) << "runs of nothing but fused nodes";
}

TEST(QuietRuns, RunSumsAddEachRunsNodesAndSamplesAtPicksThem) {
  // node_us[node][run]; a node outside the segment has no samples.
  std::vector<std::vector<double>> node_us = {{10, 20, 30}, {}, {1, 2, 3}};
  EXPECT_EQ(run_sums(node_us, 3), (std::vector<double>{11, 22, 33}));
  EXPECT_EQ(samples_at({10, 20, 30}, {0, 2, 7}), (std::vector<double>{10, 30}));
}

TEST(NodeProfiler, SignaturesFollowShapesAndModelKeys) {
  Graph loaded = load_model("lenet5");
  auto cpu = create_device("cpu");
  NodeProfiler batch1(loaded, "lenet5", *cpu, 1), batch1_again(loaded, "lenet5", *cpu, 1),
      batch2(loaded, "lenet5", *cpu, 2);
  const Graph &g1 = batch1.graph(), &g1_again = batch1_again.graph(), &g2 = batch2.graph();
  for (size_t i = 0; i < g1.nodes.size(); ++i)
    EXPECT_EQ(node_signature(g1.nodes[i], g1), node_signature(g1_again.nodes[i], g1_again));
  EXPECT_NE(node_signature(g1.nodes[0], g1), node_signature(g2.nodes[0], g2));
  EXPECT_NE(node_signature(g1.nodes[0], g1).find(op_label(g1.nodes[0])), std::string::npos);
  EXPECT_EQ(model_key("lenet5"), "lenet5");
  EXPECT_EQ(model_key("/some/dir/my_net.onnx"), "my_net");
  EXPECT_GT(graph_flops(g2), graph_flops(g1));
}

// Two lenet5 configurations on cpu with short turns: `events` records when each
// profiler is made and when each finishes.
static std::vector<std::string> interleave_lenet5(int window, std::vector<int64_t> batches,
                                           std::vector<ProfileRun>& runs) {
  Graph loaded = load_model("lenet5");
  auto cpu = create_device("cpu");
  MeasureOptions measure;
  measure.warmup = 1;
  measure.repeats = 4;
  measure.min_seconds = 0.02;
  measure.isolated_runs = 0;
  std::vector<std::string> events;
  std::vector<ProfilerMaker> makers;
  for (size_t i = 0; i < batches.size(); ++i)
    makers.push_back([&, i]() -> std::unique_ptr<NodeProfiler> {
      events.push_back("make " + std::to_string(i));
      if (batches[i] < 1) return nullptr;
      return std::make_unique<NodeProfiler>(loaded, "lenet5", *cpu, batches[i]);
    });
  ProfilingTurns turns;
  turns.window = window;
  turns.turns = 4;
  profile_interleaved(makers, 0, measure, turns, [&](size_t config, ProfileRun run, double seconds) {
    events.push_back("done " + std::to_string(config));
    EXPECT_GT(seconds, 0);
    runs.push_back(std::move(run));
  });
  return events;
}

TEST(InterleavedProfiling, MeasuresEveryConfigurationOnceAndTakesTurns) {
  std::vector<ProfileRun> runs;
  std::vector<std::string> events = interleave_lenet5(2, {1, 2}, runs);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0], "make 0");
  EXPECT_EQ(events[1], "make 1") << "both are measured together";
  ASSERT_EQ(runs.size(), 2u);
  std::set<int64_t> batches;
  for (const ProfileRun& run : runs) {
    batches.insert(run.batch);
    EXPECT_EQ(run.model, "lenet5");
    EXPECT_EQ(run.load, 0);
    EXPECT_GE(run.repeats, 4);
    EXPECT_GT(run.total_us.median, 0);
    for (const NodeSample& n : run.nodes) {
      EXPECT_EQ(n.features.batch, run.batch) << n.name;
      if (!n.fused) {
        EXPECT_GT(n.us.median, 0) << n.name;
      }
    }
  }
  EXPECT_EQ(batches, (std::set<int64_t>{1, 2}));
}

TEST(InterleavedProfiling, AWindowOfOneMeasuresOneAfterAnotherAndSkipsNothingToMeasure) {
  std::vector<ProfileRun> runs;
  std::vector<std::string> events = interleave_lenet5(1, {1, 0, 2}, runs);
  EXPECT_EQ(events, (std::vector<std::string>{"make 0", "done 0", "make 1", "make 2", "done 2"}));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].batch, 1);
  EXPECT_EQ(runs[1].batch, 2);
}

TEST(LinkProfiler, CpuDevicesOtherThanTheHostHaveAMemcpyLink) {
  auto host = create_device("cpu");
  EXPECT_FALSE(has_link(*host));
  EXPECT_TRUE(profile_links(*host).empty());
  auto second = create_device("cpu:1");
  ASSERT_TRUE(has_link(*second));
  LinkOptions options;
  options.max_bytes = 64 * 1024;
  options.repeats = 3;
  options.sample_us = 20;
  std::vector<LinkProfile> links = profile_links(*second, options);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].direction, "to_device");
  EXPECT_EQ(links[1].direction, "to_host");
  for (const LinkProfile& link : links) {
    EXPECT_EQ(link.device, "cpu:1");
    ASSERT_EQ(link.samples.size(), 7u);  // 1, 2, 4, ... 64 KB
    EXPECT_DOUBLE_EQ(link.samples.back().bytes, 65536);
    for (const LinkSample& s : link.samples) EXPECT_GT(s.us.median, 0);
    EXPECT_GE(link.fit.latency_us, 0);
  }
}

TEST(ProfileCache, SkipsPresentRunsAndDropsStaleFingerprints) {
  Profile p = sample_profile();
  EXPECT_EQ(refresh_fingerprint(p, fingerprint("cpu")), "");
  EXPECT_NE(find_run(p, "lenet5", "cpu", 2, 0.5), nullptr);
  EXPECT_EQ(find_run(p, "lenet5", "cpu", 2, 0.0), nullptr);
  EXPECT_EQ(find_run(p, "lenet5", "cpu", 4, 0.5), nullptr);

  ProfileRun again = sample_run();
  again.repeats = 99;
  put_run(p, again);
  put_run(p, sample_run("cpu", 4));
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(find_run(p, "lenet5", "cpu", 2, 0.5)->repeats, 99);

  put_run(p, sample_run("cpu:1", 1, 0));
  std::string message = refresh_fingerprint(p, fingerprint("cpu:1", "Another CPU"));
  EXPECT_NE(message.find("cpu:1 changed"), std::string::npos) << message;
  EXPECT_EQ(find_run(p, "lenet5", "cpu:1", 1, 0), nullptr);
  EXPECT_FALSE(has_links(p, "cpu:1"));
  EXPECT_EQ(p.devices.at("cpu:1").description, "Another CPU");
  EXPECT_EQ(p.runs.size(), 2u);  // the cpu runs stay

  put_links(p, "cpu:1", {LinkProfile{"cpu:1", "to_host", {}, {}}});
  EXPECT_TRUE(has_links(p, "cpu:1"));
}

TEST(ProfileCache, OpensMissingFilesEmptyAndCorruptOnesOnlyWhenStartingOver) {
  std::vector<std::string> notes;
  EXPECT_TRUE(open_profile_cache(temp_path("absent.json"), false, notes).runs.empty());
  std::string path = temp_path("corrupt.json");
  write_text(path, "not json");
  EXPECT_THROW(open_profile_cache(path, false, notes), Error);
  EXPECT_TRUE(open_profile_cache(path, true, notes).runs.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("starting a new profile"), std::string::npos);
  std::filesystem::remove(path);
}

TEST(ProfileCache, AnOlderFormatIsAStaleCacheANewerOneAnError) {
  std::vector<std::string> notes;
  std::string path = temp_path("old_format.json");
  write_text(path, R"({"format": "tandem-profile", "version": 1, "devices": {}, "runs": [], "links": []})");
  EXPECT_EQ(profile_format_version(path), 1);
  EXPECT_TRUE(open_profile_cache(path, false, notes).runs.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("older tandem"), std::string::npos) << notes[0];
  write_text(path, R"({"format": "tandem-profile", "version": 99, "devices": {}, "runs": [], "links": []})");
  EXPECT_THROW(open_profile_cache(path, false, notes), Error) << "a newer tandem's profile is not thrown away";
  write_text(path, "not json");
  EXPECT_FALSE(profile_format_version(path).has_value());
  EXPECT_FALSE(profile_format_version(temp_path("absent.json")).has_value());
  std::filesystem::remove(path);
}

TEST(Fingerprint, DescribesTheCreatedDevice) {
  auto cpu = create_device("cpu:1", DeviceOptions{1});
  DeviceFingerprint fp = fingerprint_of(*cpu);
  EXPECT_EQ(fp.device, "cpu:1");
  EXPECT_EQ(fp.kind, "host");
  EXPECT_EQ(fp.threads, 1);
  EXPECT_EQ(fp.description, cpu->info().description);
  // The version carries a hash of the kernel code: profiles of other kernels are stale.
  EXPECT_TRUE(std::regex_match(fp.tandem_version, std::regex(R"(\d+\.\d+\.\d+\+kernels\.[0-9a-f]{12})")))
      << fp.tandem_version;
  DeviceFingerprint other = fp;
  other.threads = 2;
  EXPECT_NE(fp.key(), other.key());
}
