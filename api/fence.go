package api

import (
	"context"
	"io"
	"net/http"
	"time"
)

// This file is POST /v1/fence: an operator asks the cluster to fence a
// node (`ward fence NODE`). The DC serves it (a member forwards it): it
// picks a fencer node that is up and is not the victim, runs the node's
// devices there, records the result in the fencing history with the
// requester, and announces it to every member.

// Fence actions an operator may ask for.
const (
	FenceOff    = "off"
	FenceReboot = "reboot"
	// FenceConfirm runs no device: the operator states that the node is
	// powered off (checked by hand), and the cluster records it as
	// fenced (Pacemaker's stonith_admin --confirm). Refused while the
	// node is up.
	FenceConfirm = "confirm"
)

// FenceRequest is the body of POST /v1/fence.
type FenceRequest struct {
	// Node is the node to fence.
	Node string `json:"node"`
	// Action is "off", "reboot", "confirm" (no device: the operator
	// states the node is off) or "" (each device's own action).
	Action string `json:"action,omitempty"`
	// RequestedBy names who asked ("operator on HOST" by default); it
	// goes into the fencing history.
	RequestedBy string `json:"requested_by,omitempty"`
}

// maxRequestedBy bounds FenceRequest.RequestedBy.
const maxRequestedBy = 200

// Check refuses a request whose fields cannot be right.
func (r FenceRequest) Check() error {
	if err := checkNodeName(r.Node); err != nil {
		return Errorf(CodeBadRequest, "fence: field \"node\": %v", err)
	}
	switch r.Action {
	case "", FenceOff, FenceReboot, FenceConfirm:
	default:
		return Errorf(CodeBadRequest, "fence: field \"action\" is %q: use off, reboot, confirm or leave it out (each device's action)", r.Action)
	}
	if len(r.RequestedBy) > maxRequestedBy {
		return Errorf(CodeBadRequest, "fence: field \"requested_by\" has %d bytes, more than %d", len(r.RequestedBy), maxRequestedBy)
	}
	for _, c := range r.RequestedBy {
		if c < ' ' || c == 0x7f {
			return Errorf(CodeBadRequest, "fence: field \"requested_by\" holds a control character")
		}
	}
	return nil
}

// FenceResult is the answer of POST /v1/fence.
type FenceResult struct {
	// Node is the fenced node.
	Node string `json:"node"`
	// Action is the action the device ran ("" while pending).
	Action string `json:"action,omitempty"`
	// Device is the device (or "+"-joined devices of a level) that acted.
	Device string `json:"device,omitempty"`
	// Executor is the node that ran the device.
	Executor string `json:"executor"`
	// RequestedBy is who asked.
	RequestedBy string `json:"requested_by,omitempty"`
	// OK reports that the node is fenced.
	OK bool `json:"ok"`
	// Pending reports that the fencing was still running when the DC
	// answered (devices can take minutes): its result will be in the
	// fencing history (GET /v1/status, fencing).
	Pending bool `json:"pending,omitempty"`
	// Error is the failure's message.
	Error string `json:"error,omitempty"`
	// Started and Completed bound the fencing (Completed is zero while
	// pending).
	Started   time.Time `json:"started"`
	Completed time.Time `json:"completed,omitzero"`
}

// FenceBackend fences a node on request; a Backend that does not
// implement it answers POST /v1/fence with not_found. Fence refuses with
// CodeNotDC on a member (the server then forwards to the DC),
// CodeUnknownNode, CodeNoQuorum (no quorum or no DC lease) and
// CodeBadRequest (no device can fence the node on request); a fencing
// that ran and failed is an answer with OK false, not an error.
type FenceBackend interface {
	Fence(ctx context.Context, req FenceRequest) (FenceResult, error)
}

// DecodeFenceRequest reads the body of POST /v1/fence: one JSON object,
// unknown fields, trailing data and bodies over MaxBody refused with an
// *Error naming the field.
func DecodeFenceRequest(r io.Reader) (FenceRequest, error) {
	var req FenceRequest
	if err := decodeStrict(r, MaxBody, &req, false); err != nil {
		return FenceRequest{}, err
	}
	return req, req.Check()
}

// routeFence dispatches /v1/fence; it reports false for other paths.
func (s *Server) routeFence(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/v1/fence" {
		return false
	}
	if !allow(w, r, http.MethodPost) {
		return true
	}
	fb, ok := s.backend.(FenceBackend)
	if !ok {
		writeError(w, Errorf(CodeNotFound, "/v1/fence: this daemon does not fence on request"))
		return true
	}
	req, err := DecodeFenceRequest(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		writeError(w, err)
		return true
	}
	res, err := fb.Fence(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	s.log.Warn("api: fencing requested", "node", req.Node, "action", req.Action, "requested_by", req.RequestedBy,
		"ok", res.OK, "pending", res.Pending, "device", res.Device, "executor", res.Executor, "err", res.Error)
	writeJSON(w, http.StatusOK, res)
	return true
}

// Fence calls POST /v1/fence. The answer comes once the node is fenced,
// fencing failed, or (Pending) the DC stopped waiting for it.
func (c *Client) Fence(ctx context.Context, req FenceRequest) (FenceResult, error) {
	var res FenceResult
	if err := req.Check(); err != nil {
		return res, err
	}
	err := c.do(ctx, http.MethodPost, "/v1/fence", req, &res)
	return res, err
}
