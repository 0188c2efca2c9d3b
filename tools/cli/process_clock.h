// The time since this process started, for summaries that place a run's steps on one line
// (the engine ready, each video begun and ended) including what happened before main (the
// dynamic loader) and after it (the process's end, measured from outside).
#pragma once

namespace handtrack::cli {

// Seconds since the kernel started this process (Linux: /proc/self/stat's start time against
// CLOCK_BOOTTIME, so to the kernel's clock tick, 10 ms); elsewhere, or if that cannot be read,
// since the first call. Thread-safe.
double SecondsSinceProcessStart();

}  // namespace handtrack::cli
