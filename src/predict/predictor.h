// The latency predictor `tandem fit` trains and the planner asks: per device, per op
// type the model kind that validated best (roofline, linear or boosted trees), a
// device-wide roofline for op types it has no model of, conservative defaults for
// devices it never saw, the profile's link fits for copy times, and each device's
// segment-boundary cost. Saved as a
// versioned, self-contained JSON file ("format": "tandem-predictor").
#pragma once
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "predict/op_model.h"
#include "profile/profile.h"

namespace tandem {

constexpr int kPredictorVersion = 1;

struct DeviceModels {
  DeviceKind kind = DeviceKind::Host;
  std::string description;
  int threads = 0;                      // as profiled
  bool channels_last = false;           // its convs keep channels last (as profiled)
  Roofline fallback;                    // all of the device's samples, or defaults
  std::map<std::string, OpModel> ops;   // by op type
  std::set<std::string> fused;          // signatures always fused into the node before
  // Measured extra µs of a node when a segment boundary cuts next to it (alone
  // minus inside its graph, predict/boundary_fit.h), by signature.
  std::map<std::string, double> boundary_extra_us;
};

// "cuda..." is a GPU, "remote..." a remote device, anything else a host device.
DeviceKind device_kind_of_name(const std::string& device);

// The model a node's time comes from: its op type, with depthwise convolutions apart
// ("Conv/depthwise", a kernel of their own on every backend and memory-bound where
// other convs are not). A device without a depthwise model uses its "Conv" model.
std::string model_group(const NodeFeatures& f);

class Predictor {
 public:
  // Trains on the samples; `devices` (fingerprints) gives kind, description and
  // threads, also of devices without samples; `links` gives copy-time fits.
  static Predictor fit(const std::vector<LatencySample>& samples, const std::map<std::string, DeviceFingerprint>& devices,
                       const std::vector<LinkProfile>& links, const FitOptions& options = {});
  // Trains on all of a profile's samples above the floor, and records the signatures
  // each device fused.
  static Predictor fit(const Profile& profile, const FitOptions& options = {});

  // Whether `device` fused nodes of this signature (profile/node_profiler.h) into the
  // node before in the profile: such a node costs nothing of its own.
  bool fused(const std::string& device, const std::string& signature) const;
  // Predicted µs of one node on `device`; threads and load come from `f`.
  double predict(const NodeFeatures& f, const std::string& device) const;
  std::vector<double> predict(const std::vector<NodeFeatures>& features, const std::string& device) const;
  // Predicted µs to copy `bytes` between the host and `device`; direction is
  // "to_device" or "to_host" (else Error(InvalidInput)). 0 for the host itself.
  double predict_copy(const std::string& device, const std::string& direction, double bytes) const;
  // The copy-time model predict_copy evaluates: the profiled link fit, a default line
  // for a device without one, a zero model for the host itself.
  LinkFit copy_model(const std::string& device, const std::string& direction) const;

  // Extra µs of the node on `device` when a segment boundary cuts next to it: as
  // measured for its signature, else from the device's boundary fit over the node's
  // input and output bytes (predict/boundary_fit.h); 0 for a device never timed so.
  double boundary_extra_us(const std::string& device, const std::string& signature, const NodeFeatures& f) const;

  // The models of a device; nullptr when it was never profiled.
  const DeviceModels* device(const std::string& name) const;
  const std::map<std::string, DeviceModels>& devices() const { return devices_; }
  double floor_us() const { return floor_us_; }

  nlohmann::json to_json() const;
  // Throws Error(InvalidInput) naming `source` and the field for anything malformed,
  // of another format or of another version.
  static Predictor from_json(const nlohmann::json& j, const std::string& source);
  void save(const std::string& path) const;
  // Throws Error(Io) when unreadable, Error(InvalidInput) as from_json.
  static Predictor load(const std::string& path);

 private:
  std::map<std::string, DeviceModels> devices_;
  std::map<std::pair<std::string, std::string>, LinkFit> links_;  // by (device, direction)
  double floor_us_ = kDefaultFloorUs;
};

}  // namespace tandem
