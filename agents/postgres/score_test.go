package postgres

import (
	"strings"
	"testing"
	"time"
)

func TestStandbyScore(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	tests := []struct {
		name string
		st   standbyState
		rec  record
		want string
	}{
		{"streaming caught up", standbyState{status: "streaming", primaryEnd: 5000, receive: 5000, replay: 4000}, record{}, "1999"},
		{"streaming half lag", standbyState{status: "streaming", primaryEnd: 10 * mib, receive: 10*mib - mib/2}, record{}, "1499"},
		{"streaming at max lag", standbyState{status: "streaming", primaryEnd: 10 * mib, replay: 9 * mib}, record{}, "1000"},
		{"streaming over max lag", standbyState{status: "streaming", primaryEnd: 10 * mib, replay: 9*mib - 1}, record{}, NotPromotable},
		{"never knew a primary", standbyState{replay: 77}, record{}, "1000"},
		{"fresh record", standbyState{replay: 100}, record{PrimaryLSN: LSN(100).String(), At: now.Add(-10 * time.Second)}, "1999"},
		{"stale record", standbyState{replay: 100}, record{PrimaryLSN: LSN(100).String(), At: now.Add(-61 * time.Second)}, NotPromotable},
		{"own record as primary never stale", standbyState{replay: 100}, record{PrimaryLSN: LSN(100).String(), Self: true, At: now.Add(-time.Hour)}, "1999"},
		{"fresh record too far", standbyState{replay: 100}, record{PrimaryLSN: LSN(100 + 2*mib).String(), At: now}, NotPromotable},
		{"ahead of record", standbyState{receive: 500}, record{PrimaryLSN: LSN(100).String(), At: now}, "1999"},
	}
	for _, tt := range tests {
		got, why := standbyScore(tt.st, tt.rec, now, mib, 60*time.Second)
		if got != tt.want {
			t.Errorf("standbyScore(%s) = %s (%s), want %s", tt.name, got, why, tt.want)
		}
	}
}

func TestScoreAttribute(t *testing.T) {
	for in, want := range map[string]string{"db": "master-db", "db:1": "master-db", "pg:x": "master-pg:x"} {
		if got := scoreAttribute(in); got != want {
			t.Errorf("scoreAttribute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	r, err := parseRecord([]byte(`{"role":"primary","primary_lsn":"0/3000060","self":true,"at":"2026-01-01T00:00:00Z"}`))
	if err != nil || r.Role != rolePrimary || !r.Self || r.PrimaryLSN != "0/3000060" {
		t.Errorf("parseRecord(valid) = %+v, %v", r, err)
	}
	for _, bad := range []string{`{`, `{"role":"leader"}`, `{"primary_lsn":"zz"}`, strings.Repeat(" ", maxRecordSize+1)} {
		if _, err := parseRecord([]byte(bad)); err == nil {
			t.Errorf("parseRecord(%.30q) error = nil, want one", bad)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"role":"standby","primary_lsn":"0/1","at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRecord(b)
		if err != nil {
			return
		}
		if r.PrimaryLSN != "" {
			if _, err := ParseLSN(r.PrimaryLSN); err != nil {
				t.Errorf("parseRecord(%q) accepted primary_lsn %q", b, r.PrimaryLSN)
			}
		}
	})
}

func TestDiverged(t *testing.T) {
	yes := "pg_rewind: servers diverged at WAL location 0/3000060 on timeline 1\npg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 1\npg_rewind: Done!"
	no := "pg_rewind: servers diverged at WAL location 0/1741570 on timeline 1\npg_rewind: no rewind required"
	if d, where, err := diverged(yes); !d || err != nil || !strings.HasPrefix(where, "servers diverged at WAL location 0/3000060") {
		t.Errorf("diverged(rewinding output) = %v, %q, %v, want true", d, where, err)
	}
	if d, _, err := diverged(no); d || err != nil {
		t.Errorf("diverged(no rewind required) = %v, %v, want false", d, err)
	}
	if _, _, err := diverged("pg_rewind: error: could not connect"); err == nil {
		t.Errorf("diverged(error output) error = nil, want one")
	}
}

func TestSyncNames(t *testing.T) {
	tests := []struct {
		mode           string
		relax          bool
		healthy, peers []string
		current, want  string
	}{
		{SyncOff, false, []string{"b"}, nil, "manual", "manual"},
		{SyncOn, false, []string{"b", "c"}, nil, "", `FIRST 1 ("b", "c")`},
		{SyncQuorum, false, []string{"b"}, nil, `ANY 1 ("b", "c")`, `ANY 1 ("b")`},
		{SyncOn, false, nil, []string{"b", "c"}, `FIRST 1 ("b")`, `FIRST 1 ("b")`},
		{SyncOn, false, nil, []string{"b", "c"}, "", `FIRST 1 ("b", "c")`},
		{SyncOn, false, nil, nil, "", `FIRST 1 (*)`},
		{SyncOn, true, nil, []string{"b"}, `FIRST 1 ("b")`, ""},
	}
	for _, tt := range tests {
		if got := syncNames(tt.mode, tt.relax, tt.healthy, tt.peers, tt.current); got != tt.want {
			t.Errorf("syncNames(%s, relax %v, %v, %v, %q) = %q, want %q", tt.mode, tt.relax, tt.healthy, tt.peers, tt.current, got, tt.want)
		}
	}
}

func TestRewriteAutoConf(t *testing.T) {
	old := "# Do not edit\nprimary_conninfo = 'host=old'\nwork_mem = '4MB'\nprimary_slot_name = 'n1'\n"
	got := rewriteAutoConf(old, [][2]string{{"primary_conninfo", "host='h' password='it''s'"}})
	want := "# Do not edit\nwork_mem = '4MB'\nprimary_conninfo = 'host=''h'' password=''it''''s'''\n"
	if got != want {
		t.Errorf("rewriteAutoConf = %q, want %q", got, want)
	}
	if got := conninfoValue(`a'b\c`); got != `'a\'b\\c'` {
		t.Errorf("conninfoValue = %s, want 'a\\'b\\\\c'", got)
	}
}

func TestLagAttribute(t *testing.T) {
	for _, tt := range []struct {
		rsc, want string
	}{{"pg", "pg_lag"}, {"pg:1", "pg_lag"}, {"db:x", "db:x_lag"}} {
		if got := lagAttribute(tt.rsc); got != tt.want {
			t.Errorf("lagAttribute(%q) = %q, want %q", tt.rsc, got, tt.want)
		}
	}
	for _, tt := range []struct {
		end, pos LSN
		want     string
	}{{100, 100, "0"}, {100, 200, "0"}, {101, 100, "16384"}, {16384, 0, "16384"}, {16385, 0, "32768"}} {
		if got := lagValue(tt.end, tt.pos); got != tt.want {
			t.Errorf("lagValue(%d, %d) = %q, want %q", tt.end, tt.pos, got, tt.want)
		}
	}
}
