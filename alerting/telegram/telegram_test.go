package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/internal/channeltest"
)

const token = "123456789:AAs3cr3tT0k3nXYZ"

func newNotifier(t *testing.T, srv *channeltest.Server, cfg Config) *Notifier {
	t.Helper()
	cfg.BotToken = token
	cfg.BaseURL = srv.URL
	if cfg.ChatID == "" {
		cfg.ChatID = "-1001234567890"
	}
	n, err := New(cfg, alerting.WithName("vigilance-cell"), alerting.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const okBody = `{"ok":true,"result":{"message_id":42,"chat":{"id":-1001234567890,"type":"supergroup"},"date":1444048800,"text":"x"}}`

func TestSendMessagePayload(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Reply{Status: 200, Body: okBody})
	n := newNotifier(t, srv, Config{MessageThreadID: 7})
	note := channeltest.Sample()
	note.Drill = true
	if retry, err := n.Notify(context.Background(), note); err != nil || retry {
		t.Fatalf("Notify = %v %v", retry, err)
	}
	req := srv.Requests()[0]
	if req.Method != http.MethodPost || req.Path != "/bot"+token+"/sendMessage" || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request = %s %s %v", req.Method, req.Path, req.Header)
	}
	channeltest.Golden(t, "send_message_fr_drill.json", req.Body)
	body := channeltest.Decode(t, req.Body)
	if body["chat_id"] != float64(-1001234567890) || body["parse_mode"] != "HTML" || body["message_thread_id"] != float64(7) {
		t.Errorf("payload = %v", body)
	}
	if lp, _ := body["link_preview_options"].(map[string]any); lp["is_disabled"] != true {
		t.Errorf("link_preview_options = %v", body["link_preview_options"])
	}
	text := body["text"].(string)
	for _, want := range []string{"<b>EXERCICE", "1\u00a0240 mentions/h, 18× la normale", "&lt;!channel&gt; &amp; *tous*", `<a href="https://vigie.example/ack/42?t=abc">Prendre en charge</a>`} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestChannelUsernameAndSilence(t *testing.T) {
	srv := channeltest.NewServer(t, channeltest.Reply{Status: 200, Body: okBody}, channeltest.Reply{Status: 200, Body: okBody})
	n := newNotifier(t, srv, Config{ChatID: "@vigie_alertes", SilentBelow: 3})
	low := channeltest.Sample()
	low.Severity = 2
	if _, err := n.Notify(context.Background(), low); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), channeltest.Sample()); err != nil {
		t.Fatal(err)
	}
	b0, b1 := channeltest.Decode(t, srv.Requests()[0].Body), channeltest.Decode(t, srv.Requests()[1].Body)
	if b0["chat_id"] != "@vigie_alertes" || b0["disable_notification"] != true {
		t.Errorf("low severity payload = %v", b0)
	}
	if _, silent := b1["disable_notification"]; silent {
		t.Errorf("severity 4 was sent silently")
	}
}

func TestLongMessagesStayUnderTheLimit(t *testing.T) {
	srv := channeltest.NewServer(t)
	srv.Default = channeltest.Reply{Status: 200, Body: okBody}
	n := newNotifier(t, srv, Config{})
	note := channeltest.Sample()
	for i := 0; i < 40; i++ {
		note.SamplePosts = append(note.SamplePosts, alerting.Post{Author: "@a", Text: strings.Repeat("très long <b> ", 40), URL: "https://x.example/1"})
	}
	if _, err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	text := channeltest.Decode(t, srv.Requests()[0].Body)["text"].(string)
	if utf8.RuneCountInString(text) > maxText || !strings.Contains(text, "Air France") || !strings.Contains(text, "Prendre en charge") {
		t.Errorf("long message: %d characters, or lost its header or links", utf8.RuneCountInString(text))
	}
}

func TestErrors(t *testing.T) {
	srv := channeltest.NewServer(t,
		channeltest.Reply{Status: 429, Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}`},
		channeltest.Reply{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
		channeltest.Reply{Status: 502, Body: "<html>Bad Gateway</html>"},
	)
	n := newNotifier(t, srv, Config{})
	ctx := context.Background()

	retry, err := n.Notify(ctx, channeltest.Sample())
	if d, ok := alerting.RetryDelay(err); !retry || !ok || d != 35*time.Second {
		t.Errorf("429: retry %v delay %v err %v; want retry after 35s from parameters.retry_after", retry, d, err)
	}
	retry, err = n.Notify(ctx, channeltest.Sample())
	var he *alerting.HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(err.Error(), "chat not found") || !strings.Contains(err.Error(), `telegram receiver "vigilance-cell": HTTP 400`) {
		t.Errorf("400: retry %v err %v", retry, err)
	}
	channeltest.NoSecret(t, "400 error", err.Error(), token, "s3cr3t")
	if retry, err = n.Notify(ctx, channeltest.Sample()); !retry || err == nil {
		t.Errorf("502: retry %v err %v", retry, err)
	}
}

func TestConfig(t *testing.T) {
	bad := []struct {
		cfg  Config
		want string
	}{
		{Config{ChatID: "1"}, "bot_token or bot_token_file is required"},
		{Config{BotToken: token}, "chat_id is required"},
		{Config{BotToken: token, ChatID: "vigie"}, `chat_id: "vigie"`},
		{Config{BotToken: token, ChatID: "1", BaseURL: "api.telegram.org"}, "base_url"},
		{Config{BotToken: token, ChatID: "1", SilentBelow: 9}, "silent_below"},
	}
	for _, b := range bad {
		b.cfg.SetDefaults()
		err := b.cfg.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%v) = %v, want %q", b.cfg, err, b.want)
		}
	}
	cfg := Config{BotToken: token, ChatID: "-100"}
	out, err := json.Marshal(cfg)
	if err != nil || strings.Contains(string(out), "s3cr3t") {
		t.Errorf("config dump leaks the token: %s", out)
	}
}
