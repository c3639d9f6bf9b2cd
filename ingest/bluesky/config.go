package bluesky

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
const Name = "bluesky"

// Service URLs.
const (
	// DefaultServiceURL is where an account logs in (the bsky.social
	// entryway), and whose XRPC proxy then serves the queries.
	DefaultServiceURL = "https://bsky.social"
	// PublicAppViewURL serves the queries without an account, where the
	// AppView still allows it.
	PublicAppViewURL = "https://api.bsky.app"
	// DefaultJetstreamURL is one of Bluesky's public Jetstream instances.
	DefaultJetstreamURL = "wss://jetstream2.us-east.bsky.network/subscribe"
)

// Bounds on the settings.
const (
	MaxPageLimit = 100 // searchPosts' maximum
	MaxQueryLen  = 512
)

// DefaultUserAgent identifies vigie to the services it reads.
const DefaultUserAgent = "vigie/1 (+https://github.com/vigie-project/vigie)"

// Config is the Bluesky collector's configuration.
type Config struct {
	// ServiceURL is the XRPC service: DefaultServiceURL with an account,
	// PublicAppViewURL without (the defaults).
	ServiceURL string `yaml:"service_url"`
	// Identifier (a handle or DID) and AppPassword log in with an app
	// password; searchPosts needs an account on Bluesky's AppView.
	Identifier      string        `yaml:"identifier"`
	AppPassword     secret.Secret `yaml:"app_password"`
	AppPasswordFile string        `yaml:"app_password_file"`
	// Queries are searched in addition to the watches' terms.
	Queries []Query `yaml:"queries"`
	// FromWatches adds one query per term, phrase, hashtag and Bluesky
	// handle of the watches (default true).
	FromWatches *bool `yaml:"from_watches"`
	// PollInterval is the pause between two rounds of queries (default 60s).
	PollInterval time.Duration `yaml:"poll_interval"`
	// PageLimit is how many posts one request asks for (default 100).
	PageLimit int `yaml:"page_limit"`
	// MaxPages bounds the pages one query reads per poll (default 10);
	// a longer backlog resumes from its cursor at the next poll.
	MaxPages int `yaml:"max_pages"`
	// Overlap re-reads this much before the newest post seen, for posts
	// indexed late (default 1m); what was already published is skipped.
	Overlap time.Duration `yaml:"overlap"`
	// AuthorFollowers looks the authors' follower counts up
	// (app.bsky.actor.getProfiles, cached) for reach (default true).
	AuthorFollowers *bool `yaml:"author_followers"`
	// ProfileTTL is how long a follower count is reused (default 6h).
	ProfileTTL time.Duration `yaml:"profile_ttl"`
	// Jetstream optionally subscribes to the whole network's posts and
	// keeps those that match a watch.
	Jetstream Jetstream `yaml:"jetstream"`

	RequestTimeout   time.Duration `yaml:"request_timeout"`     // one request (default 30s)
	MaxRetries       int           `yaml:"max_retries"`         // retries of a network error or 5xx (default 4)
	BackoffMin       time.Duration `yaml:"backoff_min"`         // first retry wait (default 1s)
	BackoffMax       time.Duration `yaml:"backoff_max"`         // retry wait cap (default 2m)
	MaxRateLimitWait time.Duration `yaml:"max_rate_limit_wait"` // cap on a rate-limit wait (default 15m)
	UserAgent        string        `yaml:"user_agent"`
}

// Query is one search.
type Query struct {
	Q    string `yaml:"q"`    // searchPosts' q: words, "phrases", #tags, from:, mentions:
	Lang string `yaml:"lang"` // optional language filter, e.g. fr
}

