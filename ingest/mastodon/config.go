package mastodon

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/vigie-project/vigie/config/secret"
)

// Name is the collector's name, as Source.Name returns it and as
// mention.Mention.Source carries it.
const Name = "mastodon"

// Bounds on the settings.
const (
	MaxPageLimit    = 40 // the API's maximum for timelines
	MaxPagesPerPoll = 1000
	MinPollInterval = time.Second
	MinIdleTimeout  = 20 * time.Second // the server sends a heartbeat every 15 s
)

// DefaultUserAgent identifies vigie to the instances it reads.
const DefaultUserAgent = "vigie/1 (+https://github.com/vigie-project/vigie)"

// Config is the Mastodon collector's configuration.
type Config struct {
	// Instances to read; each has its own URL, token, hashtags and accounts.
	Instances []Instance `yaml:"instances"`
	// FromWatches adds, on every instance, the hashtags and single-word
	// terms of the watches' queries to the hashtags to follow (default true).
	FromWatches *bool `yaml:"from_watches"`
	// PollInterval is the pause between two polls of an instance's
	// timelines (default 60s).
	PollInterval time.Duration `yaml:"poll_interval"`
	// PageLimit is how many statuses one request asks for (default 40).
	PageLimit int `yaml:"page_limit"`
	// MaxPages bounds how many pages one feed reads per poll (default 10);
	// a longer backlog is read at the next polls, oldest first, with no gap.
	MaxPages int `yaml:"max_pages"`
	// RequestTimeout bounds one REST request (default 30s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// MaxRetries is how many times a request that failed with a network
	// error or a 5xx is retried before the feed waits for its next poll
	// (default 4).
	MaxRetries int `yaml:"max_retries"`
	// BackoffMin and BackoffMax bound the exponential backoff between
	// retries and stream reconnections (defaults 1s and 2m).
	BackoffMin time.Duration `yaml:"backoff_min"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// MaxRateLimitWait caps a wait for a rate-limit reset (default 15m).
	MaxRateLimitWait time.Duration `yaml:"max_rate_limit_wait"`
	// StreamIdleTimeout reconnects a stream that sent nothing, not even a
	// heartbeat, for this long (default 60s).
	StreamIdleTimeout time.Duration `yaml:"stream_idle_timeout"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent"`
}

// Instance is one Mastodon server.
type Instance struct {
	// URL is the instance's base URL, e.g. https://mastodon.social.
	URL string `yaml:"url"`
	// StreamingURL is the streaming server's base URL when it differs from
	// URL and the instance does not redirect to it.
	StreamingURL string `yaml:"streaming_url"`
	// AccessToken is an application or user token (scope read:statuses);
	// optional on instances with public timelines.
	AccessToken     secret.Secret `yaml:"access_token"`
	AccessTokenFile string        `yaml:"access_token_file"`
	// Hashtags to follow, without '#'.
	Hashtags []string `yaml:"hashtags"`
	// Accounts whose statuses to follow: "user" (on this instance) or
	// "user@domain".
	Accounts []string `yaml:"accounts"`
	// LocalOnly restricts hashtag timelines and streams to this
	// instance's own statuses.
	LocalOnly bool `yaml:"local_only"`
	// Stream follows the hashtags with the streaming API (server-sent
	// events) instead of polling; after each (re)connection the REST
	// timeline fills what was missed.
	Stream bool `yaml:"stream"`
}

