package postgres

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseNodeHosts(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]HostPort
		err  string
	}{
		{"", map[string]HostPort{}, ""},
		{"alpha=10.0.0.1, beta=db-b.example:5433,gamma=[fd00::3]:5432,delta=fd00::4", map[string]HostPort{
			"alpha": {"10.0.0.1", 0}, "beta": {"db-b.example", 5433}, "gamma": {"fd00::3", 5432}, "delta": {"fd00::4", 0}}, ""},
		{"alpha", nil, "not node=host"},
		{"alpha=", nil, "not node=host"},
		{"al pha=1.2.3.4", nil, "node name"},
		{"a=1.2.3.4,a=1.2.3.5", nil, "listed twice"},
		{"a=1.2.3.4:99999", nil, "not a port"},
		{"a=[fd00::1", nil, "missing ']'"},
		{"a=host;rm", nil, "not allowed"},
	}
	for _, tt := range tests {
		got, err := ParseNodeHosts(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseNodeHosts(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseNodeHosts(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(map[string]string{"pgdata": "/var/lib/postgresql/15/main", "repl_password": "pw", "synchronous": "quorum", "max_lag_on_failover": "0", "stale_after": "2m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFile != "/var/lib/postgresql/15/ward-main.log" || c.StateFile != "/var/lib/postgresql/15/.ward-main.json" ||
		c.Synchronous != SyncQuorum || c.MaxLag != 0 || c.StaleAfter != 2*time.Minute || c.Port != 5432 || c.Rewind {
		t.Errorf("ParseConfig(...) = %+v, want defaults next to pgdata, quorum, lag 0, stale 2m", c)
	}
	bad := []struct {
		p   map[string]string
		err string
	}{
		{map[string]string{}, "param pgdata"},
		{map[string]string{"pgdata": "relative"}, "param pgdata"},
		{map[string]string{"pgdata": "/d", "socket_dir": "/a b"}, "param socket_dir"},
		{map[string]string{"pgdata": "/d", "pgport": "0"}, "param pgport"},
		{map[string]string{"pgdata": "/d", "synchronous": "yes"}, "param synchronous"},
		{map[string]string{"pgdata": "/d", "rewind": "perhaps"}, "param rewind"},
		{map[string]string{"pgdata": "/d", "node_hosts": "x"}, "param node_hosts"},
		{map[string]string{"pgdata": "/d", "repl_user": "a;b"}, "param repl_user"},
		{map[string]string{"pgdata": "/d", "repl_sslmode": "maybe"}, "param repl_sslmode"},
		{map[string]string{"pgdata": "/d", "stale_after": "-1s"}, "param stale_after"},
	}
	for _, b := range bad {
		if _, err := ParseConfig(b.p); err == nil || !strings.Contains(err.Error(), b.err) {
			t.Errorf("ParseConfig(%v) error = %v, want one containing %q", b.p, err, b.err)
		}
	}
	pw := "hunter2-secret"
	if _, err := ParseConfig(map[string]string{"pgdata": "/d", "repl_password": pw + "\n"}); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("ParseConfig(bad password) error = %v, want an error that does not show the password", err)
	}
}

func TestLSN(t *testing.T) {
	tests := []struct {
		in   string
		want LSN
		ok   bool
	}{
		{"0/0", 0, true},
		{"16/B374D848", 0x16B374D848, true},
		{"FFFFFFFF/FFFFFFFF", 0xFFFFFFFFFFFFFFFF, true},
		{"16B374D848", 0, false},
		{"/1", 0, false},
		{"1/", 0, false},
		{"123456789/0", 0, false},
		{"g/0", 0, false},
		{"+1/0", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseLSN(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseLSN(%q) = %v, %v, want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != strings.ToUpper(tt.in) {
			t.Errorf("ParseLSN(%q).String() = %q, want %q", tt.in, got.String(), strings.ToUpper(tt.in))
		}
	}
}

func FuzzParseLSN(f *testing.F) {
	for _, s := range []string{"0/0", "16/B374D848", "FFFFFFFF/FFFFFFFF", "x", "1//2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLSN(s)
		if err != nil {
			return
		}
		back, err := ParseLSN(l.String())
		if err != nil || back != l {
			t.Errorf("ParseLSN(%q) = %v; ParseLSN(String()) = %v, %v, want the same", s, l, back, err)
		}
	})
}

func FuzzParseNodeHosts(f *testing.F) {
	for _, s := range []string{"", "a=1.2.3.4", "a=1.2.3.4:5,b=[fd00::1]:6", "a=[", "=,=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseNodeHosts(s)
		if err != nil {
			return
		}
		for n, hp := range m {
			if !validName(n) || hp.Host == "" || hp.Port < 0 || hp.Port > 65535 || strings.ContainsAny(hp.Host, " '\\=,") {
				t.Errorf("ParseNodeHosts(%q) accepted node %q -> %+v", s, n, hp)
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add("/d", "a=1.2.3.4", "on", "1048576", "60s", "pw")
	f.Fuzz(func(t *testing.T, pgdata, hosts, sync, lag, stale, pw string) {
		_, err := ParseConfig(map[string]string{"pgdata": pgdata, "node_hosts": hosts, "synchronous": sync,
			"max_lag_on_failover": lag, "stale_after": stale, "repl_password": pw})
		if err != nil && len(pw) >= 4 && strings.Contains(err.Error(), pw) && !strings.Contains(pgdata+hosts+sync+lag+stale, pw) {
			t.Errorf("ParseConfig error %q shows the password", err)
		}
	})
}
