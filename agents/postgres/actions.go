package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ward-ha/ward/resources"
)

// attrs returns the node attributes an outcome publishes: the promotion
// score, and no lag (a standby's monitor sets it).
func (r *run) attrs(score string) map[string]string {
	return map[string]string{scoreAttribute(r.rsc): score, lagAttribute(r.rsc): ""}
}

func (r *run) record() (record, error) { return readRecord(r.cfg.StateFile) }

func (r *run) setRecord(rec record) {
	if err := writeRecord(r.cfg.StateFile, rec); err != nil {
		r.log.Warn("postgres: cannot save the agent's state", "err", err)
	}
}

// prepareStandby points the stopped data folder at the primary among the
// peers, if there is one, rewinding it first when needed.
func (r *run) prepareStandby(ctx context.Context) (*peer, error) {
	prims := r.findPrimaries(ctx)
	if len(prims) > 1 {
		names := make([]string, len(prims))
		for i, p := range prims {
			names[i] = p.node
		}
		return nil, fmt.Errorf("several nodes answer as primary (%s): refusing to follow either; stop all but one", strings.Join(names, ", "))
	}
	var prim *peer
	if len(prims) == 1 {
		prim = &prims[0]
		if err := r.rewindIfNeeded(ctx, *prim); err != nil {
			return nil, err
		}
	}
	if err := r.writeStandbyConfig(prim); err != nil {
		return nil, err
	}
	return prim, nil
}

func (r *run) start(ctx context.Context) resources.Outcome {
	if o, ok := r.installed(); !ok {
		return o
	}
	pid, err := postmasterPID(r.cfg.PGData)
	if err != nil {
		return r.fail(resources.ErrGeneric, "start: %v", err)
	}
	if pid != 0 {
		o := r.monitor(ctx)
		switch o.Code {
		case resources.OK:
			o.Output = "already running as a standby; " + o.Output
		case resources.RunningPromoted:
			o.Output = "start: already running as the primary; demote it instead"
		}
		return o
	}
	rec, err := r.record()
	if err != nil {
		return r.fail(resources.ErrGeneric, "start: %v", err)
	}
	if err := waitReaped(ctx, r.cfg.PGData); err != nil {
		return r.fail(resources.ErrGeneric, "start: %v", err)
	}
	prim, err := r.prepareStandby(ctx)
	if err != nil {
		return r.fail(resources.ErrGeneric, "start: %v", err)
	}
	rec.Role = roleStandby
	if prim != nil && rec.Self {
		// Another node is the primary now: what this instance knew as
		// primary no longer makes it promotable.
		rec.Self, rec.PrimaryLSN = false, ""
	}
	r.setRecord(rec)
	if err := r.startServer(ctx); err != nil {
		return r.fail(resources.ErrGeneric, "start: %v", err)
	}
	o := r.monitor(ctx)
	if o.Code == resources.OK {
		o.Output = "started as a standby; " + o.Output
		r.followAfterAction()
	}
	return o
}

func (r *run) stop(ctx context.Context) resources.Outcome {
	del := r.attrs("")
	pid, err := postmasterPID(r.cfg.PGData)
	if err != nil {
		return r.fail(resources.ErrGeneric, "stop: %v", err)
	}
	rec, _ := r.record()
	if rec.Role == rolePrimary {
		rec.Role = roleStandby
		r.setRecord(rec)
	}
	if pid == 0 {
		return resources.Outcome{Code: resources.OK, Output: "not running", Attributes: del}
	}
	if err := r.stopServer(ctx); err != nil {
		return r.fail(resources.ErrGeneric, "stop: %v", err)
	}
	return resources.Outcome{Code: resources.OK, Output: "stopped", Attributes: del}
}

