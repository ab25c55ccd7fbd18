package resources

import "testing"

func TestCodeStringAndRecovery(t *testing.T) {
	tests := []struct {
		c    Code
		name string
		ocf  string
		sev  Severity
	}{
		{OK, "success", "OCF_SUCCESS", SeveritySoft},
		{ErrGeneric, "generic-error", "OCF_ERR_GENERIC", SeveritySoft},
		{ErrArgs, "invalid-args", "OCF_ERR_ARGS", SeverityFatal},
		{ErrUnimplemented, "unimplemented", "OCF_ERR_UNIMPLEMENTED", SeverityFatal},
		{ErrPerm, "insufficient-privileges", "OCF_ERR_PERM", SeverityHard},
		{ErrNotInstalled, "not-installed", "OCF_ERR_INSTALLED", SeverityHard},
		{ErrNotConfigured, "not-configured", "OCF_ERR_CONFIGURED", SeverityFatal},
		{NotRunning, "not-running", "OCF_NOT_RUNNING", SeveritySoft},
		{RunningPromoted, "running-promoted", "OCF_RUNNING_PROMOTED", SeveritySoft},
		{FailedPromoted, "failed-promoted", "OCF_FAILED_PROMOTED", SeveritySoft},
		{127, "unknown-127", "OCF_UNKNOWN_127", SeveritySoft},
		{-1, "unknown--1", "OCF_UNKNOWN_-1", SeveritySoft},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.name {
			t.Errorf("Code(%d).String() = %q, want %q", int(tt.c), got, tt.name)
		}
		if got := tt.c.OCFName(); got != tt.ocf {
			t.Errorf("Code(%d).OCFName() = %q, want %q", int(tt.c), got, tt.ocf)
		}
		if got := tt.c.Recovery(); got != tt.sev {
			t.Errorf("Code(%d).Recovery() = %v, want %v", int(tt.c), got, tt.sev)
		}
	}
}

func TestResultFailure(t *testing.T) {
	tests := []struct {
		r    Result
		want Severity
	}{
		{Result{Action: "start", Code: OK}, SeverityNone},
		{Result{Action: "start", Code: ErrNotConfigured}, SeverityFatal},
		{Result{Action: "start", Code: ErrNotInstalled, Kind: KindError}, SeverityHard},
		{Result{Action: "stop", Code: NotRunning}, SeverityNone},
		{Result{Action: "stop", Code: OK, Kind: KindTimeout}, SeveritySoft},
		{Result{Action: "monitor", Code: NotRunning}, SeverityNone},      // probe
		{Result{Action: "monitor", Code: RunningPromoted}, SeverityNone}, // probe
		{Result{Action: "monitor", Code: ErrPerm}, SeverityHard},         // probe
		{Result{Action: "monitor", Interval: 1, Code: NotRunning}, SeveritySoft},
		{Result{Action: "monitor", Interval: 1, Code: OK, Expect: RunningPromoted}, SeveritySoft},
		{Result{Action: "monitor", Interval: 1, Code: RunningPromoted, Expect: RunningPromoted}, SeverityNone},
		{Result{Action: "promote", Code: ErrGeneric}, SeveritySoft},
		{Result{Action: "notify", Code: OK, Kind: KindCanceled}, SeveritySoft},
	}
	for _, tt := range tests {
		if got := tt.r.Failure(); got != tt.want {
			t.Errorf("Result{%s interval=%v rc=%d expect=%d kind=%q}.Failure() = %v, want %v",
				tt.r.Action, tt.r.Interval, tt.r.Code, tt.r.Expect, tt.r.Kind, got, tt.want)
		}
	}
	if k := (Result{Action: "monitor", Interval: 10_000_000_000}).Key(); k != "monitor_10000" {
		t.Errorf("Key() = %q, want monitor_10000", k)
	}
}
