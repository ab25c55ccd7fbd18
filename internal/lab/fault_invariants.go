package lab

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/ward-ha/ward/api"
)

// The invariants the catalogue checks all along (Violation.Kind).
const (
	// InvTwoPrimaries: two hosts' PostgreSQL answered
	// pg_is_in_recovery() = false in one sampling round.
	InvTwoPrimaries = "two-primaries"
	// InvTwoWritable: two hosts acknowledged probe writes within 300 ms
	// of each other (the Watcher).
	InvTwoWritable = "two-writable"
	// InvTwoActive: a non-clone resource (the VIP on the interface, the
	// canary's state file) was active on two hosts that were not powered
	// off (not known to be fenced).
	InvTwoActive = "two-active"
	// InvTwoDC: two nodes each reported themselves DC in the same term.
	InvTwoDC = "two-dc"
	// InvLostWrite: an acknowledged write was missing at the end.
	InvLostWrite = "lost-write"
)

// Violation is one breach of an invariant.
type Violation struct {
	// At is when it was seen.
	At time.Time `json:"at"`
	// Kind is one of the Inv* constants.
	Kind string `json:"kind"`
	// Detail says what was seen.
	Detail string `json:"detail"`
}

// String formats the violation for a report.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.At.Format("15:04:05.000"), v.Kind, v.Detail)
}

// Invariants samples every host all along: each host's PostgreSQL
// through its unix socket (whatever the network cuts), the addresses on
// its interface and the canary's state file, and every daemon's status
// through its API socket. Breaches are recorded as Violations; the
// statuses are kept for the scenarios' expectations.
type Invariants struct {
	l        *Lab
	interval time.Duration
	watcher  *Watcher

	// mu guards the following.
	mu         sync.Mutex
	violations []Violation
	seen       map[string]bool // dedup key of a violation in progress
	status     map[int]api.ClusterStatus
	statusAt   map[int]time.Time
	fences     map[string]api.FenceEvent // by node+at+result
	rounds     int
}

// NewInvariants returns a checker of every host of l sampling every
// interval.
func (l *Lab) NewInvariants(interval time.Duration) *Invariants {
	return &Invariants{l: l, interval: interval, watcher: l.NewWatcher(100 * time.Millisecond),
		seen: map[string]bool{}, status: map[int]api.ClusterStatus{}, statusAt: map[int]time.Time{},
		fences: map[string]api.FenceEvent{}}
}

// Run samples until ctx ends.
func (v *Invariants) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { v.watcher.Run(ctx) })
	conns := make([]*pgx.Conn, v.l.cfg.Nodes+1)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
	}()
	t := time.NewTicker(v.interval)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		v.pgRound(ctx, conns)
		v.activeRound()
		if n%2 == 0 {
			v.apiRound(ctx)
		}
		v.mu.Lock()
		v.rounds++
		v.mu.Unlock()
	}
}

