package eventlog

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ward-ha/ward/api"
)

// Stopped is the placement of a resource active nowhere.
const Stopped = "Stopped"

// Tracker turns successive status snapshots into events. It is not safe
// for concurrent use (the Recorder owns it).
type Tracker struct {
	prev *api.ClusterStatus
	// place and wanted are the last placement ("Started@n1",
	// "Promoted@n1,Unpromoted@n2" or Stopped) and wanted flag of each
	// resource.
	place  map[string]string
	wanted map[string]bool
}

// NewTracker returns a tracker that remembers the resource placements
// of the latest events in last (the log as left before a restart), so
// that a restart in the same state records nothing new.
func NewTracker(last []api.Event) *Tracker {
	t := &Tracker{place: map[string]string{}, wanted: map[string]bool{}}
	for _, e := range last {
		if e.Kind == api.EventResource && e.Resource != "" {
			t.place[e.Resource] = e.To
			t.wanted[e.Resource] = e.Wanted == nil || *e.Wanted
		}
	}
	return t
}

// Placements returns the placement of every primitive of st, by ID
// (clone instances folded into their clone's primitive).
func Placements(st api.ClusterStatus) map[string]string {
	parts := map[string][]string{}
	for _, r := range st.Resources {
		b := baseID(r.ID)
		if _, ok := parts[b]; !ok {
			parts[b] = nil
		}
		if r.Node != "" && r.Role != Stopped {
			parts[b] = append(parts[b], r.Role+"@"+r.Node)
		}
	}
	out := make(map[string]string, len(parts))
	for b, p := range parts {
		if len(p) == 0 {
			out[b] = Stopped
			continue
		}
		sort.Strings(p)
		out[b] = strings.Join(p, ",")
	}
	return out
}

// Step compares cur with the previous snapshot and returns the events,
// stamped cur.At (or now when cur.At is zero). wanted says, per
// resource, whether the policy wants it running; a resource missing
// from wanted is wanted.
func (t *Tracker) Step(cur api.ClusterStatus, wanted map[string]bool, now time.Time) []api.Event {
	at := cur.At
	if at.IsZero() {
		at = now
	}
	var out []api.Event
	add := func(e api.Event) {
		e.At = at
		if e.Severity == "" {
			e.Severity = api.SeverityInfo
		}
		out = append(out, e)
	}
	if p := t.prev; p != nil {
		diffCluster(p, &cur, add)
	}
	place := Placements(cur)
	ids := make([]string, 0, len(place))
	for id := range place {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		to := place[id]
		w, ok := wanted[id]
		if !ok {
			w = true
		}
		from, seen := t.place[id]
		if seen && from == to && t.wanted[id] == w {
			continue
		}
		e := api.Event{Kind: api.EventResource, Resource: id, From: from, To: to, Wanted: &w}
		e.Message, e.Severity = resourceMessage(id, from, to, seen, w, t.wanted[id])
		if single := singleNode(to); single != "" {
			e.Node = single
		}
		add(e)
		t.place[id], t.wanted[id] = to, w
	}
	c := cur
	t.prev = &c
	return out
}

func singleNode(place string) string {
	if place == Stopped || strings.Contains(place, ",") {
		return ""
	}
	_, n, _ := strings.Cut(place, "@")
	return n
}

func resourceMessage(id, from, to string, seen, wanted, wasWanted bool) (string, string) {
	switch {
	case !seen:
		return fmt.Sprintf("%s: %s (first observed)", id, to), api.SeverityInfo
	case from == to && wanted != wasWanted:
		if wanted {
			return fmt.Sprintf("%s: the policy wants it running again (%s)", id, to), api.SeverityInfo
		}
		return fmt.Sprintf("%s: the policy no longer wants it running (%s)", id, to), api.SeverityInfo
	case to == Stopped && wanted:
		return fmt.Sprintf("%s stopped (was %s) and the policy wants it running", id, from), api.SeverityCritical
	case to == Stopped:
		return fmt.Sprintf("%s stopped (was %s)", id, from), api.SeverityInfo
	case from == Stopped:
		return fmt.Sprintf("%s started: %s", id, to), api.SeverityInfo
	}
	return fmt.Sprintf("%s moved: %s -> %s", id, from, to), api.SeverityWarning
}

