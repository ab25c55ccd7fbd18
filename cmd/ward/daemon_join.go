package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/policy"
)

// joinRetry is how often `ward daemon --join` asks again while the
// member cannot be reached or its policy does not list this node yet.
const joinRetry = 2 * time.Second

// joinPolicy fetches the live policy from the member at o.join and saves
// it in the store, when the store holds no policy yet (the first start
// of a node added to a running cluster). It retries until the member
// answers with a policy that lists this node, or ctx ends.
func joinPolicy(ctx context.Context, o daemonOptions, store *controller.Store, log *slog.Logger) error {
	if o.join == "" {
		if o.cluster != "" {
			return &usageError{cmd: "ward daemon", err: errors.New("--cluster goes with --join")}
		}
		return nil
	}
	switch {
	case o.policy != "":
		return &usageError{cmd: "ward daemon", err: errors.New("--join and --policy exclude each other: a joining node takes the cluster's live policy")}
	case o.cluster == "":
		return &usageError{cmd: "ward daemon", err: errors.New("--join needs --cluster NAME, the [cluster] name of the policy (gossip is labelled with it)")}
	case store.Policy().Epoch != 0:
		log.Info("the state directory already holds a policy: --join is not needed any more and is ignored", "epoch", store.Policy().Epoch)
		return nil
	}
	kr, err := heartbeat.LoadKeyFile(o.key)
	if err != nil {
		return err
	}
	for {
		epoch, src, err := fetchPolicy(ctx, o, &kr, log)
		if err == nil {
			if err := store.SavePolicy(epoch, src); err != nil {
				return err
			}
			log.Info("joined: the cluster's live policy is saved", "from", o.join, "epoch", epoch)
			return nil
		}
		log.Warn(err.Error()+"; retrying", "every", joinRetry)
		t := time.NewTimer(joinRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("stopped before the live policy was fetched from %s", o.join)
		case <-t.C:
		}
	}
}

// fetchPolicy asks the member once and checks what it handed over.
func fetchPolicy(ctx context.Context, o daemonOptions, kr *heartbeat.Keyring, log *slog.Logger) (uint64, []byte, error) {
	b, err := heartbeat.FetchJoinState(ctx, heartbeat.FetchConfig{ClusterName: o.cluster, Node: o.node, Peer: o.join, Keyring: kr, Logger: log})
	if err != nil {
		return 0, nil, err
	}
	epoch, src, err := controller.DecodeJoinState(b)
	if err != nil {
		return 0, nil, fmt.Errorf("the member at %s: %w", o.join, err)
	}
	cfg, err := policy.Parse(fmt.Sprintf("live policy from %s (epoch %d)", o.join, epoch), src)
	if err != nil {
		return 0, nil, fmt.Errorf("the live policy from %s does not validate here (is this ward older than the cluster's?): %w", o.join, err)
	}
	if err := checkListedIn(cfg, o.node, epoch); err != nil {
		return 0, nil, fmt.Errorf("the cluster's live policy (epoch %d) does not list this node %q yet: apply a policy that adds it (ward policy apply on any member)", epoch, o.node)
	}
	return epoch, src, nil
}

// checkListed refuses to start a node the live policy does not list: it
// was removed from the cluster (or --node is wrong).
func checkListed(cfg *policy.Config, node string, store *controller.Store) error {
	if err := checkListedIn(cfg, node, store.Policy().Epoch); err != nil {
		return fmt.Errorf("%w. If it was removed on purpose and should come back: apply a policy that lists it, move %s aside, and start it with --join ADDR --cluster %s",
			err, store.Dir(), cfg.Cluster.Name)
	}
	return nil
}

func checkListedIn(cfg *policy.Config, node string, epoch uint64) error {
	for _, n := range cfg.Nodes {
		if n.Name == node {
			return nil
		}
	}
	return fmt.Errorf("this node %q is not in the live policy (epoch %d): it was removed from the cluster, or --node is wrong", node, epoch)
}
