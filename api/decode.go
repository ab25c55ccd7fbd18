package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Request body limits.
const (
	// MaxPolicyBody bounds POST /v1/policy (the policy file itself is
	// bounded by policy.Parse as well).
	MaxPolicyBody = 16 << 20
	// MaxBody bounds every other request body.
	MaxBody = 64 << 10
	// maxNodeName bounds a node name in a path.
	maxNodeName = 200
)

// DecodeApplyRequest reads the body of POST /v1/policy from r: one JSON
// object with "source" (required, the TOML policy) and "dry_run". Unknown
// fields, trailing data and bodies over MaxPolicyBody are refused with an
// *Error naming the field or the problem.
func DecodeApplyRequest(r io.Reader) (ApplyRequest, error) {
	var req ApplyRequest
	if err := decodeStrict(r, MaxPolicyBody, &req, false); err != nil {
		return ApplyRequest{}, err
	}
	if strings.TrimSpace(req.Source) == "" {
		return ApplyRequest{}, Errorf(CodeBadRequest, `request body: field "source" is missing or empty: send the whole TOML policy`)
	}
	return req, nil
}

// nodeBody is the optional body of POST /v1/nodes/NAME/ACTION. It has no
// fields today; it exists so that unknown fields are refused.
type nodeBody struct{}

// DecodeNodeRequest checks the node name and action from the path of
// POST /v1/nodes/NAME/ACTION and reads its body from r, which may be
// empty or "{}". Anything else is refused with an *Error.
func DecodeNodeRequest(r io.Reader, name, action string) (NodeRequest, error) {
	if err := checkNodeName(name); err != nil {
		return NodeRequest{}, err
	}
	a := NodeAction(action)
	if !a.Valid() {
		return NodeRequest{}, Errorf(CodeNotFound, "node %s: unknown action %q: use standby, online, maintenance or ready", name, action)
	}
	var b nodeBody
	if err := decodeStrict(r, MaxBody, &b, true); err != nil {
		return NodeRequest{}, err
	}
	return NodeRequest{Node: name, Action: a}, nil
}

// checkNodeName refuses names no policy can hold, before they reach the
// backend or a log line.
func checkNodeName(name string) error {
	if name == "" || len(name) > maxNodeName {
		return Errorf(CodeBadRequest, "node name must have 1 to %d characters, got %d", maxNodeName, len(name))
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return Errorf(CodeBadRequest, "node name %q: only letters, digits, '-', '_' and '.' are allowed", name)
		}
	}
	return nil
}

// decodeStrict decodes one JSON object from at most limit bytes of r into
// v, refusing unknown fields and trailing data. An empty body is allowed
// only if allowEmpty.
func decodeStrict(r io.Reader, limit int64, v any, allowEmpty bool) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(CodeTooLarge, "request body is over the limit of %d bytes", mbe.Limit)
		}
		return Errorf(CodeBadRequest, "read request body: %v", err)
	}
	if int64(len(data)) > limit {
		return Errorf(CodeTooLarge, "request body is over the limit of %d bytes", limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if allowEmpty {
			return nil
		}
		return Errorf(CodeBadRequest, "request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeBadRequest, "request body: %s", describeJSONError(err, data))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeBadRequest, "request body: unexpected data after the JSON object at byte %d", dec.InputOffset())
	}
	return nil
}

// describeJSONError turns an encoding/json error into an operator's
// message: the field and the byte offset when known.
func describeJSONError(err error, data []byte) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return fmt.Sprintf("want a JSON object, got %s", te.Value)
		}
		return fmt.Sprintf("field %q: want %s, got %s", field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Sprintf("truncated JSON after %d bytes", len(data))
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("unknown field %s", f)
	}
	return strings.TrimPrefix(msg, "json: ")
}
