// CPU load measurement: the busy share of all cores, or of chosen cores, between two
// readings of /proc/stat (user, nice, system, irq, softirq and steal time against
// all time).
// Where /proc/stat cannot be read (not Linux, a sandbox), the share is unknown.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace tandem {

class CpuLoadMeter {
 public:
  // Takes the first reading; `cores` empty: all cores (the aggregate line), else the
  // sum of those cores' lines.
  explicit CpuLoadMeter(std::string stat_path = "/proc/stat", std::vector<int> cores = {});
  // Takes a new first reading.
  void restart();
  // Busy share of all cores since the first reading, 0..1; nullopt when /proc/stat is
  // unreadable or no time has passed.
  std::optional<double> busy_share() const;

 private:
  struct Ticks {
    double busy = 0, total = 0;
  };
  std::optional<Ticks> read() const;

  std::string stat_path_;
  std::vector<int> cores_;
  std::optional<Ticks> start_;
};

// CPU seconds this process has used so far (all its threads).
double process_cpu_seconds();

}  // namespace tandem
