// Package postgres is ward's PostgreSQL agent, for a promotable clone:
// one instance per node, the promoted one the primary, the others
// streaming standbys.
//
// Every start brings the instance up as a standby (standby.signal,
// primary_conninfo aimed at the primary if one of the nodes in
// node_hosts answers as one); promote runs pg_promote(); demote stops
// the primary and starts it again as a standby, rewinding it with
// pg_rewind first when its timeline diverged from the new primary's and
// the policy allows it (rewind = "true"), refusing otherwise. Monitor
// reads the role through SQL: 8 for a primary, 0 for a standby, 7 when
// stopped, 9 for an instance the agent promoted that is now in recovery
// or not answering. Each monitor, start, promote and demote publishes the
// promotion score master-<resource> (see docs/postgres.md): a fixed high
// score for the primary, and for a standby a score that falls with its
// lag behind the last primary WAL position it knew, or -INFINITY when it
// must not be promoted.
//
// PostgreSQL's programs run as the OS user (os_user, default postgres)
// through a credential switch, in their own process group; the agent
// itself talks SQL over the local unix socket (pgx). The replication
// password (repl_password, a secret_params entry) is written only into
// postgresql.auto.conf's primary_conninfo and passed to tools in
// PGPASSWORD; every output, error and log line is redacted.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/resources"
)

// Options configures an Agent.
type Options struct {
	// Clock dates what the agent records (clock.Real() when nil).
	Clock clock.Clock
	// Logger receives the agent's decisions (rewinds, repointing,
	// synchronous_standby_names changes); discarded when nil.
	Logger *slog.Logger
}

// Agent is the postgres agent. It is safe for concurrent use: the
// executor never runs two actions of one resource at once, and
// different resources share nothing.
type Agent struct {
	clk    clock.Clock
	log    *slog.Logger
	health peerHealth

	// mu guards the following.
	mu        sync.Mutex
	followers map[string]*follower   // by run.followKey
	confLocks map[string]*sync.Mutex // by pgdata
}

// New returns a postgres agent.
func New(o Options) *Agent {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Agent{clk: o.Clock, log: o.Logger, followers: map[string]*follower{}, confLocks: map[string]*sync.Mutex{}}
}

// Metadata returns Meta().
func (a *Agent) Metadata(context.Context) (*resources.Metadata, error) { return Meta(), nil }

// run is one action's context: the checked config and who we are.
type run struct {
	a    *Agent
	cfg  Config
	ids  ids
	node string
	rsc  string
	log  *slog.Logger
	// probe is a one-shot monitor (interval 0): the cluster asks what
	// runs here, typically after this node rejoined.
	probe bool
	// interval is a recurring monitor's interval (zero otherwise).
	interval time.Duration
	// down are the nodes the cluster did not count as members when it
	// sent this action (meta down_nodes, given to promotes): lost and
	// fenced, or offline.
	down map[string]bool
}

// Do runs one action.
func (a *Agent) Do(ctx context.Context, c resources.Call) resources.Outcome {
	switch c.Action {
	case resources.ActionMetaData:
		return resources.Outcome{Code: resources.OK, Output: string(Meta().XML())}
	case resources.ActionStart, resources.ActionStop, resources.ActionMonitor, resources.ActionPromote,
		resources.ActionDemote, resources.ActionNotify, resources.ActionValidate:
	default:
		return resources.Outcome{Code: resources.ErrUnimplemented, Output: fmt.Sprintf("postgres: action %q is not implemented", c.Action)}
	}
	cfg, err := ParseConfig(c.Params)
	if err == nil {
		err = Meta().CheckParams(c.Resource, c.Params)
	}
	if err != nil {
		return failf(resources.ErrNotConfigured, "postgres: %s: %v", c.Resource, err)
	}
	r := &run{a: a, cfg: cfg, rsc: c.Resource, node: c.Meta["on_node"], probe: c.Action == resources.ActionMonitor && c.Interval == 0}
	if c.Action == resources.ActionMonitor {
		r.interval = c.Interval
	}
	r.down = nodeSet(c.Meta["down_nodes"])
	if r.node == "" {
		if r.node, err = os.Hostname(); err != nil {
			return failf(resources.ErrGeneric, "postgres: %s: this node's name: %v", c.Resource, err)
		}
	}
	r.log = a.log.With("resource", c.Resource, "node", r.node)
	if r.ids, err = lookupIDs(cfg.OSUser); err != nil {
		return failf(resources.ErrNotInstalled, "postgres: %s: %v (param os_user)", c.Resource, err)
	}
	if c.Action != resources.ActionMonitor && c.Action != resources.ActionValidate {
		// The follower must not act while another action changes the
		// instance (promote, demote, stop, start, notify).
		a.stopFollower(r.followKey())
	}
	var o resources.Outcome
	switch c.Action {
	case resources.ActionValidate:
		o = r.validate()
	case resources.ActionStart:
		o = r.start(ctx)
	case resources.ActionStop:
		o = r.stop(ctx)
	case resources.ActionMonitor:
		o = r.monitor(ctx)
	case resources.ActionPromote:
		o = r.promote(ctx)
	case resources.ActionDemote:
		o = r.demote(ctx)
	case resources.ActionNotify:
		o = r.notify(ctx, c.Notify)
	}
	// Belt and braces: nothing the agent says may carry the password.
	o.Output = r.redact(o.Output)
	o.ExitReason = r.redact(o.ExitReason)
	return o
}

func failf(code resources.Code, format string, args ...any) resources.Outcome {
	msg := fmt.Sprintf(format, args...)
	return resources.Outcome{Code: code, Output: msg, ExitReason: msg}
}

func (r *run) fail(code resources.Code, format string, args ...any) resources.Outcome {
	return failf(code, "postgres: %s: "+format, append([]any{r.rsc}, args...)...)
}

// validate checks what can be checked without acting: the programs and
// the data folder.
func (r *run) validate() resources.Outcome {
	if o, ok := r.installed(); !ok {
		return o
	}
	return resources.Outcome{Code: resources.OK}
}

func (r *run) installed() (resources.Outcome, bool) {
	for _, prog := range []string{"pg_ctl", "postgres", "pg_rewind"} {
		if _, err := os.Stat(filepath.Join(r.cfg.BinDir, prog)); err != nil {
			return r.fail(resources.ErrNotInstalled, "%s is missing in bindir %s: install PostgreSQL or set bindir", prog, r.cfg.BinDir), false
		}
	}
	if _, err := os.Stat(filepath.Join(r.cfg.PGData, "PG_VERSION")); err != nil {
		return r.fail(resources.ErrNotConfigured, "pgdata %s is not a PostgreSQL data folder (no PG_VERSION): initdb or pg_basebackup it first", r.cfg.PGData), false
	}
	return resources.Outcome{}, true
}

// nodeSet reads a comma-separated list of node names.
func nodeSet(list string) map[string]bool {
	var set map[string]bool
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if set == nil {
				set = map[string]bool{}
			}
			set[n] = true
		}
	}
	return set
}
