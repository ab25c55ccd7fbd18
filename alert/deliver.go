package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Payload is the JSON body a webhook receives.
type Payload struct {
	// Recipient is the alert's id, Cluster the cluster's name.
	Recipient string `json:"recipient"`
	Cluster   string `json:"cluster"`
	// Event is the event (see docs/api.md, GET /v1/events).
	Event any `json:"event"`
	// Params are the alert's params and secret_params.
	Params map[string]string `json:"params,omitempty"`
}

// post sends one webhook; retry reports whether a failure may pass.
func (d *Dispatcher) post(ctx context.Context, j job) (retry bool, err error) {
	body, err := json.Marshal(Payload{Recipient: j.a.ID, Cluster: d.cfg.Cluster, Event: j.e, Params: params(j)})
	if err != nil {
		return false, fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.a.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook %s: %v", Redact(j.a.URL), redactErr(err, j.a.URL))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ward-alert")
	resp, err := d.cfg.HTTP.Do(req)
	if err != nil {
		return true, fmt.Errorf("webhook %s: %v", Redact(j.a.URL), redactErr(err, j.a.URL))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return true, fmt.Errorf("webhook %s answered %s", Redact(j.a.URL), resp.Status)
	}
	return false, fmt.Errorf("webhook %s answered %s (not retried: fix the recipient)", Redact(j.a.URL), resp.Status)
}

// runExec runs an exec recipient with the event in its environment.
func (d *Dispatcher) runExec(ctx context.Context, j job) (retry bool, err error) {
	cmd := exec.CommandContext(ctx, j.a.Path)
	cmd.Env = append(os.Environ(), Env(d.cfg.Cluster, j)...)
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return false, fmt.Errorf("exec %s: %w", j.a.Path, err)
		}
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[len(msg)-200:]
		}
		return true, fmt.Errorf("exec %s: %v: %s", j.a.Path, err, msg)
	}
	return false, nil
}

// Env returns the environment an exec recipient gets for j:
// WARD_CLUSTER, WARD_ALERT_RECIPIENT, WARD_ALERT_SEQ, WARD_ALERT_AT,
// WARD_ALERT_KIND, WARD_ALERT_SEVERITY, WARD_ALERT_NODE,
// WARD_ALERT_RESOURCE, WARD_ALERT_FROM, WARD_ALERT_TO,
// WARD_ALERT_MESSAGE, and WARD_ALERT_PARAM_<NAME> for each param (name
// upper-cased, other characters than letters and digits as '_').
func Env(cluster string, j job) []string {
	e := j.e
	env := []string{
		"WARD_CLUSTER=" + cluster,
		"WARD_ALERT_RECIPIENT=" + j.a.ID,
		fmt.Sprintf("WARD_ALERT_SEQ=%d", e.Seq),
		"WARD_ALERT_AT=" + e.At.UTC().Format(time.RFC3339),
		"WARD_ALERT_KIND=" + string(e.Kind),
		"WARD_ALERT_SEVERITY=" + e.Severity,
		"WARD_ALERT_NODE=" + e.Node,
		"WARD_ALERT_RESOURCE=" + e.Resource,
		"WARD_ALERT_FROM=" + e.From,
		"WARD_ALERT_TO=" + e.To,
		"WARD_ALERT_MESSAGE=" + e.Message,
	}
	p := params(j)
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, "WARD_ALERT_PARAM_"+envName(k)+"="+p[k])
	}
	return env
}

func envName(k string) string {
	b := []byte(strings.ToUpper(k))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// params merges params and secret_params (secrets win).
func params(j job) map[string]string {
	if len(j.a.Params)+len(j.a.SecretParams) == 0 {
		return nil
	}
	p := map[string]string{}
	for k, v := range j.a.Params {
		p[k] = v
	}
	for k, v := range j.a.SecretParams {
		p[k] = v
	}
	return p
}

// Redact hides a URL's user information and query (where webhook
// secrets usually travel) for logs.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable url>"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.String()
}

// redactErr removes the raw URL from an error's text.
func redactErr(err error, raw string) string {
	return strings.ReplaceAll(err.Error(), raw, Redact(raw))
}
