package controller

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// PolicyState is the policy this node holds: the policy file's source, as
// the operator wrote it, and its epoch. The zero value (epoch 0, no
// source) means no policy was ever saved.
type PolicyState struct {
	// Epoch grows by one with every applied policy.
	Epoch uint64 `json:"epoch"`
	// Source is the policy file's content (TOML).
	Source []byte `json:"source"`
	// SHA256 is the hex SHA-256 of Source, for comparing policies.
	SHA256 string `json:"sha256"`
}

func (p PolicyState) check() error {
	if p.Epoch == 0 && len(p.Source) == 0 && p.SHA256 == "" {
		return nil
	}
	if p.Epoch == 0 {
		return errors.New("policy has epoch 0")
	}
	if got := policyHash(p.Source); got != p.SHA256 {
		return fmt.Errorf("policy source hash %s does not match recorded %s", got, p.SHA256)
	}
	return nil
}

func policyHash(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// Errors returned by SavePolicy.
var (
	// ErrStaleEpoch: the epoch is lower than the saved one.
	ErrStaleEpoch = errors.New("controller: stale policy epoch")
	// ErrEpochConflict: same epoch, different content. The protocol
	// refuses to schedule and alerts in that case.
	ErrEpochConflict = errors.New("controller: two different policies have the same epoch")
)

// maxPolicySource bounds a saved policy.
const maxPolicySource = 16 << 20

// Policy returns a copy of the saved policy.
func (s *Store) Policy() PolicyState {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.policy
	p.Source = bytes.Clone(p.Source)
	return p
}

// SavePolicy persists source as the policy of epoch before returning.
// The epoch must be above the saved one; saving the same epoch with the
// same content again is a no-op (a retried acknowledgement). A lower
// epoch returns ErrStaleEpoch, the same epoch with other content
// ErrEpochConflict. The caller validates source (policy.Parse) first.
func (s *Store) SavePolicy(epoch uint64, source []byte) error {
	if epoch == 0 {
		return errors.New("controller: save policy: epoch 0 is not valid; epochs start at 1")
	}
	if len(source) > maxPolicySource {
		return fmt.Errorf("controller: save policy: %d bytes is more than the %d allowed", len(source), maxPolicySource)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := policyHash(source)
	switch {
	case epoch < s.policy.Epoch:
		return fmt.Errorf("%w: epoch %d, saved %d", ErrStaleEpoch, epoch, s.policy.Epoch)
	case epoch == s.policy.Epoch && h == s.policy.SHA256:
		return nil
	case epoch == s.policy.Epoch:
		return fmt.Errorf("%w: epoch %d: saved %.12s, new %.12s", ErrEpochConflict, epoch, s.policy.SHA256, h)
	}
	next := PolicyState{Epoch: epoch, Source: bytes.Clone(source), SHA256: h}
	if err := s.writeLocked(policyFile, kindPolicy, next); err != nil {
		return err
	}
	s.policy = next
	return nil
}
