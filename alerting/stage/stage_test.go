package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/dispatch"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/bus/bustest"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
	"github.com/vigie-project/vigie/store/chtest"
)

const key = "airfrance/20151005T1220Z"

func TestCrisisLifecycle(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	w := watch(t, b)
	r := start(t, b, db, sv.config(t), clock)

	publish(t, b, crisisEvent(key, "open", 4, clock.Now(), 1240))
	if got := joined(w.delivered(key, CauseEvent, "open")); got != "cm-slack,oncall" {
		t.Fatalf("open went to %s, want cm-slack,oncall", got)
	}
	// Same severity, about the same volume, inside the cooldown: absorbed.
	clock.Advance(5 * time.Minute)
	publish(t, b, crisisEvent(key, "update", 4, clock.Now(), 1300))
	if p := w.planned(key, CauseEvent, "update"); len(p.Deliveries) != 0 {
		t.Fatalf("update inside the cooldown delivered to %v", p.Deliveries)
	}
	clock.Advance(time.Minute)
	publish(t, b, crisisEvent(key, "resolved", 0, clock.Now(), 90))
	if got := joined(w.delivered(key, CauseEvent, "resolved")); got != "cm-slack,oncall" {
		t.Fatalf("resolution went to %s, want cm-slack,oncall", got)
	}
	r.stop()

	if got := joined(webhookStatuses(t, sv.pager)); got != "open,resolved" {
		t.Errorf("pager got %s, want open,resolved", got)
	}
	slack := texts(sv.slack)
	if len(slack) != 2 {
		t.Fatalf("slack got %d messages, want 2", len(slack))
	}
	for _, want := range []string{
		"https://vigie.example/api/v1/alerts/airfrance%2F20151005T1220Z/ack",
		"https://vigie.example/crises/airfrance%2F20151005T1220Z",
		"Crise détectée", // cm-slack has no lang: the default, French
	} {
		if !strings.Contains(slack[0], want) {
			t.Errorf("slack open message lacks %q:\n%s", want, slack[0])
		}
	}
	if strings.Contains(slack[0], "<!channel>") {
		t.Error("a quoted post pings the channel")
	}
	if n := db.Count(t, "SELECT count() FROM alerts WHERE action = 'sent' AND alert_key = ?", key); n != 4 {
		t.Errorf("journal: %d sent rows, want 4", n)
	}
	if n := db.Count(t, "SELECT count() FROM alerts WHERE action = 'resolved' AND alert_key = ? AND receiver = ''", key); n != 1 {
		t.Errorf("journal: %d resolved rows, want 1", n)
	}
}

func TestUndecodableEventDeadLettered(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	w := watch(t, b)
	dead := make(chan *nats.Msg, 4)
	sub, err := b.NC.ChanSubscribe(bus.SubjectDead+"alert", dead)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	shared := bus.NewMetrics(nil)
	r := startWith(t, b, db, sv.config(t), Options{Clock: clock, Metrics: shared})

	for _, c := range []struct{ data, reason string }{
		{`{"id": "x", "status": "open", "severity": `, "undecodable"},
		{`{"id": "", "watch": "airfrance", "status": "open", "severity": 4}`, "invalid"},
		{`{"id": "y", "watch": "airfrance", "status": "exploded", "severity": 4}`, "invalid"},
	} {
		if _, err := b.JS.Publish(context.Background(), SubjectCrisis+"airfrance", []byte(c.data)); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-dead:
			if string(m.Data) != c.data || m.Header.Get("Vigie-Subject") != SubjectCrisis+"airfrance" || m.Header.Get("Vigie-Reason") == "" {
				t.Errorf("dead letter %q: data %q, headers %v", c.data, m.Data, m.Header)
			}
		case <-time.After(waitFor):
			t.Fatalf("%q was not dead-lettered", c.data)
		}
	}
	if n := testutil.ToFloat64(r.m.deadLettered.WithLabelValues("undecodable")); n != 1 {
		t.Errorf("undecodable counted %v times, want 1", n)
	}
	if n := testutil.ToFloat64(r.m.deadLettered.WithLabelValues("invalid")); n != 2 {
		t.Errorf("invalid counted %v times, want 2", n)
	}
	if n := testutil.ToFloat64(shared.Rejected.WithLabelValues("alert", "invalid")); n != 2 {
		t.Errorf("shared stage counter: %v invalid, want 2", n)
	}
	// The stage goes on.
	publish(t, b, crisisEvent(key, "open", 4, clock.Now(), 1240))
	w.delivered(key, CauseEvent, "open")
}

