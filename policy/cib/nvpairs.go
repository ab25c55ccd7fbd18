package cib

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ward-ha/ward/policy"
)

// nv is one name/value pair of an attribute set.
type nv struct {
	name, value string
	el          *element
}

// readSets merges the attribute sets called tag (instance_attributes,
// meta_attributes, utilization, cluster_property_set) under parent the way
// Pacemaker does: sets in decreasing score order, the first value of a name
// wins. Sets with a rule cannot be evaluated at import time: they are
// reported and skipped.
func (im *importer) readSets(parent *element, tag string) []nv {
	return im.readSetsReport(parent, tag, true)
}

// readSetsQuiet is readSets without reporting sets with rules (the caller
// handles them).
func (im *importer) readSetsQuiet(parent *element, tag string) []nv {
	return im.readSetsReport(parent, tag, false)
}

func (im *importer) readSetsReport(parent *element, tag string, report bool) []nv {
	type set struct {
		el    *element
		score int
	}
	var sets []set
	for _, s := range parent.all(tag) {
		s = im.deref(s)
		if s == nil {
			continue
		}
		if r := s.child("rule"); r != nil {
			switch {
			case !report:
			case tag == "cluster_property_set" && onlyIgnoredOptions(s):
				im.note(s, "cluster options with a rule, none of which ward uses; ignored")
			default:
				im.lossy(s, "attribute set with a rule: ward cannot evaluate rules on attribute sets; the whole set is ignored (apply its values by hand if they hold)")
			}
			continue
		}
		sc := 0
		if v := s.attr("score"); v != "" {
			if p, err := policy.ParseScore(v); err == nil {
				sc = int(p)
			}
		}
		sets = append(sets, set{s, sc})
	}
	sort.SliceStable(sets, func(i, j int) bool { return sets[i].score > sets[j].score })
	var out []nv
	seen := map[string]bool{}
	for _, s := range sets {
		for _, p := range s.el.all("nvpair") {
			p = im.deref(p)
			if p == nil {
				continue
			}
			n := p.attr("name")
			if n == "" || seen[n] {
				continue
			}
			seen[n] = true
			out = append(out, nv{name: n, value: p.attr("value"), el: p})
		}
	}
	return out
}

// msecRe matches Pacemaker's plain interval form: a number and a unit.
var msecRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(ms|msec|us|usec|s|sec|m|min|h|hr)?$`)

// isoRe matches an ISO 8601 duration (PnYnMnDTnHnMnS, PnW).
var isoRe = regexp.MustCompile(`^P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$`)

// parsePcmkDuration reads a Pacemaker interval or timeout: a bare number
// is seconds, units ms/msec/us/usec/s/sec/m/min/h/hr, or ISO 8601 (PT10S).
func parsePcmkDuration(s string) (policy.Duration, error) {
	t := strings.TrimSpace(s)
	if m := msecRe.FindStringSubmatch(strings.ToLower(t)); m != nil {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("interval %q is not a number", s)
		}
		unit := time.Second
		switch m[2] {
		case "ms", "msec":
			unit = time.Millisecond
		case "us", "usec":
			unit = time.Microsecond
		case "m", "min":
			unit = time.Minute
		case "h", "hr":
			unit = time.Hour
		}
		d := v * float64(unit)
		if d > float64(100000*24*time.Hour) {
			return 0, fmt.Errorf("interval %q is too long", s)
		}
		return policy.Duration(time.Duration(math.Round(d))), nil
	}
	if m := isoRe.FindStringSubmatch(strings.ToUpper(t)); m != nil && t != "P" && t != "PT" {
		units := []time.Duration{365 * 24 * time.Hour, 30 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
		var total float64
		for i, u := range units {
			if m[i+1] == "" {
				continue
			}
			v, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				return 0, fmt.Errorf("interval %q is not valid", s)
			}
			total += v * float64(u)
		}
		if total > float64(100000*24*time.Hour) {
			return 0, fmt.Errorf("interval %q is too long", s)
		}
		return policy.Duration(time.Duration(math.Round(total))), nil
	}
	return 0, fmt.Errorf("interval %q is not a Pacemaker duration (a number of seconds, a number with a unit such as 10s or 500ms, or ISO 8601 such as PT10S)", s)
}

// formatDuration writes d in the shortest exact form with one unit where
// possible ("10s", "5m", "2h", "1500ms").
func formatDuration(d policy.Duration) string {
	t := time.Duration(d)
	switch {
	case t == 0:
		return "0s"
	case t%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(t/(24*time.Hour)), 10) + "d"
	case t%time.Hour == 0:
		return strconv.FormatInt(int64(t/time.Hour), 10) + "h"
	case t%time.Minute == 0:
		return strconv.FormatInt(int64(t/time.Minute), 10) + "m"
	case t%time.Second == 0:
		return strconv.FormatInt(int64(t/time.Second), 10) + "s"
	case t%time.Millisecond == 0:
		return strconv.FormatInt(int64(t/time.Millisecond), 10) + "ms"
	}
	return t.String()
}

// mapRole maps a Pacemaker role name (3.x or legacy) to ward's.
func mapRole(s string) (policy.Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "stopped":
		return policy.RoleStopped, true
	case "started":
		return policy.RoleStarted, true
	case "unpromoted", "slave":
		return policy.RoleUnpromoted, true
	case "promoted", "master":
		return policy.RolePromoted, true
	}
	return "", false
}

// idRe is what ward accepts as a resource or constraint id.
var idRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// checkID reports an id ward cannot use.
func (im *importer) checkID(e *element, id string) bool {
	if id == "" {
		im.lossy(e, "element has no id; ignored")
		return false
	}
	if !idRe.MatchString(id) {
		im.lossy(e, fmt.Sprintf("id %q has characters ward does not accept in ids (only letters, digits, '_', '.', '-'); ignored", id))
		return false
	}
	return true
}

// secretName reports parameter names that hold secrets, which go to
// secret_params (never printed by ward).
func secretName(n string) bool {
	l := strings.ToLower(n)
	for _, s := range []string{"passw", "secret", "token", "private_key", "api_key", "apikey", "community"} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// onlyIgnoredOptions reports whether every option of a cluster property
// set is one ward does not use.
func onlyIgnoredOptions(s *element) bool {
	for _, p := range s.all("nvpair") {
		if _, ok := ignoredOptions[p.attr("name")]; !ok {
			return false
		}
	}
	return true
}
