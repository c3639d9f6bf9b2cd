package reddit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/collectortest"
	"github.com/vigie-project/vigie/ingest/watch"
)

const sampleYAML = `
client_id: p-jcoLKBynTLew
client_secret: ${VIGIE_TEST_REDDIT_SECRET}
subreddits: [r/France, /r/paris/]
queries: ['"air france" OR airfrance']
user_agent: "server:vigie-acme:v1 (by /u/acme_listening)"
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
	if strings.Join(c.Subreddits, ",") != "france,paris" || c.PageLimit != 100 || c.MaxPages != 5 ||
		c.TokenURL != DefaultTokenURL || c.APIURL != DefaultAPIURL || c.IncludeOver18 {
		t.Errorf("defaults: %+v", c)
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
		{"no client id", func(c *Config) { c.ClientID = "" }, "client_id: is required"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "client_secret: is required"},
		{"both secrets", func(c *Config) { c.ClientSecretFile = "/x" }, "client_secret: set either"},
		{"bad subreddit", func(c *Config) { c.Subreddits = []string{"air france"} }, "subreddits[0]:"},
		{"duplicate subreddit", func(c *Config) { c.Subreddits = []string{"france", "r/France"} }, "subreddits[1]: same as subreddits[0]"},
		{"long query", func(c *Config) { c.Queries = []string{strings.Repeat("x", 600)} }, "queries[0]: must be one line"},
		{"nothing", func(c *Config) { c.Subreddits = nil; c.FromWatches = &no }, "subreddits: nothing to collect"},
		{"http api", func(c *Config) { c.APIURL = "http://oauth.reddit.com" }, "api_url: must be https"},
		{"page limit", func(c *Config) { c.PageLimit = 500 }, "page_limit:"},
		{"user agent", func(c *Config) { c.UserAgent = " " }, "user_agent:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{ClientID: "id", ClientSecret: "s", Subreddits: []string{"france"}}
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

// TestSecretNeverLeaks: the client secret goes to the token endpoint, in
// the Basic authorization only; not in a dump, an error or the log, even
// when Reddit refuses it. Refused credentials are not retried at once.
func TestSecretNeverLeaks(t *testing.T) {
	const secretValue = "gko_LXELoV07ZBNUXrvWZfzE3aI"
	t.Setenv("VIGIE_TEST_REDDIT_SECRET", secretValue)
	var c Config
	if err := yaml.Unmarshal([]byte(sampleYAML), &c); err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(c)
	file := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(file, []byte(secretValue+"\n"), 0o600)
	c.ClientSecret, c.ClientSecretFile = "", file

	var logs bytes.Buffer
	var auths []string
	hc := &http.Client{Transport: collectortest.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		auths = append(auths, r.Header.Get("Authorization"))
		return &http.Response{StatusCode: 401, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"message": "Unauthorized", "error": 401}`))}, nil
	})}
	s, err := New(c, ingest.Deps{
		Log:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: hc, Checkpoints: collectortest.NopCheckpoints{}, Gaps: collectortest.NopGaps{},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := s.feeds[0]
	_, gerr := s.api.get(context.Background(), &f.health, f.label, f.endpoint(), f.path, "limit=1")
	if gerr == nil || !strings.Contains(gerr.Error(), "refused the app credentials") {
		t.Fatalf("err = %v", gerr)
	}
	if _, err := s.api.get(context.Background(), &f.health, f.label, f.endpoint(), f.path, "limit=1"); err == nil || len(auths) != 1 {
		t.Fatalf("second attempt: %v after %d token requests, want no new request", err, len(auths))
	}
	all := fmt.Sprintf("%s %v %+v %#v", out, c, c, c) + gerr.Error() + logs.String()
	if strings.Contains(all, secretValue) {
		t.Fatalf("secret leaked:\n%s", all)
	}
	if want := "Basic " + basicAuth("p-jcoLKBynTLew", secretValue); auths[0] != want {
		t.Fatalf("Authorization = %q, want %q", auths[0], want)
	}
}

func TestWatchQueries(t *testing.T) {
	m, err := watch.Compile([]watch.Spec{
		{ID: "airfrance", Kind: watch.KindBrand, Query: `("air france" OR airfrance OR #BoycottAirFrance OR @airfrance) NOT klm`},
		{ID: "sncf", Kind: watch.KindBrand, Query: `sncf AND grève*`},
		{ID: "long", Kind: watch.KindTopic, Query: longQuery()},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := watchQueries(m)
	if len(got) != 4 || got[0] != `airfrance OR boycottairfrance OR "air france"` || got[1] != "sncf" {
		t.Fatalf("queries = %q", got)
	}
	for _, q := range got {
		if len(q) > MaxQueryLen {
			t.Errorf("query of %d bytes", len(q))
		}
	}
}

// longQuery ORs 12 words of 50 letters: more than one search can hold.
func longQuery() string {
	var words []string
	for i := range 12 {
		words = append(words, string(rune('a'+i))+strings.Repeat("x", 49))
	}
	return strings.Join(words, " OR ")
}
