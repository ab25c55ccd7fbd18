package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/ward-ha/ward/alert"
	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/api/eventlog"
	"github.com/ward-ha/ward/api/metrics"
	"github.com/ward-ha/ward/api/ui"
	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// This file wires the operating surface into `ward daemon`: the event
// log and its recorder, alerts, Prometheus metrics, the TCP listener
// (TLS, tokens, health endpoints, dashboard), systemd notify and the
// log format.

// operateOptions are the daemon's operating flags.
type operateOptions struct {
	listen, tlsCert, tlsKey, tokens, logFormat string
	eventsMax                                  int
}

// addOperateFlags adds the operating flags to the daemon's flag set.
func addOperateFlags(f *pflag.FlagSet, o *operateOptions) {
	f.StringVar(&o.listen, "listen", "", "also serve on this TCP address (host:port): health endpoints, /metrics, the dashboard and, with TLS, the API")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM) for --listen")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS key (PEM) for --listen")
	f.StringVar(&o.tokens, "tokens", "", `bearer tokens for --listen: a file (mode 0600) of "read SECRET" or "admin SECRET" lines`)
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.IntVar(&o.eventsMax, "events-max", eventlog.DefaultMaxPerFile, "event log bound: events per file (two files are kept)")
}

// newDaemonLogger returns the daemon's logger in the chosen format.
func newDaemonLogger(w io.Writer, level slog.Level, format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// operations holds the operating components of one daemon.
type operations struct {
	o       operateOptions
	log     *slog.Logger
	events  *eventlog.Log
	metrics *metrics.Metrics
	tls     *tls.Config
	tokens  []api.Token
	// backend is set by start; the metrics read it.
	backend atomic.Pointer[api.Backend]
}

// newOperations checks the operating flags and opens the event log in
// stateDir/events. Close it after the daemon stopped.
func newOperations(o operateOptions, stateDir string, log *slog.Logger) (*operations, error) {
	op := &operations{o: o, log: log}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, &usageError{cmd: "ward daemon", err: fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	if o.listen == "" && (o.tlsCert != "" || o.tokens != "") {
		return nil, &usageError{cmd: "ward daemon", err: fmt.Errorf("--tls-cert, --tls-key and --tokens need --listen")}
	}
	if o.tlsCert != "" {
		cfg, err := api.TLSConfig(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, err
		}
		op.tls = cfg
	}
	if o.tokens != "" {
		toks, err := api.LoadTokens(o.tokens)
		if err != nil {
			return nil, err
		}
		op.tokens = toks
	}
	ev, err := eventlog.Open(filepath.Join(stateDir, "events"), o.eventsMax, log.With("component", "eventlog"))
	if err != nil {
		return nil, err
	}
	op.events = ev
	op.metrics = metrics.New(statusFunc(func(ctx context.Context) (api.ClusterStatus, error) {
		b := op.backend.Load()
		if b == nil {
			return api.ClusterStatus{}, api.Errorf(api.CodeUnavailable, "the daemon is starting")
		}
		return (*b).Status(ctx)
	}))
	return op, nil
}

// statusFunc adapts a function to metrics.Source.
type statusFunc func(ctx context.Context) (api.ClusterStatus, error)

func (f statusFunc) Status(ctx context.Context) (api.ClusterStatus, error) { return f(ctx) }

// reporter wraps the executor's reporter to time every operation.
func (op *operations) reporter(next resources.Reporter) resources.Reporter {
	return resources.ReporterFunc(func(r resources.Result) {
		op.metrics.ObserveOperation(r.Resource, r.Action, r.Interval, r.Duration(), r.Failure() == resources.SeverityNone)
		next.Report(r)
	})
}

// start wires srv and returns the components to run, by name.
func (op *operations) start(b api.Backend, srv *api.Server, store *controller.Store, cluster string) map[string]func(context.Context) error {
	op.backend.Store(&b)
	srv.SetEvents(op.events)
	if f, ok := b.(interface {
		SetForwardHandler(func(context.Context, []byte) []byte)
	}); ok {
		// Changes made on a member are served by the DC.
		f.SetForwardHandler(srv.ServeForwarded)
	}
	runs := map[string]func(context.Context) error{}
	runs["event recorder"] = eventlog.NewRecorder(b, op.events, nil, 0, op.log.With("component", "eventlog")).Run
	feed := make(chan api.Event, 256)
	toAlerts := make(chan api.Event, 256)
	op.events.Subscribe(feed)
	runs["event fan-out"] = func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case e := <-feed:
				op.metrics.Observe(e)
				select {
				case toAlerts <- e:
				default:
				}
			}
		}
	}
	d := alert.New(alert.Config{Cluster: cluster, Status: b, Logger: op.log.With("component", "alert")})
	runs["alerts"] = func(ctx context.Context) error { return d.Run(ctx, toAlerts, liveAlerts(store)) }
	if op.o.listen != "" {
		h := srv.TCPHandler(api.TCPOptions{Tokens: op.tokens, TLS: op.tls != nil, Metrics: op.metrics.Handler(), UI: ui.Handler()})
		runs["tcp listener"] = func(ctx context.Context) error {
			var lc net.ListenConfig
			ln, err := lc.Listen(ctx, "tcp", op.o.listen)
			if err != nil {
				return fmt.Errorf("--listen %s: %w", op.o.listen, err)
			}
			op.log.Info("serving on TCP", "addr", ln.Addr().String(), "tls", op.tls != nil, "tokens", len(op.tokens))
			return srv.ServeTCP(ctx, ln, op.tls, h)
		}
	}
	runs["systemd watchdog"] = func(ctx context.Context) error {
		return runWatchdog(ctx, watchdogInterval(), func(ctx context.Context) error { _, err := b.Status(ctx); return err }, op.log.Warn)
	}
	return runs
}

// ready tells systemd the daemon serves.
func (op *operations) ready() {
	if _, err := sdNotify("READY=1"); err != nil {
		op.log.Warn("cannot notify systemd", "err", err)
	}
}

// close tells systemd the daemon stops and closes the event log.
func (op *operations) close() {
	sdNotify("STOPPING=1")
	if err := op.events.Close(); err != nil {
		op.log.Warn("closing the event log", "err", err)
	}
}

// liveAlerts returns the live policy's alerts (secrets included),
// parsing the stored policy again only when its epoch changes.
func liveAlerts(store *controller.Store) func() []policy.Alert {
	var mu sync.Mutex
	var epoch uint64
	var alerts []policy.Alert
	return func() []policy.Alert {
		mu.Lock()
		defer mu.Unlock()
		p := store.Policy()
		if p.Epoch != epoch {
			epoch, alerts = p.Epoch, nil
			if cfg, err := policy.Parse("live policy", p.Source); err == nil {
				alerts = cfg.Alerts
			}
		}
		return alerts
	}
}
