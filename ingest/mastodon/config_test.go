package mastodon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

const sampleYAML = `
instances:
  - url: https://mastodon.social
    access_token: ${VIGIE_TEST_MASTODON_TOKEN}
    hashtags: ["#AirFrance", boycottairfrance]
    accounts: ["@airfrance"]
  - url: https://piaille.fr/
    hashtags: [grève]
    stream: true
    local_only: true
poll_interval: 90s
`

func TestConfigYAMLAndDefaults(t *testing.T) {
	var c Config
	if err := yaml.Unmarshal([]byte(sampleYAML), &c); err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PollInterval != 90*time.Second || c.PageLimit != 40 || c.MaxPages != 10 || !c.fromWatches() {
		t.Errorf("defaults: %+v", c)
	}
	if got := strings.Join(c.Instances[0].Hashtags, ","); got != "airfrance,boycottairfrance" {
		t.Errorf("hashtags = %s", got)
	}
	if c.Instances[0].Accounts[0] != "airfrance" || c.Instances[1].URL != "https://piaille.fr" {
		t.Errorf("accounts %q url %q", c.Instances[0].Accounts, c.Instances[1].URL)
	}
}

func TestValidate(t *testing.T) {
	base := func() Config {
		return Config{Instances: []Instance{{URL: "https://mastodon.social", Hashtags: []string{"airfrance"}}}}
	}
	no := false
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"loopback http ok", func(c *Config) { c.Instances[0].URL = "http://127.0.0.1:8080" }, ""},
		{"no instance", func(c *Config) { c.Instances = nil }, "instances: at least one"},
		{"no url", func(c *Config) { c.Instances[0].URL = "" }, "instances[0].url: is required"},
		{"http", func(c *Config) { c.Instances[0].URL = "http://mastodon.social" }, "instances[0].url: must be https"},
		{"ftp", func(c *Config) { c.Instances[0].URL = "ftp://mastodon.social" }, "instances[0].url: must be https"},
		{"relative", func(c *Config) { c.Instances[0].URL = "mastodon.social" }, "instances[0].url: \"mastodon.social\" is not an absolute URL"},
		{"query", func(c *Config) { c.Instances[0].URL = "https://m.example/?a=1" }, "instances[0].url: "},
		{"duplicate host", func(c *Config) {
			c.Instances = append(c.Instances, Instance{URL: "https://mastodon.social/", Hashtags: []string{"x"}})
		}, "instances[1].url: host mastodon.social is already instances[0]"},
		{"bad streaming url", func(c *Config) { c.Instances[0].StreamingURL = "wss://x" }, "instances[0].streaming_url: must be https"},
		{"both tokens", func(c *Config) { c.Instances[0].AccessToken = "a"; c.Instances[0].AccessTokenFile = "f" }, "instances[0].access_token: set either"},
		{"bad hashtag", func(c *Config) { c.Instances[0].Hashtags = []string{"air france"} }, "instances[0].hashtags[0]: \"air france\" is not a hashtag"},
		{"duplicate hashtag", func(c *Config) { c.Instances[0].Hashtags = []string{"a", "#A"} }, "instances[0].hashtags[1]: \"a\" is listed twice"},
		{"bad account", func(c *Config) { c.Instances[0].Accounts = []string{"air france"} }, "instances[0].accounts[0]:"},
		{"account bad domain", func(c *Config) { c.Instances[0].Accounts = []string{"a@b"} }, "instances[0].accounts[0]:"},
		{"nothing", func(c *Config) { c.Instances[0].Hashtags = nil; c.FromWatches = &no }, "instances[0]: nothing to follow"},
		{"poll interval", func(c *Config) { c.PollInterval = time.Millisecond }, "poll_interval: must be at least 1s"},
		{"page limit", func(c *Config) { c.PageLimit = 41 }, "page_limit: must be between 1 and 40"},
		{"max pages", func(c *Config) { c.MaxPages = -1 }, "max_pages:"},
		{"retries", func(c *Config) { c.MaxRetries = 99 }, "max_retries:"},
		{"backoff", func(c *Config) { c.BackoffMax = time.Millisecond }, "backoff_max: must be at least backoff_min"},
		{"idle", func(c *Config) { c.StreamIdleTimeout = time.Second }, "stream_idle_timeout: must be at least 20s"},
		{"user agent", func(c *Config) { c.UserAgent = "a\nb" }, "user_agent:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.change(&c)
			c.SetDefaults()
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

// TestSecretNeverLeaks: the token is sent, but never appears in a dump of
// the config, an error or the log.
func TestSecretNeverLeaks(t *testing.T) {
	const token = "hunter2-mastodon-token-value"
	t.Setenv("VIGIE_TEST_MASTODON_TOKEN", token)
	var c Config
	if err := yaml.Unmarshal([]byte(sampleYAML), &c); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Instances[0].AccessToken = ""
	c.Instances[0].AccessTokenFile = file
	c.Instances[1].AccessToken = token
	dump := fmt.Sprintf("%s %v %+v %#v", out, c, c, c)

	var logs bytes.Buffer
	var gotAuth []string
	hc := &http.Client{Transport: collectortest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
		return nil, fmt.Errorf("connection refused")
	})}
	s, err := New(c, ingest.Deps{
		Log:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: hc, Checkpoints: collectortest.NopCheckpoints{}, Gaps: collectortest.NopGaps{},
	}, WithSleep(func(ctx context.Context, d time.Duration) error { return context.Canceled }))
	if err != nil {
		t.Fatal(err)
	}
	f := s.instances[0].polled[0]
	_, _, gerr := s.instances[0].rest.get(context.Background(), &f.health, f.label, "timelines_tag", "/api/v1/timelines/tag/x", "")
	if gerr == nil {
		t.Fatal("want an error")
	}
	all := dump + gerr.Error() + logs.String()
	if strings.Contains(all, token) {
		t.Fatalf("token leaked:\n%s", all)
	}
	if len(gotAuth) == 0 || gotAuth[0] != "Bearer "+token {
		t.Fatalf("Authorization = %q, want the token from the file", gotAuth)
	}
	// A missing token file is an error naming the field, not the value.
	c.Instances[0].AccessTokenFile = filepath.Join(t.TempDir(), "missing")
	if _, err := New(c, ingest.Deps{HTTP: hc, Checkpoints: collectortest.NopCheckpoints{}, Gaps: collectortest.NopGaps{}}); err == nil ||
		!strings.HasPrefix(err.Error(), "instances[0].access_token_file:") {
		t.Fatalf("err = %v", err)
	}
}