// diffCluster adds the membership, quorum, DC, policy, transition,
// failure and fencing events between p and c.
func diffCluster(p, c *api.ClusterStatus, add func(api.Event)) {
	if p.Quorum.Quorate != c.Quorum.Quorate {
		e := api.Event{Kind: api.EventQuorum, From: quorumText(p.Quorum), To: quorumText(c.Quorum)}
		if c.Quorum.Quorate {
			e.Message = fmt.Sprintf("quorum regained (%d of %d votes, %d needed)", c.Quorum.Votes, c.Quorum.Expected, c.Quorum.Needed)
		} else {
			e.Message, e.Severity = fmt.Sprintf("quorum lost (%d of %d votes, %d needed)", c.Quorum.Votes, c.Quorum.Expected, c.Quorum.Needed), api.SeverityCritical
		}
		add(e)
	}
	if p.DC != c.DC {
		e := api.Event{Kind: api.EventDC, Node: c.DC, From: p.DC, To: c.DC}
		if c.DC == "" {
			e.Message, e.Severity = "no DC: "+p.DC+" is no longer the DC", api.SeverityWarning
		} else {
			e.Message = c.DC + " is the DC (term " + fmt.Sprint(c.Term) + ")"
		}
		add(e)
	}
	if c.PolicyEpoch > p.PolicyEpoch {
		add(api.Event{Kind: api.EventPolicy, From: fmt.Sprint(p.PolicyEpoch), To: fmt.Sprint(c.PolicyEpoch),
			Message: fmt.Sprintf("policy epoch %d is live (was %d)", c.PolicyEpoch, p.PolicyEpoch)})
	}
	prevNodes := map[string]api.NodeInfo{}
	for _, n := range p.Nodes {
		prevNodes[n.Name] = n
	}
	for _, n := range c.Nodes {
		o, ok := prevNodes[n.Name]
		from, to := nodeText(o), nodeText(n)
		if !ok || from == to {
			continue
		}
		e := api.Event{Kind: api.EventNode, Node: n.Name, From: from, To: to, Message: fmt.Sprintf("node %s: %s -> %s", n.Name, from, to)}
		switch n.State {
		case api.StateUnclean:
			e.Severity = api.SeverityCritical
		case api.StateOffline:
			e.Severity = api.SeverityWarning
		}
		add(e)
	}
	diffTransition(p.Transition, c.Transition, add)
	seenFail := map[string]bool{}
	for _, f := range p.FailedActions {
		seenFail[failKey(f)] = true
	}
	for _, f := range c.FailedActions {
		if seenFail[failKey(f)] {
			continue
		}
		msg := fmt.Sprintf("%s %s on %s failed: rc %d (%s)", f.Resource, f.Op, f.Node, f.RC, f.RCName)
		if f.Kind != "" {
			msg += " " + f.Kind
		}
		if o := strings.TrimSpace(f.Output); o != "" {
			msg += ": " + firstLine(o)
		}
		add(api.Event{Kind: api.EventFailure, Node: f.Node, Resource: f.Resource, To: f.Op, Message: msg, Severity: api.SeverityWarning})
	}
	seenFence := map[string]bool{}
	for _, f := range p.Fencing {
		seenFence[fenceKey(f)] = true
	}
	for _, f := range c.Fencing {
		if seenFence[fenceKey(f)] {
			continue
		}
		e := api.Event{Kind: api.EventFencing, Node: f.Node, To: f.Result, Severity: api.SeverityCritical,
			Message: fmt.Sprintf("node %s fenced (%s) by %s through %s: %s", f.Node, f.Action, orDash(f.RequestedBy), orDash(f.Device), f.Result)}
		add(e)
	}
}

func diffTransition(p, c *api.TransitionInfo, add func(api.Event)) {
	if c == nil || c.Total == 0 {
		return
	}
	if p == nil || p.ID != c.ID {
		add(api.Event{Kind: api.EventTransition, To: c.State, Message: fmt.Sprintf("transition %d: %d actions (%d done)", c.ID, c.Total, c.Done)})
		if c.State == "running" {
			return
		}
	} else if p.State == c.State {
		return
	}
	if c.State == "running" {
		return
	}
	e := api.Event{Kind: api.EventTransition, From: "running", To: c.State,
		Message: fmt.Sprintf("transition %d %s: %d of %d actions done, %d failed", c.ID, c.State, c.Done, c.Total, c.Failed)}
	if c.Failed > 0 {
		e.Severity = api.SeverityWarning
	}
	add(e)
}

func quorumText(q api.Quorum) string {
	if q.Quorate {
		return fmt.Sprintf("quorate %d/%d", q.Votes, q.Expected)
	}
	return fmt.Sprintf("no quorum %d/%d", q.Votes, q.Expected)
}

func nodeText(n api.NodeInfo) string {
	s := n.State
	if n.Standby {
		s += "+standby"
	}
	if n.Maintenance {
		s += "+maintenance"
	}
	return s
}

func failKey(f api.FailedAction) string {
	return f.Resource + "|" + f.Node + "|" + f.Op + "|" + f.Interval + "|" + f.At.UTC().String()
}

func fenceKey(f api.FenceEvent) string {
	return f.Node + "|" + f.Action + "|" + f.Result + "|" + f.At.UTC().String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// baseID strips a clone instance suffix ("web:1" -> "web").
func baseID(id string) string {
	if i := strings.LastIndexByte(id, ':'); i > 0 && i < len(id)-1 && strings.Trim(id[i+1:], "0123456789") == "" {
		return id[:i]
	}
	return id
}
