package controller

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// This file serves the gossip keyring endpoints (api.KeyBackend): a
// request for this node only changes the local keyring; a cluster-wide
// one is served by the DC, which sends it in a msgKey to every present
// member and collects their msgKeyAck. Rotation is install everywhere,
// then use everywhere, then remove everywhere (docs/security.md); the DC
// refuses a use or a remove that would cut a present node off (it checks
// every node's keyring first), and one that would lock out a configured
// node that is absent unless the request forces it.

const (
	msgKey    msgKind = "key"     // DC -> member: list or change your keyring (Seq: id, Source: a keyOp)
	msgKeyAck msgKind = "key-ack" // member -> DC: the outcome (Seq echoed, Source: an api.NodeKeyring)
)

// keyWait bounds how long the DC waits for the members' answers.
const keyWait = 10 * time.Second

// KeyManager is this node's gossip keyring: *heartbeat.Cluster. The
// controller serves the keyring endpoints when its Cluster implements it.
type KeyManager interface {
	KeyringInfo() heartbeat.KeyringInfo
	InstallKey(key []byte) (string, error)
	UseKey(fingerprint string) error
	RemoveKey(fingerprint string) error
}

// keyOp is what a msgKey asks. Key is the key to install (inside the
// cluster's encrypted messages); KeyFile a key file the member reads on
// its own disk instead, taking the key with Fingerprint from it.
type keyOp struct {
	Action      api.KeyAction `json:"action"`
	Key         []byte        `json:"key,omitempty"`
	KeyFile     string        `json:"key_file,omitempty"`
	Fingerprint string        `json:"fingerprint,omitempty"`
}

// keyRequests are the DC's key requests waiting for acks, by id. Used
// from API goroutines and the loop.
type keyRequests struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan keyAck
}

type keyAck struct {
	from string
	nk   api.NodeKeyring
}

// Keys serves GET and POST /v1/keys (api.KeyBackend).
func (c *Controller) Keys(ctx context.Context, req api.KeyRequest) (api.KeyResult, error) {
	km, ok := c.cl.(KeyManager)
	if !ok {
		return api.KeyResult{}, api.Errorf(api.CodeNotFound, "this node's membership layer has no keyring")
	}
	if err := req.Check(); err != nil {
		return api.KeyResult{}, err
	}
	op := keyOp{Action: req.Action, KeyFile: req.KeyFile, Fingerprint: req.Fingerprint}
	if req.Key != "" {
		op.Key, _ = base64.StdEncoding.DecodeString(req.Key) // checked
		op.Fingerprint = heartbeat.Fingerprint(op.Key)
	}
	if req.Local {
		nk := runKeyOp(km, c.node, &op)
		res := api.KeyResult{Action: req.Action, Fingerprint: op.Fingerprint, Nodes: []api.NodeKeyring{nk}}
		return res, nil
	}
	if op.Action == api.KeyInstall && op.KeyFile != "" && op.Fingerprint == "" {
		// The DC's own copy of the file names the key: every member
		// must find the same key in its copy.
		kr, err := heartbeat.LoadKeyFile(op.KeyFile)
		if err != nil {
			return api.KeyResult{}, api.Errorf(api.CodeBadRequest, "keys: install: on the DC (%s): %v", c.node, err)
		}
		op.Fingerprint = heartbeat.Fingerprint(kr.Primary)
	}
	if op.Action == api.KeyUse || op.Action == api.KeyRemove {
		list, err := c.keysEverywhere(ctx, km, keyOp{Action: api.KeyList})
		if err != nil {
			return api.KeyResult{}, err
		}
		if err := checkKeyChange(op, list, req.Force); err != nil {
			return list, err
		}
	}
	res, err := c.keysEverywhere(ctx, km, op)
	res.Action, res.Fingerprint = req.Action, op.Fingerprint
	return res, err
}