func TestFeedsFromWatches(t *testing.T) {
	m, err := watch.Compile([]watch.Spec{
		{ID: "airfrance", Kind: watch.KindBrand, Query: `"air france" OR airfrance OR #BoycottAirFrance NOT klm`},
		{ID: "sncf", Kind: watch.KindBrand, Query: `sncf AND (grève OR retard*)`},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := Config{Instances: []Instance{{URL: "https://mastodon.social", Hashtags: []string{"airfrance"}, Accounts: []string{"airfrance"}}}}
	s, err := New(c, ingest.Deps{HTTP: http.DefaultClient, Checkpoints: collectortest.NopCheckpoints{}, Gaps: collectortest.NopGaps{}, Watches: m})
	if err != nil {
		t.Fatal(err)
	}
	want := "mastodon.social/tag/airfrance mastodon.social/tag/boycottairfrance mastodon.social/tag/grève mastodon.social/tag/sncf mastodon.social/account/airfrance"
	if got := strings.Join(s.Feeds(), " "); got != want {
		t.Fatalf("feeds = %s\nwant    %s", got, want)
	}
	if s.instances[0].polled[2].key != "mastodon/mastodon.social/tag/grève" {
		t.Errorf("key = %q", s.instances[0].polled[2].key)
	}
}
