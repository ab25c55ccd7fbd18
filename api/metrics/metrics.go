// Package metrics exposes a ward node to Prometheus: membership and
// quorum, the DC, resource states and roles, failures, transitions,
// fencing and operation durations.
//
// Gauges are read from the node's status at each scrape (a Collector
// over the api.Backend); counters and histograms are fed by the daemon:
// Observe for every event of the event log (transitions, failures,
// fencing) and ObserveOperation for every finished agent operation.
//
// Callers must build one Metrics per daemon (New), feed it, and serve
// Handler (the API's TCP listener serves it at /metrics).
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ward-ha/ward/api"
)

// Source is the status the gauges are read from: the node's api.Backend.
type Source interface {
	Status(ctx context.Context) (api.ClusterStatus, error)
}

// scrapeTimeout bounds the status read of one scrape.
const scrapeTimeout = 3 * time.Second

// Metrics holds a node's metrics registry. It is safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry

	events      *prometheus.CounterVec
	transitions *prometheus.CounterVec
	failures    *prometheus.CounterVec
	fencing     *prometheus.CounterVec
	opDuration  *prometheus.HistogramVec
	transDur    prometheus.Histogram

	// mu guards the following.
	mu         sync.Mutex
	transStart map[string]time.Time // transition id -> first seen
}

// New returns the metrics of the node whose status src serves.
func New(src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), transStart: map[string]time.Time{}}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ward_events_total", Help: "Events recorded in this node's event log, by kind."}, []string{"kind"})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ward_transitions_total", Help: "Transitions seen ending, by result (complete, failed, aborted)."}, []string{"result"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ward_operation_failures_total", Help: "Failed resource operations seen, by resource and operation."}, []string{"resource", "op"})
	m.fencing = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ward_fencing_total", Help: "Fencing attempts seen, by target node and result (ok or failed)."}, []string{"node", "result"})
	m.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ward_operation_duration_seconds", Help: "Duration of agent operations run on this node.",
		Buckets: []float64{.005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}}, []string{"resource", "op", "result"})
	m.transDur = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ward_transition_duration_seconds", Help: "Time from a transition's start to its end, as this node observed it.",
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}})
	m.reg.MustRegister(m.events, m.transitions, m.failures, m.fencing, m.opDuration, m.transDur, &statusCollector{src: src})
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Observe counts one event of the event log.
func (m *Metrics) Observe(e api.Event) {
	m.events.WithLabelValues(string(e.Kind)).Inc()
	switch e.Kind {
	case api.EventTransition:
		id := transitionID(e.Message)
		m.mu.Lock()
		defer m.mu.Unlock()
		if e.From == "" && e.To == "running" {
			m.transStart[id] = e.At
			return
		}
		if e.From == "running" && (e.To == "complete" || e.To == "failed" || e.To == "aborted") {
			m.transitions.WithLabelValues(e.To).Inc()
			if t, ok := m.transStart[id]; ok {
				m.transDur.Observe(e.At.Sub(t).Seconds())
				delete(m.transStart, id)
			}
		}
		if len(m.transStart) > 100 {
			clear(m.transStart)
		}
	case api.EventFailure:
		m.failures.WithLabelValues(e.Resource, e.To).Inc()
	case api.EventFencing:
		res := "ok"
		if e.To != "ok" {
			res = "failed"
		}
		m.fencing.WithLabelValues(e.Node, res).Inc()
	}
}

// transitionID extracts N from "transition N...".
func transitionID(msg string) string {
	const p = "transition "
	if len(msg) <= len(p) || msg[:len(p)] != p {
		return ""
	}
	i := len(p)
	for i < len(msg) && msg[i] >= '0' && msg[i] <= '9' {
		i++
	}
	return msg[len(p):i]
}

// ObserveOperation records one finished agent operation on this node.
func (m *Metrics) ObserveOperation(resource, op string, interval, took time.Duration, ok bool) {
	if interval > 0 {
		op += "_" + strconv.FormatInt(interval.Milliseconds(), 10) + "ms"
	}
	res := "ok"
	if !ok {
		res = "failed"
	}
	m.opDuration.WithLabelValues(resource, op, res).Observe(took.Seconds())
}

// statusCollector reads the gauges from the status at each scrape.
type statusCollector struct{ src Source }

