package api

import (
	"fmt"
	"net/http"
)

// Error is a refused or failed request: an HTTP status, a stable
// machine-readable code and a message for the operator. Backends return
// it to refuse a request; the client returns it for every error answer.
type Error struct {
	// Status is the HTTP status code.
	Status int `json:"-"`
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message says what happened and what to do.
	Message string `json:"message"`
}

// Error returns the message prefixed with the code.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// The error codes, with the HTTP status each is sent with.
const (
	CodeBadRequest    = "bad_request"    // 400: malformed body, unknown field
	CodeInvalidPolicy = "invalid_policy" // 422: the policy does not validate
	CodeUnknownNode   = "unknown_node"   // 404: no such node in the policy
	CodeNotFound      = "not_found"      // 404: no such endpoint
	CodeMethod        = "method_not_allowed"
	CodeTooLarge      = "too_large"   // 413: body over the limit
	CodeNoQuorum      = "no_quorum"   // 503: this partition has no quorum
	CodeNotDC         = "not_dc"      // 503: no DC is elected or reachable
	CodeUnavailable   = "unavailable" // 503: the daemon is starting or stopping
	CodeConflict      = "conflict"    // 409: e.g. a concurrent apply won
	CodeInternal      = "internal"    // 500
)

// Errorf returns an *Error with the status matching code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

func statusOf(code string) int {
	switch code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeInvalidPolicy:
		return http.StatusUnprocessableEntity
	case CodeUnknownNode, CodeNotFound:
		return http.StatusNotFound
	case CodeMethod:
		return http.StatusMethodNotAllowed
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeNoQuorum, CodeNotDC, CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeConflict:
		return http.StatusConflict
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}
