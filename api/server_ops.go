package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SetEvents makes s serve GET /v1/events from src. Call it before
// serving.
func (s *Server) SetEvents(src EventSource) { s.events = src }

// routeOps dispatches the operating endpoints; it reports false when
// the path is none of them.
func (s *Server) routeOps(w http.ResponseWriter, r *http.Request) bool {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/v1/resources/"):
		id, action, ok := strings.Cut(strings.TrimPrefix(path, "/v1/resources/"), "/")
		if !ok || id == "" || strings.Contains(action, "/") {
			writeError(w, Errorf(CodeNotFound, "%s: want /v1/resources/ID/ACTION", path))
			return true
		}
		if allow(w, r, http.MethodPost) {
			s.handleResource(w, r, id, action)
		}
	case path == "/v1/cluster":
		if allow(w, r, http.MethodPost) {
			s.handleCluster(w, r)
		}
	case strings.HasPrefix(path, "/v1/explain/"):
		if allow(w, r, http.MethodGet) {
			s.handleExplain(w, r, strings.TrimPrefix(path, "/v1/explain/"))
		}
	case path == "/v1/events":
		if allow(w, r, http.MethodGet) {
			s.handleEvents(w, r)
		}
	default:
		return false
	}
	return true
}

func (s *Server) handleResource(w http.ResponseWriter, r *http.Request, id, action string) {
	req, err := DecodeResourceRequest(http.MaxBytesReader(w, r.Body, MaxBody), id, action)
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.backend.ResourceAction(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("api: resource request served", "resource", req.Resource, "action", req.Action, "node", req.Node,
		"for", req.For, "applied", res.Applied, "epoch", res.Epoch)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleCluster(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeClusterRequest(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.backend.SetCluster(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("api: cluster request served", "maintenance", *req.Maintenance, "applied", res.Applied, "epoch", res.Epoch)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleExplain(w http.ResponseWriter, r *http.Request, id string) {
	if err := checkResourceID(id); err != nil {
		writeError(w, err)
		return
	}
	res, err := s.backend.Explain(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.events == nil {
		writeError(w, Errorf(CodeUnavailable, "this daemon keeps no event log"))
		return
	}
	q, err := ParseEventQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.events.Events(q))
}

// ParseEventQuery reads the query string of GET /v1/events: after (a
// Seq), since (RFC 3339), resource, node, kind and limit. A bad value is
// refused with an *Error naming the parameter.
func ParseEventQuery(v url.Values) (EventQuery, error) {
	var q EventQuery
	for k := range v {
		switch k {
		case "after", "since", "resource", "node", "kind", "limit":
		default:
			return q, Errorf(CodeBadRequest, "unknown query parameter %q (want after, since, resource, node, kind or limit)", k)
		}
	}
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, Errorf(CodeBadRequest, "after=%q: want an event sequence number", s)
		}
		q.After = n
	}
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, Errorf(CodeBadRequest, "since=%q: want an RFC 3339 instant like 2026-11-26T07:00:00Z", s)
		}
		q.Since = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, Errorf(CodeBadRequest, "limit=%q: want a number >= 0", s)
		}
		q.Limit = n
	}
	if s := v.Get("kind"); s != "" {
		ok := false
		for _, k := range EventKinds {
			ok = ok || string(k) == s
		}
		if !ok {
			return q, Errorf(CodeBadRequest, "kind=%q: want one of node, quorum, dc, policy, transition, resource, failure, fencing", s)
		}
		q.Kind = EventKind(s)
	}
	q.Resource, q.Node = v.Get("resource"), v.Get("node")
	return q, nil
}

// Values encodes q as the query string ParseEventQuery reads.
func (q EventQuery) Values() url.Values {
	v := url.Values{}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Kind != "" {
		v.Set("kind", string(q.Kind))
	}
	if q.Resource != "" {
		v.Set("resource", q.Resource)
	}
	if q.Node != "" {
		v.Set("node", q.Node)
	}
	return v
}
