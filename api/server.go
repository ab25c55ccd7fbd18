package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// shutdownGrace is how long Serve waits for requests in flight after ctx
// is done before closing their connections.
const shutdownGrace = 5 * time.Second

// Server serves a Backend over HTTP+JSON. Build it with NewServer.
type Server struct {
	backend Backend
	log     *slog.Logger
	// events serves GET /v1/events; nil answers unavailable.
	events EventSource
}

// NewServer returns a server for b that logs to log. It starts nothing.
func NewServer(b Backend, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{backend: b, log: log}
}

// Run listens on the unix socket at path (see Listen) and serves until
// ctx is done. It returns nil after a clean shutdown, once every request
// has finished and the socket file is removed.
func (s *Server) Run(ctx context.Context, path string) error {
	ln, err := Listen(ctx, path)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves requests on ln until ctx is done, then shuts down: it
// stops accepting, waits up to a few seconds for requests in flight and
// closes ln. It returns nil after a shutdown caused by ctx, or the error
// that stopped it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serveHandler(ctx, ln, s.Handler())
}

// serveHandler serves h on ln until ctx is done, then shuts down.
func (s *Server) serveHandler(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		s.log.Warn("api: requests still running at shutdown were cut off", "err", err)
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler returns the HTTP handler serving every endpoint (for tests and
// for callers that run their own http.Server).
func (s *Server) Handler() http.Handler {
	fw, _ := s.backend.(Forwarder)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fw != nil && r.Method == http.MethodPost && r.Header.Get(forwardedHeader) == "" {
			s.serveOrForward(w, r, fw)
			return
		}
		s.route(w, r)
	})
}

// route dispatches by path and method. It is hand-written so that every
// error, including 404 and 405, is the JSON error envelope.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/v1/status":
		if allow(w, r, http.MethodGet) {
			s.handleStatus(w, r)
		}
	case path == "/v1/policy":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			s.handlePolicyGet(w, r)
		case http.MethodPost:
			s.handlePolicyApply(w, r)
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, Errorf(CodeMethod, "%s %s: use GET or POST", r.Method, path))
		}
	case strings.HasPrefix(path, "/v1/nodes/"):
		rest := strings.TrimPrefix(path, "/v1/nodes/")
		name, action, ok := strings.Cut(rest, "/")
		if !ok || name == "" || strings.Contains(action, "/") {
			writeError(w, Errorf(CodeNotFound, "%s: want /v1/nodes/NAME/ACTION", path))
			return
		}
		if allow(w, r, http.MethodPost) {
			s.handleNode(w, r, name, NodeAction(action))
		}
	default:
		if !s.routeOps(w, r) && !s.routeKeys(w, r) && !s.routeFence(w, r) {
			writeError(w, Errorf(CodeNotFound, "%s: no such endpoint (see docs/api.md)", path))
		}
	}
}

// allow answers 405 unless r uses method (GET also allows HEAD).
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, Errorf(CodeMethod, "%s %s: use %s", r.Method, r.URL.Path, method))
	return false
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.backend.Status(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handlePolicyGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.backend.Policy(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handlePolicyApply(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeApplyRequest(http.MaxBytesReader(w, r.Body, MaxPolicyBody))
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.backend.ApplyPolicy(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("api: policy request served", "dry_run", req.DryRun, "applied", res.Applied, "epoch", res.Epoch)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleNode(w http.ResponseWriter, r *http.Request, name string, action NodeAction) {
	req, err := DecodeNodeRequest(http.MaxBytesReader(w, r.Body, MaxBody), name, string(action))
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.backend.SetNode(r.Context(), req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("api: node request served", "node", req.Node, "action", req.Action)
	writeJSON(w, http.StatusOK, req)
}

// fail sends a backend error: an *Error as is, anything else as 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = Errorf(CodeInternal, "%s %s: %v", r.Method, r.URL.Path, err)
	}
	writeError(w, ae)
}

// errorBody is the JSON envelope of every error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		ae = Errorf(CodeInternal, "%v", err)
	}
	status := ae.Status
	if status < 400 || status > 599 {
		status = statusOf(ae.Code)
	}
	writeJSON(w, status, errorBody{Error: ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: Errorf(CodeInternal, "encode answer: %v", err)})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
