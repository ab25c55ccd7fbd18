package witness

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/ward-ha/ward/internal/clock"
)

// Path is the witness's one endpoint.
const Path = "/v1/witness/vote"

// macHeader carries the HMAC-SHA256 of the body, in hex.
const macHeader = "X-Ward-Mac"

// maxBody bounds requests and answers.
const maxBody = 16 << 10

// maxSkew is how far a request's send time may be from the witness's
// clock.
const maxSkew = time.Minute

// mac returns the hex HMAC-SHA256 of body under key, with a domain
// prefix so that a MAC of one kind is never valid as the other.
func mac(key []byte, kind string, body []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("ward-witness-" + kind + "\x00"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// DecodeRequest checks the MAC of a request body and decodes it. It
// rejects unknown fields, trailing data and bodies over 16 KiB.
func DecodeRequest(key, body []byte, sum string) (Request, error) {
	var r Request
	if len(body) > maxBody {
		return r, fmt.Errorf("witness: request of %d bytes, more than %d", len(body), maxBody)
	}
	if !hmac.Equal([]byte(mac(key, "request", body)), []byte(sum)) {
		return r, errors.New("witness: request not authenticated (wrong cluster key?)")
	}
	if err := decodeStrict(body, &r); err != nil {
		return r, fmt.Errorf("witness: request: %w", err)
	}
	if r.Node == "" || r.Nonce == "" || len(r.View) == 0 || len(r.View) > 64 {
		return r, errors.New("witness: request: node, nonce and a view of 1 to 64 nodes are required")
	}
	return r, nil
}

// matchingKey returns the key of keys under which sum is body's request
// MAC, nil when none is.
func matchingKey(keys [][]byte, body []byte, sum string) []byte {
	for _, k := range keys {
		if len(k) > 0 && hmac.Equal([]byte(mac(k, "request", body)), []byte(sum)) {
			return k
		}
	}
	return nil
}

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// Handler serves the witness over HTTP: POST Path with a JSON Request
// and its MAC; the answer is a JSON Response with its MAC.
func Handler(w *Witness, key []byte) http.Handler {
	return KeyringHandler(w, func() [][]byte { return [][]byte{key} })
}

// KeyringHandler is Handler with every key keys returns accepted (a key
// rotation: the witness's key file holds the old and the new key while
// the nodes move from one to the other). The answer is authenticated
// with the key that authenticated the request.
func KeyringHandler(w *Witness, keys func() [][]byte) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != Path || r.Method != http.MethodPost {
			http.Error(rw, "witness: POST "+Path+" only", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			http.Error(rw, "witness: read request: "+err.Error(), http.StatusBadRequest)
			return
		}
		sum := r.Header.Get(macHeader)
		key := matchingKey(keys(), body, sum)
		var req Request
		if key == nil {
			err = errors.New("witness: request not authenticated (wrong cluster key?)")
		} else {
			req, err = DecodeRequest(key, body, sum)
		}
		if err != nil {
			w.log.Warn("witness request refused", "from", r.RemoteAddr, "err", err)
			http.Error(rw, err.Error(), http.StatusForbidden)
			return
		}
		if skew := w.clk.Now().Sub(time.UnixMilli(req.SentUnixMS)); skew > maxSkew || skew < -maxSkew {
			http.Error(rw, fmt.Sprintf("witness: request sent %v from the witness's clock; check NTP", skew.Round(time.Second)), http.StatusForbidden)
			return
		}
		out, _ := json.Marshal(w.Vote(req))
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set(macHeader, mac(key, "response", out))
		_, _ = rw.Write(out)
	})
}

// Client asks a witness for its vote on behalf of one node.
type Client struct {
	url, cluster, node string
	key                []byte
	primary            func() []byte
	hc                 *http.Client
	clk                clock.Clock
	log                *slog.Logger
	term               func() uint64
	onVote             func(Vote, uint64)
}

// ClientConfig configures a Client.
type ClientConfig struct {
	// Addr is the witness's host:port.
	Addr string
	// Cluster and Node name the requester.
	Cluster, Node string
	// Key is the cluster key (the gossip key file's primary key).
	Key []byte
	// PrimaryKey, when set, returns the key to authenticate with for
	// each request, so that the client follows a live key rotation
	// (heartbeat.Cluster.PrimaryKey); nil or an empty key uses Key.
	PrimaryKey func() []byte
	// Clock is the time source; nil means clock.Real().
	Clock clock.Clock
	// Logger receives changes of the grant; nil discards.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Term returns the highest DC term this node has seen; it is sent
	// with every request. Nil sends 0.
	Term func() uint64
	// OnVote, when set, is called by Run after every answer, before
	// granted, with the vote held (the zero Vote when none) and the
	// highest term the witness has heard of. The controller keeps both:
	// it counts the vote only for the view it was granted for, and
	// claims above the witness's term.
	OnVote func(v Vote, witnessTerm uint64)
}

