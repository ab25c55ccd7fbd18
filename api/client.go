package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxAnswer bounds an answer the client reads.
const maxAnswer = 64 << 20

// Client calls a ward daemon's API on its unix socket. It implements
// Backend, so anything that consumes a Backend can be pointed at a remote
// daemon. It is safe for concurrent use.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client for the daemon listening on the unix socket
// at socketPath. It does not connect until a method is called.
func NewClient(socketPath string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConns:       2,
		DisableCompression: true,
	}
	return &Client{socket: socketPath, hc: &http.Client{Transport: tr}}
}

// Socket returns the socket path the client connects to.
func (c *Client) Socket() string { return c.socket }

// CloseIdleConnections closes the client's idle connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// UnreachableError is returned when the client cannot talk to the daemon
// at all (no socket, connection refused, connection cut): the daemon is
// probably not running.
type UnreachableError struct {
	Socket string
	Err    error
}

// Error says which socket could not be reached and why.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("api: cannot reach %s: %v", e.Socket, e.Err)
}

// Unwrap returns the transport error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (ClusterStatus, error) {
	var st ClusterStatus
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// Policy calls GET /v1/policy.
func (c *Client) Policy(ctx context.Context) (PolicyInfo, error) {
	var p PolicyInfo
	err := c.do(ctx, http.MethodGet, "/v1/policy", nil, &p)
	return p, err
}

// ApplyPolicy calls POST /v1/policy.
func (c *Client) ApplyPolicy(ctx context.Context, req ApplyRequest) (ApplyResult, error) {
	var res ApplyResult
	err := c.do(ctx, http.MethodPost, "/v1/policy", req, &res)
	return res, err
}

// SetNode calls POST /v1/nodes/NAME/ACTION.
func (c *Client) SetNode(ctx context.Context, req NodeRequest) error {
	if err := checkNodeName(req.Node); err != nil {
		return err
	}
	p := "/v1/nodes/" + url.PathEscape(req.Node) + "/" + url.PathEscape(string(req.Action))
	return c.do(ctx, http.MethodPost, p, nil, nil)
}

// do sends one request and decodes the answer into out (if not nil). An
// error answer is returned as *Error; a transport failure as
// *UnreachableError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("api: %s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://ward"+path, body)
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("api: %s %s: %w", method, path, ctx.Err())
		}
		return &UnreachableError{Socket: c.socket, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return &UnreachableError{Socket: c.socket, Err: fmt.Errorf("read answer to %s %s: %w", method, path, err)}
	}
	if len(data) > maxAnswer {
		return fmt.Errorf("api: %s %s: answer is over %d bytes", method, path, maxAnswer)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeErrorAnswer(resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("api: %s %s: decode answer: %w (is the daemon the same ward version?)", method, path, err)
	}
	return nil
}

// decodeErrorAnswer turns an error answer into an *Error, whether or not
// it carries the JSON envelope.
func decodeErrorAnswer(status int, data []byte) *Error {
	var eb errorBody
	if err := json.Unmarshal(data, &eb); err == nil && eb.Error != nil && eb.Error.Code != "" {
		eb.Error.Status = status
		if strings.TrimSpace(eb.Error.Message) == "" {
			// A daemon always sends a message; never hand the operator
			// an empty one if something else answered.
			eb.Error.Message = fmt.Sprintf("HTTP %d %s (code %s, no message)", status, http.StatusText(status), eb.Error.Code)
		}
		return eb.Error
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 512 {
		msg = msg[:512] + "..."
	}
	if msg == "" {
		msg = strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
	}
	return &Error{Status: status, Code: CodeInternal, Message: msg}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