// SetDefaults fills unset fields with their defaults and normalises
// hashtags ("#Grève" → "grève") and accounts ("@user" → "user").
func (c *Config) SetDefaults() {
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
		c.MaxPages = 10
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
	if c.StreamIdleTimeout == 0 {
		c.StreamIdleTimeout = 60 * time.Second
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	for i := range c.Instances {
		in := &c.Instances[i]
		in.URL = strings.TrimRight(strings.TrimSpace(in.URL), "/")
		in.StreamingURL = strings.TrimRight(strings.TrimSpace(in.StreamingURL), "/")
		for j, h := range in.Hashtags {
			in.Hashtags[j] = normHashtag(h)
		}
		for j, a := range in.Accounts {
			in.Accounts[j] = strings.TrimPrefix(strings.TrimSpace(a), "@")
		}
	}
}

func (c Config) fromWatches() bool { return c.FromWatches == nil || *c.FromWatches }

// Validate reports every invalid field, each error starting with the
// field's path relative to the collector (`instances[1].url: …`).
func (c Config) Validate() error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if len(c.Instances) == 0 {
		fail("instances", "at least one instance is required")
	}
	hosts := map[string]int{}
	for i, in := range c.Instances {
		p := fmt.Sprintf("instances[%d]", i)
		if u, err := checkBaseURL(in.URL); err != nil {
			fail(p+".url", "%v", err)
		} else if j, dup := hosts[u.Host]; dup {
			fail(p+".url", "host %s is already instances[%d]", u.Host, j)
		} else {
			hosts[u.Host] = i
		}
		if in.StreamingURL != "" {
			if _, err := checkBaseURL(in.StreamingURL); err != nil {
				fail(p+".streaming_url", "%v", err)
			}
		}
		if in.AccessToken != "" && in.AccessTokenFile != "" {
			fail(p+".access_token", "set either access_token or access_token_file, not both")
		}
		seen := map[string]bool{}
		for j, h := range in.Hashtags {
			if !validHashtag(h) {
				fail(fmt.Sprintf("%s.hashtags[%d]", p, j), "%q is not a hashtag (letters, digits and _ only, up to 100)", h)
			} else if seen[h] {
				fail(fmt.Sprintf("%s.hashtags[%d]", p, j), "%q is listed twice", h)
			}
			seen[h] = true
		}
		seen = map[string]bool{}
		for j, a := range in.Accounts {
			if !validAcct(a) {
				fail(fmt.Sprintf("%s.accounts[%d]", p, j), "%q is not an account like user or user@example.social", a)
			} else if seen[strings.ToLower(a)] {
				fail(fmt.Sprintf("%s.accounts[%d]", p, j), "%q is listed twice", a)
			}
			seen[strings.ToLower(a)] = true
		}
		if len(in.Hashtags) == 0 && len(in.Accounts) == 0 && !c.fromWatches() {
			fail(p, "nothing to follow: set hashtags or accounts, or from_watches")
		}
	}
	if c.PollInterval < MinPollInterval {
		fail("poll_interval", "must be at least %s, got %s", MinPollInterval, c.PollInterval)
	}
	if c.PageLimit < 1 || c.PageLimit > MaxPageLimit {
		fail("page_limit", "must be between 1 and %d, got %d", MaxPageLimit, c.PageLimit)
	}
	if c.MaxPages < 1 || c.MaxPages > MaxPagesPerPoll {
		fail("max_pages", "must be between 1 and %d, got %d", MaxPagesPerPoll, c.MaxPages)
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
	if c.StreamIdleTimeout < MinIdleTimeout {
		fail("stream_idle_timeout", "must be at least %s, got %s", MinIdleTimeout, c.StreamIdleTimeout)
	}
	if strings.TrimSpace(c.UserAgent) == "" || strings.ContainsAny(c.UserAgent, "\r\n") {
		fail("user_agent", "must be one non-empty line")
	}
	return errors.Join(errs...)
}

// checkBaseURL accepts an absolute https URL without query or fragment;
// plain http only for loopback addresses (tests, a local proxy).
func checkBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q is not an absolute URL", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must not have a query, fragment or user info", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("must be https (plain http only for loopback), got %q", s)
		}
	default:
		return nil, fmt.Errorf("must be https, got %q", s)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func normHashtag(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "#"))
}

// validHashtag follows Mastodon's hashtag syntax: letters, digits, marks
// and underscores.
func validHashtag(h string) bool {
	if h == "" || len(h) > 100 {
		return false
	}
	for _, r := range h {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_' || r == '·') {
			return false
		}
	}
	return true
}

// validAcct accepts "user" and "user@domain.tld".
func validAcct(a string) bool {
	user, domain, remote := strings.Cut(a, "@")
	if user == "" || len(a) > 300 {
		return false
	}
	for _, r := range user {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	if !remote {
		return true
	}
	if !strings.Contains(domain, ".") || strings.ContainsAny(domain, "@/ ") {
		return false
	}
	for _, r := range domain {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
