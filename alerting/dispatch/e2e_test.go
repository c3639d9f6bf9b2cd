package dispatch_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/dispatch"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
	"github.com/vigie-project/vigie/alerting/receiver"
)

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestEndToEnd wires what the lead will wire: the alerting section of
// vigie.yaml, the Engine, the Dispatcher and real channels pointed at fake
// Slack, PagerDuty and webhook servers that speak their wire formats. A
// crisis opens, escalates, is acknowledged and resolves.
func TestEndToEnd(t *testing.T) {
	slackSrv := channeltest.NewServer(t)
	pdSrv := channeltest.NewServer(t)
	pdSrv.Default = channeltest.Reply{Status: 202, Body: `{"status":"success","message":"Event processed"}`}
	hookSrv := channeltest.NewServer(t)

	doc := `
receivers:
  - name: cm-slack
    slack: {webhook_url: "` + slackSrv.URL + `/services/T/B/x"}
  - name: oncall
    lang: en
    pagerduty: {routing_key: key, base_url: "` + pdSrv.URL + `"}
  - name: manager
    webhook: {url: "` + hookSrv.URL + `/hook", secret: k}
route:
  receivers: [cm-slack]
  routes:
    - kinds: [crisis]
      min_severity: 4
      receivers: [cm-slack, oncall]
      escalation:
        - after: 15m
          receivers: [manager]
`
	f, err := receiver.LoadBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	notifiers, err := receiver.Build(f)
	if err != nil {
		t.Fatal(err)
	}
	clock := &manualClock{t: time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC)}
	eng, err := alerting.NewEngine(f.Config, f.Settings(), clock)
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan dispatch.Result, 16)
	d, err := dispatch.New(notifiers, prometheus.NewRegistry(), dispatch.WithResults(func(r dispatch.Result) {
		if r.Err == nil || !r.Retryable {
			eng.Settle(r.Delivery.ID)
		}
		results <- r
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = d.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	deliver := func(step string, ds []alerting.Delivery, want int) {
		t.Helper()
		if len(ds) != want {
			t.Fatalf("%s: %d deliveries, want %d", step, len(ds), want)
		}
		if err := d.Enqueue(ctx, ds...); err != nil {
			t.Fatal(err)
		}
		for range want {
			if r := <-results; r.Err != nil {
				t.Fatalf("%s: %s: %v", step, r.Delivery.Receiver, r.Err)
			}
		}
	}

	open := channeltest.Sample()
	open.Severity, open.At = 5, clock.Now()
	ds, err := eng.Handle(open)
	if err != nil {
		t.Fatal(err)
	}
	deliver("open", ds, 2)
	clock.Advance(15 * time.Minute)
	deliver("escalation", eng.Tick(), 1)
	clock.Advance(3 * time.Minute)
	ds, err = eng.Ack(open.Key, "marie.dupont")
	if err != nil {
		t.Fatal(err)
	}
	deliver("ack", ds, 3)
	clock.Advance(time.Hour)
	deliver("no escalation after ack", eng.Tick(), 0)
	ds, err = eng.Handle(&alerting.Notification{Key: open.Key, Kind: alerting.KindCrisis, Status: alerting.StatusResolved, Severity: 5, At: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	deliver("resolve", ds, 3)

	var actions []string
	for _, r := range pdSrv.Requests() {
		var ev struct {
			Action string `json:"event_action"`
			Key    string `json:"dedup_key"`
		}
		if err := json.Unmarshal(r.Body, &ev); err != nil || ev.Key != open.Key {
			t.Fatalf("pagerduty event %s: %v", r.Body, err)
		}
		actions = append(actions, ev.Action)
	}
	if strings.Join(actions, ",") != "trigger,acknowledge,resolve" {
		t.Errorf("pagerduty got %v, want one page, then acknowledge and resolve", actions)
	}
	var hookStatuses []string
	for _, r := range hookSrv.Requests() {
		var p struct {
			Notification alerting.Notification `json:"notification"`
		}
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		hookStatuses = append(hookStatuses, p.Notification.Status)
		if p.Notification.Status == alerting.StatusOpen && p.Notification.Escalation != 1 {
			t.Errorf("manager's open is not marked as escalation 1")
		}
	}
	if strings.Join(hookStatuses, ",") != "open,acknowledged,resolved" {
		t.Errorf("manager got %v", hookStatuses)
	}
	if len(slackSrv.Requests()) != 3 {
		t.Errorf("slack got %d messages, want open, ack, resolved", len(slackSrv.Requests()))
	}
	if p := eng.Pending(); len(p) != 0 {
		t.Errorf("outbox still holds %d deliveries", len(p))
	}
}
