package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

var now = time.Date(2015, 10, 5, 12, 41, 0, 0, time.UTC)

func newNotifier(t *testing.T, srv *channeltest.Server, cfg Config) *Notifier {
	t.Helper()
	cfg.URL = srv.URL
	n, err := New(cfg, alerting.WithName("am"), alerting.WithHTTPClient(srv.Client()), alerting.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func decodeAlerts(t *testing.T, b []byte) []PostableAlert {
	t.Helper()
	var as []PostableAlert
	if err := json.Unmarshal(b, &as); err != nil {
		t.Fatalf("body is not a postableAlerts array: %v\n%s", err, b)
	}
	return as
}

func TestPostableAlerts(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv, Config{Labels: map[string]string{"env": "prod"}, BearerToken: "s3cr3tBearer"})
	ctx := context.Background()

	open := channeltest.Sample()
	open.Drill = true
	if _, err := n.Notify(ctx, open); err != nil {
		t.Fatal(err)
	}
	req := srv.Requests()[0]
	if req.Method != http.MethodPost || req.Path != "/api/v2/alerts" || req.Header.Get("Authorization") != "Bearer s3cr3tBearer" || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request = %s %s %v", req.Method, req.Path, req.Header)
	}
	channeltest.Golden(t, "open_fr_drill.json", req.Body)
	as := decodeAlerts(t, req.Body)
	want := map[string]string{"alertname": "VigieCrisis", "watch": "airfrance", "severity": "critical", "kind": "crisis", "thread": "crisis/airfrance/42", "drill": "true", "env": "prod"}
	if len(as) != 1 || !equal(as[0].Labels, want) {
		t.Fatalf("labels = %v, want %v", as, want)
	}
	a := as[0]
	if a.StartsAt != "2015-10-05T12:05:00Z" || a.EndsAt != "2015-10-06T12:41:00Z" || a.GeneratorURL != open.ConsoleURL {
		t.Errorf("times/generator = %s %s %s", a.StartsAt, a.EndsAt, a.GeneratorURL)
	}
	if !strings.HasPrefix(a.Annotations["summary"], "[EXERCICE] Crise détectée : Air France") || a.Annotations["ack_url"] != open.AckURL || !strings.Contains(a.Annotations["description"], "18× la normale") {
		t.Errorf("annotations = %v", a.Annotations)
	}

	// Severity 4 → 3: the critical alert ends, a warning one fires.
	upd := channeltest.Sample()
	upd.Status, upd.Severity, upd.Drill = alerting.StatusUpdate, 3, true
	upd.At = upd.At.Add(10 * time.Minute)
	if _, err := n.Notify(ctx, upd); err != nil {
		t.Fatal(err)
	}
	as = decodeAlerts(t, srv.Requests()[1].Body)
	if len(as) != 2 || as[0].Labels["severity"] != "critical" || as[0].EndsAt != "2015-10-05T12:50:00Z" || as[1].Labels["severity"] != "warning" {
		t.Fatalf("severity change = %+v", as)
	}

	res := channeltest.Sample()
	res.Status, res.Severity, res.Drill = alerting.StatusResolved, 3, true
	res.At = res.At.Add(time.Hour)
	if _, err := n.Notify(ctx, res); err != nil {
		t.Fatal(err)
	}
	as = decodeAlerts(t, srv.Requests()[2].Body)
	if len(as) != 1 || as[0].EndsAt != "2015-10-05T13:40:00Z" || as[0].Labels["severity"] != "warning" {
		t.Errorf("resolve = %+v", as)
	}
	if _, ok := as[0].Annotations["ack_url"]; ok {
		t.Error("resolved alert still carries the ack link")
	}
}

func TestErrors(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: 400, Body: `{"code":400,"message":"start time must be before end time"}`},
		channeltest.Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}},
		channeltest.Reply{Status: 503},
	)
	n := newNotifier(t, srv, Config{BasicAuth: &BasicAuth{Username: "vigie", Password: "s3cr3tPass"}})
	retry, err := n.Notify(context.Background(), channeltest.Sample())
	var he *alerting.HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(err.Error(), `alertmanager receiver "am": HTTP 400`) {
		t.Errorf("400: %v %v", retry, err)
	}
	if u, p, ok := (&http.Request{Header: srv.Requests()[0].Header}).BasicAuth(); !ok || u != "vigie" || p != "s3cr3tPass" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	retry, err = n.Notify(context.Background(), channeltest.Sample())
	if d, _ := alerting.RetryDelay(err); !retry || d != 3*time.Second {
		t.Errorf("429: %v %v", retry, err)
	}
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); !retry || err == nil {
		t.Errorf("503: %v %v", retry, err)
	}
}

func TestConfig(t *testing.T) {
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "url"},
		{Config{URL: "http://am:9093", Labels: map[string]string{"severity": "x"}}, `"severity" is set by vigie`},
		{Config{URL: "http://am:9093", Labels: map[string]string{"bad-name": "x"}}, `"bad-name" is not a valid label name`},
		{Config{URL: "http://am:9093", BasicAuth: &BasicAuth{Username: "u"}}, "basic_auth.password"},
		{Config{URL: "http://am:9093", BasicAuth: &BasicAuth{Username: "u", Password: "p"}, BearerToken: "t"}, "both set"},
		{Config{URL: "http://am:9093", FiringTTL: alerting.Duration(time.Second)}, "firing_ttl"},
	}
	for _, b := range bad {
		b.cfg.SetDefaults()
		if err := b.cfg.Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%+v) = %v, want %q", b.cfg, err, b.want)
		}
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
