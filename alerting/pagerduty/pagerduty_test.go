package pagerduty

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

const routingKey = "R0UT1NGs3cr3tK3y0000000000000000"

const accepted = `{"status":"success","message":"Event processed","dedup_key":"crisis/airfrance/42"}`

func newNotifier(t *testing.T, srv *channeltest.Server, cfg Config) *Notifier {
	t.Helper()
	cfg.RoutingKey, cfg.BaseURL = routingKey, srv.URL
	n, err := New(cfg, alerting.WithName("oncall"), alerting.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTriggerAcknowledgeResolve(t *testing.T) {
	srv := channeltest.NewServer(t)
	srv.Default = channeltest.Reply{Status: http.StatusAccepted, Body: accepted}
	n := newNotifier(t, srv, Config{})
	ctx := context.Background()

	open := channeltest.Sample()
	open.Lang = alerting.LangEnglish
	open.Drill = true
	open.Escalation = 1
	if _, err := n.Notify(ctx, open); err != nil {
		t.Fatal(err)
	}
	ack := channeltest.Sample()
	ack.Status, ack.AckedBy = alerting.StatusAcknowledged, "marie"
	if _, err := n.Notify(ctx, ack); err != nil {
		t.Fatal(err)
	}
	res := channeltest.Sample()
	res.Status = alerting.StatusResolved
	if _, err := n.Notify(ctx, res); err != nil {
		t.Fatal(err)
	}

	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %v", r.Path, r.Header)
		}
	}
	channeltest.Golden(t, "trigger_en_drill.json", reqs[0].Body)
	channeltest.Golden(t, "acknowledge.json", reqs[1].Body)
	channeltest.Golden(t, "resolve.json", reqs[2].Body)

	trig := channeltest.Decode(t, reqs[0].Body)
	if trig["routing_key"] != routingKey || trig["event_action"] != "trigger" || trig["dedup_key"] != "crisis/airfrance/42" {
		t.Errorf("trigger envelope = %v", trig)
	}
	p := trig["payload"].(map[string]any)
	if p["severity"] != "error" || p["source"] != "vigie" || p["class"] != "crisis" || p["component"] != "airfrance" || p["timestamp"] != "2015-10-05T12:40:00Z" {
		t.Errorf("payload = %v", p)
	}
	if s := p["summary"].(string); !strings.HasPrefix(s, "[DRILL] [Escalation 1] Crisis detected: Air France (severity 4/5) — 1,240 mentions/h, 18x normal") {
		t.Errorf("summary = %q", s)
	}
	cd := p["custom_details"].(map[string]any)
	if cd["drill"] != true || cd["observed_per_hour"] != 1240.0 || cd["ratio"] != 18.0 || cd["escalation_level"] != 1.0 {
		t.Errorf("custom_details = %v", cd)
	}
	links := trig["links"].([]any)
	if len(links) != 2 || links[1].(map[string]any)["href"] != open.AckURL {
		t.Errorf("links = %v", links)
	}
	for i, action := range []string{"acknowledge", "resolve"} {
		b := channeltest.Decode(t, reqs[i+1].Body)
		if b["event_action"] != action || b["dedup_key"] != "crisis/airfrance/42" || b["routing_key"] != routingKey || b["payload"] != nil {
			t.Errorf("%s = %v", action, b)
		}
	}
}

func TestSeverityMapping(t *testing.T) {
	srv := channeltest.NewServer(t)
	srv.Default = channeltest.Reply{Status: http.StatusAccepted, Body: accepted}
	n := newNotifier(t, srv, Config{Severities: map[int]string{3: "error"}, Source: "vigie-prod"})
	want := map[int]string{1: "info", 2: "info", 3: "error", 4: "error", 5: "critical"}
	for sev := 1; sev <= 5; sev++ {
		note := channeltest.Sample()
		note.Severity = sev
		if _, err := n.Notify(context.Background(), note); err != nil {
			t.Fatal(err)
		}
		p := channeltest.Decode(t, srv.Requests()[sev-1].Body)["payload"].(map[string]any)
		if p["severity"] != want[sev] || p["source"] != "vigie-prod" {
			t.Errorf("severity %d → %v (source %v), want %s", sev, p["severity"], p["source"], want[sev])
		}
	}
	long := strings.Repeat("k", 300)
	if k := DedupKey(long); len(k) > maxDedupKey || k == DedupKey(long+"x") {
		t.Errorf("DedupKey of a long key = %q", k)
	}
}

func TestErrors(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: 429, Header: map[string]string{"Retry-After": "20"}, Body: `{"status":"throttle event","message":"Requests for this service are arriving too quickly."}`},
		channeltest.Reply{Status: 400, Body: `{"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing"]}`},
		channeltest.Reply{Status: 503, Body: "unavailable"},
	)
	n := newNotifier(t, srv, Config{})
	retry, err := n.Notify(context.Background(), channeltest.Sample())
	if d, ok := alerting.RetryDelay(err); !retry || !ok || d != 20*time.Second {
		t.Errorf("429: retry %v delay %v err %v", retry, d, err)
	}
	retry, err = n.Notify(context.Background(), channeltest.Sample())
	var he *alerting.HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(err.Error(), "payload.summary") || !strings.Contains(err.Error(), `pagerduty receiver "oncall"`) {
		t.Errorf("400: retry %v err %v", retry, err)
	}
	channeltest.NoSecret(t, "error", err.Error(), routingKey)
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); !retry || err == nil {
		t.Errorf("503: retry %v err %v", retry, err)
	}
}

func TestConfig(t *testing.T) {
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "routing_key or routing_key_file is required"},
		{Config{RoutingKey: "k", Severities: map[int]string{6: "info"}}, "key 6"},
		{Config{RoutingKey: "k", Severities: map[int]string{5: "sev1"}}, `severities[5]: "sev1"`},
		{Config{RoutingKey: "k", BaseURL: "events.pagerduty.com"}, "base_url"},
	}
	for _, b := range bad {
		b.cfg.SetDefaults()
		if err := b.cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%v) = %v, want %q", b.cfg.Severities, err, b.want)
		}
	}
}
