// Package api is ward's local HTTP+JSON API: a server on a unix socket
// that serves a Backend (the node's controller), and a typed Client used
// by the CLI (`ward status`, `ward policy apply`, `ward node ...`).
//
// Callers must:
//
//  1. Build the server with NewServer (it starts nothing) and call
//     Run(ctx) with the socket path, or Serve(ctx, listener); both return
//     after ctx is done and every request has finished.
//  2. Return an *Error from Backend methods to refuse a request with a
//     stable code; other errors become 500 "internal".
//
// The endpoints, bodies and error codes are documented in docs/api.md.
package api
