package alert

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ward-ha/ward/api"
	"github.com/ward-ha/ward/internal/clock"
	"github.com/ward-ha/ward/policy"
)

// StatusSource tells whether this node speaks for the cluster.
type StatusSource interface {
	Status(ctx context.Context) (api.ClusterStatus, error)
}

// Config configures a Dispatcher.
type Config struct {
	// Cluster names the cluster in every delivery.
	Cluster string
	// Status decides whether this node delivers (DC, or no DC seen);
	// nil means always.
	Status StatusSource
	// Backoff are the waits between attempts; len(Backoff)+1 attempts
	// are made. Default: 1s, 2s, 4s, 8s.
	Backoff []time.Duration
	// HTTP is the webhook client (default: a client without a global
	// timeout; each delivery has its own).
	HTTP *http.Client
	// Clock times the backoff (default clock.Real()).
	Clock  clock.Clock
	Logger *slog.Logger
}

// DefaultTimeout bounds one delivery when the alert sets no timeout.
const DefaultTimeout = 30 * time.Second

// queueLen bounds the deliveries waiting per recipient; more are
// dropped (and logged).
const queueLen = 256

// Dispatcher delivers events to alert recipients.
type Dispatcher struct {
	cfg Config
}

// New returns a Dispatcher. It starts nothing.
func New(cfg Config) *Dispatcher {
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg}
}

// job is one event for one recipient.
type job struct {
	a policy.Alert
	e api.Event
}

// Run delivers every event from events to the recipients alerts()
// returns at that moment, until ctx is done or events is closed. Each
// recipient has its own queue and goroutine, so a slow one delays no
// other; deliveries to one recipient keep the events' order.
func (d *Dispatcher) Run(ctx context.Context, events <-chan api.Event, alerts func() []policy.Alert) error {
	var wg sync.WaitGroup
	queues := map[string]chan job{}
	defer func() {
		for _, q := range queues {
			close(q)
		}
		wg.Wait()
	}()
	for {
		var e api.Event
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case e, ok = <-events:
			if !ok {
				return nil
			}
		}
		as := alerts()
		if len(as) == 0 || !d.speaks(ctx) {
			continue
		}
		for _, a := range as {
			if !Wants(a, e.Kind) {
				continue
			}
			q := queues[a.ID]
			if q == nil {
				q = make(chan job, queueLen)
				queues[a.ID] = q
				wg.Go(func() {
					for j := range q {
						d.deliver(ctx, j)
					}
				})
			}
			select {
			case q <- job{a: a, e: e}:
			default:
				d.cfg.Logger.Warn("alert: recipient queue full; event dropped", "recipient", a.ID, "seq", e.Seq)
			}
		}
	}
}

// speaks reports whether this node delivers now.
func (d *Dispatcher) speaks(ctx context.Context) bool {
	if d.cfg.Status == nil {
		return true
	}
	st, err := d.cfg.Status.Status(ctx)
	if err != nil {
		return false
	}
	return st.DC == "" || st.DC == st.Node
}

// Wants reports whether alert a takes events of kind k. The policy's
// kinds map onto the event log's: node takes node and dc events,
// resource takes resource and failure events; an empty list takes all.
func Wants(a policy.Alert, k api.EventKind) bool {
	if len(a.Events) == 0 {
		return true
	}
	want := string(k)
	switch k {
	case api.EventDC:
		want = "node"
	case api.EventFailure:
		want = "resource"
	}
	return slices.Contains(a.Events, want)
}

// deliver makes the attempts of one job.
func (d *Dispatcher) deliver(ctx context.Context, j job) {
	timeout := time.Duration(j.a.Timeout)
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	log := d.cfg.Logger.With("recipient", j.a.ID, "kind", j.a.Kind, "seq", j.e.Seq)
	for attempt := 0; ; attempt++ {
		retry, err := d.attempt(ctx, j, timeout)
		if err == nil {
			log.Debug("alert delivered", "attempt", attempt+1)
			return
		}
		if !retry || attempt >= len(d.cfg.Backoff) || ctx.Err() != nil {
			log.Error("alert: delivery failed; giving up", "attempts", attempt+1, "err", err)
			return
		}
		log.Warn("alert: delivery failed; retrying", "attempt", attempt+1, "in", d.cfg.Backoff[attempt], "err", err)
		t := d.cfg.Clock.NewTimer(d.cfg.Backoff[attempt])
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// attempt makes one delivery attempt bounded by timeout.
func (d *Dispatcher) attempt(ctx context.Context, j job, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if j.a.Kind == "exec" {
		return d.runExec(ctx, j)
	}
	return d.post(ctx, j)
}
