// Writing and checking the JSON form of link segments.
#include "profile/link_model_json.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "tandem/error.h"

namespace tandem {

namespace {

double non_negative(const nlohmann::json& segment, const std::string& where, const char* key) {
  if (!segment.is_object() || !segment.contains(key)) fail(ErrorKind::InvalidInput, where + ": missing field '" + key + "'");
  const nlohmann::json& v = segment[key];
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
    fail(ErrorKind::InvalidInput, where + "." + key + ": expected a finite non-negative number");
  return v.get<double>();
}

}  // namespace

nlohmann::json link_segments_json(const std::vector<LinkSegment>& segments) {
  nlohmann::json out = nlohmann::json::array();
  for (const LinkSegment& s : segments)
    out.push_back({{"from_bytes", s.from_bytes}, {"latency_us", s.latency_us}, {"bytes_per_us", s.bytes_per_us}});
  return out;
}

std::vector<LinkSegment> link_segments_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array()) fail(ErrorKind::InvalidInput, where + ": expected an array of segments");
  std::vector<LinkSegment> segments;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    LinkSegment s{non_negative(j[i], at, "from_bytes"), non_negative(j[i], at, "latency_us"),
                  non_negative(j[i], at, "bytes_per_us")};
    if (!segments.empty() && s.from_bytes < segments.back().from_bytes)
      fail(ErrorKind::InvalidInput, at + ".from_bytes: segments must be in increasing from_bytes");
    segments.push_back(s);
  }
  return segments;
}

}  // namespace tandem
