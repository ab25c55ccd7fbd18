package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/fencing"
	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/policy"
)

// This file masks secrets in what agents print. secret_params reach the
// agents (a replication password, an IPMI password) and an agent that
// fails often prints its connection string: its output then travels to
// the status, the CLI, the dashboard, the logs and the event log. The
// executor passes every output through secretScrubber.Scrub, which
// replaces each secret value of the live policy with "<redacted>"; the
// fencer's errors go through scrubFencer, and every log line of the
// daemon through the scrubber's handler.

// minSecretLen is the shortest secret value masked in agent output:
// masking a one- or two-character value would garble every message.
const minSecretLen = 4

// livePolicySource gives the node's live policy (the controller's Store).
type livePolicySource interface {
	Policy() controller.PolicyState
}

// secretScrubber masks the secret values of the live policy. It parses
// the policy again only when its epoch changes. Safe for concurrent use.
type secretScrubber struct {
	src livePolicySource
	log *slog.Logger

	clk clock.Clock

	mu    sync.Mutex
	epoch uint64
	sha   string
	read  time.Time // when the policy was last read
	repl  *strings.Replacer
}

// newSecretScrubber returns a scrubber of src's secrets; log receives a
// warning when the policy cannot be read.
func newSecretScrubber(src livePolicySource, log *slog.Logger) *secretScrubber {
	return &secretScrubber{src: src, log: log, clk: clock.Real()}
}

// Scrub returns s with every secret value of the live policy replaced by
// policy.RedactedValue.
func (s *secretScrubber) Scrub(text string) string {
	if text == "" {
		return text
	}
	return s.replacer(true).Replace(text)
}

// scrubCached is Scrub with the secrets read at most once a second: for
// log lines, which are many.
func (s *secretScrubber) scrubCached(text string) string {
	if text == "" {
		return text
	}
	return s.replacer(false).Replace(text)
}

// replacer returns the Replacer of the live policy's secrets, reading the
// policy again when fresh or when the last read is a second old.
func (s *secretScrubber) replacer(fresh bool) *strings.Replacer {
	now := s.clk.Now()
	s.mu.Lock()
	if s.repl != nil && !fresh && now.Sub(s.read) < time.Second {
		r := s.repl
		s.mu.Unlock()
		return r
	}
	s.mu.Unlock()
	p := s.src.Policy()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repl == nil || p.Epoch != s.epoch || p.SHA256 != s.sha {
		s.repl = secretReplacer(p.Source, s.log)
		s.epoch, s.sha = p.Epoch, p.SHA256
	}
	s.read = now
	return s.repl
}

// scrubFencer masks secrets in the errors of a fencer's results (a fence
// agent that fails may print its password).
type scrubFencer struct {
	controller.Fencer
	s *secretScrubber
}

// Fence runs the inner fencer and scrubs its error.
func (f scrubFencer) Fence(ctx context.Context, cfg *policy.Config, target string) fencing.Result {
	r := f.Fencer.Fence(ctx, cfg, target)
	r.Err = f.s.Scrub(r.Err)
	return r
}

// handler wraps h so that no log line holds a secret value: the message
// and every attribute are scrubbed (values of other kinds as text).
func (s *secretScrubber) handler(h slog.Handler) slog.Handler { return &scrubHandler{inner: h, s: s} }

type scrubHandler struct {
	inner slog.Handler
	s     *secretScrubber
}

func (h *scrubHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.scrubCached(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.scrubAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	scrubbed := make([]slog.Attr, len(as))
	for i, a := range as {
		scrubbed[i] = h.scrubAttr(a)
	}
	return &scrubHandler{inner: h.inner.WithAttrs(scrubbed), s: h.s}
}

func (h *scrubHandler) WithGroup(name string) slog.Handler {
	return &scrubHandler{inner: h.inner.WithGroup(name), s: h.s}
}

// scrubAttr scrubs a's value: strings as they are, groups attribute by
// attribute, anything else (errors, slices, structs) through its text,
// which replaces the value only when a secret was found in it.
func (h *scrubHandler) scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.scrubCached(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, x := range g {
			out[i] = h.scrubAttr(x)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		text := fmt.Sprint(v.Any())
		if masked := h.s.scrubCached(text); masked != text {
			return slog.String(a.Key, masked)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// secretReplacer builds a Replacer of every secret value in the policy
// source, longest first (so a secret that contains another is masked
// whole). It reads the TOML directly, not through policy.Parse, so that
// a policy that no longer validates still has its secrets masked.
func secretReplacer(src []byte, log *slog.Logger) *strings.Replacer {
	var raw rawSecrets
	if _, err := toml.Decode(string(src), &raw); err != nil {
		if log != nil {
			log.Warn("cannot read the live policy's secrets to mask them in agent output", "err", err)
		}
		return strings.NewReplacer()
	}
	vals := raw.values()
	slices.SortFunc(vals, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	vals = slices.Compact(vals)
	var pairs []string
	for _, v := range vals {
		pairs = append(pairs, v, policy.RedactedValue)
	}
	return strings.NewReplacer(pairs...)
}

// rawSecrets are the parts of a policy that hold secrets.
type rawSecrets struct {
	Primitive []struct {
		SecretParams map[string]string `toml:"secret_params"`
	} `toml:"primitive"`
	Fencing struct {
		Device []struct {
			SecretParams map[string]string `toml:"secret_params"`
		} `toml:"device"`
	} `toml:"fencing"`
	Alert []struct {
		SecretParams map[string]string `toml:"secret_params"`
		URL          string            `toml:"url"`
	} `toml:"alert"`
}

// values lists every secret_params value (primitives, fence devices,
// alerts) and the password of alert URLs, at least minSecretLen long.
func (r rawSecrets) values() []string {
	var out []string
	add := func(m map[string]string) {
		for _, v := range m {
			if len(v) >= minSecretLen {
				out = append(out, v)
			}
		}
	}
	for _, p := range r.Primitive {
		add(p.SecretParams)
	}
	for _, d := range r.Fencing.Device {
		add(d.SecretParams)
	}
	for _, a := range r.Alert {
		add(a.SecretParams)
		if u, err := url.Parse(a.URL); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && len(pw) >= minSecretLen {
				out = append(out, pw)
			}
		}
	}
	return out
}