// NewClient returns a Client; it starts nothing.
func NewClient(cfg ClientConfig) *Client {
	c := &Client{url: "http://" + cfg.Addr + Path, cluster: cfg.Cluster, node: cfg.Node, key: cfg.Key, primary: cfg.PrimaryKey,
		hc: &http.Client{Transport: cfg.Transport}, clk: cfg.Clock, log: cfg.Logger, term: cfg.Term, onVote: cfg.OnVote}
	if c.term == nil {
		c.term = func() uint64 { return 0 }
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Ask sends one request and returns the answer and the instant until
// which the vote may be counted (the send time plus the lease; zero when
// not granted).
func (c *Client) Ask(ctx context.Context, view []string, dc bool) (Response, time.Time, error) {
	key := c.key
	if c.primary != nil {
		if k := c.primary(); len(k) > 0 {
			key = k
		}
	}
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	sent := c.clk.Now()
	req := Request{Cluster: c.cluster, Node: c.node, View: normalize(view), DC: dc, Nonce: hex.EncodeToString(nonce), SentUnixMS: sent.UnixMilli(), Term: c.term()}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Response{}, time.Time{}, fmt.Errorf("witness: %w", err)
	}
	hr.Header.Set(macHeader, mac(key, "request", body))
	res, err := c.hc.Do(hr)
	if err != nil {
		return Response{}, time.Time{}, fmt.Errorf("witness: %w", err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return Response{}, time.Time{}, fmt.Errorf("witness: read answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return Response{}, time.Time{}, fmt.Errorf("witness: %s: %s", res.Status, bytes.TrimSpace(out))
	}
	if len(out) > maxBody || !hmac.Equal([]byte(mac(key, "response", out)), []byte(res.Header.Get(macHeader))) {
		return Response{}, time.Time{}, errors.New("witness: answer not authenticated (wrong cluster key?)")
	}
	var resp Response
	if err := decodeStrict(out, &resp); err != nil {
		return Response{}, time.Time{}, fmt.Errorf("witness: answer: %w", err)
	}
	if resp.Nonce != req.Nonce {
		return Response{}, time.Time{}, errors.New("witness: answer to another request (replayed?)")
	}
	if !resp.Granted || resp.LeaseMS <= 0 {
		return resp, time.Time{}, nil
	}
	return resp, sent.Add(time.Duration(resp.LeaseMS) * time.Millisecond), nil
}

// Vote is what a node holds of the witness vote.
type Vote struct {
	view  []string
	until time.Time
}

// NewVote returns the vote granted for view until the given instant
// (tests and callers that restore one).
func NewVote(view []string, until time.Time) Vote {
	return Vote{view: normalize(view), until: until}
}

// Counts reports whether the vote counts for a node that now sees view
// at now: it was granted for exactly that view and the lease runs.
func (v Vote) Counts(view []string, now time.Time) bool {
	return now.Before(v.until) && slices.Equal(normalize(view), v.view)
}

// View returns the view the vote was granted for (sorted).
func (v Vote) View() []string { return append([]string(nil), v.view...) }

// Until returns the end of the vote: the request's send time plus the
// lease (zero: no vote).
func (v Vote) Until() time.Time { return v.until }

// answer is the outcome of one Ask made by Run.
type answer struct {
	view  []string
	resp  Response
	until time.Time
	err   error
}

// checkEvery returns how often Run re-checks whether the held vote still
// counts (the view may change, the lease may end between answers).
func checkEvery(interval time.Duration) time.Duration {
	return min(max(interval/10, 20*time.Millisecond), 200*time.Millisecond)
}

// Run asks every interval (lease/3) until ctx ends. view returns the
// nodes this node sees alive now and whether it is the DC. granted is
// called after every answer and every few tens of milliseconds with
// whether the vote counts now: it turns false within checkEvery of the
// view changing or the lease ending, even while a request hangs (asks
// run on their own goroutine). A grant counts only while the view it
// was asked with holds without a break: once the view changes it is
// dropped for good (the witness may have moved the vote to the new view
// with an answer that was lost; the old grant must not come back if the
// view returns). Run returns ctx's error.
func (c *Client) Run(ctx context.Context, interval time.Duration, view func() ([]string, bool), granted func(bool)) error {
	var held Vote
	var witnessTerm uint64
	answers := make(chan answer, 1)
	asking := false
	ask := c.clk.NewTimer(0)
	defer ask.Stop()
	every := checkEvery(interval)
	check := c.clk.NewTimer(every)
	defer check.Stop()
	last := false
	publish := func(reason string) {
		cur, _ := view()
		if len(held.view) > 0 && !slices.Equal(normalize(cur), held.view) {
			// The view changed: the grant never counts again, even if
			// the view changes back within its lease (the witness may
			// have moved the vote to another view meanwhile, and an
			// answer saying so may have been lost).
			held = Vote{}
		}
		ok := held.Counts(cur, c.clk.Now())
		if ok != last {
			c.log.Info("witness vote changed", "granted", ok, "view", cur, "reason", reason)
		}
		last = ok
		granted(ok)
	}
	for {
		select {
		case <-ctx.Done():
			granted(false)
			return ctx.Err()
		case <-ask.C():
			ask.Reset(interval)
			if asking {
				continue
			}
			asking = true
			v, dc := view()
			if len(held.view) > 0 && !slices.Equal(normalize(v), held.view) {
				held = Vote{} // as in publish
			}
			go func() {
				actx, cancel := context.WithTimeout(ctx, interval)
				defer cancel()
				resp, until, err := c.Ask(actx, v, dc)
				answers <- answer{view: v, resp: resp, until: until, err: err}
			}()
		case a := <-answers:
			asking = false
			switch {
			case a.err != nil:
				c.log.Warn("witness did not answer", "err", a.err)
			case a.resp.Granted:
				if cur, _ := view(); slices.Equal(normalize(cur), normalize(a.view)) {
					held = Vote{view: normalize(a.view), until: a.until}
				}
			}
			witnessTerm = max(witnessTerm, a.resp.Term)
			if c.onVote != nil {
				c.onVote(held, witnessTerm)
			}
			publish(a.resp.Reason)
		case <-check.C():
			check.Reset(every)
			publish("view changed or lease ended")
		}
	}
}
