package main

import (
	"cmp"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/ward-ha/ward/controller"
	"github.com/ward-ha/ward/policy"
)

// This file masks secrets in what agents print. secret_params reach the
// agents (a replication password, an IPMI password) and an agent that
// fails often prints its connection string: its output then travels to
// the status, the CLI, the dashboard, the logs and the event log. The
// executor passes every output through secretScrubber.Scrub, which
// replaces each secret value of the live policy with "<redacted>".

// minSecretLen is the shortest secret value masked in agent output:
// masking a one- or two-character value would garble every message.
const minSecretLen = 4

// livePolicy gives the node's live policy (the controller's Store).
type livePolicySource interface {
	Policy() controller.PolicyState
}

// secretScrubber masks the secret values of the live policy. It parses
// the policy again only when its epoch changes. Safe for concurrent use.
type secretScrubber struct {
	src livePolicySource
	log *slog.Logger

	mu    sync.Mutex
	epoch uint64
	sha   string
	repl  *strings.Replacer
}

func newSecretScrubber(src livePolicySource, log *slog.Logger) *secretScrubber {
	return &secretScrubber{src: src, log: log}
}

// Scrub returns s with every secret value of the live policy replaced by
// policy.RedactedValue.
func (s *secretScrubber) Scrub(text string) string {
	if text == "" {
		return text
	}
	p := s.src.Policy()
	s.mu.Lock()
	if s.repl == nil || p.Epoch != s.epoch || p.SHA256 != s.sha {
		s.repl = secretReplacer(p.Source, s.log)
		s.epoch, s.sha = p.Epoch, p.SHA256
	}
	r := s.repl
	s.mu.Unlock()
	return r.Replace(text)
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
