package xapi

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/watch"
)

func TestValidate(t *testing.T) {
	ok := func() Config {
		c := Config{BearerToken: "t", Search: &SearchConfig{}, Stream: &StreamConfig{}}
		c.SetDefaults()
		return c
	}
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"base_url", func(c *Config) { c.BaseURL = "ftp://x" }},
		{"base_url", func(c *Config) { c.BaseURL = "https://api.x.com/?a=b" }},
		{"bearer_token", func(c *Config) { c.BearerToken = "" }},
		{"bearer_token", func(c *Config) { c.BearerTokenFile = "/run/secrets/x" }},
		{"watches[1]", func(c *Config) { c.Watches = []string{"ok", "Not OK"} }},
		{"request_timeout", func(c *Config) { c.RequestTimeout = time.Millisecond }},
		{"search, stream", func(c *Config) { c.Search, c.Stream = nil, nil }},
		{"search.interval", func(c *Config) { c.Search.Interval = time.Second }},
		{"search.max_results", func(c *Config) { c.Search.MaxResults = 500 }},
		{"search.max_pages", func(c *Config) { c.Search.MaxPages = -1 }},
		{"search.max_query_length", func(c *Config) { c.Search.MaxQueryLength = 10 }},
		{"stream.stall_timeout", func(c *Config) { c.Stream.StallTimeout = time.Millisecond }},
		{"stream.backfill_minutes", func(c *Config) { c.Stream.BackfillMinutes = 6 }},
		{"stream.max_rule_length", func(c *Config) { c.Stream.MaxRuleLength = 5000 }},
		{"stream.max_rules", func(c *Config) { c.Stream.MaxRules = -2 }},
	} {
		cfg := ok()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
			t.Errorf("%s: Validate = %v", c.field, err)
		}
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
}

// The sample of the README decodes and validates.
func TestReadmeSample(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "```yaml\n")
	sample, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml sample in README.md")
	}
	var doc struct {
		Sources struct {
			XAPI Config `yaml:"xapi"`
		} `yaml:"sources"`
	}
	dec := yaml.NewDecoder(strings.NewReader(sample))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Sources.XAPI
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Search == nil || cfg.Stream == nil {
		t.Error("the sample should show both feeds")
	}
}

// The token comes from a file or the environment, and appears in no
// error, log line or config dump.
func TestTokenNeverLeaks(t *testing.T) {
	const tok = "AAAAsecret-bearer-value"
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := newFakeX(t)
	w, err := watch.Compile(testWatches)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BaseURL: srv.srv.URL, BearerTokenFile: file, Search: &SearchConfig{}}
	s, err := New(cfg, ingest.Deps{Log: log, HTTP: srv.srv.Client(), Watches: w, Checkpoints: memKV{}},
		WithSleep(func(context.Context, time.Duration) error { return context.Canceled }))
	if err != nil {
		t.Fatal(err)
	}
	// The fake wants testToken: the request is a 401, logged.
	runErr := s.Run(context.Background(), discardPub{})
	if runErr == nil {
		t.Fatal("Run with a bad token should fail")
	}
	dump, _ := yaml.Marshal(Config{BearerToken: tok})
	for what, text := range map[string]string{"error": runErr.Error(), "log": logs.String(), "dump": string(dump)} {
		if strings.Contains(text, tok) {
			t.Errorf("the token leaked into the %s: %s", what, text)
		}
	}
	t.Setenv("XAPI_TEST_TOKEN", tok)
	cfg = Config{BaseURL: srv.srv.URL, BearerToken: "${XAPI_TEST_TOKEN}", Stream: &StreamConfig{}}
	s, err = New(cfg, ingest.Deps{HTTP: srv.srv.Client(), Watches: w})
	if err != nil || s.token.Reveal() != tok {
		t.Fatalf("token from the environment: %v", err)
	}
}

type memKV map[string][]byte

func (m memKV) Load(context.Context, string) ([]byte, error) { return nil, nil }
func (m memKV) Save(context.Context, string, []byte) error   { return nil }