// checkKeyChange refuses a use or remove that would cut a node off:
// using a key a present node lacks (it could no longer read the others),
// removing a key a present node still encrypts with (nobody could read
// it), or either while a configured node is absent, unless forced.
func checkKeyChange(op keyOp, list api.KeyResult, force bool) error {
	for _, n := range list.Nodes {
		switch {
		case !n.OK:
			return api.Errorf(api.CodeConflict, "keys: %s %s: node %s did not report its keyring (%s); nothing was changed", op.Action, op.Fingerprint, n.Node, n.Error)
		case op.Action == api.KeyUse && !slices.Contains(n.Keys, op.Fingerprint):
			return api.Errorf(api.CodeConflict, "keys: use %s: node %s has not installed it and could no longer read the others; install it everywhere first (ward key install); nothing was changed", op.Fingerprint, n.Node)
		case op.Action == api.KeyRemove && len(n.Keys) > 0 && n.Keys[0] == op.Fingerprint:
			return api.Errorf(api.CodeConflict, "keys: remove %s: node %s still encrypts with it; use the new key everywhere first (ward key use); nothing was changed", op.Fingerprint, n.Node)
		}
	}
	if len(list.Missing) > 0 && !force {
		return api.Errorf(api.CodeConflict, "keys: %s %s: configured node(s) %s are not present: after this they cannot join until the new key file is copied to them; bring them up first, or force it and copy the key file before they start",
			op.Action, op.Fingerprint, strings.Join(list.Missing, ", "))
	}
	return nil
}

// keysEverywhere runs op on every present node (this one included) as
// the DC and collects the answers. It answers not_dc on a member.
func (c *Controller) keysEverywhere(ctx context.Context, km KeyManager, op keyOp) (api.KeyResult, error) {
	src, err := json.Marshal(op)
	if err != nil {
		return api.KeyResult{}, fmt.Errorf("controller: encode key request: %w", err)
	}
	ch := make(chan keyAck, 1024) // one answer per member; more are dropped
	c.keys.mu.Lock()
	if c.keys.pending == nil {
		c.keys.pending = map[uint64]chan keyAck{}
	}
	c.keys.next++
	id := c.keys.next
	c.keys.pending[id] = ch
	c.keys.mu.Unlock()
	defer func() {
		c.keys.mu.Lock()
		delete(c.keys.pending, id)
		c.keys.mu.Unlock()
	}()
	type plan struct {
		members []string
		missing []string
		err     error
	}
	planned := make(chan plan, 1)
	err = c.call(ctx, func(ctx context.Context) {
		l := &c.loop
		if !l.isDC {
			planned <- plan{err: api.Errorf(api.CodeNotDC, "keys: cluster-wide key requests are served by the DC and this node (%s) is not the DC; when no DC is elected (no quorum), use --local on each node", c.node)}
			return
		}
		var p plan
		present := l.presentNodes()
		for _, n := range l.cfg.Nodes {
			if !slices.Contains(present, n.Name) {
				p.missing = append(p.missing, n.Name)
			}
		}
		for _, n := range present {
			if n == c.node {
				continue
			}
			p.members = append(p.members, n)
			c.send(ctx, n, message{Kind: msgKey, Term: l.myTerm, Seq: id, Source: src})
		}
		planned <- p
	})
	if err != nil {
		return api.KeyResult{}, err
	}
	p, err := wait(ctx, planned)
	if err != nil {
		return api.KeyResult{}, err
	}
	if p.err != nil {
		return api.KeyResult{}, p.err
	}
	res := api.KeyResult{Action: op.Action, Fingerprint: op.Fingerprint, Missing: p.missing}
	res.Nodes = append(res.Nodes, runKeyOp(km, c.node, &op))
	got := map[string]bool{}
	t := c.clk.NewTimer(keyWait)
	defer t.Stop()
	for len(got) < len(p.members) {
		select {
		case a := <-ch:
			if !slices.Contains(p.members, a.from) || got[a.from] {
				continue
			}
			got[a.from] = true
			a.nk.Node = a.from
			res.Nodes = append(res.Nodes, a.nk)
		case <-t.C():
			for _, n := range p.members {
				if !got[n] {
					got[n] = true
					res.Nodes = append(res.Nodes, api.NodeKeyring{Node: n, Error: fmt.Sprintf("no answer within %v: check its keyring with `ward key list --local` there", keyWait)})
				}
			}
		case <-ctx.Done():
			return api.KeyResult{}, ctx.Err()
		}
	}
	slices.SortFunc(res.Nodes, func(a, b api.NodeKeyring) int { return strings.Compare(a.Node, b.Node) })
	return res, nil
}

