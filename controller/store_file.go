package controller

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The on-disk format of every state file:
//
//	ward-state 1 KIND\n
//	sha256 HEX LENGTH\n
//	PAYLOAD (LENGTH bytes of JSON)
//
// The header line names the format version and what the file holds, so a
// file copied to the wrong name is refused. The checksum covers the
// payload; a truncated or bit-flipped file fails it. Unknown JSON fields
// are errors: a newer ward's file is refused by an older one instead of
// being half-read.

// formatVersion is the version written; decode accepts only it.
const formatVersion = 1

const magic = "ward-state"

// maxStateFile bounds every state file; a larger one is refused.
const maxStateFile = 32 << 20

// The kinds of state file.
const (
	kindTerm    = "term"
	kindPolicy  = "policy"
	kindFencing = "fencing"
)

// encodeState renders v as a state file of the given kind.
func encodeState(kind string, v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s state: %w", kind, err)
	}
	sum := sha256.Sum256(payload)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %d %s\nsha256 %s %d\n", magic, formatVersion, kind, hex.EncodeToString(sum[:]), len(payload))
	b.Write(payload)
	if b.Len() > maxStateFile {
		return nil, fmt.Errorf("encode %s state: %d bytes is more than the %d allowed", kind, b.Len(), maxStateFile)
	}
	return b.Bytes(), nil
}

// decodeState checks and decodes a state file of the given kind into v
// (a pointer). Every failure is an error describing what is wrong.
func decodeState(kind string, data []byte, v any) error {
	if len(data) == 0 {
		return errors.New("file is empty (truncated)")
	}
	if len(data) > maxStateFile {
		return fmt.Errorf("file is %d bytes, more than the %d allowed", len(data), maxStateFile)
	}
	line1, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return errors.New("header line is missing or truncated")
	}
	f := bytes.Fields(line1)
	if len(f) != 3 || string(f[0]) != magic {
		return fmt.Errorf("first line %q is not a ward state header", clip(line1))
	}
	if v, err := strconv.Atoi(string(f[1])); err != nil || v != formatVersion {
		return fmt.Errorf("format version %q is not supported (this ward reads version %d; was the file written by a newer ward?)", clip(f[1]), formatVersion)
	}
	if string(f[2]) != kind {
		return fmt.Errorf("file holds %q state, want %q (was it copied to the wrong name?)", clip(f[2]), kind)
	}
	line2, payload, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return errors.New("checksum line is missing or truncated")
	}
	f = bytes.Fields(line2)
	if len(f) != 3 || string(f[0]) != "sha256" || len(f[1]) != 2*sha256.Size {
		return fmt.Errorf("checksum line %q is malformed", clip(line2))
	}
	want, err := hex.DecodeString(string(f[1]))
	if err != nil {
		return fmt.Errorf("checksum line %q is malformed", clip(line2))
	}
	n, err := strconv.Atoi(string(f[2]))
	if err != nil || n < 0 {
		return fmt.Errorf("checksum line %q has a bad length", clip(line2))
	}
	if len(payload) != n {
		return fmt.Errorf("payload is %d bytes, header says %d (truncated or appended to)", len(payload), n)
	}
	sum := sha256.Sum256(payload)
	if !bytes.Equal(sum[:], want) {
		return errors.New("checksum mismatch: the content was damaged")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if dec.More() {
		return errors.New("payload: trailing data after the JSON value")
	}
	return nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
