#include "process_clock.h"

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace handtrack::cli {
namespace {

using Clock = std::chrono::steady_clock;

// How long before `now` (a steady_clock time) the process started, from /proc; 0 if unknown.
double SecondsBeforeNow() {
#ifdef __linux__
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return 0;
  // Field 2 (the command's name, in parentheses) may hold spaces: count from its end.
  const size_t name_end = line.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(line.substr(name_end + 1));
  std::string field;
  // Fields 3 to 21, then 22: the start time in clock ticks since boot.
  for (int i = 3; i <= 21; ++i) fields >> field;
  unsigned long long start_ticks = 0;
  if (!(fields >> start_ticks)) return 0;
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  timespec boot{};
  if (ticks_per_second <= 0 || clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return 0;
  const double since_boot = static_cast<double>(boot.tv_sec) + static_cast<double>(boot.tv_nsec) * 1e-9;
  const double before = since_boot - static_cast<double>(start_ticks) / static_cast<double>(ticks_per_second);
  return before > 0 ? before : 0;
#else
  return 0;
#endif
}

}  // namespace

double SecondsSinceProcessStart() {
  // The start as a steady_clock time, found once.
  static const Clock::time_point start = [] {
    const Clock::time_point now = Clock::now();
    return now -
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(SecondsBeforeNow()));
  }();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace handtrack::cli
