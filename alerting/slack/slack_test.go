package slack

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

const hookPath = "/services/T0001/B0002/s3cr3tWebh00k"

func newNotifier(t *testing.T, srv *channeltest.Server, cfg Config) *Notifier {
	t.Helper()
	if cfg.WebhookURL == "" {
		cfg.WebhookURL = alerting.Secret(srv.URL + hookPath)
	}
	n, err := New(cfg, alerting.WithName("cm-slack"), alerting.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBlockKitPayload(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv, Config{})
	note := channeltest.Sample()
	note.Drill = true
	retry, err := n.Notify(context.Background(), note)
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != hookPath || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
	channeltest.Golden(t, "blocks_fr_drill.json", reqs[0].Body)

	// The documented shape: top-level text, blocks of known types, header
	// plain_text within 150 chars, buttons with url and action_id.
	var msg Message
	body := channeltest.Decode(t, reqs[0].Body)
	if _, ok := body["channel"]; ok {
		t.Error("channel sent although not configured")
	}
	decodeInto(t, reqs[0].Body, &msg)
	if !strings.HasPrefix(msg.Text, "[EXERCICE]") {
		t.Errorf("fallback text %q lacks the drill mark", msg.Text)
	}
	types := []string{}
	for _, b := range msg.Blocks {
		types = append(types, b.Type)
	}
	if strings.Join(types, ",") != "header,section,section,actions,context" {
		t.Fatalf("block types = %v", types)
	}
	h := msg.Blocks[0].Text
	if h.Type != "plain_text" || len([]rune(h.Text)) > maxHeader || !strings.Contains(h.Text, "EXERCICE") || !strings.Contains(h.Text, "Air France") {
		t.Errorf("header = %+v", h)
	}
	sec := msg.Blocks[2].Text.Text
	for _, want := range []string{"1\u00a0240 mentions/h, 18× la normale", "&lt;!channel&gt;", "@bfmtv"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q:\n%s", want, sec)
		}
	}
	if strings.Contains(string(reqs[0].Body), "<!channel>") {
		t.Error("a post can ping the channel")
	}
	btn := body["blocks"].([]any)[3].(map[string]any)["elements"].([]any)
	if len(btn) != 2 {
		t.Fatalf("buttons = %v", btn)
	}
	ack := btn[1].(map[string]any)
	if ack["url"] != note.AckURL || ack["action_id"] != "vigie_ack" || ack["text"].(map[string]any)["type"] != "plain_text" {
		t.Errorf("ack button = %v", ack)
	}
}

func TestResolvedHasNoAckButtonAndEnglish(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv, Config{Channel: "#vigilance", Username: "vigie", IconEmoji: ":rotating_light:"})
	note := channeltest.Sample()
	note.Status, note.Lang = alerting.StatusResolved, alerting.LangEnglish
	note.At = note.At.Add(90 * time.Minute)
	if _, err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	var msg Message
	decodeInto(t, srv.Requests()[0].Body, &msg)
	if msg.Channel != "#vigilance" || msg.Username != "vigie" || msg.IconEmoji != ":rotating_light:" {
		t.Errorf("overrides = %+v", msg)
	}
	for _, b := range msg.Blocks {
		for _, e := range b.Elements {
			if e.ActionID == "vigie_ack" {
				t.Error("a resolved crisis offers an ack button")
			}
		}
	}
	if !strings.Contains(msg.Blocks[0].Text.Text, "Crisis over: Air France") {
		t.Errorf("header = %q", msg.Blocks[0].Text.Text)
	}
}

func TestMattermostPayload(t *testing.T) {
	srv := channeltest.NewServer(t)
	n := newNotifier(t, srv, Config{Mattermost: true, Channel: "town-square", Username: "vigie", IconURL: "https://vigie.example/icon.png"})
	if _, err := n.Notify(context.Background(), channeltest.Sample()); err != nil {
		t.Fatal(err)
	}
	body := channeltest.Decode(t, srv.Requests()[0].Body)
	if _, ok := body["blocks"]; ok {
		t.Error("Mattermost payload carries Block Kit blocks")
	}
	text, _ := body["text"].(string)
	for _, want := range []string{"**", "[Ouvrir la console](https://vigie.example/crises/42)", "18× la normale"} {
		if !strings.Contains(text, want) {
			t.Errorf("Mattermost text lacks %q:\n%s", want, text)
		}
	}
	if body["channel"] != "town-square" || body["username"] != "vigie" || body["icon_url"] != "https://vigie.example/icon.png" {
		t.Errorf("Mattermost overrides = %v", body)
	}
	channeltest.Golden(t, "mattermost_fr.json", srv.Requests()[0].Body)
}

func TestRetryClassification(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: http.StatusTooManyRequests, Header: map[string]string{"Retry-After": "30"}, Body: "rate_limited"},
		channeltest.Reply{Status: http.StatusBadRequest, Body: "invalid_blocks"},
		channeltest.Reply{Status: http.StatusNotFound, Body: "no_service " + hookPath},
		channeltest.Reply{Status: http.StatusInternalServerError, Body: "oops"},
	)
	n := newNotifier(t, srv, Config{})
	ctx := context.Background()

	retry, err := n.Notify(ctx, channeltest.Sample())
	if d, ok := alerting.RetryDelay(err); !retry || !ok || d != 30*time.Second {
		t.Errorf("429: retry %v, delay %v %v, err %v; want retry after 30s", retry, d, ok, err)
	}
	retry, err = n.Notify(ctx, channeltest.Sample())
	var he *alerting.HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(err.Error(), `slack receiver "cm-slack": HTTP 400`) || !strings.Contains(err.Error(), "invalid_blocks") {
		t.Errorf("400: retry %v err %v; want no retry, named receiver and status", retry, err)
	}
	retry, err = n.Notify(ctx, channeltest.Sample())
	if retry || err == nil {
		t.Errorf("404: retry %v err %v", retry, err)
	}
	channeltest.NoSecret(t, "404 error", err.Error(), "s3cr3tWebh00k")
	if retry, err = n.Notify(ctx, channeltest.Sample()); !retry || err == nil {
		t.Errorf("500: retry %v err %v; want retry", retry, err)
	}
}

func TestConfig(t *testing.T) {
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "webhook_url or webhook_url_file is required"},
		{Config{WebhookURL: "https://h/x", WebhookURLFile: "/f"}, "both set"},
		{Config{WebhookURL: "hooks.slack.com/services/s3cr3t"}, "webhook_url: not an absolute http(s) URL"},
		{Config{WebhookURL: "https://h/x", IconURL: "icon.png"}, "icon_url"},
	}
	for _, b := range bad {
		err := b.cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%+v) = %v, want %q", b.cfg, err, b.want)
		}
		if err != nil {
			channeltest.NoSecret(t, "config error", err.Error(), "s3cr3t")
		}
	}
	_, err := New(Config{WebhookURL: "${SLACK_WEBHOOK}"}, alerting.WithSecretSource(alerting.SecretSource{
		LookupEnv: func(string) (string, bool) { return "", false },
	}))
	if err == nil || !strings.Contains(err.Error(), "SLACK_WEBHOOK is not set") {
		t.Errorf("New with a missing variable: %v", err)
	}
	n, err := New(Config{WebhookURL: "${SLACK_WEBHOOK}"}, alerting.WithSecretSource(alerting.SecretSource{
		LookupEnv: func(string) (string, bool) { return "https://hooks.example/services/s3cr3t", true },
	}))
	if err != nil || n.url.Reveal() != "https://hooks.example/services/s3cr3t" {
		t.Errorf("New with a variable: %v", err)
	}
}

func decodeInto(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
