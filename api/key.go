package api

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
)

// This file serves the gossip keyring (key rotation, docs/security.md):
//
//   - GET /v1/keys: this node's keyring, as fingerprints;
//   - POST /v1/keys: a KeyRequest. With "local" it changes this node
//     only; otherwise the DC applies it on every present node and answers
//     per node (a member's request is forwarded to the DC like any
//     change).
//
// Keys never appear in an answer, an error or a log line: only their
// fingerprints (heartbeat.Fingerprint).

// KeyAction is what a KeyRequest does.
type KeyAction string

// The key actions.
const (
	// KeyList reports each node's keyring.
	KeyList KeyAction = "list"
	// KeyInstall adds a key each node then accepts (decrypts); it keeps
	// encrypting with its primary.
	KeyInstall KeyAction = "install"
	// KeyUse makes an installed key the primary (it encrypts with it).
	KeyUse KeyAction = "use"
	// KeyRemove drops a key that is not the primary.
	KeyRemove KeyAction = "remove"
)

// Valid reports whether a is a known action.
func (a KeyAction) Valid() bool {
	switch a {
	case KeyList, KeyInstall, KeyUse, KeyRemove:
		return true
	}
	return false
}

// KeyRequest is the body of POST /v1/keys.
type KeyRequest struct {
	Action KeyAction `json:"action"`
	// Key is the key to install, base64 (install only). It travels to
	// the other nodes inside the cluster's encrypted messages.
	Key string `json:"key,omitempty"`
	// KeyFile, instead of Key, names a key file every node reads on its
	// own disk (copied there beforehand): the key never crosses the
	// network. Fingerprint then chooses which of its keys to install
	// (default: its first).
	KeyFile string `json:"key_file,omitempty"`
	// Fingerprint names the key to use or remove.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Local applies the request to this node only.
	Local bool `json:"local,omitempty"`
	// Force a cluster-wide use or remove while configured nodes are
	// absent (they then need the new key file before they start).
	Force bool `json:"force,omitempty"`
}

// maxKeyFilePath bounds KeyRequest.KeyFile.
const maxKeyFilePath = 4096

// Check refuses a request the backend cannot serve, with an *Error that
// never quotes the key.
func (r KeyRequest) Check() error {
	if !r.Action.Valid() {
		// Never quoted: a key pasted in the wrong field must not be echoed.
		return Errorf(CodeBadRequest, "keys: unknown action (%d characters): use list, install, use or remove", len(r.Action))
	}
	if (r.Key != "" || r.KeyFile != "") && r.Action != KeyInstall {
		return Errorf(CodeBadRequest, "keys: %s takes no key or key_file (only install does)", r.Action)
	}
	if r.Fingerprint != "" && !validFingerprint(r.Fingerprint) {
		return Errorf(CodeBadRequest, "keys: the fingerprint (%d characters) is not 16 lowercase hex characters: use the fingerprint `ward key list` shows, never the key", len(r.Fingerprint))
	}
	switch r.Action {
	case KeyInstall:
		switch {
		case (r.Key == "") == (r.KeyFile == ""):
			return Errorf(CodeBadRequest, "keys: install needs exactly one of key (base64) or key_file (a path on every node)")
		case r.Key != "":
			k, err := base64.StdEncoding.DecodeString(r.Key)
			if err != nil {
				return Errorf(CodeBadRequest, "keys: install: the key is not base64")
			}
			if n := len(k); n != 16 && n != 24 && n != 32 {
				return Errorf(CodeBadRequest, "keys: install: the key is %d bytes, want 16, 24 or 32", n)
			}
			if r.Fingerprint != "" {
				return Errorf(CodeBadRequest, "keys: install with a key takes no fingerprint")
			}
		default:
			if !strings.HasPrefix(r.KeyFile, "/") || len(r.KeyFile) > maxKeyFilePath || strings.ContainsRune(r.KeyFile, 0) {
				return Errorf(CodeBadRequest, "keys: install: key_file must be an absolute path (of at most %d bytes)", maxKeyFilePath)
			}
		}
	case KeyUse, KeyRemove:
		if r.Fingerprint == "" {
			return Errorf(CodeBadRequest, "keys: %s needs the fingerprint of a key (see `ward key list`)", r.Action)
		}
	}
	return nil
}

