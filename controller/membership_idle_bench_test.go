package controller

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/ward-ha/ward/agents/registry"
	"github.com/ward-ha/ward/heartbeat"
	"github.com/ward-ha/ward/heartbeat/heartbeattest"
	"github.com/ward-ha/ward/policy"
	"github.com/ward-ha/ward/resources"
)

// BenchmarkIdleCluster measures idle nodes in one process: heartbeat
// (lan profile, encrypted gossip over the in-memory network), executor
// and controller per node, one dummy resource with a 10 s monitor (as
// scripts/idle-bench.sh does with real daemons). Once the cluster has
// formed and the resource runs, it measures over WARD_BENCH_SECONDS
// (default 30) the process's CPU time and the network's traffic, and
// reports per node: CPU % of one core, bytes/s sent as packets (udp:
// probes, acks, gossip) and on streams (tcp: push/pull, joins, and the
// controller's messages, above all the DC's lease pings), as memberlist's
// encrypted payloads without IP/UDP/TCP headers, packets/s, and the
// growth of the process's RSS divided by the nodes (the Go runtime is
// shared, so a separate daemon costs more).
//
//	WARD_BENCH_SECONDS=60 go test -run '^$' -bench IdleCluster -benchtime 1x ./controller
func BenchmarkIdleCluster(b *testing.B) {
	secs := 30
	if s, err := strconv.Atoi(os.Getenv("WARD_BENCH_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	for _, n := range []int{3, 50} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for range b.N {
				idleRun(b, n, time.Duration(secs)*time.Second)
			}
		})
	}
}

func idleRun(b *testing.B, n int, window time.Duration) {
	var src strings.Builder
	src.WriteString("[cluster]\nname = \"idle\"\nstonith_enabled = false\n\n[[primitive]]\nid = \"r\"\nagent = \"dummy\"\n\n[[primitive.op]]\nname = \"monitor\"\ninterval = \"10s\"\n\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&src, "[[node]]\nname = \"n%d\"\naddresses = [\"10.1.%d.%d:7946\"]\n\n", i, i/200, i%200+1)
	}
	cfg, err := policy.Parse("idle.toml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	rssBefore := rssKiB(b)
	nw := heartbeattest.NewNetwork()
	timing, _ := heartbeat.Profile(heartbeat.ProfileLAN)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var ctrls []*Controller
	dir := b.TempDir()
	for _, node := range cfg.Nodes {
		st, err := OpenStore(filepath.Join(dir, node.Name), slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if err := st.SavePolicy(1, []byte(src.String())); err != nil {
			b.Fatal(err)
		}
		m := MembershipConfig(cfg)
		tr, err := nw.NewTransport(node.Addresses[0])
		if err != nil {
			b.Fatal(err)
		}
		hb, err := heartbeat.New(heartbeat.Config{ClusterName: "idle", Self: node.Name, Nodes: m.Nodes, Timing: timing,
			Keyring: &testKeyring, Transports: []memberlist.NodeAwareTransport{tr}})
		if err != nil {
			b.Fatal(err)
		}
		reports := NewReports()
		ex, err := resources.New(resources.Config{Agents: registry.New(registry.Options{StateDir: filepath.Join(dir, node.Name, "agents")}, registry.Builtins()),
			NodeName: node.Name, Reporter: reports})
		if err != nil {
			b.Fatal(err)
		}
		ctrl, err := New(Config{Node: node.Name, Store: st, Policy: cfg, Cluster: hb, Executor: ex, Reports: reports, Timing: timing})
		if err != nil {
			b.Fatal(err)
		}
		ctrls = append(ctrls, ctrl)
		wg.Go(func() { _ = hb.Run(ctx) })
		wg.Go(func() { _ = ex.Run(ctx) })
		wg.Go(func() { _ = ctrl.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()
	formed := time.Now()
	for {
		st, err := ctrls[n-1].Status(ctx)
		running := false
		for _, r := range st.Resources {
			running = running || (r.ID == "r" && r.Node != "")
		}
		if err == nil && st.DC != "" && st.Quorum.Votes == n && running {
			break
		}
		if time.Since(formed) > 60*time.Second {
			b.Fatalf("%d nodes: no DC with every node present and r running after 60 s (status %+v)", n, st.Quorum)
		}
		time.Sleep(50 * time.Millisecond) // polling the status
	}
	b.Logf("%d nodes formed a cluster in %v", n, time.Since(formed).Round(time.Millisecond))
	t0, c0, tr0 := time.Now(), cpuTime(b), nw.Traffic()
	b.ResetTimer()
	time.Sleep(window) // the measurement window: the cluster idles
	b.StopTimer()
	el, cpu, tr := time.Since(t0), cpuTime(b)-c0, nw.Traffic()
	rss := rssKiB(b) - rssBefore
	sec := el.Seconds()
	b.ReportMetric(100*cpu.Seconds()/sec/float64(n), "cpu-%/node")
	b.ReportMetric(float64(tr.PacketBytes-tr0.PacketBytes)/sec/float64(n), "udp-B/s/node")
	b.ReportMetric(float64(tr.StreamBytes-tr0.StreamBytes)/sec/float64(n), "tcp-B/s/node")
	b.ReportMetric(float64(tr.Packets-tr0.Packets)/sec/float64(n), "packets/s/node")
	b.ReportMetric(float64(rss)/1024/float64(n), "rss-MiB/node")
	b.ReportMetric(0, "ns/op")
}

// cpuTime returns the process's user+system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssKiB returns the process's resident set (VmRSS) in KiB.
func rssKiB(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kib
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
