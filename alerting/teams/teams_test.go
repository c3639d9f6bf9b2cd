package teams

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

const hookPath = "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s3cr3tSig"

func newNotifier(t *testing.T, srv *channeltest.Server) *Notifier {
	t.Helper()
	n, err := New(Config{WebhookURL: alerting.Secret(srv.URL + hookPath)}, alerting.WithName("cm-teams"), alerting.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAdaptiveCardPayload(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Reply{Status: http.StatusAccepted})
	n := newNotifier(t, srv)
	note := channeltest.Sample()
	note.Lang = alerting.LangEnglish
	note.Drill = true
	if retry, err := n.Notify(context.Background(), note); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	req := srv.Requests()[0]
	if req.Path != hookPath || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %v", req.Path, req.Header)
	}
	channeltest.Golden(t, "card_en_drill.json", req.Body)

	// The shape Teams documents for webhooks and workflows.
	var raw map[string]any
	if err := json.Unmarshal(req.Body, &raw); err != nil {
		t.Fatal(err)
	}
	att := raw["attachments"].([]any)[0].(map[string]any)
	if raw["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("envelope = %v", raw)
	}
	if v, ok := att["contentUrl"]; !ok || v != nil {
		t.Errorf("contentUrl = %v, want null", v)
	}
	card := att["content"].(map[string]any)
	if card["type"] != "AdaptiveCard" || card["version"] != cardVersion || card["$schema"] != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card header = %v %v %v", card["type"], card["version"], card["$schema"])
	}
	var msg Message
	if err := json.Unmarshal(req.Body, &msg); err != nil {
		t.Fatal(err)
	}
	c := msg.Attachments[0].Content
	if !strings.Contains(c.Body[0].Text, "DRILL") || !strings.Contains(c.Body[1].Text, "[DRILL]") {
		t.Errorf("drill not marked: %q / %q", c.Body[0].Text, c.Body[1].Text)
	}
	if c.Body[2].Text != "1,240 mentions/h, 18x normal, since 14:05 (35\u00a0min)." {
		t.Errorf("summary = %q", c.Body[2].Text)
	}
	facts := c.Body[3].Facts
	if c.Body[3].Type != "FactSet" || len(facts) != 4 || facts[2].Title != "Volume" || facts[2].Value != "1,240 mentions/h (18×)" {
		t.Errorf("facts = %+v", facts)
	}
	if len(c.Actions) != 2 || c.Actions[0].Type != "Action.OpenUrl" || c.Actions[1].URL != note.AckURL || c.Actions[1].Title != "Acknowledge" {
		t.Errorf("actions = %+v", c.Actions)
	}
}

func TestAcknowledgedFrench(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv)
	note := channeltest.Sample()
	note.Status, note.AckedBy = alerting.StatusAcknowledged, "marie.dupont"
	note.At = note.At.Add(7 * time.Minute)
	if _, err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	var msg Message
	if err := json.Unmarshal(srv.Requests()[0].Body, &msg); err != nil {
		t.Fatal(err)
	}
	c := msg.Attachments[0].Content
	if !strings.Contains(c.Body[0].Text, "Crise prise en charge") || !strings.Contains(c.Body[1].Text, "Pris en charge par marie.dupont à 14:47") {
		t.Errorf("ack card = %q / %q", c.Body[0].Text, c.Body[1].Text)
	}
	for _, a := range c.Actions {
		if a.URL == note.AckURL {
			t.Error("an acknowledged crisis offers the ack button again")
		}
	}
}

func TestRetryClassification(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "Mon, 05 Oct 2015 12:41:00 GMT"}},
		channeltest.Reply{Status: http.StatusOK, Body: "Microsoft Teams endpoint returned HTTP error 429 with ContextId ..."},
		channeltest.Reply{Status: http.StatusBadRequest, Body: `{"error":{"code":"InvalidRequestContent"}}`},
	)
	at := time.Date(2015, 10, 5, 12, 40, 0, 0, time.UTC)
	n, err := New(Config{WebhookURL: alerting.Secret(srv.URL + hookPath)}, alerting.WithName("cm-teams"),
		alerting.WithHTTPClient(srv.Client()), alerting.WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), channeltest.Sample())
	if d, ok := alerting.RetryDelay(err); !retry || !ok || d != time.Minute {
		t.Errorf("429 with an HTTP date: retry %v delay %v, err %v; want 1m", retry, d, err)
	}
	if retry, err = n.Notify(context.Background(), channeltest.Sample()); !retry || err == nil {
		t.Errorf("connector throttling in a 200: retry %v err %v", retry, err)
	}
	retry, err = n.Notify(context.Background(), channeltest.Sample())
	var he *alerting.HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(err.Error(), `teams receiver "cm-teams"`) {
		t.Errorf("400: retry %v err %v", retry, err)
	}
	channeltest.NoSecret(t, "error", err.Error(), "s3cr3tSig")
}

func TestConfig(t *testing.T) {
	if err := (&Config{}).Validate(); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "webhook_url") {
		t.Errorf("empty config: %v", err)
	}
	if err := (&Config{WebhookURL: "not a url s3cr3t"}).Validate(); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad url: %v", err)
	}
	_, err := New(Config{WebhookURLFile: "/run/secrets/teams"}, alerting.WithSecretSource(alerting.SecretSource{
		ReadFile: func(string) ([]byte, error) { return []byte("https://example.webhook.office.com/s3cr3t\n"), nil },
	}))
	if err != nil {
		t.Errorf("New from a file: %v", err)
	}
}
