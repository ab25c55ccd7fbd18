package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/witness"
)

// newWitnessCmd builds `ward witness --listen ADDR`.
func newWitnessCmd() *cobra.Command {
	var listen, cluster, key, logLevel string
	var lease time.Duration
	c := &cobra.Command{
		Use:   "witness --listen ADDR --cluster NAME",
		Short: "Run the tie-breaker of a two-node cluster on a third machine",
		Long: `witness holds one quorum vote for a two-node cluster and gives it to one
side of a split only: the side with the DC, else the side with the lowest
node name, for a lease (--lease) that side renews. The other side loses
quorum and stops its resources. Requests are authenticated with the
cluster key (the gossip key file, --key); every key of the file is
accepted, and the file is read again within 2 s of a change, so a key
rotation needs no restart: add the new key to the witness's file before
the nodes start using it (ward key rotate --new-key-file), remove the old
one after.

It keeps no state on disk: after a restart it decides again, and it
waits one lease before granting a vote to anyone (a vote granted before
the restart may still run).

Exit status: 0 after SIGINT or SIGTERM, 1 when it cannot listen or read
the key, 2 on usage errors.`,
		Example: `  ward witness --listen 192.0.2.10:7947 --cluster prod --key /etc/ward/gossip.key`,
		Args:    argsUsage(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			if listen == "" || cluster == "" {
				return &usageError{cmd: c.CommandPath(), err: errors.New("--listen and --cluster are required")}
			}
			if lease < 300*time.Millisecond {
				return &usageError{cmd: c.CommandPath(), err: fmt.Errorf("--lease %v: must be at least 300ms", lease)}
			}
			level, err := parseWitnessLogLevel(logLevel)
			if err != nil {
				return &usageError{cmd: c.CommandPath(), err: err}
			}
			ring, err := heartbeat.LoadKeyFile(key)
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return &exitError{code: 1, msg: fmt.Sprintf("witness: %v", err)}
			}
			ctx, stop := signalContext(c.Context())
			defer stop()
			log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			keys := newWitnessKeys(key, ring, log)
			go keys.watch(ctx)
			if err := serveWitness(ctx, ln, cluster, keys.get, lease, log); err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&listen, "listen", "", "address to listen on (host:port)")
	f.StringVar(&cluster, "cluster", "", "the cluster's name (cluster.name of its policy)")
	f.StringVar(&key, "key", heartbeat.DefaultKeyFile, "the cluster's gossip key file")
	f.DurationVar(&lease, "lease", 3*time.Second, "how long a granted vote lasts; the nodes renew it every third of it")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return c
}

func parseWitnessLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// serveWitness serves the witness on ln until ctx ends. It grants
// nothing during the first lease (a grant from before a restart may
// still run).
func serveWitness(ctx context.Context, ln net.Listener, cluster string, keys func() [][]byte, lease time.Duration, log *slog.Logger) error {
	w, err := witness.New(witness.Config{Cluster: cluster, Lease: lease, Decide: lease, Logger: log})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: witness.KeyringHandler(w, keys), ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("ward witness listening", "addr", ln.Addr().String(), "cluster", cluster, "lease", lease)
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	case err := <-errc:
		return fmt.Errorf("witness: %w", err)
	}
}
