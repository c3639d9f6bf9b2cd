package alerting

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2015, 10, 5, 10, 0, 0, 0, time.UTC)} // a Monday, 12:00 in Paris
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

const enginePolicy = `
cooldown: 15m
significant_ratio: 1.5
retention: 24h
route:
  receivers: [cm-slack]
  routes:
    - name: oncall
      kinds: [crisis]
      min_severity: 4
      receivers: [cm-slack, oncall-pagerduty]
      escalation:
        - after: 15m
          receivers: [manager-email]
        - after: 30m
          receivers: [direction-telegram, cm-slack]
`

var engineReceivers = []ReceiverSettings{
	{Name: "cm-slack", Lang: LangFrench},
	{Name: "oncall-pagerduty", Lang: LangEnglish},
	{Name: "manager-email"},
	{Name: "direction-telegram", Lang: LangFrench},
}

func newTestEngine(t *testing.T, policy string, receivers []ReceiverSettings) (*Engine, *fakeClock) {
	t.Helper()
	cfg, err := LoadConfig(strings.NewReader(policy))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	clock := newFakeClock()
	e, err := NewEngine(*cfg, receivers, clock)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e, clock
}

func crisis(key string, status string, sev int, observed float64, at time.Time) *Notification {
	return &Notification{
		Key: key, Kind: KindCrisis, Status: status, Watch: "airfrance", WatchName: "Air France",
		Severity: sev, Lang: LangFrench, Since: at.Add(-20 * time.Minute), At: at,
		Observed: observed, Expected: 70, ConsoleURL: "https://vigie.example/crises/" + key,
	}
}

// receiversOf lists "receiver:status" of deliveries, in order.
func receiversOf(ds []Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Receiver+":"+d.Notification.Status)
	}
	return out
}

func mustHandle(t *testing.T, e *Engine, n *Notification) []Delivery {
	t.Helper()
	ds, err := e.Handle(n)
	if err != nil {
		t.Fatalf("Handle(%s %s): %v", n.Key, n.Status, err)
	}
	return ds
}

func wantDeliveries(t *testing.T, step string, got []Delivery, want ...string) {
	t.Helper()
	if g := receiversOf(got); !slices.Equal(g, want) {
		t.Fatalf("%s: deliveries %q, want %q", step, g, want)
	}
}

func TestEngineThreadLifecycle(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)

	got := mustHandle(t, e, crisis("c1", StatusOpen, 3, 800, clock.Now()))
	wantDeliveries(t, "open", got, "cm-slack:open")
	if got[0].Notification.Lang != LangFrench {
		t.Errorf("open lang = %q, want fr", got[0].Notification.Lang)
	}

	// The same event again (at-least-once redelivery) is absorbed.
	wantDeliveries(t, "duplicate open", mustHandle(t, e, crisis("c1", StatusOpen, 3, 800, clock.Now())))

	// A small change within the cooldown is absorbed.
	clock.Advance(2 * time.Minute)
	wantDeliveries(t, "small update", mustHandle(t, e, crisis("c1", StatusUpdate, 3, 900, clock.Now())))

	// The volume doubles: significant, sent at once.
	clock.Advance(time.Minute)
	wantDeliveries(t, "volume x2", mustHandle(t, e, crisis("c1", StatusUpdate, 3, 1800, clock.Now())), "cm-slack:update")

	// After the cooldown, even a small change is sent.
	clock.Advance(16 * time.Minute)
	wantDeliveries(t, "after cooldown", mustHandle(t, e, crisis("c1", StatusUpdate, 3, 1850, clock.Now())), "cm-slack:update")

	// An event older than what the thread knows is stale.
	wantDeliveries(t, "stale", mustHandle(t, e, crisis("c1", StatusUpdate, 3, 5000, clock.Now().Add(-time.Hour))))

	clock.Advance(time.Hour)
	res := &Notification{Key: "c1", Kind: KindCrisis, Status: StatusResolved, Severity: 3, At: clock.Now()}
	got = mustHandle(t, e, res)
	wantDeliveries(t, "resolve", got, "cm-slack:resolved")
	if n := got[0].Notification; n.WatchName != "Air France" || n.Since.IsZero() {
		t.Errorf("resolution lost the thread's watch or start: %+v", n)
	}
	wantDeliveries(t, "duplicate resolve", mustHandle(t, e, res))
	wantDeliveries(t, "late update", mustHandle(t, e, crisis("c1", StatusUpdate, 3, 2000, clock.Now().Add(-time.Minute))))

	// The same key opening again later is a new thread, with new ids.
	clock.Advance(time.Hour)
	got = mustHandle(t, e, crisis("c1", StatusOpen, 3, 900, clock.Now()))
	wantDeliveries(t, "reopen", got, "cm-slack:open")
	if !strings.HasPrefix(got[0].ID, "c1/2/") {
		t.Errorf("reopened delivery id %q, want generation 2", got[0].ID)
	}
	if s := e.Stats(); s.Threads != 2 || s.Absorbed != 2 || s.Stale != 3 {
		t.Errorf("stats = %+v, want 2 threads, 2 absorbed, 3 stale", s)
	}
}

