package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// FetchConfig configures FetchJoinState.
type FetchConfig struct {
	// ClusterName is the cluster's name (gossip is labelled with it).
	ClusterName string
	// Node is the name of the node that fetches (for the peers' logs).
	Node string
	// Peer is one member's gossip address, "host" or "host:port".
	Peer string
	// KeyFile is the gossip key file, read as New reads it. Ignored when
	// Keyring is set or Insecure is true.
	KeyFile string
	// Keyring, when set, is used instead of reading KeyFile.
	Keyring *Keyring
	// Insecure disables encryption (tests and labs only).
	Insecure bool
	// Timeout bounds the exchange. Zero: 5 s.
	Timeout time.Duration
	// Logger receives memberlist's logs at debug level. Nil: discard.
	Logger *slog.Logger
}

// FetchJoinState asks one member of a running cluster for its join state
// (what its controller set with SetJoinState: the live policy) without
// becoming a member: it opens a short-lived gossip endpoint on an
// ephemeral port of the address that routes to the peer, does one
// encrypted push/pull with the peer, and closes. The peer hands the state
// to any holder of the cluster key and name, and refuses the fetcher as
// a member.
func FetchJoinState(ctx context.Context, fc FetchConfig) ([]byte, error) {
	peer, err := normalizeAddr(fc.Peer)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: join address: %w", err)
	}
	if fc.Timeout <= 0 {
		fc.Timeout = 5 * time.Second
	}
	conf := memberlist.DefaultLANConfig()
	conf.Name = fetchPrefix + fc.Node
	conf.Label = "ward/" + fc.ClusterName
	conf.TCPTimeout = fc.Timeout
	conf.EnableCompression = false
	logger := fc.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	conf.Logger = log.New(debugWriter{logger.With("component", "heartbeat", "fetch", true)}, "", 0)
	switch {
	case fc.Keyring != nil || !fc.Insecure:
		kr := fc.Keyring
		if kr == nil {
			k, err := LoadKeyFile(fc.KeyFile)
			if err != nil {
				return nil, err
			}
			kr = &k
		}
		mk, err := memberlist.NewKeyring(kr.Others, kr.Primary)
		if err != nil {
			return nil, fmt.Errorf("heartbeat: keyring: %w", err)
		}
		conf.Keyring = mk
		conf.GossipVerifyIncoming, conf.GossipVerifyOutgoing = true, true
	default:
		conf.GossipVerifyIncoming, conf.GossipVerifyOutgoing = false, false
	}
	local, err := localAddrFor(ctx, peer)
	if err != nil {
		return nil, err
	}
	conf.BindAddr, conf.BindPort = local, 0
	d := &fetchDelegate{got: make(chan []byte, 1)}
	conf.Delegate = d
	conf.Merge = d
	ml, err := memberlist.Create(conf)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: start a gossip endpoint to fetch the policy on %s: %w", local, err)
	}
	defer func() { _ = ml.Shutdown() }()
	done := make(chan error, 1)
	go func() {
		_, err := ml.Join([]string{peer})
		done <- err
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case err := <-done:
		select {
		case b := <-d.got:
			return b, nil
		default:
		}
		if err == nil {
			err = errors.New("it answered without a policy (is it a ward daemon of this version, with a policy?)")
		}
		return nil, fmt.Errorf("heartbeat: fetch the live policy from %s: %w (check the address, that ward runs there, the cluster name %q and that the key file is the cluster's)", peer, err, fc.ClusterName)
	}
}

// localAddrFor returns the local IP that routes to peer ("host:port").
func localAddrFor(ctx context.Context, peer string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", peer) // no packet is sent
	if err != nil {
		return "", fmt.Errorf("heartbeat: no route to the join address %s: %w", peer, err)
	}
	defer c.Close()
	host, _, _ := net.SplitHostPort(c.LocalAddr().String())
	return host, nil
}

// fetchDelegate captures the peer's join state and accepts the merge
// (memberlist only hands the state over after a merge it accepted).
type fetchDelegate struct {
	once sync.Once
	got  chan []byte
}

func (d *fetchDelegate) NodeMeta(int) []byte                  { return nil }
func (d *fetchDelegate) NotifyMsg([]byte)                     {}
func (d *fetchDelegate) GetBroadcasts(int, int) [][]byte      { return nil }
func (d *fetchDelegate) LocalState(bool) []byte               { return nil }
func (d *fetchDelegate) NotifyMerge([]*memberlist.Node) error { return nil }
func (d *fetchDelegate) MergeRemoteState(b []byte, join bool) {
	if !join || len(b) == 0 || len(b) > MaxReliable {
		return
	}
	d.once.Do(func() { d.got <- append([]byte(nil), b...) })
}

// debugWriter logs memberlist's lines at debug level.
type debugWriter struct{ log *slog.Logger }

func (w debugWriter) Write(p []byte) (int, error) {
	w.log.Debug(strings.TrimRight(string(p), "\n"), "source", "memberlist")
	return len(p), nil
}