func (r *run) monitor(ctx context.Context) resources.Outcome {
	rec, err := r.record()
	if err != nil {
		return r.fail(resources.ErrGeneric, "monitor: %v", err)
	}
	pid, err := postmasterPID(r.cfg.PGData)
	if err != nil {
		return r.fail(resources.ErrGeneric, "monitor: %v", err)
	}
	if pid == 0 {
		if rec.Role == rolePrimary && r.probe {
			// A probe finds the server down on a node that was the
			// primary: the node was powered off or rebooted (or the
			// server crashed while nobody watched). It runs nothing, and
			// answering "failed promoted" would make the cluster count
			// a primary here and weigh it against the primary that
			// replaced it. It rejoins as a standby: start follows the
			// current primary, and rewinds first if it diverged.
			return resources.Outcome{Code: resources.NotRunning, Attributes: r.attrs(""),
				Output: "not running (this node was the primary before it went down; it will rejoin as a standby)"}
		}
		if rec.Role == rolePrimary {
			return r.fail(resources.FailedPromoted, "monitor: the primary is not running (crashed or killed; see %s)", r.cfg.LogFile)
		}
		return resources.Outcome{Code: resources.NotRunning, Attributes: r.attrs("")}
	}
	conn, err := r.connectLocal(ctx)
	if err != nil {
		if rec.Role == rolePrimary {
			return r.fail(resources.FailedPromoted, "monitor: the primary (postmaster %d) does not answer: %v", pid, err)
		}
		return r.fail(resources.ErrGeneric, "monitor: postmaster %d runs but does not answer: %v", pid, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var inRecovery bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		code := resources.ErrGeneric
		if rec.Role == rolePrimary {
			code = resources.FailedPromoted
		}
		return r.fail(code, "monitor: %s", r.redact(err.Error()))
	}
	if !inRecovery {
		return r.monitorPrimary(ctx, conn, rec)
	}
	if rec.Role == rolePrimary {
		return r.fail(resources.FailedPromoted, "monitor: promoted by ward but in recovery (restarted as a standby behind ward's back?)")
	}
	return r.monitorStandby(ctx, conn, rec)
}

func (r *run) monitorPrimary(ctx context.Context, conn *pgx.Conn, rec record) resources.Outcome {
	flush, reps, names, err := readPrimary(ctx, conn)
	if err != nil {
		return r.fail(resources.FailedPromoted, "monitor: %v", err)
	}
	names, err = r.applySync(ctx, conn, reps, names)
	if err != nil {
		return r.fail(resources.FailedPromoted, "monitor: keep synchronous_standby_names: %v", err)
	}
	if rec.Role == rolePrimary {
		r.setRecord(record{Role: rolePrimary, PrimaryLSN: flush.String(), Self: true, At: r.a.clk.Now()})
	}
	var rs []string
	for _, rp := range reps {
		rs = append(rs, rp.name+" "+rp.state+" "+rp.syncState)
	}
	out := fmt.Sprintf("primary at %s; standbys: [%s]", flush, strings.Join(rs, ", "))
	if r.cfg.Synchronous != SyncOff {
		out += "; synchronous_standby_names = " + gucString(names)
	}
	return resources.Outcome{Code: resources.RunningPromoted, Output: out, Attributes: r.attrs(strconv.Itoa(ScorePrimary))}
}

func (r *run) monitorStandby(ctx context.Context, conn *pgx.Conn, rec record) resources.Outcome {
	st, err := readStandby(ctx, conn)
	if err != nil {
		return r.fail(resources.ErrGeneric, "monitor: %v", err)
	}
	now := r.a.clk.Now()
	if st.status == "streaming" && st.primaryEnd != 0 {
		rec = record{Role: roleStandby, PrimaryLSN: st.primaryEnd.String(), At: now}
		r.setRecord(rec)
	} else if len(r.cfg.NodeHosts) > 0 {
		r.repoint(ctx, conn)
	}
	if r.interval > 0 && len(r.cfg.NodeHosts) > 0 {
		// Between monitors, follow a newly promoted primary at once.
		r.a.follow(r, 3*r.interval+2*time.Second)
	}
	score, why := standbyScore(st, rec, now, r.cfg.MaxLag, r.cfg.StaleAfter)
	src := "not streaming"
	if st.status != "" {
		src = st.status + " from " + st.senderHost
	}
	attrs := r.attrs(score)
	if st.status == "streaming" && st.primaryEnd != 0 {
		attrs[lagAttribute(r.rsc)] = lagValue(st.primaryEnd, st.position())
	}
	return resources.Outcome{Code: resources.OK, Attributes: attrs,
		Output: fmt.Sprintf("standby at %s, %s; %s; score %s", st.position(), src, why, score)}
}

// repoint aims a standby that does not stream at the one primary among
// the peers, if its primary_conninfo names another.
func (r *run) repoint(ctx context.Context, conn *pgx.Conn) {
	prims := r.findPrimaries(ctx)
	if len(prims) != 1 {
		return
	}
	if err := r.setConninfo(ctx, conn, prims[0]); err != nil {
		r.log.Warn("postgres: cannot aim the standby at the primary", "primary", prims[0].node, "err", err)
	}
}

// setConninfo rewrites primary_conninfo of the running standby (in
// postgresql.auto.conf, so the password never travels in SQL) and
// reloads the configuration when it changed.
func (r *run) setConninfo(ctx context.Context, conn *pgx.Conn, p peer) error {
	mu := r.a.confLock(r.cfg.PGData)
	mu.Lock()
	defer mu.Unlock()
	auto := filepath.Join(r.cfg.PGData, "postgresql.auto.conf")
	old, err := os.ReadFile(auto)
	if err != nil {
		return fmt.Errorf("read %s: %w", auto, err)
	}
	next := rewriteAutoConf(string(old), [][2]string{{"primary_conninfo", r.primaryConninfo(p.hp, true)}})
	if next == string(old) {
		return nil
	}
	if err := r.writeOwned(auto, []byte(next)); err != nil {
		return fmt.Errorf("write %s: %w", auto, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return fmt.Errorf("reload: %s", r.redact(err.Error()))
	}
	r.log.Info("postgres: standby now follows the primary", "primary", p.node)
	return nil
}

func (r *run) promote(ctx context.Context) resources.Outcome {
	rec, err := r.record()
	if err != nil {
		return r.fail(resources.ErrGeneric, "promote: %v", err)
	}
	if pid, err := postmasterPID(r.cfg.PGData); err != nil || pid == 0 {
		return r.fail(resources.NotRunning, "promote: the server is not running (%v)", err)
	}
	conn, err := r.connectLocal(ctx)
	if err != nil {
		return r.fail(resources.ErrGeneric, "promote: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var inRecovery bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		return r.fail(resources.ErrGeneric, "promote: %s", r.redact(err.Error()))
	}
	if inRecovery {
		if o, ok := r.beforePromote(ctx, conn, rec); !ok {
			return o
		}
		if err := r.pgPromote(ctx, conn); err != nil {
			return r.fail(resources.ErrGeneric, "promote: %v", err)
		}
		r.log.Info("postgres: promoted")
	}
	flush, reps, names, err := readPrimary(ctx, conn)
	if err != nil {
		return r.fail(resources.ErrGeneric, "promote: %v", err)
	}
	r.setRecord(record{Role: rolePrimary, PrimaryLSN: flush.String(), Self: true, At: r.a.clk.Now()})
	cur := names
	if len(r.healthyStandbys(reps)) == 0 && !r.cfg.Relax {
		// Just promoted: what this server had (as a standby, or as the
		// primary of long ago) may name only nodes that are gone; list
		// every peer, so whichever standby streams first acknowledges.
		cur = ""
	}
	if _, err := r.applySync(ctx, conn, reps, cur); err != nil {
		return r.fail(resources.ErrGeneric, "promote: set synchronous_standby_names: %v", err)
	}
	return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("promoted at %s", flush), Attributes: r.attrs(strconv.Itoa(ScorePrimary))}
}

func (r *run) demote(ctx context.Context) resources.Outcome {
	rec, err := r.record()
	if err != nil {
		return r.fail(resources.ErrGeneric, "demote: %v", err)
	}
	if pid, err := postmasterPID(r.cfg.PGData); err != nil || pid == 0 {
		return r.fail(resources.NotRunning, "demote: the server is not running (%v)", err)
	}
	conn, err := r.connectLocal(ctx)
	if err != nil {
		return r.fail(resources.ErrGeneric, "demote: %v", err)
	}
	var inRecovery bool
	err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return r.fail(resources.ErrGeneric, "demote: %s", r.redact(err.Error()))
	}
	if !inRecovery {
		if err := r.stopServer(ctx); err != nil {
			return r.fail(resources.ErrGeneric, "demote: %v", err)
		}
	}
	rec.Role = roleStandby
	r.setRecord(rec)
	if inRecovery {
		o := r.monitor(ctx)
		o.Output = "already a standby; " + o.Output
		return o
	}
	if _, err := r.prepareStandby(ctx); err != nil {
		o := r.fail(resources.ErrGeneric, "demote: %v", err)
		if errors.Is(err, ErrRewindRefused) {
			// Stopped, and it stays stopped: the cluster sees a failed
			// demote and stops it; an operator must re-clone or rewind.
			o.Attributes = r.attrs("")
		}
		return o
	}
	if err := r.startServer(ctx); err != nil {
		return r.fail(resources.ErrGeneric, "demote: restart as a standby: %v", err)
	}
	o := r.monitor(ctx)
	if o.Code == resources.OK {
		o.Output = "demoted to a standby; " + o.Output
		// Usually no primary yet (the new one is promoted after this
		// demote): follow it as soon as it is, not at the next monitor.
		r.followAfterAction()
	}
	return o
}

// notify handles post-promote: a standby follows the node just promoted.
func (r *run) notify(ctx context.Context, n *resources.Notify) resources.Outcome {
	if n == nil || n.Type != "post" || n.Operation != resources.ActionPromote {
		return resources.Outcome{Code: resources.OK}
	}
	for _, in := range n.Instances["promote"] {
		if in.Node == r.node {
			continue
		}
		hp, ok := r.cfg.NodeHosts[in.Node]
		if !ok {
			return resources.Outcome{Code: resources.OK, Output: fmt.Sprintf("node %s was promoted but is not in node_hosts: the monitor will look for it", in.Node)}
		}
		if hp.Port == 0 {
			hp.Port = r.cfg.Port
		}
		if pid, _ := postmasterPID(r.cfg.PGData); pid == 0 {
			return resources.Outcome{Code: resources.OK, Output: "not running"}
		}
		conn, err := r.connectLocal(ctx)
		if err != nil {
			return resources.Outcome{Code: resources.OK, Output: err.Error()}
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var inRecovery bool
		if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
			return resources.Outcome{Code: resources.OK}
		}
		if err := r.setConninfo(ctx, conn, peer{node: in.Node, hp: hp}); err != nil {
			return resources.Outcome{Code: resources.OK, Output: "cannot follow " + in.Node + ": " + err.Error()}
		}
		return resources.Outcome{Code: resources.OK, Output: "following " + in.Node}
	}
	return resources.Outcome{Code: resources.OK}
}
