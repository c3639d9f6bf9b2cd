package dispatch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/alerting"
)

// scripted returns the scripted outcomes in turn, then success.
type scripted struct {
	mu    sync.Mutex
	steps []step
	calls []string
}

type step struct {
	retry bool
	err   error
}

func (s *scripted) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, n.Key)
	if len(s.steps) == 0 {
		return false, nil
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	return st.retry, st.err
}

func delivery(receiver, key string) alerting.Delivery {
	return alerting.Delivery{
		ID: key + "/1/1/" + receiver, Receiver: receiver,
		Notification: alerting.Notification{Key: key, Kind: alerting.KindCrisis, Status: alerting.StatusOpen, Severity: 4, At: time.Unix(1444041600, 0)},
	}
}

// recordSleep records waits instead of waiting.
type recordSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recordSleep) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func counter(t *testing.T, reg *prometheus.Registry, name, receiver string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "receiver" && l.GetValue() == receiver {
					if h := m.GetHistogram(); h != nil {
						return float64(h.GetSampleCount())
					}
					if g := m.GetGauge(); g != nil {
						return g.GetValue()
					}
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	limited := &alerting.HTTPError{Channel: "slack", Receiver: "cm", StatusCode: 429, RetryAfter: 7 * time.Second}
	n := &scripted{steps: []step{{true, limited}, {true, limited}}}
	sl := &recordSleep{}
	reg := prometheus.NewRegistry()
	d, err := New(map[string]alerting.Notifier{"cm": n}, reg, WithSleep(sl.sleep))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), delivery("cm", "c1"))
	if res.Err != nil || res.Attempts != 3 {
		t.Fatalf("result = %+v, want delivered at the 3rd attempt", res)
	}
	if !slices.Equal(sl.waits, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Errorf("waits = %v, want the 7s the service asked for, twice", sl.waits)
	}
	if got := counter(t, reg, "vigie_alert_notifications_sent_total", "cm"); got != 1 {
		t.Errorf("sent = %v", got)
	}
	if got := counter(t, reg, "vigie_alert_notification_retries_total", "cm"); got != 2 {
		t.Errorf("retries = %v", got)
	}
	if got := counter(t, reg, "vigie_alert_notify_duration_seconds", "cm"); got != 3 {
		t.Errorf("notify duration samples = %v, want 3", got)
	}
}

func TestDeliverDoesNotRetryPermanentFailures(t *testing.T) {
	bad := &alerting.HTTPError{Channel: "slack", Receiver: "cm", StatusCode: 400, Detail: "invalid_blocks"}
	n := &scripted{steps: []step{{false, bad}}}
	sl := &recordSleep{}
	reg := prometheus.NewRegistry()
	d, err := New(map[string]alerting.Notifier{"cm": n}, reg, WithSleep(sl.sleep))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), delivery("cm", "c1"))
	if !errors.Is(res.Err, bad) || res.Attempts != 1 || res.Retryable || len(sl.waits) != 0 {
		t.Fatalf("result = %+v, waits %v; want one attempt, not retryable", res, sl.waits)
	}
	if got := counter(t, reg, "vigie_alert_notifications_failed_total", "cm"); got != 1 {
		t.Errorf("failed = %v", got)
	}
}

func TestDeliverBoundsAttemptsWithBackoff(t *testing.T) {
	down := &alerting.HTTPError{Channel: "pagerduty", Receiver: "oncall", StatusCode: 503}
	n := &scripted{steps: []step{{true, down}, {true, down}, {true, down}, {true, down}}}
	sl := &recordSleep{}
	d, err := New(map[string]alerting.Notifier{"oncall": n}, nil, WithSleep(sl.sleep),
		WithConfig(Config{MaxAttempts: 3, InitialBackoff: time.Second, MaxBackoff: 10 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), delivery("oncall", "c1"))
	if res.Attempts != 3 || !res.Retryable || res.Err == nil {
		t.Fatalf("result = %+v, want 3 attempts, retryable failure", res)
	}
	if len(sl.waits) != 2 {
		t.Fatalf("waits = %v, want 2", sl.waits)
	}
	for i, w := range sl.waits {
		base := time.Second << i
		if w < base*8/10 || w > base*12/10 {
			t.Errorf("wait %d = %v, want %v ±20%%", i, w, base)
		}
	}
}

func TestDeliverGivesUpOnLongRetryAfter(t *testing.T) {
	long := &alerting.HTTPError{Channel: "telegram", Receiver: "cell", StatusCode: 429, RetryAfter: time.Hour}
	n := &scripted{steps: []step{{true, long}}}
	sl := &recordSleep{}
	d, err := New(map[string]alerting.Notifier{"cell": n}, nil, WithSleep(sl.sleep))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), delivery("cell", "c1"))
	if res.Attempts != 1 || !res.Retryable || len(sl.waits) != 0 {
		t.Fatalf("result = %+v waits %v; want to give up at once, retryable (the outbox keeps it)", res, sl.waits)
	}
}