// onKey serves the DC's key request (member side): the change runs on a
// worker (it writes the key file), the answer goes back through the loop.
func (c *Controller) onKey(ctx context.Context, from string, m message) {
	l := &c.loop
	if seen := c.observe(m.Term, from); m.Term < seen || from != l.dcName {
		c.log.Warn("ignoring a key request from a node that is not the DC", "from", from, "term", m.Term)
		c.sendKeyAck(ctx, from, m.Seq, api.NodeKeyring{Node: c.node, Error: "refused: the sender is not the DC this node follows"})
		return
	}
	var op keyOp
	if err := json.Unmarshal(m.Source, &op); err != nil || !op.Action.Valid() {
		c.sendKeyAck(ctx, from, m.Seq, api.NodeKeyring{Node: c.node, Error: "the key request does not decode (mixed ward versions?)"})
		return
	}
	km, ok := c.cl.(KeyManager)
	if !ok {
		c.sendKeyAck(ctx, from, m.Seq, api.NodeKeyring{Node: c.node, Error: "this node's membership layer has no keyring"})
		return
	}
	c.goWorker(ctx, func(ctx context.Context) {
		nk := runKeyOp(km, c.node, &op)
		c.post(ctx, func(ctx context.Context) { c.sendKeyAck(ctx, from, m.Seq, nk) })
	})
}

func (c *Controller) sendKeyAck(ctx context.Context, to string, seq uint64, nk api.NodeKeyring) {
	b, _ := json.Marshal(nk)
	c.send(ctx, to, message{Kind: msgKeyAck, Term: max(c.store.Term().Seen, 1), Seq: seq, Source: b})
}

// onKeyAck hands a member's answer to the waiting request (DC side).
func (c *Controller) onKeyAck(from string, m message) {
	var nk api.NodeKeyring
	if err := json.Unmarshal(m.Source, &nk); err != nil {
		c.log.Warn("dropping a key answer that does not decode", "from", from)
		return
	}
	c.keys.mu.Lock()
	ch := c.keys.pending[m.Seq]
	c.keys.mu.Unlock()
	if ch != nil {
		select {
		case ch <- keyAck{from: from, nk: nk}:
		default:
		}
	}
}

// runKeyOp applies op to km and reports the keyring after it. An
// install from a key file fills op.Fingerprint when it was empty.
func runKeyOp(km KeyManager, node string, op *keyOp) api.NodeKeyring {
	var err error
	switch op.Action {
	case api.KeyInstall:
		key := op.Key
		if op.KeyFile != "" {
			key, err = keyFromFile(op.KeyFile, op.Fingerprint)
		}
		if err == nil {
			op.Fingerprint, err = km.InstallKey(key)
		}
	case api.KeyUse:
		err = km.UseKey(op.Fingerprint)
	case api.KeyRemove:
		err = km.RemoveKey(op.Fingerprint)
	case api.KeyList:
	default:
		err = fmt.Errorf("unknown key action %q", op.Action)
	}
	info := km.KeyringInfo()
	nk := api.NodeKeyring{Node: node, OK: err == nil, Encrypted: info.Encrypted, KeyFile: info.KeyFile, Keys: info.Fingerprints}
	if err != nil {
		nk.Error = err.Error()
	}
	if nk.Keys == nil {
		nk.Keys = []string{}
	}
	return nk
}

// keyFromFile reads the key with fingerprint fp (the first key when fp
// is "") from the key file at path, which must pass LoadKeyFile's checks.
func keyFromFile(path, fp string) ([]byte, error) {
	kr, err := heartbeat.LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	if fp == "" {
		return kr.Primary, nil
	}
	for _, k := range kr.Keys() {
		if heartbeat.Fingerprint(k) == fp {
			return k, nil
		}
	}
	return nil, errors.New("key file " + path + " on this node does not hold key " + fp + ": copy the same file to every node")
}
