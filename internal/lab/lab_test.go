package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ward-ha/ward/policy"
)

func TestPolicyValidates(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		for _, o := range []PolicyOptions{
			{}, {Synchronous: true, Relax: true}, {Fast: true, FencePlugin: "lab"}, {VIPOnly: true},
		} {
			l, err := New(Config{Dir: "/run/wardlab-test", Nodes: n, Exe: "/bin/true"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			src := l.Policy(o)
			cfg, err := policy.Parse("lab.toml", []byte(src))
			if err != nil {
				t.Fatalf("Policy(%d nodes, %+v) does not validate: %v\n%s", n, o, err, src)
			}
			if got := len(cfg.Nodes); got != n {
				t.Errorf("Policy(%d nodes, %+v) has %d nodes, want %d", n, o, got, n)
			}
			if got := len(cfg.Fencing.Devices); got != n {
				t.Errorf("Policy(%d nodes, %+v) has %d fence devices, want %d", n, o, got, n)
			}
			if cfg.Cluster.TwoNode != (n == 2) {
				t.Errorf("Policy(%d nodes) two_node = %t, want %t", n, cfg.Cluster.TwoNode, n == 2)
			}
			if o.Synchronous && !strings.Contains(src, `synchronous = "on"`) {
				t.Errorf("Policy(%+v) lacks synchronous = on", o)
			}
			if o.VIPOnly == strings.Contains(src, `agent = "postgres"`) {
				t.Errorf("Policy(%+v): postgres present = %t, want %t", o, !o.VIPOnly, !o.VIPOnly)
			}
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []Config{{Nodes: 0}, {Nodes: 10}, {Nodes: 2, Prefix: "a-very-long-prefix-"}} {
		if _, err := New(c, nil); err == nil {
			t.Errorf("New(%+v) = nil error, want one", c)
		}
	}
}

func TestNames(t *testing.T) {
	l, err := New(Config{Dir: "/x", Nodes: 3, Exe: "/bin/true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.NS(2); got != "wardlab-n2" {
		t.Errorf("NS(2) = %q, want wardlab-n2", got)
	}
	if got := l.Addr(3); got != "10.215.0.13" {
		t.Errorf("Addr(3) = %q, want 10.215.0.13", got)
	}
	if _, err := l.Index("n4"); err == nil || !strings.Contains(err.Error(), "n1, n2, n3") {
		t.Errorf("Index(n4) = %v, want an error naming n1, n2, n3", err)
	}
}

// FuzzLoad feeds lab.json contents to Load: an error or a lab, never a
// panic, and a lab only with a valid node count.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"dir":"/run/wardlab","prefix":"wardlab-","nodes":3,"subnet":"10.215.0","exe":"/bin/true"}`))
	f.Add([]byte(`{"nodes":0}`))
	f.Add([]byte(`not json`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, "lab.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Load(dir, nil)
		if err == nil && (l.Config().Nodes < 1 || l.Config().Nodes > 9) {
			t.Errorf("Load(%q) accepted %d nodes", b, l.Config().Nodes)
		}
	})
}