func validFingerprint(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// NodeKeyring is one node's keyring, or why it could not be read or
// changed.
type NodeKeyring struct {
	Node string `json:"node"`
	// OK is false when the node refused or did not answer (Error).
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Encrypted is false when the node runs without a key (insecure).
	Encrypted bool   `json:"encrypted"`
	KeyFile   string `json:"key_file,omitempty"`
	// Keys are the fingerprints of its keys, the primary first.
	Keys []string `json:"keys"`
}

// KeyResult answers POST /v1/keys (and, with one node, GET /v1/keys).
type KeyResult struct {
	Action KeyAction `json:"action"`
	// Fingerprint is the key the action was about.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Nodes are the nodes asked, sorted by name.
	Nodes []NodeKeyring `json:"nodes"`
	// Missing are configured nodes that are not present: they were not
	// asked, and need the new key file before they start again.
	Missing []string `json:"missing,omitempty"`
}

// Failed returns the nodes that did not succeed.
func (r KeyResult) Failed() []string {
	var out []string
	for _, n := range r.Nodes {
		if !n.OK {
			out = append(out, n.Node)
		}
	}
	return out
}

// KeyBackend serves the keyring endpoints; a Backend that does not
// implement it answers them with not_found. Keys blocks until every node
// asked has answered or ctx ends; it refuses a cluster-wide request with
// CodeNotDC on a member (which the server then forwards to the DC) and
// a change that would cut a node off with CodeConflict.
type KeyBackend interface {
	Keys(ctx context.Context, req KeyRequest) (KeyResult, error)
}

// DecodeKeyRequest reads the body of POST /v1/keys. Errors never quote
// the key.
func DecodeKeyRequest(r io.Reader) (KeyRequest, error) {
	var req KeyRequest
	if err := decodeStrict(r, MaxBody, &req, false); err != nil {
		return KeyRequest{}, err
	}
	return req, req.Check()
}

// routeKeys dispatches /v1/keys; it reports false for other paths.
func (s *Server) routeKeys(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/v1/keys" {
		return false
	}
	kb, ok := s.backend.(KeyBackend)
	if !ok {
		writeError(w, Errorf(CodeNotFound, "/v1/keys: this daemon does not manage its keyring"))
		return true
	}
	var req KeyRequest
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		req = KeyRequest{Action: KeyList, Local: true}
	case http.MethodPost:
		var err error
		if req, err = DecodeKeyRequest(http.MaxBytesReader(w, r.Body, MaxBody)); err != nil {
			writeError(w, err)
			return true
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, Errorf(CodeMethod, "%s /v1/keys: use GET or POST", r.Method))
		return true
	}
	res, err := kb.Keys(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if req.Action != KeyList {
		s.log.Info("api: key request served", "action", req.Action, "fingerprint", res.Fingerprint, "local", req.Local,
			"failed", strings.Join(res.Failed(), ","), "missing", strings.Join(res.Missing, ","))
	}
	writeJSON(w, http.StatusOK, res)
	return true
}

// Keys calls GET /v1/keys: this node's keyring.
func (c *Client) Keys(ctx context.Context) (KeyResult, error) {
	var res KeyResult
	err := c.do(ctx, http.MethodGet, "/v1/keys", nil, &res)
	return res, err
}

// ChangeKeys calls POST /v1/keys.
func (c *Client) ChangeKeys(ctx context.Context, req KeyRequest) (KeyResult, error) {
	var res KeyResult
	if err := req.Check(); err != nil {
		return res, err
	}
	err := c.do(ctx, http.MethodPost, "/v1/keys", req, &res)
	return res, err
}
