// Host cores: how many there are, core lists as users write them ("0-3,6"),
// pinning threads to a set of cores, so that CPU device instances can own disjoint
// cores and injected load can hit chosen cores, and the pause of a polling loop on a
// core. An empty core list means "all cores, unpinned" everywhere.
#pragma once
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace tandem {

// Cores this process may run on (at least 1).
int host_core_count();

// Throws Error(InvalidInput) naming `owner` when a core is repeated or not a core of
// this machine.
void check_cores(const std::vector<int>& cores, const std::string& owner);

// "0-3,6" -> {0, 1, 2, 3, 6}; throws Error(InvalidInput) on a malformed list.
std::vector<int> parse_core_list(const std::string& text);
// {0, 1, 2, 3, 6} -> "0-3,6"; "all" for an empty list.
std::string format_core_list(const std::vector<int>& cores);

// Whether two core sets share a core (an empty set is all cores).
bool cores_overlap(const std::vector<int>& a, const std::vector<int>& b);

// The host cores split into contiguous, disjoint, near-equal shares, one per name,
// in order. Throws Error(InvalidInput) when there are more names than cores.
std::map<std::string, std::vector<int>> split_cores(const std::vector<std::string>& names);

// One step of a polling loop: `times` x86 PAUSE instructions (elsewhere a yield), so
// that a spinning core neither floods the memory system nor slows a sibling thread.
inline void spin_pause(int times = 1) {
#if defined(__x86_64__) || defined(__i386__)
  for (int i = 0; i < times; ++i) __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Pins the calling thread to `cores` (nothing for an empty list) for good.
void pin_this_thread(const std::vector<int>& cores);

// Pins the calling thread to `cores` while alive and then restores its previous
// cores; nothing for an empty list.
class ThreadCoreBinding {
 public:
  explicit ThreadCoreBinding(const std::vector<int>& cores);
  ~ThreadCoreBinding();
  ThreadCoreBinding(const ThreadCoreBinding&) = delete;
  ThreadCoreBinding& operator=(const ThreadCoreBinding&) = delete;

 private:
  std::vector<int> saved_;  // empty: nothing to restore
};

}  // namespace tandem