// The stage stops between the page and the escalation; a new one on the
// same KV bucket and consumer neither pages again nor forgets to escalate.
func TestRestartMidEscalation(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	cfg := sv.config(t)
	w := watch(t, b)
	r1 := start(t, b, db, cfg, clock)
	publish(t, b, crisisEvent(key, "open", 5, clock.Now(), 1240))
	w.delivered(key, CauseEvent, "open")
	clock.Advance(5 * time.Minute)
	r1.stop()
	// A clean stop saves the state, then acknowledges what it holds.
	if n, err := b.Pending(context.Background(), bus.StreamEvents, bus.ConsumerAlert); err != nil || n != 0 {
		t.Fatalf("after a clean stop: %d events not acknowledged (%v)", n, err)
	}

	r2 := start(t, b, db, cfg, clock)
	clock.Advance(10 * time.Minute) // 15 min after the page
	r2.tick(context.Background())
	if got := joined(w.delivered(key, CauseTimer, "")); got != "manager" {
		t.Fatalf("escalation went to %q, want manager", got)
	}
	// Deliveries to one receiver keep their order: once the ack notices
	// are out, a second page queued at restart would have arrived.
	if _, err := r2.Ack(context.Background(), key, "marie.dupont"); err != nil {
		t.Fatal(err)
	}
	if got := joined(w.delivered(key, CauseAck, "")); got != "cm-slack,oncall,manager" {
		t.Fatalf("ack notices went to %s", got)
	}
	r2.stop()

	if got := joined(webhookStatuses(t, sv.pager)); got != "open,acknowledged" {
		t.Errorf("pager got %s, want one page then the ack", got)
	}
	if got := joined(webhookStatuses(t, sv.manager)); got != "open+esc,acknowledged" {
		t.Errorf("manager got %s, want the escalation then the ack", got)
	}
	if n := len(sv.slack.Requests()); n != 2 {
		t.Errorf("slack got %d messages, want open and ack", n)
	}
	if n := db.Count(t, "SELECT count() FROM alerts WHERE action = 'escalated' AND receiver = 'manager'"); n != 1 {
		t.Errorf("journal: %d escalations, want 1", n)
	}
}

func TestGapThreadResolvesByItself(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	w := watch(t, b)
	r := start(t, b, db, sv.config(t), clock)
	gap := ingest.Gap{Source: "twitter", Feed: "track", From: clock.Now().Add(-10 * time.Minute), To: clock.Now(), Reason: "rate_limited", Missed: 120}
	data, _ := json.Marshal(gap)
	if _, err := b.JS.Publish(context.Background(), SubjectGap+"twitter", data); err != nil {
		t.Fatal(err)
	}
	if got := joined(w.delivered("gap:twitter", CauseEvent, "open")); got != "cm-slack" {
		t.Fatalf("gap went to %s, want cm-slack", got)
	}
	clock.Advance(9 * time.Minute)
	r.tick(context.Background())
	if th, _ := r.eng.Thread("gap:twitter"); th.Status != alerting.StatusOpen {
		t.Fatalf("gap thread %s before gap_resolve_after", th.Status)
	}
	clock.Advance(time.Minute)
	r.tick(context.Background())
	if got := joined(w.delivered("gap:twitter", CauseTimer, "")); got != "cm-slack" {
		t.Fatalf("collection back went to %s", got)
	}
	slack := texts(sv.slack)
	if len(slack) != 2 || !strings.Contains(slack[0], "twitter") {
		t.Errorf("slack got %q", slack)
	}
}

