package reddit

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/config/secret"
)

// Name is the collector's name, as Source.Name returns it and as
// mention.Mention.Source carries it.
const Name = "reddit"

// Reddit's endpoints.
const (
	DefaultTokenURL = "https://www.reddit.com/api/v1/access_token"
	DefaultAPIURL   = "https://oauth.reddit.com"
)

// Bounds on the settings.
const (
	MaxPageLimit = 100 // listings' maximum
	MaxQueryLen  = 512 // search's maximum
)

// DefaultUserAgent follows Reddit's rule (<platform>:<app ID>:<version>
// (by /u/<username>)); set user_agent to name your app and account.
const DefaultUserAgent = "server:vigie:v1 (self-hosted e-reputation listening; https://github.com/vigie-project/vigie)"

// Config is the Reddit collector's configuration.
type Config struct {
	// ClientID and ClientSecret are a Reddit "script" or "web" app's
	// credentials, exchanged for an application-only bearer token.
	ClientID         string        `yaml:"client_id"`
	ClientSecret     secret.Secret `yaml:"client_secret"`
	ClientSecretFile string        `yaml:"client_secret_file"`
	// Subreddits whose new posts to read (/r/<name>/new), without "r/".
	Subreddits []string `yaml:"subreddits"`
	// Queries are searched over all of Reddit, newest first, in addition
	// to the watches' (Reddit's syntax: words, "phrases", OR, NOT).
	Queries []string `yaml:"queries"`
	// FromWatches adds one search per watch, its positive terms joined
	// with OR (default true).
	FromWatches *bool `yaml:"from_watches"`
	// IncludeOver18 keeps posts marked NSFW (default false: skipped and
	// counted).
	IncludeOver18 bool `yaml:"include_over_18"`
	// PollInterval is the pause between two rounds of feeds (default 60s).
	PollInterval time.Duration `yaml:"poll_interval"`
	// PageLimit is how many posts one request asks for (default 100).
	PageLimit int `yaml:"page_limit"`
	// MaxPages bounds the pages one feed reads per poll (default 5); a
	// longer backlog resumes from its position at the next poll.
	MaxPages int `yaml:"max_pages"`
	// Overlap re-reads this much before the newest post seen, for posts
	// that show up late (search indexing lags); what was already
	// published is skipped (default 5m, 0 to turn off).
	Overlap time.Duration `yaml:"overlap"`
	// TokenURL and APIURL are Reddit's; tests point them elsewhere.
	TokenURL string `yaml:"token_url"`
	APIURL   string `yaml:"api_url"`

	RequestTimeout   time.Duration `yaml:"request_timeout"`     // one request (default 30s)
	MaxRetries       int           `yaml:"max_retries"`         // retries of a network error or 5xx (default 4)
	BackoffMin       time.Duration `yaml:"backoff_min"`         // first retry wait (default 1s)
	BackoffMax       time.Duration `yaml:"backoff_max"`         // retry wait cap (default 2m)
	MaxRateLimitWait time.Duration `yaml:"max_rate_limit_wait"` // cap on a rate-limit wait (default 15m)
	UserAgent        string        `yaml:"user_agent"`
}

