package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// selfSigned returns a TLS config for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ward-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}

const (
	readSecret  = "read-secret-0123456789"
	adminSecret = "admin-secret-0123456789"
)

// serveTCP serves f on 127.0.0.1 with TLS (if cfg) and returns the base URL.
func serveTCP(t *testing.T, f *fakeBackend, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := NewServer(f, nil)
	h := s.TCPHandler(TCPOptions{Tokens: []Token{NewToken(RoleRead, readSecret), NewToken(RoleAdmin, adminSecret)}, TLS: cfg != nil,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ward_up 1\n") })})
	done := make(chan error, 1)
	go func() { done <- s.ServeTCP(ctx, ln, cfg, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeTCP() = %v", err)
		}
	})
	scheme := "http://"
	if cfg != nil {
		scheme = "https://"
	}
	return scheme + ln.Addr().String()
}

func call(t *testing.T, hc *http.Client, method, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTCPAuth(t *testing.T) {
	cfg, pool := selfSigned(t)
	f := &fakeBackend{status: ClusterStatus{Node: "n1"}}
	base := serveTCP(t, f, cfg)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer hc.CloseIdleConnections()
	for _, tc := range []struct {
		method, path, token string
		want                int
		code                string
	}{
		{"GET", "/v1/status", "", 401, CodeUnauthorized},
		{"GET", "/v1/status", "wrong-token-0123456789", 401, CodeUnauthorized},
		{"GET", "/v1/status", readSecret, 200, ""},
		{"POST", "/v1/nodes/n1/standby", readSecret, 403, CodeForbidden},
		{"POST", "/v1/nodes/n1/standby", adminSecret, 200, ""},
		{"POST", "/v1/resources/vip/stop", readSecret, 403, CodeForbidden},
		{"GET", "/metrics", "", 401, CodeUnauthorized},
		{"GET", "/metrics", readSecret, 200, ""},
	} {
		code, body := call(t, hc, tc.method, base+tc.path, tc.token)
		if code != tc.want || (tc.code != "" && !strings.Contains(body, `"code":"`+tc.code+`"`)) {
			t.Errorf("%s %s (token %q) = %d %s, want %d %s", tc.method, tc.path, tc.token, code, body, tc.want, tc.code)
		}
	}
	if len(f.nodeCalls) != 1 {
		t.Errorf("node calls = %+v, want only the admin's", f.nodeCalls)
	}
	// A client that does not trust the certificate fails the handshake.
	bad := &http.Client{}
	if _, err := bad.Get(base + "/v1/status"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("GET with an untrusted certificate = %v, want a certificate error", err)
	}
}

func TestTCPPlainRefusesAPI(t *testing.T) {
	f := &fakeBackend{status: ClusterStatus{Node: "n1", Quorum: Quorum{Quorate: true}, Nodes: []NodeInfo{{Name: "n1", State: StateOnline}}}}
	base := serveTCP(t, f, nil)
	if code, body := call(t, http.DefaultClient, "GET", base+"/v1/status", adminSecret); code != 403 || !strings.Contains(body, "needs TLS") {
		t.Errorf("GET /v1/status on plain TCP = %d %s, want 403 needs TLS", code, body)
	}
	if code, _ := call(t, http.DefaultClient, "OPTIONS", base+"/health", ""); code != 200 {
		t.Errorf("OPTIONS /health = %d, want 200", code)
	}
}

func TestHealthEndpoints(t *testing.T) {
	st := ClusterStatus{Node: "n1", Quorum: Quorum{Quorate: true},
		Nodes:     []NodeInfo{{Name: "n1", State: StateOnline, Attributes: map[string]string{"db_lag": "2048"}}, {Name: "n2", State: StateOnline}},
		Resources: []ResourceInfo{{ID: "db", Role: "Unpromoted", Node: "n1"}, {ID: "db", Role: "Promoted", Node: "n2"}, {ID: "vip", Role: "Started", Node: "n1"}}}
	for _, tc := range []struct {
		path string
		st   func(*ClusterStatus)
		want int
	}{
		{"/health", nil, 200},
		{"/primary", nil, 503},
		{"/replica", nil, 200},
		{"/replica?resource=db&lag=4096", nil, 200},
		{"/replica?resource=db&lag=1024", nil, 503},
		{"/replica?lag=1024", nil, 503}, // attribute "lag" unknown
		{"/primary?resource=vip", nil, 200},
		{"/primary", func(s *ClusterStatus) { s.Resources[0].Role = "Promoted" }, 200},
		{"/health", func(s *ClusterStatus) { s.Quorum.Quorate = false }, 503},
		{"/replica", func(s *ClusterStatus) { s.Nodes[0].State = StatePending }, 503},
	} {
		s := st
		s.Resources = append([]ResourceInfo(nil), st.Resources...)
		s.Nodes = append([]NodeInfo(nil), st.Nodes...)
		if tc.st != nil {
			tc.st(&s)
		}
		srv := NewServer(&fakeBackend{status: s}, nil)
		h := srv.TCPHandler(TCPOptions{})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		var a healthAnswer
		json.Unmarshal(rec.Body.Bytes(), &a)
		if rec.Code != tc.want || a.Reason == "" {
			t.Errorf("GET %s = %d %s, want %d with a reason", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func TestParseTokens(t *testing.T) {
	toks, err := ParseTokens("tokens", []byte("# ops\nread "+readSecret+"\n\nadmin "+adminSecret+"\n"))
	if err != nil || len(toks) != 2 || toks[0].Role != RoleRead || toks[1].Role != RoleAdmin {
		t.Fatalf("ParseTokens(good) = %+v, %v", toks, err)
	}
	for _, bad := range []string{"root " + adminSecret, "admin short", "admin", "read a b"} {
		_, err := ParseTokens("tokens", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), "tokens:1:") || strings.Contains(err.Error(), adminSecret) {
			t.Errorf("ParseTokens(%q) = %v, want an error naming tokens:1 without the secret", bad, err)
		}
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add([]byte("read " + readSecret + "\nadmin " + adminSecret))
	f.Add([]byte("# c\n\nbogus"))
	f.Fuzz(func(t *testing.T, b []byte) {
		toks, err := ParseTokens("f", b)
		for _, tk := range toks {
			if err == nil && tk.Role != RoleRead && tk.Role != RoleAdmin {
				t.Fatalf("ParseTokens(%q) gave role %q", b, tk.Role)
			}
		}
	})
}
