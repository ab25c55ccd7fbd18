package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ward-ha/ward/internal/lab"
)

// breakdown reads the survivors' daemon and PostgreSQL logs and says
// when, after the power-off at t0, each step of the failover happened:
// the victim declared lost, fenced, the promote request, the end of the
// promotion, the other standby re-aimed, and the first synchronous
// standby of the new primary.
func breakdown(l *lab.Lab, victim, newPrimary int, t0 time.Time) string {
	var steps []string
	add := func(name string, t time.Time) {
		if !t.IsZero() && !t.Before(t0) {
			steps = append(steps, fmt.Sprintf("%s +%.2fs", name, t.Sub(t0).Seconds()))
		}
	}
	var lost, fenced time.Time
	for i := 1; i <= l.Config().Nodes; i++ {
		if i == victim {
			continue
		}
		if t := firstLine(l.DaemonLog(i), daemonTime, t0, `msg="node lost`); !t.IsZero() && (lost.IsZero() || t.Before(lost)) {
			lost = t
		}
		if t := firstLine(l.DaemonLog(i), daemonTime, t0, `msg="node fenced;`); !t.IsZero() {
			fenced = t
		}
	}
	add("lost", lost)
	add("fenced", fenced)
	pglog := func(i int) string { return filepath.Join(l.HostDir(i), "postgresql.log") }
	add("promote_request", firstLine(pglog(newPrimary), pgTime, t0, "received promote request"))
	promoted := firstLine(pglog(newPrimary), pgTime, t0, "database system is ready to accept connections")
	add("promoted", promoted)
	for i := 1; i <= l.Config().Nodes; i++ {
		if i != victim && i != newPrimary {
			add("reaimed_"+l.Name(i), firstLine(pglog(i), pgTime, promoted, `parameter "primary_conninfo" changed`))
		}
	}
	add("sync_standby", firstLine(pglog(newPrimary), pgTime, promoted, "is now a synchronous standby"))
	return strings.Join(steps, ", ")
}

func daemonTime(line string) (time.Time, bool) {
	if !strings.HasPrefix(line, "time=") || len(line) < 29 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02T15:04:05.000Z07:00", line[5:29])
	return t, err == nil
}

func pgTime(line string) (time.Time, bool) {
	if len(line) < 27 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02 15:04:05.000 MST", line[:27])
	return t, err == nil
}

// firstLine returns the time of the first line of path at or after
// since that contains s.
func firstLine(path string, at func(string) (time.Time, bool), since time.Time, s string) time.Time {
	if since.IsZero() {
		return time.Time{}
	}
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, s) {
			continue
		}
		if t, ok := at(line); ok && !t.Before(since) {
			return t
		}
	}
	return time.Time{}
}
