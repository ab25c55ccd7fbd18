package eventlog

import (
	"math"
	"sort"
	"time"

	"github.com/ward-ha/ward/api"
)

// Availability is one resource's availability over a window.
type Availability struct {
	Resource string `json:"resource"`
	// From and To bound the window; Observed is the part of it the log
	// covers (from the first event known for the resource on).
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Observed time.Duration `json:"observed_ns"`
	// Down is the time the resource was not running while the policy
	// wanted it running.
	Down time.Duration `json:"down_ns"`
	// Percent is (n - y) x 100 / n with n the observed minutes and y
	// the minutes down; Nines is -log10(1 - Percent/100), capped at 9.
	Percent float64 `json:"percent"`
	Nines   float64 `json:"nines"`
	// Incidents are the downtime periods, oldest first.
	Incidents []Incident `json:"incidents"`
	// MTTR is the mean duration of the incidents that ended (0 when
	// none did).
	MTTR time.Duration `json:"mttr_ns"`
}

// Incident is one period during which a wanted resource did not run.
type Incident struct {
	Start time.Time `json:"start"`
	// End is zero while the incident lasts (Ongoing).
	End      time.Time     `json:"end,omitzero"`
	Duration time.Duration `json:"duration_ns"`
	Ongoing  bool          `json:"ongoing,omitempty"`
	// Cause is the event that most likely caused it: the failure,
	// fencing, node or quorum event closest before the start (within
	// causeWindow), else the resource event itself.
	Cause string `json:"cause"`
}

// causeWindow is how far before an incident a cause is looked for.
const causeWindow = 2 * time.Minute

// maxNines caps Nines (100% would be infinite).
const maxNines = 9

// Compute returns the availability of every resource in events (or only
// resource, if not "") over [from, to). events must be oldest first.
func Compute(events []api.Event, resource string, from, to time.Time) []Availability {
	byRes := map[string][]api.Event{}
	for _, e := range events {
		if e.Kind == api.EventResource && e.Resource != "" && (resource == "" || e.Resource == resource) {
			byRes[e.Resource] = append(byRes[e.Resource], e)
		}
	}
	ids := make([]string, 0, len(byRes))
	for id := range byRes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]Availability, 0, len(ids))
	for _, id := range ids {
		out = append(out, compute(id, byRes[id], events, from, to))
	}
	return out
}

// span is a period with one state.
type span struct {
	start, end time.Time
	down       bool
	ev         api.Event
}

func compute(id string, evs, all []api.Event, from, to time.Time) Availability {
	a := Availability{Resource: id, From: from, To: to}
	// The spans between successive events, clipped to the window.
	var spans []span
	for i, e := range evs {
		end := to
		if i+1 < len(evs) {
			end = evs[i+1].At
		}
		start := e.At
		if start.Before(from) {
			start = from
		}
		if end.After(to) {
			end = to
		}
		if !end.After(start) {
			continue
		}
		wanted := e.Wanted == nil || *e.Wanted
		spans = append(spans, span{start: start, end: end, down: wanted && e.To == Stopped, ev: e})
	}
	for _, s := range spans {
		a.Observed += s.end.Sub(s.start)
	}
	// Merge adjacent down spans into incidents.
	var cur *Incident
	for _, s := range spans {
		if !s.down {
			cur = nil
			continue
		}
		a.Down += s.end.Sub(s.start)
		if cur != nil && cur.End.Equal(s.start) {
			cur.End = s.end
			continue
		}
		a.Incidents = append(a.Incidents, Incident{Start: s.start, End: s.end, Cause: cause(id, s.ev, all)})
		cur = &a.Incidents[len(a.Incidents)-1]
	}
	var ended time.Duration
	n := 0
	for i := range a.Incidents {
		in := &a.Incidents[i]
		in.Duration = in.End.Sub(in.Start)
		if !in.End.Before(to) {
			in.Ongoing, in.End = true, time.Time{}
			continue
		}
		ended += in.Duration
		n++
	}
	if n > 0 {
		a.MTTR = ended / time.Duration(n)
	}
	a.Percent = 100
	if a.Observed > 0 {
		nm, ym := a.Observed.Minutes(), a.Down.Minutes()
		a.Percent = (nm - ym) * 100 / nm
	}
	a.Nines = maxNines
	if a.Percent < 100 {
		a.Nines = math.Min(maxNines, -math.Log10(1-a.Percent/100))
	}
	return a
}

// cause finds the likely cause of a resource going down with ev.
func cause(id string, ev api.Event, all []api.Event) string {
	best := ""
	rank := 0
	// all is oldest first: look only at the window before ev.
	lo := sort.Search(len(all), func(i int) bool { return !all[i].At.Before(ev.At.Add(-causeWindow)) })
	for _, e := range all[lo:] {
		if e.At.After(ev.At) {
			break
		}
		r := 0
		switch {
		case e.Kind == api.EventFailure && (e.Resource == id || baseID(e.Resource) == id):
			r = 4
		case e.Kind == api.EventFencing:
			r = 3
		case e.Kind == api.EventNode && e.Node != "" && (e.Node == singleNode(ev.From)):
			r = 3
		case e.Kind == api.EventQuorum:
			r = 2
		case e.Kind == api.EventNode:
			r = 1
		}
		if r > 0 && r >= rank {
			best, rank = e.Message, r
		}
	}
	if best == "" {
		return ev.Message
	}
	return best
}
