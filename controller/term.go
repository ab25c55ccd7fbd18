package controller

import (
	"errors"
	"fmt"
)

// TermState is this node's persisted record of DC terms. Terms only grow:
// no method ever lowers a field.
type TermState struct {
	// Seen is the highest term this node has seen in any message, claim
	// or grant. Messages carrying a lower term are stale.
	Seen uint64 `json:"seen"`
	// Granted is the highest term in which this node granted its vote.
	Granted uint64 `json:"granted"`
	// GrantedTo is the candidate that got the vote in Granted.
	GrantedTo string `json:"granted_to,omitempty"`
	// Won is the highest term this node won as DC.
	Won uint64 `json:"won"`
}

// check reports a term record that no sequence of Store calls produces.
func (t TermState) check() error {
	switch {
	case t.Granted > t.Seen:
		return fmt.Errorf("granted term %d is above the highest term seen %d", t.Granted, t.Seen)
	case t.Won > t.Seen:
		return fmt.Errorf("won term %d is above the highest term seen %d", t.Won, t.Seen)
	case t.Granted > 0 && t.GrantedTo == "":
		return fmt.Errorf("granted term %d has no candidate", t.Granted)
	}
	return nil
}

// ErrStaleTerm is returned by Win when the term is lower than a term
// this node has already seen: another DC may hold a newer term.
var ErrStaleTerm = errors.New("controller: stale term")

// Term returns a copy of the persisted term record.
func (s *Store) Term() TermState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term
}

// ObserveTerm raises the highest term seen to term and persists it before
// returning. It reports whether term was higher than anything seen
// before (a DC that gets true for a term other than its own must stop
// dispatching at once). A term that is not higher changes nothing.
func (s *Store) ObserveTerm(term uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if term <= s.term.Seen {
		return false, nil
	}
	next := s.term
	next.Seen = term
	if err := s.writeLocked(termFile, kindTerm, next); err != nil {
		return false, err
	}
	s.term = next
	return true, nil
}

// Grant decides a vote on candidate's claim for term and persists the
// decision before returning: this node grants at most one candidate per
// term, and never a term lower than one it has seen. Asking again for
// the same (term, candidate) is answered true again, so a lost answer can
// be retried. A refusal is (false, nil). On a write error nothing is
// granted and nothing changes in memory.
//
// Grant does not check the rest of the protocol's conditions (the
// candidate is the node this node would choose, this node is quorate):
// the caller must, before calling it.
func (s *Store) Grant(term uint64, candidate string) (bool, error) {
	if term == 0 || candidate == "" {
		return false, fmt.Errorf("controller: grant: term %d, candidate %q: want a term > 0 and a candidate name", term, candidate)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case term < s.term.Seen:
		return false, nil
	case term < s.term.Granted:
		return false, nil
	case term == s.term.Granted:
		return s.term.GrantedTo == candidate, nil
	}
	next := s.term
	next.Granted, next.GrantedTo = term, candidate
	next.Seen = max(next.Seen, term)
	if err := s.writeLocked(termFile, kindTerm, next); err != nil {
		return false, err
	}
	s.term = next
	return true, nil
}

// Win records that this node won term as DC and persists it before
// returning; only then may the node act as DC. It returns ErrStaleTerm
// if a higher term has been seen, or if term is not above a term
// already won.
func (s *Store) Win(term uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if term < s.term.Seen || term <= s.term.Won {
		return fmt.Errorf("%w: cannot win term %d: highest seen %d, highest won %d", ErrStaleTerm, term, s.term.Seen, s.term.Won)
	}
	next := s.term
	next.Won = term
	next.Seen = max(next.Seen, term)
	if err := s.writeLocked(termFile, kindTerm, next); err != nil {
		return err
	}
	s.term = next
	return nil
}
