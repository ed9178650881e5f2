// Reading and writing profiles as versioned JSON ("format": "tandem-profile").
// Every field is checked on reading; a missing or mistyped field is an error naming
// the file and the field's path, never a crash.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "profile/link_model_json.h"
#include "profile/profile.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "tandem-profile";

// The numeric NodeFeatures fields by their name in the file.
const std::vector<std::pair<const char*, double NodeFeatures::*>>& feature_fields() {
  static const std::vector<std::pair<const char*, double NodeFeatures::*>> fields = {
      {"flops", &NodeFeatures::flops},           {"input_bytes", &NodeFeatures::input_bytes},
      {"output_bytes", &NodeFeatures::output_bytes}, {"weight_bytes", &NodeFeatures::weight_bytes},
      {"kernel", &NodeFeatures::kernel},         {"stride", &NodeFeatures::stride},
      {"in_channels", &NodeFeatures::in_channels}, {"out_channels", &NodeFeatures::out_channels},
      {"spatial", &NodeFeatures::spatial},       {"groups", &NodeFeatures::groups},
      {"batch", &NodeFeatures::batch},           {"threads", &NodeFeatures::threads},
      {"load", &NodeFeatures::load},             {"producer", &NodeFeatures::producer},
      {"consumer", &NodeFeatures::consumer},     {"channels_last", &NodeFeatures::channels_last},
      {"residual_add", &NodeFeatures::residual_add}, {"graph_bytes", &NodeFeatures::graph_bytes},
      {"in_place_input_bytes", &NodeFeatures::in_place_input_bytes},
      {"input_reuse_bytes", &NodeFeatures::input_reuse_bytes}};
  return fields;
}

// Features a profile may lack (written before they existed): read as 0.
bool optional_feature(const char* name) {
  for (const char* optional :
       {"channels_last", "residual_add", "graph_bytes", "in_place_input_bytes", "input_reuse_bytes"})
    if (std::string(name) == optional) return true;
  return false;
}

json spread_json(const Spread& s) { return {{"median", s.median}, {"p10", s.p10}, {"p90", s.p90}}; }

json features_json(const NodeFeatures& f) {
  json j = {{"op", f.op}};
  for (const auto& [name, field] : feature_fields()) j[name] = f.*field;
  return j;
}

json run_json(const ProfileRun& run) {
  json nodes = json::array();
  for (const NodeSample& n : run.nodes)
    nodes.push_back({{"name", n.name}, {"signature", n.signature}, {"fused", n.fused}, {"us", spread_json(n.us)},
                     {"isolated_us", n.isolated_us}, {"features", features_json(n.features)}});
  return {{"model", run.model},   {"device", run.device},   {"batch", run.batch},
          {"load", run.load},     {"measured_load", run.measured_load}, {"warmup", run.warmup},
          {"repeats", run.repeats}, {"quiet_repeats", run.quiet_repeats},
          {"total_us", spread_json(run.total_us)}, {"nodes", nodes}};
}

json link_json(const LinkProfile& link) {
  json samples = json::array();
  for (const LinkSample& s : link.samples) samples.push_back({{"bytes", s.bytes}, {"us", spread_json(s.us)}});
  return {{"device", link.device},
          {"direction", link.direction},
          {"fit",
           {{"latency_us", link.fit.latency_us},
            {"bytes_per_us", link.fit.bytes_per_us},
            {"max_rel_error", link.fit.max_rel_error},
            {"mean_rel_error", link.fit.mean_rel_error},
            {"segments", link_segments_json(link.fit.segments)}}},
          {"samples", samples}};
}

json profile_json(const Profile& profile) {
  json devices = json::object();
  for (const auto& [name, fp] : profile.devices)
    devices[name] = {{"kind", fp.kind}, {"description", fp.description}, {"threads", fp.threads},
                     {"tandem_version", fp.tandem_version}};
  json runs = json::array();
  for (const ProfileRun& run : profile.runs) runs.push_back(run_json(run));
  json links = json::array();
  for (const LinkProfile& link : profile.links) links.push_back(link_json(link));
  return {{"format", kFormat}, {"version", kProfileVersion}, {"devices", devices}, {"runs", runs}, {"links", links}};
}

