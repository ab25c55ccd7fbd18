package controller

import (
	"fmt"
	"time"
)

// FenceRecord is one fencing attempt's outcome, as kept in the history.
type FenceRecord struct {
	// Target is the node that was fenced.
	Target string `json:"target"`
	// Boot is the target's boot id (hex) when it was lost: a success
	// clears that boot of the node, not a later one.
	Boot string `json:"boot,omitempty"`
	// Action is off or reboot.
	Action string `json:"action"`
	// Device is the device (or topology level) used.
	Device string `json:"device,omitempty"`
	// Executor is the node that ran the device.
	Executor string `json:"executor,omitempty"`
	// RequestedBy is the DC that ordered it.
	RequestedBy string `json:"requested_by,omitempty"`
	// Term is the DC term that ordered it.
	Term uint64 `json:"term"`
	// OK reports success: the target is known to be off (or reset).
	OK bool `json:"ok"`
	// Error is the failure's message.
	Error string `json:"error,omitempty"`
	// Started and Completed bound the attempt.
	Started   time.Time `json:"started"`
	Completed time.Time `json:"completed"`
}

// maxFencingHistory is the number of records kept; older ones are
// dropped first.
const maxFencingHistory = 1000

type fencingHistory struct {
	Records []FenceRecord `json:"records"`
}

// AppendFencing adds r to the fencing history and persists the history
// before returning. The history keeps the most recent records.
func (s *Store) AppendFencing(r FenceRecord) error {
	if r.Target == "" {
		return fmt.Errorf("controller: append fencing record: target is empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := append(append(make([]FenceRecord, 0, len(s.fencing)+1), s.fencing...), r)
	limit := maxFencingHistory
	if s.fenceLimit > 0 {
		limit = s.fenceLimit
	}
	if len(next) > limit {
		next = next[len(next)-limit:]
	}
	if err := s.writeLocked(fencingFile, kindFencing, fencingHistory{Records: next}); err != nil {
		return err
	}
	s.fencing = next
	return nil
}

// Fencing returns a copy of the fencing history, oldest first.
func (s *Store) Fencing() []FenceRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FenceRecord(nil), s.fencing...)
}

// LastFencing returns the most recent record for target, if any.
func (s *Store) LastFencing(target string) (FenceRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.fencing) - 1; i >= 0; i-- {
		if s.fencing[i].Target == target {
			return s.fencing[i], true
		}
	}
	return FenceRecord{}, false
}