func TestCharterFlagOpensAndConsoleResolves(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	w := watch(t, b)
	start(t, b, db, sv.config(t), clock)
	m := mention.Mention{
		ID: "twitter:99", Source: "twitter", CreatedAt: clock.Now().Add(-time.Minute), CollectedAt: clock.Now(),
		Author: mention.Author{Handle: "jdupont", EmployeeID: "E042"}, Lang: "fr",
		Text:    "Le projet Bluebird sort en mars, c'est confidentiel",
		Charter: []mention.CharterFlag{{Rule: "confidential-codename", Category: "confidential", Severity: 4}},
	}
	data, _ := mention.Marshal(&m)
	if _, err := b.JS.Publish(context.Background(), SubjectCharter+"airfrance", data); err != nil {
		t.Fatal(err)
	}
	if got := joined(w.delivered("charter:twitter:99", CauseEvent, "open")); got != "cm-slack" {
		t.Fatalf("charter flag went to %s", got)
	}
	msg := nats.NewMsg(SubjectCharter + "airfrance")
	msg.Header.Set(HeaderStatus, "resolved")
	msg.Data = data
	if _, err := b.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if got := joined(w.delivered("charter:twitter:99", CauseEvent, "resolved")); got != "cm-slack" {
		t.Fatalf("charter resolution went to %s", got)
	}
	if slack := texts(sv.slack); len(slack) != 2 || !strings.Contains(slack[0], "Bluebird") {
		t.Errorf("slack got %q", slack)
	}
}

func TestDrillReportsLatencyPerReceiver(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	start(t, b, db, sv.config(t), clock)
	var progress bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	res, err := Drill(ctx, b, "airfrance", &progress)
	if err != nil {
		t.Fatalf("Drill: %v\n%s", err, progress.String())
	}
	var names []string
	for _, r := range res.Receivers {
		names = append(names, r.Receiver)
		if !r.Sent || !r.ResolvedSent || r.Latency <= 0 || r.ResolvedLatency <= 0 {
			t.Errorf("%s: %+v", r.Receiver, r)
		}
	}
	if len(names) != 2 || !strings.Contains(joined(names), "cm-slack") || !strings.Contains(joined(names), "oncall") {
		t.Fatalf("drill reached %v, want cm-slack and oncall", names)
	}
	if got := joined(webhookStatuses(t, sv.pager)); got != "open,resolved" {
		t.Errorf("pager got %s", got)
	}
	for _, body := range texts(sv.pager) {
		if !strings.Contains(body, "[DRILL]") || !strings.Contains(body, `"drill":true`) {
			t.Errorf("pager message not marked as a drill: %s", body)
		}
	}
	for _, body := range texts(sv.slack) {
		if !strings.Contains(body, "[EXERCICE]") {
			t.Errorf("slack message not marked EXERCICE: %s", body)
		}
	}
	if !strings.Contains(progress.String(), "EXERCICE / DRILL") {
		t.Errorf("progress: %s", progress.String())
	}
}

func TestDrillWithoutStageFails(t *testing.T) {
	b := bustest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Drill(ctx, b, "airfrance", nil)
	if err == nil || !strings.Contains(err.Error(), "did not take the event") {
		t.Fatalf("Drill with no stage: %v", err)
	}
}

func TestTestSendsThroughOneReceiver(t *testing.T) {
	sv := newServers(t)
	cfg := sv.config(t)
	if err := Test(context.Background(), cfg, "oncall", ""); err != nil {
		t.Fatal(err)
	}
	reqs := sv.pager.Requests()
	if len(reqs) != 1 || len(sv.slack.Requests()) != 0 {
		t.Fatalf("pager got %d, slack %d requests", len(reqs), len(sv.slack.Requests()))
	}
	var p struct {
		Title        string                `json:"title"`
		Notification alerting.Notification `json:"notification"`
	}
	if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Notification.Kind != alerting.KindTest || p.Notification.Lang != "en" || !strings.Contains(p.Title, "test") {
		t.Errorf("test message: %s", reqs[0].Body)
	}
	if err := Test(context.Background(), cfg, "cm-slack", "en"); err != nil {
		t.Fatal(err)
	}
	if body := texts(sv.slack); len(body) != 1 || !strings.Contains(body[0], "this channel works") {
		t.Errorf("slack test message: %q", body)
	}
	if err := Test(context.Background(), cfg, "nobody", ""); !errors.Is(err, ErrUnknownReceiver) {
		t.Errorf("unknown receiver: %v", err)
	}
	down := channeltest.NewServer(t, channeltest.Reply{Status: 500, Body: "down"})
	cfg.Receivers[1].Webhook.URL = alerting.Secret(down.URL + "/hook")
	if err := Test(context.Background(), cfg, "oncall", "fr"); err == nil {
		t.Error("a failing receiver passed the test")
	}
}