// pgRound asks every host's PostgreSQL whether it is a primary, all at
// once, and records two primaries in one round.
func (v *Invariants) pgRound(ctx context.Context, conns []*pgx.Conn) {
	var mu sync.Mutex
	var prim []string
	var wg sync.WaitGroup
	for i := 1; i <= v.l.cfg.Nodes; i++ {
		wg.Go(func() {
			qctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
			defer cancel()
			if conns[i] == nil {
				cfg, err := v.l.LocalConfig(i)
				if err != nil {
					return
				}
				c, err := pgx.ConnectConfig(qctx, cfg)
				if err != nil {
					return
				}
				conns[i] = c
			}
			var rec bool
			if err := conns[i].QueryRow(qctx, "SELECT pg_is_in_recovery()").Scan(&rec); err != nil {
				conns[i].Close(context.Background())
				conns[i] = nil
				return
			}
			if !rec {
				mu.Lock()
				prim = append(prim, v.l.Name(i))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sort.Strings(prim)
	v.check(len(prim) > 1, InvTwoPrimaries, "pg", fmt.Sprintf("PostgreSQL answered as primary on %s in one sampling round", strings.Join(prim, " and ")))
}

// activeRound checks the non-clone resources' ground truth: the VIP on
// the interfaces of hosts that still run (not powered off), and the
// canary's state file.
func (v *Invariants) activeRound() {
	var vip, canary []string
	for i := 1; i <= v.l.cfg.Nodes; i++ {
		pids, err := Pids(v.l.NS(i))
		if err != nil || len(pids) == 0 {
			continue // powered off (fenced) or gone
		}
		if v.l.HasAddr(i, v.l.VIP()) {
			vip = append(vip, v.l.Name(i))
		}
		if v.l.CanaryActive(i) {
			canary = append(canary, v.l.Name(i))
		}
	}
	v.check(len(vip) > 1, InvTwoActive, "vip", fmt.Sprintf("the VIP %s is on the interfaces of %s, neither powered off", v.l.VIP(), strings.Join(vip, " and ")))
	v.check(len(canary) > 1, InvTwoActive, "canary", fmt.Sprintf("%s is active (state file) on %s, neither powered off", CanaryID, strings.Join(canary, " and ")))
}

// HasAddr reports whether host i's interface carries addr.
func (l *Lab) HasAddr(i int, addr string) bool {
	h, err := netns.GetFromName(l.NS(i))
	if err != nil {
		return false
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return false
	}
	defer nl.Close()
	link, err := nl.LinkByName(HostIf)
	if err != nil {
		return false
	}
	addrs, err := nl.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return false
	}
	want := net.ParseIP(addr)
	for _, a := range addrs {
		if a.IP.Equal(want) {
			return true
		}
	}
	return false
}

// DelAddr removes addr/24 from host i's interface (a reboot's fresh
// network configuration); a missing address is fine.
func (l *Lab) DelAddr(ctx context.Context, i int, addr string) error {
	if !l.HasAddr(i, addr) {
		return nil
	}
	return run(ctx, "ip", "-n", l.NS(i), "addr", "del", addr+"/24", "dev", HostIf)
}

// apiRound reads every daemon's status and checks that no two nodes
// are DC in one term.
func (v *Invariants) apiRound(ctx context.Context) {
	var wg sync.WaitGroup
	got := make([]*api.ClusterStatus, v.l.cfg.Nodes+1)
	for i := 1; i <= v.l.cfg.Nodes; i++ {
		wg.Go(func() {
			cl := api.NewClient(v.l.Socket(i))
			defer cl.CloseIdleConnections()
			qctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			st, err := cl.Status(qctx)
			if err == nil {
				got[i] = &st
			}
		})
	}
	wg.Wait()
	now := time.Now()
	dcByTerm := map[uint64][]string{}
	v.mu.Lock()
	for i := 1; i <= v.l.cfg.Nodes; i++ {
		st := got[i]
		if st == nil {
			continue
		}
		v.status[i], v.statusAt[i] = *st, now
		for _, f := range st.Fencing {
			v.fences[f.Node+"|"+f.At.String()+"|"+f.Result] = f
		}
		if st.DC == st.Node && st.DC != "" {
			dcByTerm[st.Term] = append(dcByTerm[st.Term], st.Node)
		}
	}
	v.mu.Unlock()
	for term, dcs := range dcByTerm {
		v.check(len(dcs) > 1, InvTwoDC, fmt.Sprintf("dc-%d", term), fmt.Sprintf("%s each report themselves DC in term %d", strings.Join(dcs, " and "), term))
	}
}

// check records a violation when bad, once per episode of key.
func (v *Invariants) check(bad bool, kind, key, detail string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := kind + "/" + key
	if !bad {
		delete(v.seen, k)
		return
	}
	if v.seen[k] {
		return
	}
	v.seen[k] = true
	v.violations = append(v.violations, Violation{At: time.Now(), Kind: kind, Detail: detail})
}

// Add records a violation found by a caller (lost writes).
func (v *Invariants) Add(kind, detail string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.violations = append(v.violations, Violation{At: time.Now(), Kind: kind, Detail: detail})
}

// Violations returns every violation so far, the Watcher's two-writable
// instances included.
func (v *Invariants) Violations() []Violation {
	v.mu.Lock()
	out := append([]Violation(nil), v.violations...)
	v.mu.Unlock()
	for _, d := range v.watcher.Dual() {
		out = append(out, Violation{Kind: InvTwoWritable, Detail: d})
	}
	return out
}

// Rounds returns how many sampling rounds ran.
func (v *Invariants) Rounds() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.rounds
}

// Status returns the last status read from host i and when, or false.
func (v *Invariants) Status(i int) (api.ClusterStatus, time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	st, ok := v.status[i]
	return st, v.statusAt[i], ok
}

// Fences returns every fencing result any daemon reported at or after
// since, oldest first.
func (v *Invariants) Fences(since time.Time) []api.FenceEvent {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []api.FenceEvent
	for _, f := range v.fences {
		if !f.At.Before(since) {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out
}