var (
	descUp          = prometheus.NewDesc("ward_up", "1 when the daemon answered the scrape's status request.", nil, nil)
	descNode        = prometheus.NewDesc("ward_node_state", "1 for each node's current state (online, offline, unclean, pending).", []string{"node", "state"}, nil)
	descStandby     = prometheus.NewDesc("ward_node_standby", "1 when the node is in standby.", []string{"node"}, nil)
	descMaint       = prometheus.NewDesc("ward_node_maintenance", "1 when the node is in maintenance.", []string{"node"}, nil)
	descQuorate     = prometheus.NewDesc("ward_quorum_quorate", "1 when this node's partition has quorum.", nil, nil)
	descVotes       = prometheus.NewDesc("ward_quorum_votes", "Votes present in this node's partition.", nil, nil)
	descNeeded      = prometheus.NewDesc("ward_quorum_votes_needed", "Votes needed for quorum.", nil, nil)
	descExpected    = prometheus.NewDesc("ward_quorum_votes_expected", "Votes configured.", nil, nil)
	descIsDC        = prometheus.NewDesc("ward_is_dc", "1 when this node is the DC.", nil, nil)
	descDC          = prometheus.NewDesc("ward_dc_info", "1, labelled with the DC's name (absent when none is elected).", []string{"dc"}, nil)
	descTerm        = prometheus.NewDesc("ward_term", "Highest DC term this node has seen.", nil, nil)
	descEpoch       = prometheus.NewDesc("ward_policy_epoch", "Epoch of the live policy on this node.", nil, nil)
	descResource    = prometheus.NewDesc("ward_resource_active", "1 for each resource instance active on a node, labelled with its role.", []string{"resource", "node", "role"}, nil)
	descRscStopped  = prometheus.NewDesc("ward_resource_stopped", "1 when the resource is active nowhere.", []string{"resource"}, nil)
	descRscFailed   = prometheus.NewDesc("ward_resource_failed", "1 when the resource's last operation failed.", []string{"resource", "node"}, nil)
	descRscBlocked  = prometheus.NewDesc("ward_resource_blocked", "1 when ward waits for an operator to act on the resource.", []string{"resource", "node"}, nil)
	descRscManaged  = prometheus.NewDesc("ward_resource_managed", "1 when ward manages the resource.", []string{"resource", "node"}, nil)
	descFailCount   = prometheus.NewDesc("ward_fail_count", "Failed operations still counted, by resource and node.", []string{"resource", "node"}, nil)
	descTransID     = prometheus.NewDesc("ward_transition_id", "Id of the current or last transition.", nil, nil)
	descTransAction = prometheus.NewDesc("ward_transition_actions", "Actions of the current or last transition: total, done, failed.", []string{"count"}, nil)
)

func (*statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descNode, descStandby, descMaint, descQuorate, descVotes, descNeeded, descExpected, descIsDC, descDC,
		descTerm, descEpoch, descResource, descRscStopped, descRscFailed, descRscBlocked, descRscManaged, descFailCount, descTransID, descTransAction} {
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.src.Status(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	g(descUp, 1)
	for _, n := range st.Nodes {
		g(descNode, 1, n.Name, n.State)
		g(descStandby, b(n.Standby), n.Name)
		g(descMaint, b(n.Maintenance), n.Name)
	}
	g(descQuorate, b(st.Quorum.Quorate))
	g(descVotes, float64(st.Quorum.Votes))
	g(descNeeded, float64(st.Quorum.Needed))
	g(descExpected, float64(st.Quorum.Expected))
	g(descIsDC, b(st.DC != "" && st.DC == st.Node))
	if st.DC != "" {
		g(descDC, 1, st.DC)
	}
	g(descTerm, float64(st.Term))
	g(descEpoch, float64(st.PolicyEpoch))
	seen := map[[2]string]bool{}
	for _, r := range st.Resources {
		if r.Node == "" {
			g(descRscStopped, 1, r.ID)
			continue
		}
		k := [2]string{r.ID, r.Node}
		if seen[k] {
			continue // one instance per resource and node
		}
		seen[k] = true
		g(descResource, 1, r.ID, r.Node, r.Role)
		g(descRscFailed, b(r.Failed), r.ID, r.Node)
		g(descRscBlocked, b(r.Blocked), r.ID, r.Node)
		g(descRscManaged, b(r.Managed), r.ID, r.Node)
	}
	fails := map[[2]string]int{}
	for _, f := range st.FailedActions {
		fails[[2]string{f.Resource, f.Node}]++
	}
	for k, n := range fails {
		g(descFailCount, float64(n), k[0], k[1])
	}
	if t := st.Transition; t != nil {
		g(descTransID, float64(t.ID))
		g(descTransAction, float64(t.Total), "total")
		g(descTransAction, float64(t.Done), "done")
		g(descTransAction, float64(t.Failed), "failed")
	}
}
