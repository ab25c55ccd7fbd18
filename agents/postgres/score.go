package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// Promotion scores published as the node attribute master-<resource>.
const (
	// ScorePrimary is a running primary's score: above any standby's,
	// so the cluster keeps it promoted.
	ScorePrimary = 2000
	// ScoreBest is a standby that is not behind at all; ScoreWorst one
	// exactly max_lag_on_failover behind. Scores fall linearly between.
	ScoreBest  = 1999
	ScoreWorst = 1000
	// ScoreUnknown is a standby that has never known a primary (a new
	// cluster): promotable, below any standby that has.
	ScoreUnknown = 1000
	// NotPromotable is published for a standby that must not be
	// promoted: too far behind, or its knowledge is stale.
	NotPromotable = "-INFINITY"
)

// record is what the agent remembers about its instance across restarts
// (Config.StateFile): the role it last put it in and the last WAL
// position of the primary it knew, with when it learned it.
type record struct {
	Role       string `json:"role"` // "primary" or "standby"
	PrimaryLSN string `json:"primary_lsn,omitempty"`
	// Self says PrimaryLSN was this instance's own position while it was
	// the primary (it then never goes stale: nobody can be ahead of it).
	Self bool      `json:"self,omitempty"`
	At   time.Time `json:"at"`
}

// Roles in the record.
const (
	rolePrimary = "primary"
	roleStandby = "standby"
)

// maxRecordSize bounds the state file read.
const maxRecordSize = 4 << 10

func readRecord(path string) (record, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, nil
	}
	if err != nil {
		return record{}, fmt.Errorf("read state %s: %w", path, err)
	}
	return parseRecord(b)
}

// parseRecord decodes a state file; a broken one is an error (the
// operator must look: it decides promotions).
func parseRecord(b []byte) (record, error) {
	if len(b) > maxRecordSize {
		return record{}, fmt.Errorf("state file is %d bytes, over %d", len(b), maxRecordSize)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, fmt.Errorf("state file is not valid JSON: %w (remove it to forget what the agent knew)", err)
	}
	switch r.Role {
	case "", rolePrimary, roleStandby:
	default:
		return record{}, fmt.Errorf("state file: role %q is not primary or standby", r.Role)
	}
	if r.PrimaryLSN != "" {
		if _, err := ParseLSN(r.PrimaryLSN); err != nil {
			return record{}, fmt.Errorf("state file: primary_lsn: %w", err)
		}
	}
	return r, nil
}

func writeRecord(path string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write state %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	return nil
}

// standbyScore computes a standby's promotion score and says why:
//   - streaming: lag = primary's reported end of WAL - own position;
//   - not streaming, with a record of a primary position no older than
//     staleAfter (or written by this instance while it was the primary):
//     lag against that record;
//   - never knew a primary: ScoreUnknown;
//   - otherwise, or lag above maxLag: NotPromotable.
func standbyScore(s standbyState, rec record, now time.Time, maxLag int64, staleAfter time.Duration) (string, string) {
	pos := s.position()
	var ref LSN
	switch {
	case s.status == "streaming" && s.primaryEnd != 0:
		ref = s.primaryEnd
	case rec.PrimaryLSN == "":
		return strconv.Itoa(ScoreUnknown), "never knew a primary: lowest promotable score"
	default:
		ref, _ = ParseLSN(rec.PrimaryLSN)
		if !rec.Self && now.Sub(rec.At) > staleAfter {
			return NotPromotable, fmt.Sprintf("not streaming, and the last primary position it knew (%s) is %v old, over stale_after %v", rec.PrimaryLSN, now.Sub(rec.At).Round(time.Second), staleAfter)
		}
	}
	lag := int64(0)
	if ref > pos {
		lag = int64(ref - pos)
	}
	if lag > maxLag {
		return NotPromotable, fmt.Sprintf("%d bytes behind the primary's %s, over max_lag_on_failover %d", lag, ref, maxLag)
	}
	return strconv.Itoa(lagScore(lag, maxLag)), fmt.Sprintf("%d bytes behind the primary's %s", lag, ref)
}

// lagScore maps a lag in [0, maxLag] to [ScoreWorst, ScoreBest],
// decreasing.
func lagScore(lag, maxLag int64) int {
	if maxLag <= 0 {
		return ScoreBest
	}
	return ScoreBest - int(float64(ScoreBest-ScoreWorst)*float64(lag)/float64(maxLag)+0.5)
}

// lagQuantum is the step a published lag is rounded up to: a standby
// that keeps up shows a steady value instead of a new one at every
// monitor (each change is reported to the DC).
const lagQuantum = 16 << 10

// lagAttribute is the node attribute of a streaming standby's lag in
// bytes, "<resource>_lag" (the resource ID without a clone instance
// suffix): what the /replica?lag=BYTES health check reads.
func lagAttribute(resource string) string {
	return strings.TrimPrefix(scoreAttribute(resource), "master-") + "_lag"
}

// lagValue is the published lag of a standby at pos behind the
// primary's end of WAL: bytes, rounded up to lagQuantum.
func lagValue(primaryEnd, pos LSN) string {
	if primaryEnd <= pos {
		return "0"
	}
	lag := uint64(primaryEnd - pos)
	return strconv.FormatUint((lag+lagQuantum-1)/lagQuantum*lagQuantum, 10)
}

// scoreAttribute is the node attribute of a resource's promotion score:
// "master-" and the resource ID without a clone instance suffix.
func scoreAttribute(resource string) string {
	if i := strings.LastIndexByte(resource, ':'); i > 0 {
		if _, err := strconv.Atoi(resource[i+1:]); err == nil {
			resource = resource[:i]
		}
	}
	return "master-" + resource
}
