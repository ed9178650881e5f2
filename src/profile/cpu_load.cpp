// Busy share of all cores from the aggregate "cpu" line of /proc/stat, or of some
// cores from their "cpuN" lines.
#include "profile/cpu_load.h"

#include <ctime>
#include <fstream>
#include <sstream>

namespace tandem {

CpuLoadMeter::CpuLoadMeter(std::string stat_path, std::vector<int> cores)
    : stat_path_(std::move(stat_path)), cores_(std::move(cores)) {
  restart();
}

void CpuLoadMeter::restart() { start_ = read(); }

namespace {

// "cpu[N]  user nice system idle iowait irq softirq steal guest guest_nice" (clock
// ticks); guest time is already counted in user, so only the first eight fields count.
bool add_ticks(const std::string& fields_text, double& busy, double& total) {
  std::istringstream fields(fields_text);
  double value[8] = {};
  int count = 0;
  while (count < 8 && fields >> value[count]) ++count;
  if (count < 4) return false;
  double all = 0;
  for (int i = 0; i < count; ++i) all += value[i];
  double idle = value[3] + (count > 4 ? value[4] : 0);  // idle + iowait
  total += all;
  busy += all - idle;
  return true;
}

}  // namespace

std::optional<CpuLoadMeter::Ticks> CpuLoadMeter::read() const {
  std::ifstream in(stat_path_);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("cpu ", 0) != 0) return std::nullopt;
  Ticks t;
  if (cores_.empty()) return add_ticks(line.substr(4), t.busy, t.total) ? std::optional<Ticks>(t) : std::nullopt;
  size_t found = 0;
  while (std::getline(in, line) && line.rfind("cpu", 0) == 0) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string id = line.substr(3, space - 3);
    bool wanted = false;
    for (int core : cores_) wanted = wanted || id == std::to_string(core);
    if (wanted && add_ticks(line.substr(space), t.busy, t.total)) ++found;
  }
  return found == cores_.size() ? std::optional<Ticks>(t) : std::nullopt;
}

std::optional<double> CpuLoadMeter::busy_share() const {
  std::optional<Ticks> now = read();
  if (!start_ || !now) return std::nullopt;
  double total = now->total - start_->total;
  if (total <= 0) return std::nullopt;
  double share = (now->busy - start_->busy) / total;
  return share < 0 ? 0.0 : (share > 1 ? 1.0 : share);
}

double process_cpu_seconds() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace tandem