type panicky struct{}

func (panicky) Notify(context.Context, *alerting.Notification) (bool, error) { panic("boom") }

func TestDeliverTurnsPanicsIntoErrors(t *testing.T) {
	d, err := New(map[string]alerting.Notifier{"x": panicky{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := d.Deliver(context.Background(), delivery("x", "c1"))
	if !errors.Is(res.Err, ErrPanic) || res.Retryable {
		t.Fatalf("result = %+v", res)
	}
}

// blocking holds every Notify until released or cancelled.
type blocking struct {
	entered chan string
	release chan struct{}
}

func (b *blocking) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	b.entered <- n.Key
	select {
	case <-b.release:
		return false, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

func TestSlowReceiverDoesNotBlockOthers(t *testing.T) {
	slow := &blocking{entered: make(chan string, 10), release: make(chan struct{})}
	fast := &scripted{}
	results := make(chan Result, 10)
	reg := prometheus.NewRegistry()
	d, err := New(map[string]alerting.Notifier{"slow": slow, "fast": fast}, reg,
		WithResults(func(r Result) { results <- r }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()

	if err := d.Enqueue(ctx, delivery("slow", "c1"), delivery("slow", "c2"), delivery("fast", "c1"), delivery("fast", "c2")); err != nil {
		t.Fatal(err)
	}
	if key := <-slow.entered; key != "c1" {
		t.Fatalf("slow receiver got %q first", key)
	}
	// Both fast deliveries complete while the slow receiver is stuck on c1.
	for _, want := range []string{"c1", "c2"} {
		r := <-results
		if r.Delivery.Receiver != "fast" || r.Delivery.Notification.Key != want || r.Err != nil {
			t.Fatalf("result %+v, want fast %s delivered", r, want)
		}
	}
	select {
	case r := <-results:
		t.Fatalf("unexpected result while slow is blocked: %+v", r)
	default:
	}

	// Shutdown: the blocked attempt is cancelled, the queued one is reported.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(results)
	var slowResults []Result
	for r := range results {
		slowResults = append(slowResults, r)
	}
	if len(slowResults) != 2 {
		t.Fatalf("slow results after shutdown = %d, want 2 (in flight + queued)", len(slowResults))
	}
	for _, r := range slowResults {
		if r.Err == nil || !r.Retryable {
			t.Errorf("slow %s after shutdown: %+v, want a retryable failure", r.Delivery.Notification.Key, r)
		}
	}
	if got := counter(t, reg, "vigie_alert_queue_length", "slow"); got != 0 {
		t.Errorf("queue length after shutdown = %v", got)
	}
}

func TestEnqueueUnknownReceiverAndOptions(t *testing.T) {
	d, err := New(map[string]alerting.Notifier{"a": &scripted{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Enqueue(context.Background(), delivery("nope", "c1"), delivery("a", "c1"))
	if !errors.Is(err, ErrUnknownReceiver) {
		t.Errorf("Enqueue to an unknown receiver: %v", err)
	}
	if _, err := New(nil, nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("New without notifiers: %v", err)
	}
	if _, err := New(map[string]alerting.Notifier{"a": nil}, nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("New with a nil notifier: %v", err)
	}
	if _, err := New(map[string]alerting.Notifier{"a": &scripted{}}, nil, WithConfig(Config{MaxAttempts: -1})); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("New with bad config: %v", err)
	}
	reg := prometheus.NewRegistry()
	if _, err := New(map[string]alerting.Notifier{"a": &scripted{}}, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(map[string]alerting.Notifier{"a": &scripted{}}, reg); err == nil {
		t.Error("registering the metrics twice on one registry succeeded")
	}
}
