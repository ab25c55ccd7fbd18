package api

import (
	"fmt"
	"net/http"
	"strconv"
)

// This file serves the health endpoints load balancers probe, as
// Patroni's: each answers 200 or 503 about the node asked, with a short
// JSON body saying why. Any method is accepted (HAProxy sends OPTIONS).
//
//	/health   the node is online in a quorate partition
//	/primary  the node runs a promoted instance (?resource=R: R runs here,
//	          promoted, or started if R is not promotable)
//	/replica  the node is healthy and runs an unpromoted instance
//	          (?resource=R); ?lag=BYTES also needs the node attribute
//	          "lag" (or "R_lag") at most BYTES

// healthAnswer is the body of a health endpoint's answer.
type healthAnswer struct {
	Node    string `json:"node"`
	OK      bool   `json:"ok"`
	Reason  string `json:"reason"`
	Role    string `json:"role,omitempty"`
	Quorate bool   `json:"quorate"`
	State   string `json:"state"`
}

// routeHealth serves /health, /primary and /replica; it reports false
// for any other path.
func (s *Server) routeHealth(w http.ResponseWriter, r *http.Request) bool {
	kind := r.URL.Path
	if kind != "/health" && kind != "/primary" && kind != "/replica" {
		return false
	}
	st, err := s.backend.Status(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, healthAnswer{Reason: "the daemon cannot answer: " + err.Error()})
		return true
	}
	a := healthAnswer{Node: st.Node, Quorate: st.Quorum.Quorate}
	for _, n := range st.Nodes {
		if n.Name == st.Node {
			a.State = n.State
		}
	}
	a.OK, a.Role, a.Reason = judge(kind, st, a.State, r.URL.Query().Get("resource"), r.URL.Query().Get("lag"))
	code := http.StatusOK
	if !a.OK {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, a)
	return true
}

// judge decides a health check.
func judge(kind string, st ClusterStatus, state, resource, lag string) (ok bool, role, reason string) {
	if state != StateOnline {
		return false, "", fmt.Sprintf("node %s is %s", st.Node, orUnknown(state))
	}
	if !st.Quorum.Quorate {
		return false, "", "this partition has no quorum"
	}
	if kind == "/health" {
		return true, "", "online and quorate"
	}
	for _, r := range st.Resources {
		if r.Node != st.Node || (resource != "" && r.ID != resource && baseOf(r.ID) != resource) {
			continue
		}
		switch {
		case kind == "/primary" && (r.Role == "Promoted" || (resource != "" && r.Role == "Started")):
			return true, r.Role, fmt.Sprintf("%s is %s here", r.ID, r.Role)
		case kind == "/replica" && r.Role == "Unpromoted":
			if lag == "" {
				return true, r.Role, fmt.Sprintf("%s is Unpromoted here", r.ID)
			}
			return lagOK(st, resource, lag, r.ID)
		}
	}
	what := "a promoted instance"
	if kind == "/replica" {
		what = "an unpromoted instance"
	}
	if resource != "" {
		what += " of " + resource
	}
	return false, "", fmt.Sprintf("node %s runs no %s", st.Node, what[len("a "):])
}

// lagOK checks the node's lag attribute against the bound.
func lagOK(st ClusterStatus, resource, bound, id string) (bool, string, string) {
	max, err := strconv.ParseInt(bound, 10, 64)
	if err != nil || max < 0 {
		return false, "", fmt.Sprintf("lag=%q: want a byte count", bound)
	}
	attr := "lag"
	if resource != "" {
		attr = resource + "_lag"
	}
	var attrs map[string]string
	for _, n := range st.Nodes {
		if n.Name == st.Node {
			attrs = n.Attributes
		}
	}
	v, ok := attrs[attr]
	if !ok {
		return false, "Unpromoted", fmt.Sprintf("lag unknown: node attribute %q is not set", attr)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false, "Unpromoted", fmt.Sprintf("node attribute %s=%q is not a byte count", attr, v)
	}
	if n > max {
		return false, "Unpromoted", fmt.Sprintf("%s lags %d bytes, over %d", id, n, max)
	}
	return true, "Unpromoted", fmt.Sprintf("%s is Unpromoted here, %d bytes behind", id, n)
}

func orUnknown(s string) string {
	if s == "" {
		return "not in the status"
	}
	return s
}
