package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/heartbeat"
)

// TestSecurityRedactionFencing: a fence device that fails printing its
// password (an IPMI login error) does not show it in the answer of
// POST /v1/fence, the status's fencing history, the events or either
// daemon's logs, which still say why it failed.
func TestSecurityRedactionFencing(t *testing.T) {
	secret := "IPMIPASS-" + randHex(8)
	k, _ := heartbeat.GenerateKey()
	_, ns := keyCluster(t, 2, k)
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(filepath.Dir(ns[0].dir), "fence-policy.toml")
	src := fmt.Sprintf(`[cluster]
name = "redactfence"
stonith_enabled = true

[[node]]
name = "n1"
addresses = ["127.0.0.1:%d"]

[[node]]
name = "n2"
addresses = ["127.0.0.1:%d"]

[[fencing.device]]
id = "ipmi"
plugin = "exec"
command = ["/bin/sh", "-c", "echo \"login failed for admin with password $WARD_FENCE_PARAM_PASSWORD\" >&2; exit 1", "fence"]
nodes = ["n1", "n2"]
retries = 0

[fencing.device.secret_params]
password = %q
`, ports[0], ports[1], secret)
	if err := os.WriteFile(pol, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		n.start(t, pol)
	}
	waitStatus(t, ns[0], 30*time.Second, "both online", online("n1", "n2"))
	cl := api.NewClient(ns[0].socket)
	defer cl.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cl.Fence(ctx, api.FenceRequest{Node: "n2", Action: api.FenceOff, RequestedBy: "security test"})
	answer := fmt.Sprintf("%+v %v", res, err)
	if !strings.Contains(answer, "login failed for admin with password "+"<redacted>") {
		t.Errorf("fence answer = %s; want the device's error with the password masked", answer)
	}
	st, _ := cl.Status(context.Background())
	ev, _ := cl.Events(context.Background(), api.EventQuery{})
	surfaces := map[string]string{
		"POST /v1/fence answer": answer,
		"status":                fmt.Sprintf("%+v", st),
		"events":                fmt.Sprintf("%+v", ev),
		"n1 logs":               ns[0].logs.String(),
		"n2 logs":               ns[1].logs.String(),
	}
	for name, got := range surfaces {
		if strings.Contains(got, secret) {
			t.Errorf("%s shows the fence device's password: %s", name, excerpt(got, secret))
		}
	}
}
