//go:build unix

package watch

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used so far, so that
// benchmarks can report throughput per CPU second: on a shared machine
// wall time also counts the time other processes held the core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
