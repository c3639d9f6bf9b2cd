package receiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/alerting"
)

// Every secret below contains "s3cr3t": none may appear in any dump.
const sample = `
location: Europe/Paris
default_lang: fr
cooldown: 10m
receivers:
  - name: cm-slack
    lang: fr
    rate_limit: {max: 20, per: 1h}
    slack:
      webhook_url: https://hooks.slack.com/services/T0/B0/s3cr3t-slack
  - name: cm-mattermost
    slack:
      mattermost: true
      webhook_url: https://chat.example.com/hooks/s3cr3t-mattermost
  - name: cm-teams
    lang: en
    teams:
      webhook_url: https://example.webhook.office.com/webhookb2/s3cr3t-teams
  - name: vigilance-telegram
    telegram:
      bot_token: "123:s3cr3t-telegram"
      chat_id: "-1001234567890"
  - name: management-email
    email:
      host: smtp.example.com
      username: vigie@example.com
      password: s3cr3t-smtp
      from: vigie <vigie@example.com>
      to: [direction@example.com]
  - name: oncall-pagerduty
    lang: en
    pagerduty:
      routing_key: s3cr3t-pagerduty-routing-key
  - name: am
    alertmanager:
      url: http://alertmanager:9093
      bearer_token: s3cr3t-am-token
  - name: am-basic
    alertmanager:
      url: http://alertmanager:9093
      basic_auth: {username: vigie, password: s3cr3t-am-password}
  - name: soar
    webhook:
      url: https://soar.example.com/hook?token=s3cr3t-url-token
      secret: s3cr3t-hmac
route:
  receivers: [cm-slack]
  routes:
    - kinds: [crisis]
      min_severity: 4
      receivers: [cm-slack, oncall-pagerduty, am]
      escalation:
        - after: 15m
          receivers: [management-email]
    - kinds: [charter]
      receivers: [vigilance-telegram, cm-teams, cm-mattermost, soar, am-basic]
`

func TestLoadAndBuildEveryChannel(t *testing.T) {
	f, err := LoadBytes([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Receivers) != 9 || f.Cooldown.D() != 10*time.Minute || f.Receivers[0].RateLimit.Max != 20 {
		t.Fatalf("loaded %+v", f)
	}
	ns, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 9 {
		t.Fatalf("built %d notifiers", len(ns))
	}
	if _, err := alerting.NewEngine(f.Config, f.Settings(), alerting.SystemClock{}); err != nil {
		t.Fatalf("engine from the file: %v", err)
	}
}

// A secret never appears in slog output, fmt output, a JSON or YAML dump of
// the configuration, or in the notifiers built from it.
func TestSecretsNeverLeak(t *testing.T) {
	f, err := LoadBytes([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	ys, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(ys)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "alerting", f)
	slog.New(slog.NewTextHandler(&out, nil)).Info("config", "alerting", f)
	fmt.Fprintf(&out, "%v %+v %#v\n", f, f, f)
	for _, r := range f.Receivers {
		fmt.Fprintf(&out, "%v %+v %#v\n", r, r, r)
		slog.New(slog.NewTextHandler(&out, nil)).Info("receiver", "cfg", r, "slack", r.Slack, "email", r.Email)
	}
	for name, n := range ns {
		fmt.Fprintf(&out, "%s %v %+v\n", name, n, n)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("notifier", "n", n)
	}
	if strings.Contains(out.String(), "s3cr3t") {
		i := strings.Index(out.String(), "s3cr3t")
		t.Fatalf("a secret leaks: …%s…", out.String()[max(0, i-120):min(out.Len(), i+40)])
	}
	if !strings.Contains(out.String(), "<secret>") {
		t.Fatal("the dumps do not mention <secret> at all: did the secrets get lost?")
	}
	// The dump is still a usable description: names and non-secret settings stay.
	for _, want := range []string{"cm-slack", "smtp.example.com", "http://alertmanager:9093", "-1001234567890"} {
		if !strings.Contains(string(ys), want) {
			t.Errorf("YAML dump lacks %q", want)
		}
	}
}

func TestSecretsFromEnvAndFiles(t *testing.T) {
	doc := `
receivers:
  - name: cm
    slack: {webhook_url: "${SLACK_URL}"}
  - name: pd
    pagerduty: {routing_key_file: /run/secrets/pd}
route: {receivers: [cm]}
`
	f, err := LoadBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	src := alerting.SecretSource{
		LookupEnv: func(k string) (string, bool) {
			return "https://hooks.slack.com/services/s3cr3t", k == "SLACK_URL"
		},
		ReadFile: func(p string) ([]byte, error) {
			if p == "/run/secrets/pd" {
				return []byte("s3cr3t-key\n"), nil
			}
			return nil, errors.New("no such file")
		},
	}
	if _, err := Build(f, alerting.WithSecretSource(src)); err != nil {
		t.Fatal(err)
	}
	src.LookupEnv = func(string) (string, bool) { return "", false }
	_, err = Build(f, alerting.WithSecretSource(src))
	if err == nil || !strings.Contains(err.Error(), `receivers[0] ("cm")`) || !strings.Contains(err.Error(), "SLACK_URL is not set") {
		t.Errorf("missing variable: %v", err)
	}
}

func TestValidationNamesTheReceiver(t *testing.T) {
	cases := []struct{ doc, want string }{
		{"receivers:\n  - name: a\nroute: {receivers: [a]}\n", `receivers[0] ("a"): no channel`},
		{"receivers:\n  - name: a\n    slack: {webhook_url: https://x/y}\n    teams: {webhook_url: https://x/y}\nroute: {receivers: [a]}\n", "slack and teams are both set"},
		{"receivers:\n  - name: a\n    telegram: {bot_token: t}\nroute: {receivers: [a]}\n", `receivers[0].telegram ("a"): telegram: config: chat_id is required`},
		{"receivers:\n  - name: a\n    slack: {webhok_url: https://x/y}\nroute: {receivers: [a]}\n", "field webhok_url not found"},
		{"receivers:\n  - name: a\n    slack: {webhook_url: https://x/y}\nroute: {receivers: [b]}\n", `route.receivers[0]: unknown receiver "b"`},
		{"receivers:\n  - name: a\n    lang: de\n    slack: {webhook_url: https://x/y}\nroute: {receivers: [a]}\n", `receivers[0].lang: "de"`},
	}
	for _, c := range cases {
		_, err := LoadBytes([]byte(c.doc))
		if !errors.Is(err, alerting.ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%q) = %v, want %q", c.doc, err, c.want)
		}
	}
}
