package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// keyFake is a fakeBackend that also serves the keyring endpoints.
type keyFake struct {
	*fakeBackend
	kmu  sync.Mutex
	keys []KeyRequest
}

func (k *keyFake) Keys(_ context.Context, req KeyRequest) (KeyResult, error) {
	k.kmu.Lock()
	defer k.kmu.Unlock()
	k.keys = append(k.keys, req)
	return KeyResult{Action: req.Action, Nodes: []NodeKeyring{{Node: "n1", OK: true, Encrypted: true, Keys: []string{"0123456789abcdef"}}}}, nil
}

func (k *keyFake) keyCalls() int {
	k.kmu.Lock()
	defer k.kmu.Unlock()
	return len(k.keys)
}

// noEvents is an empty event log.
type noEvents struct{}

func (noEvents) Events(EventQuery) Events { return Events{} }

// serveSecurity serves b on 127.0.0.1 (TLS when cfg) with a read and an
// admin token, and returns the base URL.
func serveSecurity(t *testing.T, b Backend, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(b, nil)
	s.SetEvents(noEvents{})
	h := s.TCPHandler(TCPOptions{Tokens: []Token{NewToken(RoleRead, readSecret), NewToken(RoleAdmin, adminSecret)}, TLS: cfg != nil,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ward_up 1\n") })})
	done := make(chan error, 1)
	go func() { done <- s.ServeTCP(ctx, ln, cfg, h) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if cfg != nil {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}

func send(t *testing.T, hc *http.Client, method, url, auth, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSecurityTCPAuthorization checks every endpoint against every kind
// of credential: no token, a malformed header, an unknown token, a token
// that is a prefix of a real one, a read-only token and an admin token.
// Nothing that changes the cluster is reached without an admin token,
// and no answer repeats the token sent.
func TestSecurityTCPAuthorization(t *testing.T) {
	cfg, pool := selfSigned(t)
	kf := &keyFake{fakeBackend: &fakeBackend{status: ClusterStatus{Node: "n1"}}}
	base := serveSecurity(t, kf, cfg)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()

	type endpoint struct {
		method, path, body string
		change             bool
	}
	endpoints := []endpoint{
		{"GET", "/v1/status", "", false},
		{"GET", "/v1/policy", "", false},
		{"GET", "/v1/events", "", false},
		{"GET", "/v1/explain/db", "", false},
		{"GET", "/v1/keys", "", false},
		{"POST", "/v1/policy", `{"source": "[cluster]\nname = \"x\"\n", "dry_run": true}`, true},
		{"POST", "/v1/nodes/n1/standby", "", true},
		{"POST", "/v1/resources/db/stop", "", true},
		{"POST", "/v1/cluster", `{"maintenance": true}`, true},
		{"POST", "/v1/keys", `{"action": "list"}`, true},
		{"POST", "/v1/keys", `{"action": "install", "key": "AAAAAAAAAAAAAAAAAAAAAA=="}`, true},
		{"POST", "/v1/keys", `{"action": "remove", "fingerprint": "0123456789abcdef"}`, true},
	}
	creds := []struct {
		name, auth string
		role       TokenRole // "" for none that counts
	}{
		{"no token", "", ""},
		{"basic auth", "Basic YWRtaW46YWRtaW4=", ""},
		{"empty bearer", "Bearer ", ""},
		{"unknown token", "Bearer unknown-token-0123456789", ""},
		{"prefix of the admin token", "Bearer " + adminSecret[:len(adminSecret)-1], ""},
		{"admin token with a suffix", "Bearer " + adminSecret + "x", ""},
		{"read token", "Bearer " + readSecret, RoleRead},
		{"admin token", "Bearer " + adminSecret, RoleAdmin},
	}
	for _, e := range endpoints {
		for _, c := range creds {
			before := kf.keyCalls() + len(kf.nodeCalls) + len(kf.resourceCalls) + len(kf.clusterCalls) + len(kf.applied)
			resp, body := send(t, hc, e.method, base+e.path, c.auth, e.body)
			after := kf.keyCalls() + len(kf.nodeCalls) + len(kf.resourceCalls) + len(kf.clusterCalls) + len(kf.applied)
			var want int
			switch {
			case c.role == "":
				want = http.StatusUnauthorized
			case e.change && c.role == RoleRead:
				want = http.StatusForbidden
			default:
				want = http.StatusOK
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s with %s = %d %s, want %d", e.method, e.path, c.name, resp.StatusCode, body, want)
			}
			if want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with %s: 401 without WWW-Authenticate: Bearer", e.method, e.path, c.name)
			}
			if want != http.StatusOK && after != before {
				t.Errorf("%s %s with %s reached the backend", e.method, e.path, c.name)
			}
			if secret, ok := strings.CutPrefix(c.auth, "Bearer "); ok && secret != "" && strings.Contains(body, secret) {
				t.Errorf("%s %s with %s: the answer repeats the token: %s", e.method, e.path, c.name, body)
			}
		}
	}

	// Plain TCP: the API is refused even with the admin token, before
	// any token check (a token must never cross the network in clear).
	plain := serveSecurity(t, kf, nil)
	calls := kf.keyCalls()
	for _, e := range endpoints {
		resp, body := send(t, http.DefaultClient, e.method, plain+e.path, "Bearer "+adminSecret, e.body)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, CodeForbidden) {
			t.Errorf("%s %s on plain TCP with the admin token = %d %s, want 403 forbidden", e.method, e.path, resp.StatusCode, body)
		}
	}
	if kf.keyCalls() != calls {
		t.Errorf("a key request on plain TCP reached the backend")
	}
}

// TestSecurityKeyRequestsNeverEchoKeys sends key requests with mistakes
// and checks that no error answer quotes the key.
func TestSecurityKeyRequestsNeverEchoKeys(t *testing.T) {
	key := "c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI=" // 32 bytes, base64
	for _, body := range []string{
		`{"action": "use", "key": "` + key + `"}`,
		`{"action": "install", "key": "` + key + `", "fingerprint": "0123456789abcdef"}`,
		`{"action": "install", "key": "` + key + `!"}`,
		`{"action": "install", "key": "` + key[:20] + `"}`,
		`{"action": "install", "key": "` + key + `", "key_file": "/k"}`,
		`{"action": "install", "key": "` + key + `", "unknown": 1}`,
		`{"action": "install", "key": ` + key + `}`,
		`{"action": "` + key + `"}`,
		`{"action": "remove", "fingerprint": "` + key + `"}`,
	} {
		_, err := DecodeKeyRequest(strings.NewReader(body))
		if err == nil {
			t.Errorf("DecodeKeyRequest(%s) = nil, want an error", body)
			continue
		}
		if strings.Contains(err.Error(), key[:20]) {
			t.Errorf("DecodeKeyRequest(%s) = %v: the error quotes the key", body, err)
		}
	}
	if _, err := DecodeKeyRequest(strings.NewReader(`{"action": "install", "key": "` + key + `"}`)); err != nil {
		t.Errorf("DecodeKeyRequest(valid install) = %v", err)
	}
}

// TestSecurityTokenFileModes: a tokens file others can read is refused;
// the owner's and the group's are accepted.
func TestSecurityTokenFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte("admin "+adminSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o640, true}, {0o400, true}, {0o644, false}, {0o604, false}, {0o666, false}} {
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadTokens(path)
		if (err == nil) != tc.ok {
			t.Errorf("LoadTokens(mode %04o) = %v, want ok %t", tc.mode, err, tc.ok)
		}
		if err != nil && (strings.Contains(err.Error(), adminSecret) || !strings.Contains(err.Error(), "chmod 600")) {
			t.Errorf("LoadTokens(mode %04o) = %v: want the fix and never the secret", tc.mode, err)
		}
	}
}

// TestSecuritySocketModes: the API socket is 0660 in a 0750 folder
// created by Listen (root and the daemon's group only).
func TestSecuritySocketModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "ward")
	ln, err := Listen(context.Background(), filepath.Join(dir, "ward.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{{filepath.Join(dir, "ward.sock"), 0o660}, {dir, 0o750}} {
		fi, err := os.Stat(tc.path)
		if err != nil || fi.Mode().Perm() != tc.want {
			t.Errorf("mode of %s = %v (%v), want %04o", tc.path, fi.Mode().Perm(), err, tc.want)
		}
	}
}

// TestSecurityTLSVersions: the TCP listener refuses TLS before 1.2.
func TestSecurityTLSVersions(t *testing.T) {
	test, pool := selfSigned(t)
	// The daemon's own configuration, loaded from PEM files.
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	der, err := x509.MarshalECPrivateKey(test.Certificates[0].PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: test.Certificates[0].Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	cfg, err := TLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	kf := &keyFake{fakeBackend: &fakeBackend{status: ClusterStatus{Node: "n1"}}}
	base := serveSecurity(t, kf, cfg)
	for _, tc := range []struct {
		name string
		max  uint16
		ok   bool
	}{{"TLS 1.0", tls.VersionTLS10, false}, {"TLS 1.1", tls.VersionTLS11, false}, {"TLS 1.2", tls.VersionTLS12, true}, {"TLS 1.3", tls.VersionTLS13, true}} {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tc.max}}}
		resp, err := hc.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s client: err = %v, want ok %t", tc.name, err, tc.ok)
		}
		hc.CloseIdleConnections()
	}
}
