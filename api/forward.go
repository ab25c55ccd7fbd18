package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// This file forwards changes to the DC. A node that is not the DC
// answers a change (POST) with not_dc; when its Backend is also a
// Forwarder, the server sends the request to the DC instead, which
// serves it (ServeForwarded) as if it had come to its own socket, and
// relays the DC's answer. A forwarded request is never forwarded again.

// Forwarder sends an encoded request to the DC and returns its encoded
// answer (the node's controller implements it over the cluster's
// messages). It blocks until the answer arrives or ctx ends and is safe
// for concurrent use.
type Forwarder interface {
	Forward(ctx context.Context, req []byte) ([]byte, error)
}

// forwardedHeader marks a request that was forwarded to the DC.
const forwardedHeader = "X-Ward-Forwarded-By"

// ForwardedRequest is a request sent to the DC.
type ForwardedRequest struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query,omitempty"`
	Body   []byte `json:"body,omitempty"`
}

// ForwardedResponse is the DC's answer.
type ForwardedResponse struct {
	Status int    `json:"status"`
	Body   []byte `json:"body"`
	// DC names the node that answered.
	DC string `json:"dc"`
}

// bufferedResponse collects an answer in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse { return &bufferedResponse{header: http.Header{}} }

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// isNotDC reports whether a buffered answer is a not_dc refusal.
func (b *bufferedResponse) isNotDC() bool {
	if b.status != http.StatusServiceUnavailable {
		return false
	}
	var eb errorBody
	return json.Unmarshal(b.body.Bytes(), &eb) == nil && eb.Error != nil && eb.Error.Code == CodeNotDC
}

// serveOrForward serves r locally and, when this node refuses it as
// not the DC, forwards it to the DC through fw.
func (s *Server) serveOrForward(w http.ResponseWriter, r *http.Request, fw Forwarder) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPolicyBody+1))
	if err != nil {
		writeError(w, Errorf(CodeBadRequest, "read request body: %v", err))
		return
	}
	local := r.Clone(r.Context())
	local.Body = io.NopCloser(bytes.NewReader(body))
	rec := newBufferedResponse()
	s.route(rec, local)
	if rec.isNotDC() {
		req, _ := json.Marshal(ForwardedRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body})
		if out, err := fw.Forward(r.Context(), req); err == nil {
			var resp ForwardedResponse
			if err := json.Unmarshal(out, &resp); err == nil && resp.Status >= 200 && resp.Status <= 599 {
				s.log.Info("api: change forwarded to the DC", "method", r.Method, "path", r.URL.Path, "dc", resp.DC, "status", resp.Status)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set(forwardedHeader+"-To", resp.DC)
				w.WriteHeader(resp.Status)
				w.Write(resp.Body)
				return
			}
		} else {
			s.log.Warn("api: cannot forward a change to the DC; answering not_dc", "path", r.URL.Path, "err", err)
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	w.Write(rec.body.Bytes())
}

// ServeForwarded serves a request another node forwarded (DC side) and
// returns the encoded ForwardedResponse. A request that does not decode
// gets a bad_request answer.
func (s *Server) ServeForwarded(ctx context.Context, req []byte) []byte {
	var fr ForwardedRequest
	rec := newBufferedResponse()
	if err := json.Unmarshal(req, &fr); err != nil || fr.Method == "" || fr.Path == "" || fr.Path[0] != '/' {
		writeError(rec, Errorf(CodeBadRequest, "forwarded request does not decode"))
	} else {
		u := fr.Path
		if fr.Query != "" {
			u += "?" + fr.Query
		}
		hr, err := http.NewRequestWithContext(ctx, fr.Method, "http://ward"+u, bytes.NewReader(fr.Body))
		if err != nil {
			writeError(rec, Errorf(CodeBadRequest, "forwarded request: %v", err))
		} else {
			hr.Header.Set(forwardedHeader, "1")
			hr.Header.Set("Content-Type", "application/json")
			s.route(rec, hr)
			s.log.Info("api: served a change forwarded by a member", "method", fr.Method, "path", fr.Path, "status", rec.status)
		}
	}
	st, _ := s.backend.Status(ctx)
	out, _ := json.Marshal(ForwardedResponse{Status: rec.status, Body: rec.body.Bytes(), DC: st.Node})
	return out
}
