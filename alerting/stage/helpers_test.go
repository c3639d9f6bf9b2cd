package stage

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/alerting/internal/channeltest"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/store/chtest"
)

func TestMain(m *testing.M) { os.Exit(chtest.Main(m)) }

// waitFor bounds every wait for an outcome: a test that waits this long
// has failed (nothing here is a timing assertion).
const waitFor = 20 * time.Second

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// servers are fake receivers speaking the channels' wire formats.
type servers struct {
	slack, pager, manager *channeltest.Server
}

func newServers(t *testing.T) *servers {
	return &servers{slack: channeltest.NewServer(t), pager: channeltest.NewServer(t), manager: channeltest.NewServer(t)}
}

// config routes crises of severity 4+ to cm-slack (fr) and oncall (en),
// escalating to manager after 15 min; the rest to cm-slack.
func (sv *servers) config(t *testing.T) Config {
	t.Helper()
	doc := `
receivers:
  - name: cm-slack
    slack: {webhook_url: "` + sv.slack.URL + `/services/T/B/x"}
  - name: oncall
    lang: en
    webhook: {url: "` + sv.pager.URL + `/hook", secret: k}
  - name: manager
    webhook: {url: "` + sv.manager.URL + `/hook", secret: k}
route:
  receivers: [cm-slack]
  routes:
    - kinds: [crisis]
      min_severity: 4
      receivers: [cm-slack, oncall]
      escalation:
        - after: 15m
          receivers: [manager]
tick_interval: 1h
snapshot_interval: 50ms
shutdown_grace: 10s
`
	cfg, err := LoadConfigBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return *cfg
}

// running is a stage started by a test.
type running struct {
	*Stage
	t      *testing.T
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func start(t *testing.T, b *bus.Bus, db *chtest.DB, cfg Config, clock *fakeClock) *running {
	t.Helper()
	return startWith(t, b, db, cfg, Options{Clock: clock})
}

// startWith starts a stage with opts, adding a test logger, a registry and
// the public URL.
func startWith(t *testing.T, b *bus.Bus, db *chtest.DB, cfg Config, opts Options) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Log, opts.Registerer, opts.PublicURL = bustest.Logger(t), reg, "https://vigie.example/"
	s, err := New(b, db.Conn, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stage: s, t: t, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(r.stop)
	deadline := time.Now().Add(waitFor)
	for !s.ready.Load() {
		select {
		case err := <-r.done:
			r.once.Do(func() {})
			t.Fatalf("stage stopped at start: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("stage not ready")
		}
		time.Sleep(2 * time.Millisecond)
	}
	return r
}

// stop ends Run and waits for it (idempotent).
func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		if err := <-r.done; err != nil {
			r.t.Errorf("Run: %v", err)
		}
	})
}

// watcher records what the stage announces on NATS. Outcomes may come
// before their plan (deliveries are queued before the plan is published),
// so everything read is kept.
type watcher struct {
	t       *testing.T
	msgs    chan *nats.Msg
	plans   []Planned
	results map[string]Outcome
}