func TestEngineEscalationAndAck(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	t0 := clock.Now()
	got := mustHandle(t, e, crisis("c1", StatusOpen, 4, 1240, t0))
	wantDeliveries(t, "open", got, "cm-slack:open", "oncall-pagerduty:open")
	if got[1].Notification.Lang != LangEnglish {
		t.Errorf("pagerduty lang = %q, want en (receiver setting)", got[1].Notification.Lang)
	}

	clock.Advance(14*time.Minute + 59*time.Second)
	wantDeliveries(t, "before 15m", e.Tick())
	if next, ok := e.NextTick(); !ok || !next.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("NextTick = %v %v, want %v", next, ok, t0.Add(15*time.Minute))
	}

	clock.Advance(time.Second)
	got = e.Tick()
	wantDeliveries(t, "escalation 1", got, "manager-email:open")
	if n := got[0].Notification; n.Escalation != 1 || n.Lang != LangFrench {
		t.Errorf("escalation notification: level %d lang %q, want 1 and the default fr", n.Escalation, n.Lang)
	}
	wantDeliveries(t, "same tick again", e.Tick())

	clock.Advance(10 * time.Minute)
	acks, err := e.Ack("c1", "marie.dupont")
	if err != nil {
		t.Fatal(err)
	}
	wantDeliveries(t, "ack", acks, "cm-slack:acknowledged", "oncall-pagerduty:acknowledged", "manager-email:acknowledged")
	for _, d := range acks {
		if d.Notification.AckedBy != "marie.dupont" || !d.Notification.At.Equal(clock.Now()) {
			t.Errorf("ack notice %s: by %q at %v", d.Receiver, d.Notification.AckedBy, d.Notification.At)
		}
	}
	again, err := e.Ack("c1", "paul")
	if err != nil || len(again) != 0 {
		t.Errorf("second ack: %d deliveries, err %v; want none", len(again), err)
	}

	clock.Advance(2 * time.Hour)
	wantDeliveries(t, "no escalation after ack", e.Tick())
	if _, ok := e.NextTick(); ok {
		t.Error("NextTick scheduled something after the ack")
	}

	// Updates still reach everyone told; the resolution too.
	wantDeliveries(t, "update after ack", mustHandle(t, e, crisis("c1", StatusUpdate, 5, 5000, clock.Now())),
		"cm-slack:update", "oncall-pagerduty:update", "manager-email:update")
	res := &Notification{Key: "c1", Kind: KindCrisis, Status: StatusResolved, Severity: 5, At: clock.Now()}
	got = mustHandle(t, e, res)
	wantDeliveries(t, "resolve", got, "cm-slack:resolved", "oncall-pagerduty:resolved", "manager-email:resolved")
	if got[0].Notification.AckedBy != "marie.dupont" {
		t.Errorf("resolution forgot who acknowledged")
	}

	if _, err := e.Ack("c1", "paul"); !errors.Is(err, ErrThreadResolved) {
		t.Errorf("ack of a resolved thread: %v, want ErrThreadResolved", err)
	}
	if _, err := e.Ack("nope", "paul"); !errors.Is(err, ErrUnknownThread) {
		t.Errorf("ack of an unknown thread: %v, want ErrUnknownThread", err)
	}
	if _, err := e.Ack("c1", ""); !errors.Is(err, ErrInvalidNotification) {
		t.Errorf("ack without a name: %v, want ErrInvalidNotification", err)
	}
}

