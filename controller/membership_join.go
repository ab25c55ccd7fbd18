package controller

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/ward-ha/ward/heartbeat"
)

// The join state is what a member hands to a node that starts with
// `ward daemon --join ADDR` (heartbeat.FetchJoinState): the live policy
// and its epoch. Format: the line "ward-join-state 1", the line
// "epoch N", then the policy source as applied.

const joinStateMagic = "ward-join-state 1\n"

// EncodeJoinState encodes the live policy for nodes that join.
func EncodeJoinState(epoch uint64, source []byte) []byte {
	b := make([]byte, 0, len(joinStateMagic)+32+len(source))
	b = append(b, joinStateMagic...)
	b = append(b, "epoch "...)
	b = strconv.AppendUint(b, epoch, 10)
	b = append(b, '\n')
	return append(b, source...)
}

// DecodeJoinState parses what EncodeJoinState made. It checks the form
// only: the caller parses and validates the policy itself.
func DecodeJoinState(b []byte) (epoch uint64, source []byte, err error) {
	if len(b) > heartbeat.MaxReliable+64 {
		return 0, nil, fmt.Errorf("join state: %d bytes, more than %d", len(b), heartbeat.MaxReliable+64)
	}
	rest, ok := bytes.CutPrefix(b, []byte(joinStateMagic))
	if !ok {
		return 0, nil, errors.New("join state: not a ward join state of version 1 (is the peer a ward daemon of another version?)")
	}
	line, src, ok := bytes.Cut(rest, []byte{'\n'})
	num, isEpoch := bytes.CutPrefix(line, []byte("epoch "))
	if !ok || !isEpoch {
		return 0, nil, errors.New("join state: the epoch line is missing")
	}
	epoch, err = strconv.ParseUint(string(num), 10, 64)
	if err != nil || epoch == 0 {
		return 0, nil, fmt.Errorf("join state: epoch %q must be a positive integer", num)
	}
	if len(src) == 0 {
		return 0, nil, errors.New("join state: the policy is empty")
	}
	return epoch, src, nil
}