func watch(t *testing.T, b *bus.Bus) *watcher {
	t.Helper()
	w := &watcher{t: t, msgs: make(chan *nats.Msg, 4096), results: map[string]Outcome{}}
	sub, err := b.NC.ChanSubscribe("vigie.alert.delivery.>", w.msgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return w
}

// next reads one more message, failing the test after waitFor.
func (w *watcher) next(timeout <-chan time.Time, what string) {
	w.t.Helper()
	select {
	case m := <-w.msgs:
		switch m.Subject {
		case SubjectDeliveryPlanned:
			var p Planned
			if err := json.Unmarshal(m.Data, &p); err != nil {
				w.t.Fatal(err)
			}
			w.plans = append(w.plans, p)
		case SubjectDeliveryResult:
			var o Outcome
			if err := json.Unmarshal(m.Data, &o); err != nil {
				w.t.Fatal(err)
			}
			if _, seen := w.results[o.ID]; !seen {
				w.results[o.ID] = o
			}
		}
	case <-timeout:
		w.t.Fatalf("waited %s for %s", waitFor, what)
	}
}

// planned waits for the stage's decision about key for cause and status,
// and consumes it.
func (w *watcher) planned(key, cause, status string) Planned {
	w.t.Helper()
	timeout := time.After(waitFor)
	for {
		for i, p := range w.plans {
			if p.Key == key && p.Cause == cause && (status == "" || p.Status == status) {
				w.plans = append(w.plans[:i], w.plans[i+1:]...)
				return p
			}
		}
		w.next(timeout, "a plan for "+key+" ("+cause+" "+status+")")
	}
}

// outcomes waits for the outcomes of these delivery ids.
func (w *watcher) outcomes(ids ...string) map[string]Outcome {
	w.t.Helper()
	timeout := time.After(waitFor)
	for {
		got := map[string]Outcome{}
		for _, id := range ids {
			if o, ok := w.results[id]; ok {
				got[id] = o
			}
		}
		if len(got) == len(ids) {
			return got
		}
		w.next(timeout, "outcomes of "+strings.Join(ids, " "))
	}
}

// delivered waits for a plan and the outcome of each of its deliveries,
// all of which must be sent; it returns the receivers, in plan order.
func (w *watcher) delivered(key, cause, status string) []string {
	w.t.Helper()
	p := w.planned(key, cause, status)
	var ids, names []string
	for _, d := range p.Deliveries {
		ids = append(ids, d.ID)
		names = append(names, d.Receiver)
	}
	for id, o := range w.outcomes(ids...) {
		if o.Action != ActionSent {
			w.t.Errorf("delivery %s: %s %s", id, o.Action, o.Error)
		}
	}
	return names
}

func publish(t *testing.T, b *bus.Bus, e *detect.Event) {
	t.Helper()
	msg, err := CrisisMsg(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

func crisisEvent(id, status string, sev int, at time.Time, observed float64) *detect.Event {
	return &detect.Event{
		ID: id, Watch: "airfrance", Status: status, Severity: sev, PeakSeverity: sev,
		OpenedAt: at.Add(-20 * time.Minute), At: at, Observed: observed, Expected: 70, Window: time.Hour, Score: 9,
		Signals:  []detect.Signal{{Name: detect.SignalVolume}, {Name: detect.SignalNegativeShare}},
		TopTerms: []detect.TermCount{{Term: "chemise", Count: 40, Lift: 12}}, TopHashtags: []detect.TermCount{{Term: "airfrance", Count: 80}},
		TopPosts:     []detect.Post{{ID: "x:1", Author: "journaliste", Followers: 125000, Text: "Le DRH s'enfuit chemise arrachée <!channel>", URL: "https://x.example/1"}},
		TopSpreaders: []detect.Spreader{{Handle: "bfmtv", Followers: 2100000, Posts: 12}},
		Summary:      map[string]string{"fr": "Pic de mentions", "en": "Mention spike"},
	}
}

// texts returns the bodies a fake server received.
func texts(s *channeltest.Server) []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, string(r.Body))
	}
	return out
}

// webhookStatuses returns the notification statuses (and escalation
// levels) a webhook receiver got, in order.
func webhookStatuses(t *testing.T, s *channeltest.Server) []string {
	t.Helper()
	var out []string
	for _, r := range s.Requests() {
		var p struct {
			Notification struct {
				Status     string `json:"status"`
				Escalation int    `json:"escalation"`
			} `json:"notification"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatalf("webhook body: %v", err)
		}
		s := p.Notification.Status
		if p.Notification.Escalation > 0 {
			s += "+esc"
		}
		out = append(out, s)
	}
	return out
}

func joined(l []string) string { return strings.Join(l, ",") }
