// Package rtprio raises the daemon to real-time scheduling, as corosync
// does, so that a busy machine cannot starve the heartbeat: with the lan
// timing profile a node that does not answer a probe for a few hundred
// milliseconds is suspected, and a CPU hog at normal priority can delay a
// normal-priority daemon that long. A false suspicion ends in fencing a
// healthy node, so the heartbeat must win the CPU.
//
// Raise applies SCHED_RR to every thread of the process. Threads created
// later are cloned from existing ones and inherit it. The policy carries
// SCHED_FLAG_RESET_ON_FORK, so processes the daemon starts (resource
// agents, fence agents) run at normal priority: a runaway agent can never
// take the machine with it. The kernel's real-time throttling
// (sched_rt_runtime_us, 95% by default) still leaves time to everything
// else even if the daemon spins.
package rtprio

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// DefaultPriority is the SCHED_RR priority Raise uses: any real-time
// priority beats every normal task; a low one leaves room above for the
// kernel's own real-time threads and for anything an operator ranks
// higher.
const DefaultPriority = 10

// Raise puts every thread of this process under SCHED_RR at priority prio
// with reset-on-fork. It returns how many threads it changed; an error
// means at least one thread could not be changed (typically: not root, or
// no CAP_SYS_NICE, or a container without real-time budget), and names
// what to do.
func Raise(prio int) (int, error) {
	if prio < 1 || prio > 99 {
		return 0, fmt.Errorf("rtprio: priority %d is outside 1..99", prio)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, fmt.Errorf("rtprio: list threads: %w", err)
	}
	attr := unix.SchedAttr{
		Policy:   unix.SCHED_RR,
		Flags:    unix.SCHED_FLAG_RESET_ON_FORK,
		Priority: uint32(prio),
	}
	n := 0
	var errs []error
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		a := attr
		if err := unix.SchedSetAttr(tid, &a, 0); err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue // the thread exited meanwhile
			}
			errs = append(errs, fmt.Errorf("thread %d: %w", tid, err))
			continue
		}
		n++
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("rtprio: real-time scheduling refused (%w); the daemon runs at normal priority, so a busy machine can delay its heartbeat: run it as root or with CAP_SYS_NICE, or give its cgroup a real-time budget (cpu.rt_runtime_us)", errors.Join(errs...))
	}
	return n, nil
}

// Current reports the scheduling policy of the calling process's main
// thread: true when it is SCHED_RR.
func Current() (bool, error) {
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return false, fmt.Errorf("rtprio: %w", err)
	}
	return a.Policy == unix.SCHED_RR, nil
}
