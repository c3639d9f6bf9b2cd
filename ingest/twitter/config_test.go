package twitter

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
	oauth := func(c *Config) {
		c.BearerToken = ""
		c.ConsumerKey, c.ConsumerSecret, c.AccessToken, c.AccessTokenSecret = "k", "s", "t", "ts"
	}
	for _, c := range []struct {
		field string
		edit  func(*Config)
	}{
		{"api_url", func(c *Config) { c.APIURL = "api.twitter.com" }},
		{"stream_url", func(c *Config) { c.StreamURL = "https://stream.example/?x=1" }},
		{"bearer_token", func(c *Config) { c.BearerToken = "" }},
		{"bearer_token", func(c *Config) { c.BearerTokenFile = "/x" }},
		{"access_token_secret", func(c *Config) { oauth(c); c.AccessTokenSecret = "" }},
		{"consumer_key", func(c *Config) { oauth(c); c.ConsumerKey = "" }},
		{"consumer_secret", func(c *Config) { oauth(c); c.ConsumerSecretFile = "/x" }},
		{"bearer_token", func(c *Config) { oauth(c); c.BearerToken = "t" }},
		{"watches[0]", func(c *Config) { c.Watches = []string{"A B"} }},
		{"request_timeout", func(c *Config) { c.RequestTimeout = -1 }},
		{"search, stream", func(c *Config) { c.Search, c.Stream = nil, nil }},
		{"search.interval", func(c *Config) { c.Search.Interval = time.Second }},
		{"search.count", func(c *Config) { c.Search.Count = 101 }},
		{"search.max_pages", func(c *Config) { c.Search.MaxPages = 0 }},
		{"search.max_query_length", func(c *Config) { c.Search.MaxQueryLength = 1 }},
		{"stream.stall_timeout", func(c *Config) { c.Stream.StallTimeout = time.Millisecond }},
	} {
		cfg := ok()
		c.edit(&cfg)
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
			t.Errorf("%s: Validate = %v", c.field, err)
		}
	}
	cfg := ok()
	oauth(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

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
			Twitter Config `yaml:"twitter"`
		} `yaml:"sources"`
	}
	dec := yaml.NewDecoder(strings.NewReader(sample))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Sources.Twitter
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Search == nil || cfg.Stream == nil || !cfg.oauth1() {
		t.Error("the sample should show both feeds with OAuth 1.0a")
	}
}

// Credentials come from files or the environment and appear in no error,
// log line or dump.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("TW_TEST_KEY", "consumer-key-value")
	t.Setenv("TW_TEST_TOKEN", "access-token-value")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fake := newFakeTwitter(t)
	w, err := watch.Compile(testWatches)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		APIURL: fake.srv.URL, StreamURL: fake.srv.URL, Search: &SearchConfig{}, Stream: &StreamConfig{},
		ConsumerKey: "${TW_TEST_KEY}", ConsumerSecretFile: write("cs", "consumer-secret-value"),
		AccessToken: "${TW_TEST_TOKEN}", AccessTokenSecretFile: write("ts", "token-secret-value"),
	}
	s, err := New(cfg, ingest.Deps{Log: log, HTTP: fake.srv.Client(), Watches: w, Checkpoints: memKV{}},
		WithSleep(func(context.Context, time.Duration) error { return context.Canceled }))
	if err != nil {
		t.Fatal(err)
	}
	runErr := s.Run(context.Background(), discardPub{}) // every request is a 401
	if runErr == nil {
		t.Fatal("Run with bad credentials should fail")
	}
	dump, _ := yaml.Marshal(Config{ConsumerSecret: "consumer-secret-value", AccessTokenSecret: "token-secret-value", BearerToken: "bearer-value"})
	for what, text := range map[string]string{"error": runErr.Error(), "log": logs.String(), "dump": string(dump)} {
		for _, v := range []string{"consumer-key-value", "consumer-secret-value", "access-token-value", "token-secret-value", "bearer-value"} {
			if strings.Contains(text, v) {
				t.Errorf("%s leaked into the %s", v, what)
			}
		}
	}
	if s.cfg.ConsumerSecret != "" || s.cfg.AccessTokenSecret != "" {
		t.Error("resolved secrets kept in the config copy")
	}
}

type memKV struct{}

func (memKV) Load(context.Context, string) ([]byte, error) { return nil, nil }
func (memKV) Save(context.Context, string, []byte) error   { return nil }
