package alerting

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const secretValue = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"

type secretHolder struct {
	URL   Secret  `json:"url" yaml:"url"`
	Token *Secret `json:"token,omitempty" yaml:"token,omitempty"`
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret(secretValue)
	tok := Secret("123456:ABCDEF-bot-token")
	h := secretHolder{URL: s, Token: &tok}

	var logs bytes.Buffer
	text := slog.New(slog.NewTextHandler(&logs, nil))
	text.Info("config", "url", s, "holder", h, "ptr", &h)
	jsonLog := slog.New(slog.NewJSONHandler(&logs, nil))
	jsonLog.Info("config", "url", s, "holder", h, "ptr", &h)

	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		fmt.Fprintf(&out, verb+"\n", s)
		fmt.Fprintf(&out, verb+"\n", h)
	}
	fmt.Fprintln(&out, s, h, &h, []Secret{s}, map[string]Secret{"k": s})

	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := fmt.Errorf("notify %v: %w", s, errors.New("boom"))

	for name, got := range map[string]string{
		"slog": logs.String(), "fmt": out.String(), "json": strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(js)), "yaml": string(ys), "error": wrapped.Error(),
	} {
		if strings.Contains(got, "s3cr3t") || strings.Contains(got, "ABCDEF") {
			t.Errorf("%s output leaks the secret:\n%s", name, got)
		}
		if !strings.Contains(got, "<secret>") {
			t.Errorf("%s output does not say <secret>:\n%s", name, got)
		}
	}
	if s.Reveal() != secretValue {
		t.Errorf("Reveal = %q", s.Reveal())
	}
	// Decoding keeps the value (it is only hidden on the way out).
	var back secretHolder
	if err := json.Unmarshal([]byte(`{"url":"x-value"}`), &back); err != nil || back.URL.Reveal() != "x-value" {
		t.Errorf("json decode = %q, %v", back.URL.Reveal(), err)
	}
	if err := yaml.Unmarshal([]byte("url: y-value\n"), &back); err != nil || back.URL.Reveal() != "y-value" {
		t.Errorf("yaml decode = %q, %v", back.URL.Reveal(), err)
	}
}

func TestResolveSecret(t *testing.T) {
	src := SecretSource{
		LookupEnv: func(k string) (string, bool) {
			v, ok := map[string]string{"SLACK_URL": " from-env\n", "EMPTY": ""}[k]
			return v, ok
		},
		ReadFile: func(p string) ([]byte, error) {
			switch p {
			case "/run/secrets/slack":
				return []byte("from-file\n"), nil
			case "/run/secrets/empty":
				return []byte("\n"), nil
			}
			return nil, fs.ErrNotExist
		},
	}
	good := []struct {
		value Secret
		file  string
		want  string
	}{
		{"literal-value", "", "literal-value"},
		{"${SLACK_URL}", "", "from-env"},
		{"", "/run/secrets/slack", "from-file"},
		{"prefix-${SLACK_URL}", "", "prefix-${SLACK_URL}"}, // only a whole-value reference is expanded
	}
	for _, g := range good {
		got, err := ResolveSecret("webhook_url", g.value, g.file, src)
		if err != nil || got.Reveal() != g.want {
			t.Errorf("ResolveSecret(%q, %q) = %q, %v; want %q", g.value.Reveal(), g.file, got.Reveal(), err, g.want)
		}
	}
	bad := []struct {
		value Secret
		file  string
		want  string
	}{
		{"", "", "webhook_url is required (or webhook_url_file)"},
		{"x", "/run/secrets/slack", "webhook_url and webhook_url_file are both set"},
		{"${MISSING}", "", "webhook_url: environment variable MISSING is not set"},
		{"${EMPTY}", "", "environment variable EMPTY is not set"},
		{"", "/run/secrets/none", `webhook_url_file "/run/secrets/none"`},
		{"", "/run/secrets/empty", "is empty"},
	}
	for _, b := range bad {
		_, err := ResolveSecret("webhook_url", b.value, b.file, src)
		if !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ResolveSecret(%q, %q) = %v, want %q", b.value.Reveal(), b.file, err, b.want)
		}
	}
}

// fmt reflects into unexported fields without calling Secret's methods;
// notifiers therefore keep resolved secrets Sealed, which prints as an
// address there.
func TestSealedInUnexportedFields(t *testing.T) {
	type notifierLike struct {
		name string
		key  Sealed
	}
	n := notifierLike{name: "oncall", key: Seal("s3cr3t-routing-key")}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %v", n, n, n, &n)
	slog.New(slog.NewTextHandler(&out, nil)).Info("n", "n", n, "key", n.key)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("n", "key", n.key)
	if strings.Contains(out.String(), "s3cr3t") {
		t.Errorf("sealed secret printed: %s", out.String())
	}
	if n.key.Reveal() != "s3cr3t-routing-key" || (Sealed{}).Reveal() != "" {
		t.Error("Reveal")
	}
}
