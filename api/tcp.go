package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// This file is the API on TCP: TLS and bearer tokens. The unix socket
// needs neither (its file mode is the access control); on TCP:
//
//   - /health, /primary, /replica answer anyone (load balancers);
//   - /metrics needs a read or admin token when tokens are configured;
//   - /ui/ (the dashboard's static files) answers anyone: it holds no
//     data, the page asks for a token and sends it with every call;
//   - /v1/... needs TLS and a token: GET a read or admin token, POST an
//     admin token.

// TokenRole is what a bearer token may do.
type TokenRole string

// The token roles.
const (
	RoleRead  TokenRole = "read"  // GET: status, policy, explain, events, metrics
	RoleAdmin TokenRole = "admin" // everything
)

// Token is one bearer token. Only its SHA-256 is kept.
type Token struct {
	Role TokenRole
	sum  [32]byte
}

// NewToken returns a token of role for secret.
func NewToken(role TokenRole, secret string) Token {
	return Token{Role: role, sum: sha256.Sum256([]byte(secret))}
}

// minSecret is the shortest secret accepted in a token file.
const minSecret = 16

// ParseTokens reads a token file: one "ROLE SECRET" a line (ROLE read or
// admin), '#' comments and blank lines ignored. name is used in errors,
// which give the line but never the secret.
func ParseTokens(name string, data []byte) ([]Token, error) {
	var out []Token
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"read SECRET\" or \"admin SECRET\"", name, n)
		}
		role := TokenRole(f[0])
		if role != RoleRead && role != RoleAdmin {
			return nil, fmt.Errorf("%s:%d: role %.20q: want read or admin", name, n, f[0])
		}
		if len(f[1]) < minSecret {
			return nil, fmt.Errorf("%s:%d: the secret is shorter than %d characters (make one with: openssl rand -hex 32)", name, n, minSecret)
		}
		out = append(out, NewToken(role, f[1]))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// LoadTokens reads the token file at path, which must not be readable
// by other users (mode 0600 or 0640).
func LoadTokens(path string) ([]Token, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("api: tokens: %w", err)
	}
	if fi.Mode().Perm()&0o007 != 0 {
		return nil, fmt.Errorf("api: tokens: %s is readable or writable by other users (mode %v): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("api: tokens: %w", err)
	}
	return ParseTokens(path, data)
}

// TCPOptions configure the TCP handler.
type TCPOptions struct {
	// Tokens are the accepted bearer tokens.
	Tokens []Token
	// TLS reports that the listener is TLS (the /v1 API is refused on
	// plain TCP).
	TLS bool
	// Metrics, if not nil, is served at /metrics.
	Metrics http.Handler
	// UI, if not nil, is served at /ui/ (and / redirects there).
	UI http.Handler
}

// TCPHandler returns the handler for the TCP listener.
func (s *Server) TCPHandler(o TCPOptions) http.Handler {
	api := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case s.routeHealth(w, r):
		case p == "/metrics" && o.Metrics != nil:
			if len(o.Tokens) > 0 && !authorized(w, r, o.Tokens, RoleRead) {
				return
			}
			o.Metrics.ServeHTTP(w, r)
		case o.UI != nil && (p == "/" || strings.HasPrefix(p, "/ui/") || p == "/ui"):
			if p == "/" || p == "/ui" {
				http.Redirect(w, r, "/ui/", http.StatusFound)
				return
			}
			o.UI.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/v1/"):
			if !o.TLS {
				writeError(w, &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: "the API over TCP needs TLS: start the daemon with --tls-cert and --tls-key (or use the unix socket)"})
				return
			}
			need := RoleRead
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				need = RoleAdmin
			}
			if authorized(w, r, o.Tokens, need) {
				api.ServeHTTP(w, r)
			}
		default:
			writeError(w, Errorf(CodeNotFound, "%s: no such endpoint (see docs/api.md)", p))
		}
	})
}

// The authentication error codes.
const (
	CodeUnauthorized = "unauthorized" // 401: no or unknown token
	CodeForbidden    = "forbidden"    // 403: the token may not do this
)

// authorized checks the bearer token; it answers 401 or 403 and reports
// false when the request may not proceed.
func authorized(w http.ResponseWriter, r *http.Request, tokens []Token, need TokenRole) bool {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ward"`)
		writeError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "send a bearer token (Authorization: Bearer SECRET) from the daemon's --tokens file"})
		return false
	}
	sum := sha256.Sum256([]byte(secret))
	var role TokenRole
	for _, t := range tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 {
			role = t.Role
		}
	}
	switch {
	case role == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="ward", error="invalid_token"`)
		writeError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "unknown token"})
		return false
	case need == RoleAdmin && role != RoleAdmin:
		writeError(w, &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: fmt.Sprintf("%s %s needs an admin token; this one is read-only", r.Method, r.URL.Path)})
		return false
	}
	return true
}

// ServeTCP serves h on ln until ctx is done, with TLS when cfg is not
// nil; it shuts down like Serve.
func (s *Server) ServeTCP(ctx context.Context, ln net.Listener, cfg *tls.Config, h http.Handler) error {
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	return s.serveHandler(ctx, ln, h)
}

// TLSConfig loads a certificate and key for ServeTCP (TLS 1.2 or later).
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("api: TLS certificate %s, key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
