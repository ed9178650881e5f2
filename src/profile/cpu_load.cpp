// Busy share of all cores from the aggregate "cpu" line of /proc/stat.
#include "profile/cpu_load.h"

#include <ctime>
#include <fstream>
#include <sstream>

namespace tandem {

CpuLoadMeter::CpuLoadMeter(std::string stat_path) : stat_path_(std::move(stat_path)) { restart(); }

void CpuLoadMeter::restart() { start_ = read(); }

// "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (clock ticks);
// guest time is already counted in user, so only the first eight fields are summed.
std::optional<CpuLoadMeter::Ticks> CpuLoadMeter::read() const {
  std::ifstream in(stat_path_);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("cpu ", 0) != 0) return std::nullopt;
  std::istringstream fields(line.substr(4));
  double value[8] = {};
  int count = 0;
  while (count < 8 && fields >> value[count]) ++count;
  if (count < 4) return std::nullopt;
  Ticks t;
  for (int i = 0; i < count; ++i) t.total += value[i];
  double idle = value[3] + (count > 4 ? value[4] : 0);  // idle + iowait
  t.busy = t.total - idle;
  return t;
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