// SetDefaults fills unset fields with their defaults and normalises
// subreddit names ("r/France" → "france").
func (c *Config) SetDefaults() {
	c.ClientID = strings.TrimSpace(c.ClientID)
	if c.FromWatches == nil {
		t := true
		c.FromWatches = &t
	}
	if c.PollInterval == 0 {
		c.PollInterval = 60 * time.Second
	}
	if c.PageLimit == 0 {
		c.PageLimit = MaxPageLimit
	}
	if c.MaxPages == 0 {
		c.MaxPages = 5
	}
	if c.Overlap == 0 {
		c.Overlap = 5 * time.Minute
	}
	if c.TokenURL == "" {
		c.TokenURL = DefaultTokenURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 4
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = time.Second
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 2 * time.Minute
	}
	if c.MaxRateLimitWait == 0 {
		c.MaxRateLimitWait = 15 * time.Minute
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	for i, s := range c.Subreddits {
		s = strings.TrimSpace(s)
		s = strings.TrimPrefix(strings.TrimPrefix(s, "/"), "r/")
		c.Subreddits[i] = strings.ToLower(strings.TrimSuffix(s, "/"))
	}
	for i, q := range c.Queries {
		c.Queries[i] = strings.TrimSpace(q)
	}
}

func (c Config) fromWatches() bool { return c.FromWatches == nil || *c.FromWatches }

// Validate reports every invalid field, each error starting with the
// field's path relative to the collector (`subreddits[1]: …`).
func (c Config) Validate() error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.ClientID == "" {
		fail("client_id", "is required (create an app at https://www.reddit.com/prefs/apps)")
	}
	switch {
	case c.ClientSecret != "" && c.ClientSecretFile != "":
		fail("client_secret", "set either client_secret or client_secret_file, not both")
	case c.ClientSecret == "" && c.ClientSecretFile == "":
		fail("client_secret", "is required (or client_secret_file)")
	}
	seen := map[string]int{}
	for i, s := range c.Subreddits {
		if !validSubreddit(s) {
			fail(fmt.Sprintf("subreddits[%d]", i), "%q is not a subreddit name (2 to 21 letters, digits or _)", s)
		} else if j, dup := seen[s]; dup {
			fail(fmt.Sprintf("subreddits[%d]", i), "same as subreddits[%d]", j)
		}
		seen[s] = i
	}
	seen = map[string]int{}
	for i, q := range c.Queries {
		switch {
		case q == "":
			fail(fmt.Sprintf("queries[%d]", i), "is empty")
		case len(q) > MaxQueryLen || !utf8.ValidString(q) || strings.ContainsAny(q, "\r\n"):
			fail(fmt.Sprintf("queries[%d]", i), "must be one line of valid UTF-8, up to %d bytes", MaxQueryLen)
		}
		if j, dup := seen[q]; dup {
			fail(fmt.Sprintf("queries[%d]", i), "same as queries[%d]", j)
		}
		seen[q] = i
	}
	if len(c.Subreddits) == 0 && len(c.Queries) == 0 && !c.fromWatches() {
		fail("subreddits", "nothing to collect: set subreddits, queries or from_watches")
	}
	if err := checkURL(c.TokenURL); err != nil {
		fail("token_url", "%v", err)
	}
	if err := checkURL(c.APIURL); err != nil {
		fail("api_url", "%v", err)
	}
	if c.PollInterval < time.Second {
		fail("poll_interval", "must be at least 1s, got %s", c.PollInterval)
	}
	if c.PageLimit < 1 || c.PageLimit > MaxPageLimit {
		fail("page_limit", "must be between 1 and %d, got %d", MaxPageLimit, c.PageLimit)
	}
	if c.MaxPages < 1 || c.MaxPages > 100 {
		fail("max_pages", "must be between 1 and 100, got %d", c.MaxPages)
	}
	if c.Overlap < 0 || c.Overlap > 24*time.Hour {
		fail("overlap", "must be between 0 and 24h, got %s", c.Overlap)
	}
	if c.RequestTimeout < time.Second {
		fail("request_timeout", "must be at least 1s, got %s", c.RequestTimeout)
	}
	if c.MaxRetries < 0 || c.MaxRetries > 20 {
		fail("max_retries", "must be between 0 and 20, got %d", c.MaxRetries)
	}
	if c.BackoffMin <= 0 {
		fail("backoff_min", "must be positive, got %s", c.BackoffMin)
	}
	if c.BackoffMax < c.BackoffMin {
		fail("backoff_max", "must be at least backoff_min (%s), got %s", c.BackoffMin, c.BackoffMax)
	}
	if c.MaxRateLimitWait < time.Second {
		fail("max_rate_limit_wait", "must be at least 1s, got %s", c.MaxRateLimitWait)
	}
	if strings.TrimSpace(c.UserAgent) == "" || strings.ContainsAny(c.UserAgent, "\r\n") {
		fail("user_agent", "must be one non-empty line")
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute https URL; plain http only for loopback.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not have a query, fragment or user info", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("must be https (plain http only for loopback), got %q", s)
		}
	default:
		return fmt.Errorf("must be https, got %q", s)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validSubreddit: 2 to 21 ASCII letters, digits or underscores (3 to 21
// for new ones; a few old ones are shorter).
func validSubreddit(s string) bool {
	if len(s) < 2 || len(s) > 21 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
