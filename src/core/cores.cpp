// Host core lists and thread pinning (sched_setaffinity on Linux).
#include "core/cores.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <set>

#include "tandem/error.h"

namespace tandem {

namespace {

cpu_set_t set_of(const std::vector<int>& cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int core : cores) CPU_SET(core, &set);
  return set;
}

std::vector<int> current_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return cores;
  for (int core = 0; core < CPU_SETSIZE; ++core)
    if (CPU_ISSET(core, &set)) cores.push_back(core);
  return cores;
}

void set_affinity(const std::vector<int>& cores) {
  cpu_set_t set = set_of(cores);
  if (int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0)
    fail(ErrorKind::Device, "cannot pin a thread to cores " + format_core_list(cores) + " (error " +
                                std::to_string(rc) + ")");
}

int parse_core(const std::string& text, const std::string& list) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 6)
    fail(ErrorKind::InvalidInput, "core list '" + list + "': '" + text + "' is not a core number");
  return std::stoi(text);
}

}  // namespace

int host_core_count() { return std::max(1, static_cast<int>(current_cores().size())); }

void check_cores(const std::vector<int>& cores, const std::string& owner) {
  std::vector<int> usable = current_cores();
  std::set<int> seen;
  for (int core : cores) {
    if (!seen.insert(core).second)
      fail(ErrorKind::InvalidInput, owner + ": core " + std::to_string(core) + " is listed twice");
    if (std::find(usable.begin(), usable.end(), core) == usable.end())
      fail(ErrorKind::InvalidInput, owner + ": core " + std::to_string(core) + " is not one of this machine's cores (" +
                                        format_core_list(usable) + ")");
  }
}

std::vector<int> parse_core_list(const std::string& text) {
  std::vector<int> cores;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t dash = item.find('-');
    int first = parse_core(item.substr(0, dash), text);
    int last = dash == std::string::npos ? first : parse_core(item.substr(dash + 1), text);
    if (last < first) fail(ErrorKind::InvalidInput, "core list '" + text + "': range '" + item + "' runs backwards");
    for (int core = first; core <= last; ++core) cores.push_back(core);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return cores;
}

std::string format_core_list(const std::vector<int>& cores) {
  if (cores.empty()) return "all";
  std::vector<int> sorted = cores;
  std::sort(sorted.begin(), sorted.end());
  std::string text;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!text.empty()) text += ',';
    text += std::to_string(sorted[i]);
    if (j > i) {
      text += '-';
      text += std::to_string(sorted[j]);
    }
    i = j + 1;
  }
  return text;
}

bool cores_overlap(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.empty() || b.empty()) return true;
  return std::any_of(a.begin(), a.end(), [&](int core) { return std::find(b.begin(), b.end(), core) != b.end(); });
}

std::map<std::string, std::vector<int>> split_cores(const std::vector<std::string>& names) {
  std::vector<int> cores = current_cores();
  if (names.size() > cores.size())
    fail(ErrorKind::InvalidInput, "cannot give " + std::to_string(names.size()) + " devices cores of their own: this machine has " +
                                      std::to_string(cores.size()) + " core(s)");
  std::map<std::string, std::vector<int>> shares;
  size_t next = 0;
  for (size_t k = 0; k < names.size(); ++k) {
    size_t count = cores.size() / names.size() + (k < cores.size() % names.size() ? 1 : 0);
    shares[names[k]] = std::vector<int>(cores.begin() + static_cast<long>(next), cores.begin() + static_cast<long>(next + count));
    next += count;
  }
  return shares;
}

void pin_this_thread(const std::vector<int>& cores) {
  if (!cores.empty()) set_affinity(cores);
}

ThreadCoreBinding::ThreadCoreBinding(const std::vector<int>& cores) {
  if (cores.empty()) return;
  std::vector<int> current = current_cores();
  std::vector<int> wanted = cores;
  std::sort(wanted.begin(), wanted.end());
  if (current == wanted) return;  // already there (a device thread the executor pinned): nothing to undo
  saved_ = std::move(current);
  set_affinity(cores);
}

ThreadCoreBinding::~ThreadCoreBinding() {
  if (saved_.empty()) return;
  cpu_set_t set = set_of(saved_);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

}  // namespace tandem
