// The piecewise link model's segments (link_model.h) as JSON, shared by profiles
// (fit.segments) and predictors (links[i].segments).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "profile/link_model.h"

namespace tandem {

// [{"from_bytes": ..., "latency_us": ..., "bytes_per_us": ...}, ...]
nlohmann::json link_segments_json(const std::vector<LinkSegment>& segments);

// Reads what link_segments_json wrote. Throws Error(InvalidInput) naming `where` and
// the segment for anything other than an array of segments with finite non-negative
// numbers in increasing from_bytes.
std::vector<LinkSegment> link_segments_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace tandem