func TestEngineAckEvent(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	mustHandle(t, e, crisis("c1", StatusOpen, 4, 1240, clock.Now()))
	clock.Advance(time.Minute)
	ack := &Notification{Key: "c1", Kind: KindCrisis, Status: StatusAcknowledged, Severity: 4, At: clock.Now(), AckedBy: "oncall"}
	wantDeliveries(t, "ack event", mustHandle(t, e, ack), "cm-slack:acknowledged", "oncall-pagerduty:acknowledged")
	if th, _ := e.Thread("c1"); th.AckedBy != "oncall" || !th.AckedAt.Equal(clock.Now()) {
		t.Errorf("thread ack = %q at %v", th.AckedBy, th.AckedAt)
	}
}

// A snapshot taken mid-escalation and restored in a new engine (a restart)
// pages nobody twice, and the escalation still happens, once.
func TestEngineRestoreMidEscalation(t *testing.T) {
	e1, clock := newTestEngine(t, enginePolicy, engineReceivers)
	t0 := clock.Now()
	opened := mustHandle(t, e1, crisis("c1", StatusOpen, 4, 1240, t0))
	wantDeliveries(t, "open", opened, "cm-slack:open", "oncall-pagerduty:open")
	e1.Settle(opened[0].ID) // Slack delivered; the page was in flight when the process died

	clock.Advance(10 * time.Minute)
	snap, err := e1.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := LoadConfig(strings.NewReader(enginePolicy))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := NewEngine(*cfg, engineReceivers, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := e2.Restore(snap); err != nil {
		t.Fatal(err)
	}

	pending := e2.Pending()
	wantDeliveries(t, "pending after restore", pending, "oncall-pagerduty:open")
	if pending[0].ID != opened[1].ID {
		t.Errorf("pending id %q, want the original %q (receivers deduplicate on it)", pending[0].ID, opened[1].ID)
	}
	wantDeliveries(t, "tick right after restore", e2.Tick())
	wantDeliveries(t, "duplicate open after restore", mustHandle(t, e2, crisis("c1", StatusOpen, 4, 1240, t0)))

	clock.Advance(5 * time.Minute)
	wantDeliveries(t, "escalation after restore", e2.Tick(), "manager-email:open")
	clock.Advance(time.Minute)
	wantDeliveries(t, "no second escalation", e2.Tick())
	clock.Advance(30 * time.Minute)
	wantDeliveries(t, "level 2", e2.Tick(), "direction-telegram:open")

	if err := e2.Restore([]byte(`{"version":99}`)); !errors.Is(err, ErrStateVersion) {
		t.Errorf("restore of a future version: %v, want ErrStateVersion", err)
	}
	if err := e2.Restore([]byte(`{`)); err == nil {
		t.Error("restore of broken JSON succeeded")
	}
}

func TestEngineRateCapDigest(t *testing.T) {
	receivers := []ReceiverSettings{{Name: "cm-slack", Lang: LangEnglish, RateLimit: &RateLimit{Max: 2, Per: Duration(time.Hour)}}}
	e, clock := newTestEngine(t, "route:\n  receivers: [cm-slack]\n", receivers)

	var sent []Delivery
	for i, key := range []string{"a", "b", "c", "d"} {
		n := crisis(key, StatusOpen, 2+i%3, 500, clock.Now())
		n.WatchName = "watch " + key
		sent = append(sent, mustHandle(t, e, n)...)
		clock.Advance(time.Minute)
	}
	wantDeliveries(t, "capped opens", sent, "cm-slack:open", "cm-slack:open")
	if s := e.Stats(); s.Held != 2 {
		t.Errorf("held = %d, want 2", s.Held)
	}
	wantDeliveries(t, "digest while capped", e.Tick())

	// A resolution is never held back.
	wantDeliveries(t, "resolve while capped", mustHandle(t, e, &Notification{Key: "c", Kind: KindCrisis, Status: StatusResolved, Severity: 2, At: clock.Now()}), "cm-slack:resolved")

	next, ok := e.NextTick()
	if !ok {
		t.Fatal("NextTick: nothing scheduled with a digest waiting")
	}
	clock.Advance(next.Sub(clock.Now()))
	got := e.Tick()
	wantDeliveries(t, "digest", got, "cm-slack:open")
	d := got[0].Notification
	if d.Kind != KindDigest || len(d.Digest) != 2 || d.Digest[0].Key != "c" || d.Digest[1].Key != "d" || d.Severity != 4 || d.Lang != LangEnglish {
		t.Fatalf("digest = %+v", d)
	}
	wantDeliveries(t, "digest sent once", e.Tick())
}

func TestEngineReroutesWorseUpdates(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	t0 := clock.Now()
	wantDeliveries(t, "open sev 2", mustHandle(t, e, crisis("c1", StatusOpen, 2, 300, t0)), "cm-slack:open")
	wantDeliveries(t, "no escalation yet", e.Tick())
	clock.Advance(5 * time.Minute)
	wantDeliveries(t, "sev 4", mustHandle(t, e, crisis("c1", StatusUpdate, 4, 2000, clock.Now())),
		"oncall-pagerduty:open", "cm-slack:update")
	clock.Advance(15 * time.Minute)
	wantDeliveries(t, "adopted escalation", e.Tick(), "manager-email:open")
}

func TestEngineRejects(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	bad := []*Notification{
		{Kind: KindCrisis, Status: StatusOpen, Severity: 3, At: clock.Now()},
		{Key: "k", Kind: "bad", Status: StatusOpen, Severity: 3, At: clock.Now()},
		{Key: "k", Kind: KindCrisis, Status: "firing", Severity: 3, At: clock.Now()},
		{Key: "k", Kind: KindCrisis, Status: StatusOpen, Severity: 9, At: clock.Now()},
		{Key: "k", Kind: KindCrisis, Status: StatusOpen, Severity: 3, Lang: "de", At: clock.Now()},
		{Key: "k", Kind: KindCrisis, Status: StatusOpen, Severity: 3},
		{Key: "k", Kind: KindDigest, Status: StatusOpen, Severity: 3, At: clock.Now()},
	}
	for i, n := range bad {
		if _, err := e.Handle(n); !errors.Is(err, ErrInvalidNotification) {
			t.Errorf("case %d: Handle = %v, want ErrInvalidNotification", i, err)
		}
	}
	if got := mustHandle(t, e, &Notification{Key: "x", Kind: KindCrisis, Status: StatusResolved, Severity: 3, At: clock.Now()}); len(got) != 0 {
		t.Errorf("resolution of an unknown thread produced %d deliveries", len(got))
	}
}

func TestEngineOutboxAndRetention(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	got := mustHandle(t, e, crisis("c1", StatusOpen, 4, 1240, clock.Now()))
	if len(e.Pending()) != 2 {
		t.Fatalf("pending = %d, want 2", len(e.Pending()))
	}
	e.Settle(got[0].ID, got[1].ID)
	if len(e.Pending()) != 0 {
		t.Fatalf("pending after settle = %d, want 0", len(e.Pending()))
	}
	mustHandle(t, e, &Notification{Key: "c1", Kind: KindCrisis, Status: StatusResolved, Severity: 4, At: clock.Now()})
	clock.Advance(23 * time.Hour)
	e.Tick()
	if _, ok := e.Thread("c1"); !ok {
		t.Fatal("resolved thread forgotten before the retention")
	}
	clock.Advance(time.Hour)
	e.Tick()
	if _, ok := e.Thread("c1"); ok {
		t.Fatal("resolved thread kept after the retention")
	}
}

func TestNewEngineChecksReceivers(t *testing.T) {
	cfg, err := LoadConfig(strings.NewReader(enginePolicy))
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewEngine(*cfg, engineReceivers[:2], newFakeClock())
	if err == nil || !strings.Contains(err.Error(), `route.routes[0].escalation[0].receivers[0]: unknown receiver "manager-email"`) {
		t.Fatalf("NewEngine with a missing receiver: %v", err)
	}
	if _, err := NewEngine(*cfg, engineReceivers, nil); err == nil {
		t.Fatal("NewEngine accepted a nil clock")
	}
}

// A resolution that leaves the drill flag out (a detector may send only
// the key and the end time) still ends a drill, marked as such.
func TestEngineResolutionKeepsDrill(t *testing.T) {
	e, clock := newTestEngine(t, enginePolicy, engineReceivers)
	open := crisis("drill-1", StatusOpen, 4, 800, clock.Now())
	open.Drill = true
	mustHandle(t, e, open)
	ds := mustHandle(t, e, &Notification{Key: "drill-1", Kind: KindCrisis, Status: StatusResolved, Severity: 4, At: clock.Now()})
	if len(ds) == 0 {
		t.Fatal("no resolution delivered")
	}
	for _, d := range ds {
		if !d.Notification.Drill {
			t.Errorf("%s: resolution of a drill not marked as a drill", d.Receiver)
		}
	}
}
