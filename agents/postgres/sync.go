package postgres

import (
	"context"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// syncNames returns the synchronous_standby_names a primary should have:
//   - mode off: current, untouched (the operator's setting);
//   - some standbys healthy (streaming): exactly those, "FIRST 1 (...)"
//     for on, "ANY 1 (...)" for quorum, so a commit is acknowledged only
//     once one of them has flushed it;
//   - none healthy and relax: "" (commits no longer wait: an acknowledged
//     commit may then exist on the primary alone);
//   - none healthy and not relax: current if set (commits wait until a
//     listed standby returns), else every peer in node_hosts (or "*").
func syncNames(mode string, relax bool, healthy, peers []string, current string) string {
	if mode == SyncOff {
		return current
	}
	kw := "FIRST"
	if mode == SyncQuorum {
		kw = "ANY"
	}
	list := func(names []string) string {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = sqlIdent(n)
		}
		return kw + " 1 (" + strings.Join(q, ", ") + ")"
	}
	switch {
	case len(healthy) > 0:
		return list(healthy)
	case relax:
		return ""
	case current != "":
		return current
	case len(peers) > 0:
		return list(peers)
	}
	return kw + " 1 (*)"
}

// healthyStandbys returns the names of streaming standbys, sorted:
// nodes of node_hosts when it is set, else any named walsender but
// pg_basebackup's.
func (r *run) healthyStandbys(reps []replica) []string {
	var out []string
	for _, rp := range reps {
		if rp.state != "streaming" || rp.name == "" {
			continue
		}
		if len(r.cfg.NodeHosts) > 0 {
			if _, ok := r.cfg.NodeHosts[rp.name]; !ok || rp.name == r.node {
				continue
			}
		} else if rp.name == "pg_basebackup" {
			continue
		}
		out = append(out, rp.name)
	}
	sort.Strings(out)
	return out
}

// applySync sets synchronous_standby_names as syncNames says, when it
// differs. It returns the value in force.
func (r *run) applySync(ctx context.Context, conn *pgx.Conn, reps []replica, current string) (string, error) {
	if r.cfg.Synchronous == SyncOff {
		return current, nil
	}
	var peers []string
	for _, p := range r.cfg.peers(r.node) {
		peers = append(peers, p.node)
	}
	want := syncNames(r.cfg.Synchronous, r.cfg.Relax, r.healthyStandbys(reps), peers, current)
	if want == current {
		return current, nil
	}
	if err := alterSystem(ctx, conn, "synchronous_standby_names", want); err != nil {
		return current, err
	}
	r.log.Info("postgres: synchronous_standby_names changed", "from", current, "to", want)
	return want, nil
}