// Jetstream configures the optional firehose subscription.
type Jetstream struct {
	Enabled bool   `yaml:"enabled"`
	URL     string `yaml:"url"` // default DefaultJetstreamURL
	// IdleTimeout reconnects when nothing arrived for this long (default 60s).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// SetDefaults fills unset fields with their defaults.
func (c *Config) SetDefaults() {
	c.ServiceURL = strings.TrimRight(strings.TrimSpace(c.ServiceURL), "/")
	if c.ServiceURL == "" {
		if c.Identifier != "" {
			c.ServiceURL = DefaultServiceURL
		} else {
			c.ServiceURL = PublicAppViewURL
		}
	}
	c.Identifier = strings.TrimPrefix(strings.TrimSpace(c.Identifier), "@")
	if c.FromWatches == nil {
		t := true
		c.FromWatches = &t
	}
	if c.AuthorFollowers == nil {
		t := true
		c.AuthorFollowers = &t
	}
	if c.PollInterval == 0 {
		c.PollInterval = 60 * time.Second
	}
	if c.PageLimit == 0 {
		c.PageLimit = MaxPageLimit
	}
	if c.MaxPages == 0 {
		c.MaxPages = 10
	}
	if c.Overlap == 0 {
		c.Overlap = time.Minute
	}
	if c.ProfileTTL == 0 {
		c.ProfileTTL = 6 * time.Hour
	}
	if c.Jetstream.URL == "" {
		c.Jetstream.URL = DefaultJetstreamURL
	}
	if c.Jetstream.IdleTimeout == 0 {
		c.Jetstream.IdleTimeout = 60 * time.Second
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
	for i := range c.Queries {
		c.Queries[i].Q = strings.TrimSpace(c.Queries[i].Q)
		c.Queries[i].Lang = strings.ToLower(strings.TrimSpace(c.Queries[i].Lang))
	}
}

func (c Config) fromWatches() bool     { return c.FromWatches == nil || *c.FromWatches }
func (c Config) authorFollowers() bool { return c.AuthorFollowers == nil || *c.AuthorFollowers }

// Validate reports every invalid field, each error starting with the
// field's path relative to the collector (`queries[1].q: …`).
func (c Config) Validate() error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if err := checkURL(c.ServiceURL, "https", "http"); err != nil {
		fail("service_url", "%v", err)
	}
	hasPassword := c.AppPassword != "" || c.AppPasswordFile != ""
	switch {
	case c.AppPassword != "" && c.AppPasswordFile != "":
		fail("app_password", "set either app_password or app_password_file, not both")
	case c.Identifier != "" && !hasPassword:
		fail("app_password", "is required with identifier")
	case c.Identifier == "" && hasPassword:
		fail("identifier", "is required with app_password")
	}
	if strings.ContainsAny(c.Identifier, " \t\r\n/") {
		fail("identifier", "%q is not a handle or a DID", c.Identifier)
	}
	seen := map[Query]int{}
	for i, q := range c.Queries {
		p := fmt.Sprintf("queries[%d]", i)
		switch {
		case q.Q == "":
			fail(p+".q", "is required")
		case len(q.Q) > MaxQueryLen || !utf8.ValidString(q.Q) || strings.ContainsAny(q.Q, "\r\n"):
			fail(p+".q", "must be one line of valid UTF-8, up to %d bytes", MaxQueryLen)
		}
		if q.Lang != "" && !validLang(q.Lang) {
			fail(p+".lang", "%q is not a language code like fr or en", q.Lang)
		}
		if j, dup := seen[q]; dup {
			fail(p, "same as queries[%d]", j)
		}
		seen[q] = i
	}
	if len(c.Queries) == 0 && !c.fromWatches() && !c.Jetstream.Enabled {
		fail("queries", "nothing to collect: set queries, from_watches or jetstream")
	}
	if c.PollInterval < time.Second {
		fail("poll_interval", "must be at least 1s, got %s", c.PollInterval)
	}
	if c.PageLimit < 1 || c.PageLimit > MaxPageLimit {
		fail("page_limit", "must be between 1 and %d, got %d", MaxPageLimit, c.PageLimit)
	}
	if c.MaxPages < 1 || c.MaxPages > 1000 {
		fail("max_pages", "must be between 1 and 1000, got %d", c.MaxPages)
	}
	if c.Overlap < 0 || c.Overlap > time.Hour {
		fail("overlap", "must be between 0 and 1h, got %s", c.Overlap)
	}
	if c.ProfileTTL < time.Minute {
		fail("profile_ttl", "must be at least 1m, got %s", c.ProfileTTL)
	}
	if c.Jetstream.Enabled {
		if err := checkURL(c.Jetstream.URL, "wss", "ws"); err != nil {
			fail("jetstream.url", "%v", err)
		}
	}
	if c.Jetstream.IdleTimeout < 5*time.Second {
		fail("jetstream.idle_timeout", "must be at least 5s, got %s", c.Jetstream.IdleTimeout)
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

// checkURL accepts an absolute URL with the secure scheme, or the plain
// one for loopback addresses only (tests, a local relay).
func checkURL(s, secure, plain string) error {
	if s == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q must not have a fragment or user info", s)
	}
	switch u.Scheme {
	case secure:
	case plain:
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("must be %s (plain %s only for loopback), got %q", secure, plain, s)
		}
	default:
		return fmt.Errorf("must be %s, got %q", secure, s)
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

func validLang(l string) bool {
	if len(l) < 2 || len(l) > 3 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if l[i] < 'a' || l[i] > 'z' {
			return false
		}
	}
	return true
}
