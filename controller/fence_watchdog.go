package controller

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/policy"
)

// watchdogRejoined reports whether node's current boot was fenced
// (fencedBoot), every device that can fence it is a watchdog device, and
// the node has answered this DC's join since it came back. Watchdog
// fencing does not reboot a node that stopped its resources in time (it
// stays up, without quorum, with the same boot id): once it rejoins, its
// own report is the truth of what it runs, and it is online again. A
// node powered off by a device comes back with a new boot instead; until
// then a present node whose boot a device fenced is a lagging membership
// entry (snapshot.go). The DC forgets a node's join answer as soon as it
// is lost (join.go), so the answer counted here was given after the
// loss.
func (c *Controller) watchdogRejoined(node string) bool {
	l := &c.loop
	return l.joined[node] != nil && watchdogOnly(l.cfg, node)
}

// watchdogOnly reports whether node can be fenced, and only through the
// watchdog plugin.
func watchdogOnly(cfg *policy.Config, node string) bool {
	n := 0
	for _, d := range cfg.Fencing.Devices {
		for _, v := range d.Nodes {
			if v != node {
				continue
			}
			if d.Plugin != "watchdog" {
				return false
			}
			n++
		}
	}
	return n > 0
}

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
