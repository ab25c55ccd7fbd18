package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/ward-ha/ward/controller"
)

// fakePolicySource serves a fixed live policy.
type fakePolicySource struct{ p controller.PolicyState }

func (f *fakePolicySource) Policy() controller.PolicyState { return f.p }

func TestSecurityScrubber(t *testing.T) {
	pol := func(secret string) []byte {
		return []byte(`[cluster]
name = "c"

[[node]]
name = "n1"
addresses = ["127.0.0.1"]

[[primitive]]
id = "db"
agent = "exec"
[primitive.params]
start = "true"
stop = "true"
monitor = "true"
[primitive.secret_params]
pw = "` + secret + `"
short = "abc"
long = "` + secret + `-and-more"

[[alert]]
id = "a"
kind = "webhook"
url = "https://u:urlpass99@example.net/x"
`)
	}
	src := &fakePolicySource{p: controller.PolicyState{Epoch: 1, Source: pol("hunter22"), SHA256: "1"}}
	s := newSecretScrubber(src, nil)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"password=hunter22 failed", "password=<redacted> failed"},
		{"x hunter22-and-more y", "x <redacted> y"},
		{"auth urlpass99 refused", "auth <redacted> refused"},
		{"abc is too short to be masked", "abc is too short to be masked"},
	} {
		if got := s.Scrub(tc.in); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// A new epoch with a new secret: the new one is masked, the old one
	// no longer is (it is no longer a secret of this cluster).
	src.p = controller.PolicyState{Epoch: 2, Source: pol("swordfish"), SHA256: "2"}
	if got := s.Scrub("swordfish hunter22"); got != "<redacted> hunter22" {
		t.Errorf("Scrub after a new epoch = %q, want the new secret masked", got)
	}
	// A policy that is not TOML masks nothing rather than failing.
	src.p = controller.PolicyState{Epoch: 3, Source: []byte("[cluster"), SHA256: "3"}
	if got := s.Scrub("swordfish"); got != "swordfish" {
		t.Errorf("Scrub with a policy that is not TOML = %q, want the text unchanged", got)
	}
}

// TestSecurityScrubLogHandler: no log line holds a secret, whatever
// carries it (message, string, error, group, WithAttrs, WithGroup).
func TestSecurityScrubLogHandler(t *testing.T) {
	src := &fakePolicySource{p: controller.PolicyState{Epoch: 1, SHA256: "1", Source: []byte(`[[primitive]]
id = "db"
[primitive.secret_params]
pw = "hunter22"
`)}}
	var out strings.Builder
	s := newSecretScrubber(src, nil)
	log := slog.New(s.handler(slog.NewTextHandler(&out, nil))).With("ctx", "with hunter22")
	log.Info("connect hunter22", "str", "pw=hunter22", "err", errors.New("auth hunter22 failed"),
		slog.Group("g", "inner", "hunter22"), "n", 3, "list", []string{"a", "hunter22"})
	log.WithGroup("grp").Warn("x", "k", "hunter22")
	got := out.String()
	if strings.Contains(got, "hunter22") {
		t.Errorf("log output holds the secret:\n%s", got)
	}
	for _, want := range []string{"connect <redacted>", "pw=<redacted>", "auth <redacted> failed", "g.inner=<redacted>", "n=3", "grp.k=<redacted>", "ctx=\"with <redacted>\""} {
		if !strings.Contains(got, want) {
			t.Errorf("log output lacks %q:\n%s", want, got)
		}
	}
}

// benchPolicy is a live policy with n secrets.
func benchPolicy(n int) *fakePolicySource {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[[primitive]]\nid = \"r%d\"\n[primitive.secret_params]\npw = \"secret-value-%04d\"\n\n", i, i)
	}
	return &fakePolicySource{p: controller.PolicyState{Epoch: 1, SHA256: "1", Source: []byte(b.String())}}
}

// BenchmarkScrubOutput measures masking 20 secrets in a 4 KiB agent
// output (done once per operation):
//
//	go test -run XXX -bench BenchmarkScrub -benchmem ./cmd/ward
func BenchmarkScrubOutput(b *testing.B) {
	s := newSecretScrubber(benchPolicy(20), nil)
	out := strings.Repeat("connection to db failed: timeout expired; retrying\n", 80)
	b.ReportAllocs()
	for b.Loop() {
		s.Scrub(out)
	}
}

// BenchmarkScrubLogLine measures the scrubbing handler on a typical log
// line (the live policy read at most once a second).
func BenchmarkScrubLogLine(b *testing.B) {
	s := newSecretScrubber(benchPolicy(20), nil)
	log := slog.New(s.handler(slog.NewTextHandler(io.Discard, nil)))
	plain := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		log  *slog.Logger
	}{{"scrubbed", log}, {"plain", plain}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.log.Info("operation failed", "resource", "db", "op", "start_0", "rc", 1, "err", errors.New("exit status 1"), "output", "could not connect")
			}
		})
	}
}
