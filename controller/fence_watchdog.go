package controller

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ward-ha/ward/fencing"
)

// WatchdogHealth returns the health function of this node's watchdog
// feeder (fencing.Feeder): the node may feed its watchdog while its
// partition is quorate, or while its executor runs nothing (it has
// stopped everything after losing quorum). Otherwise the feeder stops
// feeding and the watchdog resets the node within its reset time (half
// of watchdog_timeout), before the quorate side counts the node fenced.
// The function is safe for concurrent use and does not block: it reads
// the membership snapshot and the executor's histories.
func WatchdogHealth(m Membership, ex Executor) fencing.Health {
	return func() (bool, string) {
		if m.Membership().Quorum.Quorate {
			return true, ""
		}
		var running []string
		for _, id := range ex.Resources() {
			h, ok := ex.History(id)
			if ok && active(statusFromHistory(h)) {
				running = append(running, id)
			}
		}
		if len(running) == 0 {
			return true, ""
		}
		sort.Strings(running)
		return false, fmt.Sprintf("no quorum and still running %s", strings.Join(running, ", "))
	}
}
