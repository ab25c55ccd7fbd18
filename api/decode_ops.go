package api

import (
	"io"
	"time"
)

// maxFor bounds the --for duration of a move or ban.
const maxFor = 10 * 365 * 24 * time.Hour

// DecodeResourceRequest checks the resource ID and action from the path
// of POST /v1/resources/ID/ACTION and reads its body from r (empty, or a
// JSON object with "node" and "for"). Anything else is refused with an
// *Error naming the field.
func DecodeResourceRequest(r io.Reader, id, action string) (ResourceRequest, error) {
	if err := checkResourceID(id); err != nil {
		return ResourceRequest{}, err
	}
	a := ResourceAction(action)
	if !a.Valid() {
		return ResourceRequest{}, Errorf(CodeNotFound, "resource %s: unknown action %q: use move, ban, clear, start, stop or cleanup", id, action)
	}
	var req ResourceRequest
	if err := decodeStrict(r, MaxBody, &req, true); err != nil {
		return ResourceRequest{}, err
	}
	req.Resource, req.Action = id, a
	if err := req.Check(); err != nil {
		return ResourceRequest{}, err
	}
	return req, nil
}

// Check refuses a request whose fields cannot be right: a bad node
// name, a For that is not a positive duration, For on an action other
// than move and ban.
func (req ResourceRequest) Check() error {
	if err := checkResourceID(req.Resource); err != nil {
		return err
	}
	if req.Node != "" {
		if err := checkNodeName(req.Node); err != nil {
			return err
		}
	}
	if req.For != "" {
		if req.Action != ResourceMove && req.Action != ResourceBan {
			return Errorf(CodeBadRequest, `resource %s: "for" applies to move and ban only`, req.Resource)
		}
		if _, err := req.Duration(); err != nil {
			return err
		}
	}
	return nil
}

// Duration parses For; 0 when it is empty.
func (req ResourceRequest) Duration() (time.Duration, error) {
	if req.For == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(req.For)
	if err != nil || d <= 0 || d > maxFor {
		return 0, Errorf(CodeBadRequest, `resource %s: "for" %q: want a positive duration like 30m or 2h, at most 10 years`, req.Resource, req.For)
	}
	return d, nil
}

// checkResourceID refuses IDs no policy can hold.
func checkResourceID(id string) error {
	if id == "" || len(id) > maxNodeName {
		return Errorf(CodeBadRequest, "resource ID must have 1 to %d characters, got %d", maxNodeName, len(id))
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return Errorf(CodeBadRequest, "resource ID %q: only letters, digits, '-', '_', '.' and ':' are allowed", id)
		}
	}
	return nil
}

// DecodeClusterRequest reads the body of POST /v1/cluster: a JSON object
// with "maintenance" (required).
func DecodeClusterRequest(r io.Reader) (ClusterRequest, error) {
	var req ClusterRequest
	if err := decodeStrict(r, MaxBody, &req, false); err != nil {
		return ClusterRequest{}, err
	}
	if req.Maintenance == nil {
		return ClusterRequest{}, Errorf(CodeBadRequest, `request body: field "maintenance" is missing: send {"maintenance": true} or false`)
	}
	return req, nil
}
