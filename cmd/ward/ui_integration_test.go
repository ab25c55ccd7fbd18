//go:build integration

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ward-ha/ward/alert"
	"github.com/ward-ha/ward/api"
)

// writeSelfSigned writes a certificate and key for 127.0.0.1 into dir.
func writeSelfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ward-ui-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, key
}

// TestIntegrationDashboard runs three real daemons with the TCP listener
// (TLS, tokens) and drives the dashboard in headless Chromium (Debian's
// chromium package): the page loads without console errors, shows every
// node and resource, and a click on "Standby" (confirmed) moves the
// resource, which the page shows, and a webhook alert receives the
// failover. A screenshot is saved in the test's
// artifact directory (go test -artifacts).
func TestIntegrationDashboard(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the dashboard test needs Debian's chromium package (scripts/deps.sh installs it): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "ward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c, err := newDemoCluster(bin, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.cleanup(false)
	if err := c.writeFiles(); err != nil {
		t.Fatal(err)
	}
	cert, key := writeSelfSigned(t, c.dir)
	const secret = "ui-test-admin-token-0123456789"
	tokens := filepath.Join(c.dir, "tokens")
	os.WriteFile(tokens, []byte("admin "+secret+"\n"), 0o600)
	ports, err := freePorts(len(c.nodes))
	if err != nil {
		t.Fatal(err)
	}
	listen := map[string]int{}
	for i, n := range c.nodes {
		listen[n.name] = ports[i]
	}
	c.command = func(n *demoNode) []string {
		return append(c.daemonCommand(n), "--listen", fmt.Sprintf("127.0.0.1:%d", listen[n.name]), "--tls-cert", cert, "--tls-key", key, "--tokens", tokens)
	}
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ready, err := c.waitReady(ctx)
	if err != nil {
		c.printLogTails(os.Stderr)
		t.Fatal(err)
	}
	dc := ready.status.DC
	url := fmt.Sprintf("https://127.0.0.1:%d/ui/", listen[dc])

	// A webhook alert recipient: the failover below must reach it.
	hooks := make(chan alert.Payload, 64)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p alert.Payload
		if json.NewDecoder(r.Body).Decode(&p) == nil {
			select {
			case hooks <- p:
			default:
			}
		}
	}))
	defer receiver.Close()
	live, err := c.node(dc).client.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withAlert := live.Source + fmt.Sprintf("\n[[alert]]\nid = \"hook\"\nkind = \"webhook\"\nurl = %q\nevents = [\"resource\"]\n", receiver.URL+"/hook")
	if _, err := c.node(dc).client.ApplyPolicy(ctx, api.ApplyRequest{Source: withAlert}); err != nil {
		t.Fatalf("apply the policy with a webhook alert: %v", err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.IgnoreCertErrors, chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	// Collect console errors and exceptions from the first page on.
	cctx, ccancel := context.WithCancel(bctx)
	msgs := chromedp.Console(cctx)
	var mu sync.Mutex
	var consoleErrors []string
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				mu.Lock()
				consoleErrors = append(consoleErrors, m.String())
				mu.Unlock()
			}
		}
	}()
	row := func(attr, v string) string { return fmt.Sprintf(`tr[%s=%q]`, attr, v) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) (string, error) { return chromedp.Run(bctx, chromedp.Text(css(sel))) }
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	lctx, lcancel := context.WithTimeout(bctx, 20*time.Second)
	err = chromedp.Do(lctx,
		chromedp.WaitVisible(css("#token")),
		chromedp.SendKeys(css("#token"), secret),
		chromedp.Click(css(`#token-form button[type="submit"]`)),
		chromedp.WaitVisible(css(row("data-node", "n3"))),
		chromedp.WaitVisible(css(row("data-resource", demoResource))),
	)
	lcancel()
	if err != nil {
		html, _ := chromedp.Run(bctx, chromedp.OuterHTML(css("body")))
		mu.Lock()
		t.Fatalf("loading %s: %v\npage:\n%.3000s\nconsole:\n%s", url, err, html, strings.Join(consoleErrors, "\n"))
	}
	for _, n := range c.nodes {
		if state, err := text(row("data-node", n.name) + " td:nth-child(2)"); err != nil || state != "online" {
			t.Errorf("the page shows node %s as %q (%v), want online", n.name, state, err)
		}
	}
	on, err := text(row("data-resource", demoResource) + " td.resource-node")
	if err != nil || on != ready.on {
		t.Fatalf("the page shows %s on %q (%v), want %s", demoResource, on, err, ready.on)
	}
	// Standby on the node running the resource, confirmed in the dialog.
	err = chromedp.Do(bctx,
		chromedp.Click(css(row("data-node", on)+` button[data-action="standby"]`)),
		chromedp.WaitVisible(css("#modal-ok")),
		chromedp.Click(css("#modal-ok")),
	)
	if err == nil {
		_, err = chromedp.Run(bctx, chromedp.Poll[bool](fmt.Sprintf(`(() => { const t = document.querySelector('tr[data-resource="%s"] td.resource-node').textContent; return t !== %q && t !== '—'; })()`, demoResource, on),
			chromedp.WithPollingTimeout(30*time.Second)))
	}
	if err != nil {
		t.Fatalf("standby %s from the page: %v", on, err)
	}
	to, _ := text(row("data-resource", demoResource) + " td.resource-node")
	// The webhook receives the failover.
	hookLimit := time.After(15 * time.Second)
	for got := false; !got; {
		select {
		case p := <-hooks:
			ev, _ := json.Marshal(p.Event)
			got = p.Recipient == "hook" && p.Cluster == "ward-demo" && strings.Contains(string(ev), `"resource":"`+demoResource+`"`) && strings.Contains(string(ev), "Started@"+to)
		case <-hookLimit:
			t.Errorf("the webhook got no event for %s moving to %s within 15 s", demoResource, to)
			got = true
		}
	}
	flags, _ := text(row("data-node", on) + " td:nth-child(3)")
	if got, err := c.activeOn(demoResource); err != nil || len(got) != 1 || got[0] != to {
		t.Errorf("after standby the page shows %s on %s, the nodes' disks say %v (%v)", demoResource, to, got, err)
	}
	if !strings.Contains(flags, "standby") {
		t.Errorf("node %s flags on the page = %q, want standby", on, flags)
	}
	// The CLI on the DC: a move with --wait settles, the event log shows
	// it, the availability report and the metrics see the resource.
	var target string
	for _, n := range c.nodes {
		if n.name != on && n.name != to {
			target = n.name
		}
	}
	dcSock := c.node(dc).socket
	// In process, so that the commands the lead has not registered in
	// root.go yet are there (runWardLive adds them).
	wardCLI := func(args ...string) (string, error) {
		code, out, errs := runWardLive(t, append(args, "--socket", dcSock)...)
		if code != 0 {
			return out + errs, fmt.Errorf("exit %d", code)
		}
		return out + errs, nil
	}
	if out, err := wardCLI("resource", "move", demoResource, target, "--for", "10m", "--wait", "--wait-timeout", "30s"); err != nil ||
		!strings.Contains(out, "settled") || !strings.Contains(out, "✓ "+demoResource+" Started on "+target) {
		t.Errorf("ward resource move %s %s --wait = %v\n%s", demoResource, target, err, out)
	}
	if got, err := c.activeOn(demoResource); err != nil || len(got) != 1 || got[0] != target {
		t.Errorf("after move --wait the nodes' disks say %v (%v), want [%s]", got, err, target)
	}
	if out, err := wardCLI("resource", "list"); err != nil || !strings.Contains(out, "cli-prefer-"+demoResource) {
		t.Errorf("ward resource list = %v\n%s", err, out)
	}
	// The recorder polls every half second: wait for it to catch up.
	untilOutput := func(want string, args ...string) {
		t.Helper()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		limit := time.After(10 * time.Second)
		for {
			out, err := wardCLI(args...)
			if err == nil && strings.Contains(out, want) {
				return
			}
			select {
			case <-limit:
				t.Errorf("ward %v = %v, want %q in\n%s", args, err, want, out)
				return
			case <-tick.C:
			}
		}
	}
	untilOutput("-> Started@"+target, "events", "--resource", demoResource)
	untilOutput("node "+on+": online -> online+standby", "events", "--kind", "node")
	if out, err := wardCLI("report", "availability"); err != nil || !strings.Contains(out, demoResource) {
		t.Errorf("ward report availability = %v\n%s", err, out)
	}
	if out, err := wardCLI("explain", demoResource); err != nil || !strings.Contains(out, "will run on "+target) {
		t.Errorf("ward explain %s (live) = %v\n%s", demoResource, err, out)
	}
	metricsOut, err := getMetrics(ctx, fmt.Sprintf("https://127.0.0.1:%d/metrics", listen[dc]), secret)
	if err != nil || !strings.Contains(string(metricsOut), "ward_up 1") || !strings.Contains(string(metricsOut), `ward_resource_active{node="`+target+`",resource="`+demoResource+`",role="Started"} 1`) {
		t.Errorf("GET /metrics = %v\n%.2000s", err, metricsOut)
	}
	// A change made on a member is forwarded to the DC.
	memberSock := c.node(on).socket
	if on == dc {
		memberSock = c.node(target).socket
	}
	if code, out, errs := runWardLive(t, "resource", "clear", demoResource, "--wait", "--wait-timeout", "30s", "--socket", memberSock); code != 0 ||
		!strings.Contains(out, "removed cli-prefer-"+demoResource) {
		t.Errorf("ward resource clear on a member = %d\n%s%s", code, out, errs)
	}
	// Until here the page must have logged nothing; the policy check
	// below makes the browser log the 422 answer of the invalid policy.
	mu.Lock()
	beforePolicy := len(consoleErrors)
	mu.Unlock()
	// The policy page: inline validation of a broken policy.
	err = chromedp.Do(bctx,
		chromedp.Navigate(url+"#policy"),
		chromedp.WaitVisible(css("#policy-src")),
	)
	if err == nil {
		_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById('policy-src').value.includes('[cluster]')`, chromedp.WithPollingTimeout(10*time.Second)))
	}
	if err == nil {
		err = chromedp.Do(bctx,
			chromedp.SetValue(css("#policy-src"), "[cluster]\nname = \"x\"\nno_quorum_policy = \"sometimes\"\n"),
			chromedp.Click(css("#policy-check")),
			chromedp.WaitVisible(css("#policy-errors")),
		)
	}
	perr, _ := text("#policy-errors")
	if err != nil || !strings.Contains(perr, "no_quorum_policy") {
		t.Errorf("policy page validation: %v, errors shown %q; want the no_quorum_policy error inline", err, perr)
	}
	err = chromedp.Do(bctx, chromedp.Navigate(url+"#overview"), chromedp.WaitVisible(css(row("data-node", "n1"))))
	if err == nil { // the page catches up with the changes made from the CLI
		st, serr := c.node(dc).client.Status(ctx)
		err = serr
		if err == nil {
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById('epoch').textContent === '%d'`, st.PolicyEpoch),
				chromedp.WithPollingTimeout(10*time.Second)))
		}
	}
	png, serr := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil || serr != nil {
		t.Errorf("screenshot: %v %v", err, serr)
	} else {
		p := filepath.Join(t.ArtifactDir(), "dashboard.png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Errorf("save screenshot: %v", err)
		}
		if d := os.Getenv("WARD_ARTIFACTS"); d != "" {
			os.WriteFile(filepath.Join(d, "dashboard.png"), png, 0o644)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(png))
	}
	ccancel()
	<-collected
	mu.Lock()
	defer mu.Unlock()
	var unexpected []string
	for i, m := range consoleErrors {
		if i >= beforePolicy && strings.Contains(m, "status of 422") {
			continue // the invalid policy's answer, on purpose
		}
		unexpected = append(unexpected, m)
	}
	if len(unexpected) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(unexpected, "\n"))
	}
}

// getMetrics fetches /metrics with a token, trusting any certificate
// (the test's own).
func getMetrics(ctx context.Context, url, token string) ([]byte, error) {
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
