//go:build integration

package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
)

// membershipLab is a cluster of real `ward daemon` processes on
// loopback whose node list changes while it runs.
type membershipLab struct {
	t     *testing.T
	dir   string
	bin   string
	key   string
	ports map[string]int
	procs map[string]*exec.Cmd
	exits map[string]chan error
}

func newMembershipLab(t *testing.T) *membershipLab {
	dir := t.TempDir()
	lab := &membershipLab{t: t, dir: dir, bin: buildWard(t, dir), key: filepath.Join(dir, "gossip.key"),
		ports: map[string]int{}, procs: map[string]*exec.Cmd{}, exits: map[string]chan error{}}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.WriteFile(lab.key, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2", "n3", "n4"} {
		lab.ports[n] = freePort(t)
	}
	// The fencing device kills the node's daemon and wipes its agents'
	// state, as a power-off would.
	script := fmt.Sprintf("#!/bin/sh\npid=$(cat %[1]s/\"$1\"/pid 2>/dev/null || true)\n[ -n \"$pid\" ] && kill -9 \"$pid\" 2>/dev/null\nrm -rf %[1]s/\"$1\"/agents\nexit 0\n", dir)
	if err := os.WriteFile(filepath.Join(dir, "fence.sh"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range lab.procs {
			syscall.Kill(c.Process.Pid, syscall.SIGTERM)
		}
		time.Sleep(300 * time.Millisecond) // let them leave and remove their sockets
		for _, c := range lab.procs {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
		if t.Failed() {
			for _, n := range []string{"n1", "n2", "n3", "n4"} {
				out, _ := os.ReadFile(filepath.Join(dir, n, "log"))
				t.Logf("log of %s:\n%s", n, out)
			}
		}
	})
	return lab
}

// policy returns the policy listing nodes; r4 must run on n4 when n4 is
// listed.
func (lab *membershipLab) policy(nodes ...string) string {
	var b strings.Builder
	b.WriteString("[cluster]\nname = \"grow\"\nstonith_enabled = true\ntiming = \"lan\"\n\n")
	var quoted []string
	for _, n := range nodes {
		fmt.Fprintf(&b, "[[node]]\nname = %q\naddresses = [\"127.0.0.1:%d\"]\n\n", n, lab.ports[n])
		quoted = append(quoted, strconv.Quote(n))
	}
	for _, r := range []string{"web", "r4"} {
		fmt.Fprintf(&b, "[[primitive]]\nid = %q\nagent = \"dummy\"\n\n[[primitive.op]]\nname = \"monitor\"\ninterval = \"1s\"\ntimeout = \"5s\"\n\n", r)
	}
	if len(nodes) == 4 {
		b.WriteString("[[location]]\nid = \"r4-on-n4\"\nresource = \"r4\"\nnode = \"n4\"\nscore = \"INFINITY\"\n\n")
	}
	fmt.Fprintf(&b, "[[fencing.device]]\nid = \"kill\"\nplugin = \"exec\"\ncommand = [\"/bin/sh\", %q]\nnodes = [%s]\naction = \"off\"\nretries = 0\ntimeout = \"10s\"\n",
		filepath.Join(lab.dir, "fence.sh"), strings.Join(quoted, ", "))
	return b.String()
}

// start runs `ward daemon` for node n with extra flags; its log goes to
// DIR/n/log (appended).
func (lab *membershipLab) start(n string, stateDir string, args ...string) *exec.Cmd {
	nd := filepath.Join(lab.dir, n)
	os.MkdirAll(nd, 0o700)
	logf, err := os.OpenFile(filepath.Join(nd, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		lab.t.Fatal(err)
	}
	defer logf.Close()
	full := append([]string{"daemon", "--node", n, "--state-dir", stateDir, "--key", lab.key,
		"--socket", lab.sock(n), "--agent-state-dir", filepath.Join(nd, "agents")}, args...)
	cmd := exec.Command(lab.bin, full...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lab.t.Fatal(err)
	}
	os.WriteFile(filepath.Join(nd, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	lab.procs[n] = cmd
	exit := make(chan error, 1)
	lab.exits[n] = exit
	go func() { exit <- cmd.Wait() }()
	return cmd
}

func (lab *membershipLab) sock(n string) string { return filepath.Join(lab.dir, n, "ward.sock") }

func (lab *membershipLab) status(n string) api.ClusterStatus {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, _ := api.NewClient(lab.sock(n)).Status(ctx)
	return st
}

// running lists the nodes whose agent state says rsc runs there.
func (lab *membershipLab) running(rsc string) []string {
	var out []string
	for _, n := range []string{"n1", "n2", "n3", "n4"} {
		if _, err := os.Stat(filepath.Join(lab.dir, n, "agents", rsc+".state")); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (lab *membershipLab) apply(via, src string) (api.ApplyResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return api.NewClient(lab.sock(via)).ApplyPolicy(ctx, api.ApplyRequest{Source: src})
}

func (lab *membershipLab) log(n string) string {
	b, _ := os.ReadFile(filepath.Join(lab.dir, n, "log"))
	return string(b)
}

// TestIntegrationDaemonGrowShrink grows a cluster of three real daemons
// to four (the new node joins with --join and one member's address, gets
// the live policy and the resource the policy puts on it), then shrinks
// it back: the removal is refused while n4 runs r4, accepted once n4 is
// in standby and r4 moved, n4 stops by itself, cannot restart on its
// state, and a fresh n4 with the old policy is refused by the others.
func TestIntegrationDaemonGrowShrink(t *testing.T) {
	lab := newMembershipLab(t)
	three := lab.policy("n1", "n2", "n3")
	pol := filepath.Join(lab.dir, "policy3.toml")
	if err := os.WriteFile(pol, []byte(three), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		lab.start(n, filepath.Join(lab.dir, n, "state"), "--policy", pol)
	}
	poll(t, 20*time.Second, "a DC, web and r4 running once", func() bool {
		return lab.status("n2").DC != "" && len(lab.running("web")) == 1 && len(lab.running("r4")) == 1
	})

	// Grow: apply the four-node policy on a member (forwarded to the DC).
	four := lab.policy("n1", "n2", "n3", "n4")
	res, err := lab.apply("n3", four)
	if err != nil || !res.Applied || res.Epoch != 2 {
		t.Fatalf("apply(add n4) = %+v, %v; want applied at epoch 2", res, err)
	}
	begin := time.Now()
	lab.start("n4", filepath.Join(lab.dir, "n4", "state"), "--join", "127.0.0.1:"+strconv.Itoa(lab.ports["n2"]), "--cluster", "grow")
	poll(t, 30*time.Second, "r4 running on n4 and n4 at epoch 2 with 4 votes", func() bool {
		r := lab.running("r4")
		st := lab.status("n4")
		return len(r) == 1 && r[0] == "n4" && st.PolicyEpoch == 2 && st.Quorum.Votes == 4 && st.Quorum.Expected == 4
	})
	t.Logf("n4 started with --join -> r4 running on it: %v", time.Since(begin).Round(time.Millisecond))
	if !strings.Contains(lab.log("n2"), "handed the live policy") {
		t.Errorf("n2's log does not say it handed the policy to n4")
	}

	// Shrink: refused while n4 runs r4.
	shrunk := three + "\n# n4 removed\n"
	_, err = lab.apply("n1", shrunk)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeConflict || !strings.Contains(ae.Message, "n4 still runs r4") {
		t.Fatalf("apply(remove n4 while it runs r4) = %v, want a conflict naming r4", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := api.NewClient(lab.sock("n1")).SetNode(ctx, api.NodeRequest{Node: "n4", Action: api.ActionStandby}); err != nil {
		t.Fatalf("standby n4: %v", err)
	}
	poll(t, 30*time.Second, "r4 moved off n4", func() bool {
		r := lab.running("r4")
		return len(r) == 1 && r[0] != "n4"
	})
	poll(t, 30*time.Second, "the removal of n4 accepted", func() bool {
		res, err = lab.apply("n1", shrunk)
		return err == nil && res.Applied
	})
	select {
	case err := <-lab.exits["n4"]:
		if err != nil {
			t.Errorf("n4's daemon exited with %v after its removal, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("n4's daemon still runs 15 s after the policy removed it")
	}
	poll(t, 15*time.Second, "n1-n3 with 3 of 3 votes, n4 gone", func() bool {
		for _, n := range []string{"n1", "n2", "n3"} {
			st := lab.status(n)
			if st.Quorum.Expected != 3 || st.Quorum.Votes != 3 || len(st.Nodes) != 3 || st.PolicyEpoch != res.Epoch {
				return false
			}
		}
		return true
	})
	if r := lab.running("r4"); len(r) != 1 || r[0] == "n4" {
		t.Errorf("r4 runs on %v after the removal, want one of n1-n3", r)
	}

	// n4 cannot come back on its state: the live policy there drops it.
	out, err := exec.Command(lab.bin, "daemon", "--node", "n4", "--state-dir", filepath.Join(lab.dir, "n4", "state"), "--key", lab.key,
		"--socket", filepath.Join(lab.dir, "n4", "again.sock"), "--realtime=false").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not in the live policy") {
		t.Errorf("ward daemon on the removed node's state = %v\n%s\nwant a refusal saying it is not in the live policy", err, out)
	}
	// A fresh n4 with the old four-node policy is refused by the others;
	// the member it joins hands it the live policy, which no longer lists
	// it, and it stops by itself instead of believing it has quorum.
	old := filepath.Join(lab.dir, "policy4.toml")
	os.WriteFile(old, []byte(four), 0o600)
	lab.start("n4", filepath.Join(lab.dir, "n4", "fresh-state"), "--policy", old)
	select {
	case err := <-lab.exits["n4"]:
		if err != nil {
			t.Errorf("the stale n4 exited with %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the stale n4 still runs 15 s after it started; status %+v", lab.status("n4").Quorum)
	}
	if !strings.Contains(lab.log("n4"), "no longer lists this node") {
		t.Errorf("the stale n4's log does not say the live policy dropped it")
	}
	poll(t, 5*time.Second, "n1 refusing n4", func() bool {
		return strings.Contains(lab.log("n1"), "refusing a node that may not join") && strings.Contains(lab.log("n1"), "node=n4")
	})
	for _, n := range []string{"n1", "n2", "n3"} {
		if st := lab.status(n); len(st.Nodes) != 3 || !st.Quorum.Quorate {
			t.Errorf("%s: %d nodes, quorum %+v after the stale n4 came and went, want 3 nodes, quorate", n, len(st.Nodes), st.Quorum)
		}
	}
}
