package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

const sampleYAML = `
identifier: vigie-bot.bsky.social
app_password: ${VIGIE_TEST_BSKY_PASSWORD}
queries:
  - q: '"air france"'
  - q: '#boycottairfrance'
    lang: FR
poll_interval: 2m
jetstream:
  enabled: true
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
	if c.ServiceURL != DefaultServiceURL || c.PollInterval != 2*time.Minute || c.PageLimit != 100 || c.Overlap != time.Minute ||
		c.Queries[1].Lang != "fr" || c.Jetstream.URL != DefaultJetstreamURL || !c.authorFollowers() {
		t.Errorf("defaults: %+v", c)
	}
	var anon Config
	anon.Queries = []Query{{Q: "x"}}
	anon.SetDefaults()
	if anon.ServiceURL != PublicAppViewURL {
		t.Errorf("anonymous service = %s", anon.ServiceURL)
	}
}

func TestValidate(t *testing.T) {
	no := false
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"http service", func(c *Config) { c.ServiceURL = "http://bsky.social" }, "service_url: must be https"},
		{"password without identifier", func(c *Config) { c.Identifier = "" }, "identifier: is required with app_password"},
		{"identifier without password", func(c *Config) { c.AppPassword = "" }, "app_password: is required with identifier"},
		{"both passwords", func(c *Config) { c.AppPasswordFile = "/x" }, "app_password: set either"},
		{"empty query", func(c *Config) { c.Queries[0].Q = " " }, "queries[0].q: is required"},
		{"long query", func(c *Config) { c.Queries[0].Q = strings.Repeat("a", 600) }, "queries[0].q: must be one line"},
		{"bad lang", func(c *Config) { c.Queries[0].Lang = "french" }, "queries[0].lang:"},
		{"duplicate", func(c *Config) { c.Queries = append(c.Queries, c.Queries[0]) }, "queries[1]: same as queries[0]"},
		{"nothing", func(c *Config) { c.Queries = nil; c.FromWatches = &no }, "queries: nothing to collect"},
		{"page limit", func(c *Config) { c.PageLimit = 101 }, "page_limit:"},
		{"overlap", func(c *Config) { c.Overlap = 2 * time.Hour }, "overlap:"},
		{"jetstream scheme", func(c *Config) { c.Jetstream = Jetstream{Enabled: true, URL: "https://x"} }, "jetstream.url: must be wss"},
		{"backoff", func(c *Config) { c.BackoffMin = -time.Second }, "backoff_min:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Identifier: "me.bsky.social", AppPassword: "x", Queries: []Query{{Q: "airfrance"}}}
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

// TestSecretNeverLeaks: the app password goes to createSession only; it
// is not in a dump of the config, an error or the log, even when the
// login is refused.
func TestSecretNeverLeaks(t *testing.T) {
	const password = "abcd-efgh-ijkl-mnop"
	t.Setenv("VIGIE_TEST_BSKY_PASSWORD", password)
	var c Config
	if err := yaml.Unmarshal([]byte(sampleYAML), &c); err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(c)
	var logs bytes.Buffer
	var bodies []string
	hc := &http.Client{Transport: collectortest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			var b bytes.Buffer
			b.ReadFrom(r.Body)
			bodies = append(bodies, b.String())
		}
		return &http.Response{StatusCode: 401, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":"AuthenticationRequired","message":"Invalid identifier or password"}`))}, nil
	})}
	c.Jetstream.Enabled = false
	s, err := New(c, ingest.Deps{
		Log:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: hc, Checkpoints: collectortest.NopCheckpoints{}, Gaps: collectortest.NopGaps{},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := s.feeds[0]
	_, gerr := s.xrpc.get(context.Background(), &f.health, f.label, "app.bsky.feed.searchPosts", "q=x")
	if gerr == nil || !strings.Contains(gerr.Error(), "login refused") {
		t.Fatalf("err = %v, want a refused login", gerr)
	}
	all := fmt.Sprintf("%s %v %+v %#v", out, c, c, c) + gerr.Error() + logs.String()
	if strings.Contains(all, password) {
		t.Fatalf("password leaked:\n%s", all)
	}
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"password":"`+password+`"`) {
		t.Fatalf("createSession bodies = %q", bodies)
	}
	// A second attempt right away does not log in again (logins are
	// rate limited): it returns the same error.
	if _, err := s.xrpc.get(context.Background(), &f.health, f.label, "app.bsky.feed.searchPosts", "q=x"); err == nil || len(bodies) != 1 {
		t.Fatalf("second attempt: %v, %d logins", err, len(bodies))
	}
}

func TestWatchQueries(t *testing.T) {
	m, err := watch.Compile([]watch.Spec{
		{ID: "airfrance", Kind: watch.KindBrand, Query: `("air france" OR airfrance OR #BoycottAirFrance OR @airfrance.com) NOT klm`},
		{ID: "sncf", Kind: watch.KindBrand, Query: `sncf AND grève*`, Lang: []string{"fr"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range watchQueries(m) {
		got = append(got, q.Q+"|"+q.Lang)
	}
	want := `airfrance| "air france"| #boycottairfrance| from:airfrance.com| mentions:airfrance.com| sncf|fr`
	if strings.Join(got, " ") != want {
		t.Fatalf("queries = %s\nwant      %s", strings.Join(got, " "), want)
	}
}

func TestJWTExpiry(t *testing.T) {
	sess := collectortest.ReadFixture(t, "create_session.json")
	var s struct{ AccessJwt string }
	if err := json.Unmarshal(sess, &s); err != nil {
		t.Fatal(err)
	}
	if got := jwtExpiry(s.AccessJwt, testNow); !got.Equal(testNow.Add(2 * time.Hour)) {
		t.Errorf("exp = %v, want %v", got, testNow.Add(2*time.Hour))
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a.e30.c"} {
		if got := jwtExpiry(bad, testNow); !got.Equal(testNow.Add(30 * time.Minute)) {
			t.Errorf("jwtExpiry(%q) = %v", bad, got)
		}
	}
}