// Checked access to the parsed file: errors name the file and the field's path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void bad(const std::string& where, const std::string& problem) const {
    fail(ErrorKind::InvalidInput, "profile '" + file_ + "': " + where + ": " + problem);
  }
  const json& member(const json& j, const std::string& where, const char* key) const {
    if (!j.is_object()) bad(where, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) bad(where, std::string("missing field '") + key + "'");
    return *it;
  }
  double number(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_number() || !std::isfinite(v.get<double>())) bad(where + "." + key, "expected a finite number");
    return v.get<double>();
  }
  int64_t integer(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_number_integer()) bad(where + "." + key, "expected an integer");
    return v.get<int64_t>();
  }
  std::string text(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_string()) bad(where + "." + key, "expected a string");
    return v.get<std::string>();
  }
  bool flag(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_boolean()) bad(where + "." + key, "expected true or false");
    return v.get<bool>();
  }
  const json& array(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_array()) bad(where + "." + key, "expected an array");
    return v;
  }

  Spread spread(const json& j, const std::string& where, const char* key) const {
    const json& s = member(j, where, key);
    std::string at = where + "." + key;
    return {number(s, at, "median"), number(s, at, "p10"), number(s, at, "p90")};
  }

  // The node's features; optional ones it lacks are added to `missing`.
  NodeFeatures features(const json& j, const std::string& where, std::set<std::string>& missing) const {
    const json& f = member(j, where, "features");
    std::string at = where + ".features";
    NodeFeatures out;
    out.op = text(f, at, "op");
    for (const auto& [name, field] : feature_fields()) {
      if (!optional_feature(name) || f.contains(name))
        out.*field = number(f, at, name);
      else
        missing.insert(name);
    }
    return out;
  }

  ProfileRun run(const json& j, const std::string& where, std::set<std::string>& missing_features) const {
    ProfileRun r;
    r.model = text(j, where, "model");
    r.device = text(j, where, "device");
    r.batch = integer(j, where, "batch");
    if (r.batch < 1) bad(where + ".batch", "must be at least 1");
    r.load = number(j, where, "load");
    if (r.load < 0 || r.load > 1) bad(where + ".load", "must be between 0 and 1");
    r.measured_load = number(j, where, "measured_load");
    r.warmup = static_cast<int>(integer(j, where, "warmup"));
    r.repeats = static_cast<int>(integer(j, where, "repeats"));
    r.quiet_repeats = j.contains("quiet_repeats") ? static_cast<int>(integer(j, where, "quiet_repeats")) : r.repeats;
    if (r.quiet_repeats < 0 || r.quiet_repeats > r.repeats)
      bad(where + ".quiet_repeats", "must be between 0 and repeats");
    r.total_us = spread(j, where, "total_us");
    const json& nodes = array(j, where, "nodes");
    for (size_t i = 0; i < nodes.size(); ++i) {
      std::string at = where + ".nodes[" + std::to_string(i) + "]";
      NodeSample n;
      n.name = text(nodes[i], at, "name");
      n.signature = text(nodes[i], at, "signature");
      n.fused = flag(nodes[i], at, "fused");
      n.us = spread(nodes[i], at, "us");
      if (nodes[i].contains("isolated_us")) n.isolated_us = number(nodes[i], at, "isolated_us");
      if (n.isolated_us < 0) bad(at + ".isolated_us", "must not be negative");
      n.features = features(nodes[i], at, missing_features);
      r.nodes.push_back(std::move(n));
    }
    return r;
  }

  LinkProfile link(const json& j, const std::string& where) const {
    LinkProfile l;
    l.device = text(j, where, "device");
    l.direction = text(j, where, "direction");
    const json& fit = member(j, where, "fit");
    std::string at = where + ".fit";
    l.fit = {number(fit, at, "latency_us"), number(fit, at, "bytes_per_us"), number(fit, at, "max_rel_error"),
             number(fit, at, "mean_rel_error")};
    if (fit.contains("segments"))  // files written before the piecewise model have the single line only
      l.fit.segments = link_segments_from_json(fit["segments"], "profile '" + file_ + "': " + at + ".segments");
    const json& samples = array(j, where, "samples");
    for (size_t i = 0; i < samples.size(); ++i) {
      std::string s_at = where + ".samples[" + std::to_string(i) + "]";
      l.samples.push_back({number(samples[i], s_at, "bytes"), spread(samples[i], s_at, "us")});
    }
    return l;
  }

  Profile profile(const json& root) const {
    if (!root.is_object() || !root.contains("format") || root["format"] != kFormat)
      fail(ErrorKind::InvalidInput, "'" + file_ + "' is not a tandem profile (no \"format\": \"" + kFormat + "\")");
    int64_t version = integer(root, "top level", "version");
    if (version != kProfileVersion)
      fail(ErrorKind::InvalidInput, "profile '" + file_ + "' has format version " + std::to_string(version) +
                                        "; this tandem reads version " + std::to_string(kProfileVersion) +
                                        ": profile again with this tandem (tandem profile ... --force)");
    Profile p;
    const json& devices = member(root, "top level", "devices");
    if (!devices.is_object()) bad("devices", "expected an object");
    for (const auto& [name, d] : devices.items()) {
      std::string at = "devices." + name;
      p.devices[name] = {name, text(d, at, "kind"), text(d, at, "description"),
                         static_cast<int>(integer(d, at, "threads")), text(d, at, "tandem_version")};
    }
    const json& runs = array(root, "top level", "runs");
    for (size_t i = 0; i < runs.size(); ++i)
      p.runs.push_back(run(runs[i], "runs[" + std::to_string(i) + "]", p.missing_features));
    const json& links = array(root, "top level", "links");
    for (size_t i = 0; i < links.size(); ++i) p.links.push_back(link(links[i], "links[" + std::to_string(i) + "]"));
    check_devices_known(p);
    return p;
  }

 private:
  // Every run and link must belong to a fingerprinted device, or the cache could not tell when it is stale.
  void check_devices_known(const Profile& p) const {
    for (size_t i = 0; i < p.runs.size(); ++i)
      if (!p.devices.count(p.runs[i].device))
        bad("runs[" + std::to_string(i) + "]", "device '" + p.runs[i].device + "' has no entry in 'devices'");
    for (size_t i = 0; i < p.links.size(); ++i)
      if (!p.devices.count(p.links[i].device))
        bad("links[" + std::to_string(i) + "]", "device '" + p.links[i].device + "' has no entry in 'devices'");
  }

  std::string file_;
};

}  // namespace