// A delivery that fails in a way worth retrying is journaled as such and
// dispatched again after retry_interval.
func TestRetryableFailureIsDispatchedAgain(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	sv.pager = channeltest.NewServer(t, channeltest.Reply{Status: 503, Body: "maintenance"}) // then 200
	w := watch(t, b)
	r := startWith(t, b, db, sv.config(t), Options{Clock: clock, Dispatch: dispatch.Config{MaxAttempts: 1}})
	publish(t, b, crisisEvent(key, "open", 4, clock.Now(), 1240))
	p := w.planned(key, CauseEvent, "open")
	var pagerID string
	for _, d := range p.Deliveries {
		if d.Receiver == "oncall" {
			pagerID = d.ID
		}
	}
	if o := w.outcomes(pagerID)[pagerID]; o.Action != ActionFailed || !o.Retryable {
		t.Fatalf("first attempt: %+v", o)
	}
	clock.Advance(time.Minute)
	r.tick(context.Background())
	deadline := time.Now().Add(waitFor)
	for len(sv.pager.Requests()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the failed delivery was not dispatched again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.stop()
	if n := db.Count(t, "SELECT count() FROM alerts WHERE receiver = 'oncall' AND action = 'failed' AND position(detail, 'retry in') > 0"); n != 1 {
		t.Errorf("journal: %d retryable failures, want 1", n)
	}
	if n := db.Count(t, "SELECT count() FROM alerts WHERE receiver = 'oncall' AND action = 'sent'"); n != 1 {
		t.Errorf("journal: %d sent, want 1", n)
	}
	if p := r.eng.Pending(); len(p) != 0 {
		t.Errorf("outbox still holds %d deliveries", len(p))
	}
}

// What a rate cap holds back goes out as one digest once the cap allows,
// and the journal says so.
func TestRateCapDigest(t *testing.T) {
	b, db, sv, clock := bustest.New(t), chtest.New(t), newServers(t), newFakeClock()
	cfg, err := LoadConfigBytes([]byte(`
receivers:
  - name: cm-slack
    rate_limit: {max: 1, per: 1h}
    slack: {webhook_url: "` + sv.slack.URL + `/services/T/B/x"}
route:
  receivers: [cm-slack]
snapshot_interval: 50ms
tick_interval: 1h
`))
	if err != nil {
		t.Fatal(err)
	}
	w := watch(t, b)
	r := start(t, b, db, *cfg, clock)
	publish(t, b, crisisEvent("a/1", "open", 2, clock.Now(), 300))
	w.delivered("a/1", CauseEvent, "open")
	publish(t, b, crisisEvent("b/1", "open", 3, clock.Now(), 400))
	if p := w.planned("b/1", CauseEvent, "open"); len(p.Deliveries) != 0 {
		t.Fatalf("second crisis inside the cap delivered: %v", p.Deliveries)
	}
	clock.Advance(time.Hour)
	r.tick(context.Background())
	if got := joined(w.delivered("digest/cm-slack", CauseTimer, "")); got != "cm-slack" {
		t.Fatalf("digest went to %q", got)
	}
	r.stop()
	if n := db.Count(t, "SELECT count() FROM alerts WHERE action = 'digest' AND receiver = 'cm-slack' AND detail = '1 held back'"); n != 1 {
		t.Errorf("journal: %d digests, want 1", n)
	}
}
