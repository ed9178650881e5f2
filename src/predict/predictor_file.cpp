// The predictor file: versioned JSON ("format": "tandem-predictor"), every field
// checked on reading, errors naming the file and the field.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "predict/log_features.h"
#include "predict/predictor.h"
#include "profile/link_model_json.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using json = nlohmann::json;
constexpr const char* kFormat = "tandem-predictor";

DeviceKind kind_from_name(const std::string& name, const std::string& where) {
  for (DeviceKind kind : {DeviceKind::Host, DeviceKind::Gpu, DeviceKind::Remote})
    if (name == device_kind_name(kind)) return kind;
  fail(ErrorKind::InvalidInput, where + ": unknown device kind '" + name + "'");
}

const json& field(const json& j, const char* name, json::value_t type, const std::string& where) {
  bool ok = j.is_object() && j.contains(name);
  if (ok) {
    const json& v = j[name];
    if (type == json::value_t::number_float) ok = v.is_number();
    else if (type == json::value_t::number_integer) ok = v.is_number_integer();
    else ok = v.type() == type;
  }
  if (!ok) fail(ErrorKind::InvalidInput, where + ": missing or mistyped field '" + name + "'");
  return j[name];
}

json device_json(const DeviceModels& d) {
  json ops = json::object();
  for (const auto& [op, model] : d.ops) ops[op] = op_model_json(model);
  return {{"kind", device_kind_name(d.kind)},
          {"description", d.description},
          {"threads", d.threads},
          {"channels_last", d.channels_last},
          {"fallback", roofline_json(d.fallback)},
          {"ops", ops},
          {"fused", d.fused},
          {"boundary_extra_us", d.boundary_extra_us}};
}

DeviceModels device_from_json(const json& j, const std::string& where) {
  DeviceModels d;
  d.kind = kind_from_name(field(j, "kind", json::value_t::string, where).get<std::string>(), where);
  d.description = field(j, "description", json::value_t::string, where).get<std::string>();
  d.threads = field(j, "threads", json::value_t::number_integer, where).get<int>();
  if (j.contains("channels_last")) d.channels_last = field(j, "channels_last", json::value_t::boolean, where).get<bool>();
  d.fallback = roofline_from_json(field(j, "fallback", json::value_t::object, where), where + ".fallback");
  for (const auto& [op, model] : field(j, "ops", json::value_t::object, where).items())
    d.ops[op] = op_model_from_json(model, where + ".ops." + op);
  for (const json& signature : field(j, "fused", json::value_t::array, where)) {
    if (!signature.is_string()) fail(ErrorKind::InvalidInput, where + ": 'fused' holds a non-string");
    d.fused.insert(signature.get<std::string>());
  }
  if (j.contains("boundary_extra_us"))
    for (const auto& [signature, us] : field(j, "boundary_extra_us", json::value_t::object, where).items()) {
      if (!us.is_number() || !(us.get<double>() >= 0))
        fail(ErrorKind::InvalidInput, where + ": boundary_extra_us of '" + signature + "' is not a number >= 0");
      d.boundary_extra_us[signature] = us.get<double>();
    }
  return d;
}

void check_header(const json& j, const std::string& source) {
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat)
    fail(ErrorKind::InvalidInput, source + ": not a tandem predictor (no \"format\": \"" + kFormat + "\")");
  if (!j.contains("version") || !j["version"].is_number_integer())
    fail(ErrorKind::InvalidInput, source + ": missing integer 'version'");
  int version = j["version"].get<int>();
  if (version != kPredictorVersion)
    fail(ErrorKind::InvalidInput, source + ": predictor version " + std::to_string(version) + ", this tandem reads version " +
                                      std::to_string(kPredictorVersion) + "; refit it with `tandem fit`");
  if (j.contains("inputs") && j["inputs"] != json(log_feature_names()))
    fail(ErrorKind::InvalidInput, source + ": its models take other inputs than this tandem computes; refit it");
}

}  // namespace

json Predictor::to_json() const {
  json devices = json::object();
  for (const auto& [name, models] : devices_) devices[name] = device_json(models);
  json links = json::array();
  for (const auto& [key, fit] : links_)
    links.push_back({{"device", key.first}, {"direction", key.second}, {"latency_us", fit.latency_us},
                     {"bytes_per_us", fit.bytes_per_us}, {"segments", link_segments_json(fit.segments)}});
  return {{"format", kFormat}, {"version", kPredictorVersion}, {"floor_us", floor_us_},
          {"inputs", log_feature_names()}, {"devices", devices}, {"links", links}};
}

Predictor Predictor::from_json(const json& j, const std::string& source) {
  check_header(j, source);
  Predictor p;
  p.floor_us_ = field(j, "floor_us", json::value_t::number_float, source).get<double>();
  for (const auto& [name, models] : field(j, "devices", json::value_t::object, source).items())
    p.devices_[name] = device_from_json(models, source + ": devices." + name);
  size_t index = 0;
  for (const json& link : field(j, "links", json::value_t::array, source)) {
    std::string where = source + ": links[" + std::to_string(index++) + "]";
    std::string device = field(link, "device", json::value_t::string, where).get<std::string>();
    std::string direction = field(link, "direction", json::value_t::string, where).get<std::string>();
    LinkFit fit;
    fit.latency_us = field(link, "latency_us", json::value_t::number_float, where).get<double>();
    fit.bytes_per_us = field(link, "bytes_per_us", json::value_t::number_float, where).get<double>();
    if (fit.latency_us < 0 || fit.bytes_per_us < 0)
      fail(ErrorKind::InvalidInput, where + ": negative latency or bandwidth");
    if (link.contains("segments")) fit.segments = link_segments_from_json(link["segments"], where + ".segments");
    p.links_[{device, direction}] = fit;
  }
  return p;
}

void Predictor::save(const std::string& path) const {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write predictor " + path);
  out << to_json().dump(1) << "\n";
  if (!out) fail(ErrorKind::Io, "failed writing predictor " + path);
}

Predictor Predictor::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::Io, "cannot read predictor " + path);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) fail(ErrorKind::InvalidInput, path + ": not a tandem predictor (not valid JSON)");
  return from_json(j, path);
}

}  // namespace tandem