namespace {

// The file's JSON; discarded when it is not JSON. Throws Error(Io) when unreadable.
json parsed_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, "cannot read profile '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, false);
}

}  // namespace

std::optional<int64_t> profile_format_version(const std::string& path) {
  try {
    json root = parsed_file(path);
    if (!root.is_object() || root.value("format", json()) != kFormat || !root.contains("version") ||
        !root["version"].is_number_integer())
      return std::nullopt;
    return root["version"].get<int64_t>();
  } catch (const Error&) {
    return std::nullopt;
  }
}

Profile read_profile(const std::string& path) {
  json root = parsed_file(path);
  if (root.is_discarded()) fail(ErrorKind::InvalidInput, "profile '" + path + "' is not valid JSON (corrupt or truncated)");
  return Reader(path).profile(root);
}

void write_profile(const Profile& profile, const std::string& path) {
  // Written beside the target and renamed over it, so an interrupted write never leaves half a profile.
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::Io, "cannot write profile '" + temporary + "'");
    out << profile_json(profile).dump(1) << "\n";
    if (!out.flush()) fail(ErrorKind::Io, "writing profile '" + temporary + "' failed");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) fail(ErrorKind::Io, "cannot move '" + temporary + "' to '" + path + "': " + ec.message());
}

}  // namespace tandem
