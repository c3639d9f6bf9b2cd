package twitter

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/mention"
)

// Defaults and bounds of the configuration.
const (
	DefaultAPIURL         = "https://api.twitter.com"
	DefaultStreamURL      = "https://stream.twitter.com"
	DefaultRequestTimeout = 30 * time.Second
	DefaultInterval       = time.Minute
	DefaultCount          = 100
	DefaultMaxPages       = 10
	DefaultMaxQueryLength = 500 // standard search
	DefaultStallTimeout   = 90 * time.Second
	MinInterval           = 5 * time.Second
)

// Config is the Twitter API v1.1 collector's configuration.
type Config struct {
	// APIURL and StreamURL replace the scheme, host and leading path of
	// the library's fixed https://api.twitter.com and
	// https://stream.twitter.com: a v1.1-compatible endpoint, a test server.
	APIURL    string `yaml:"api_url"`
	StreamURL string `yaml:"stream_url"`

	// OAuth 1.0a user context (search and stream): all four, each a
	// literal or "${ENV}"; the two secrets may come from files.
	ConsumerKey           secret.Secret `yaml:"consumer_key"`
	ConsumerSecret        secret.Secret `yaml:"consumer_secret"`
	ConsumerSecretFile    string        `yaml:"consumer_secret_file"`
	AccessToken           secret.Secret `yaml:"access_token"`
	AccessTokenSecret     secret.Secret `yaml:"access_token_secret"`
	AccessTokenSecretFile string        `yaml:"access_token_secret_file"`
	// BearerToken is app-only auth, used when OAuth 1.0a is not set.
	// Twitter allows it for search, not for statuses/filter.
	BearerToken     secret.Secret `yaml:"bearer_token"`
	BearerTokenFile string        `yaml:"bearer_token_file"`

	// Watches lists the watch ids to collect; empty means every watch.
	Watches []string `yaml:"watches"`
	// RequestTimeout bounds one REST request (default 30s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Search polls search/tweets; nil is off.
	Search *SearchConfig `yaml:"search"`
	// Stream reads statuses/filter; nil is off.
	Stream *StreamConfig `yaml:"stream"`
}

// SearchConfig configures standard search polling.
type SearchConfig struct {
	// Interval between two polls of every query (default 1m, at least 5s).
	Interval time.Duration `yaml:"interval"`
	// Count per page, 1 to 100 (default 100).
	Count int `yaml:"count"`
	// MaxPages bounds the pages read per query and poll (default 10);
	// beyond it the rest is reported as a gap.
	MaxPages int `yaml:"max_pages"`
	// MaxQueryLength in characters (default 500). Longer watches are split.
	MaxQueryLength int `yaml:"max_query_length"`
}

// StreamConfig configures the statuses/filter stream.
type StreamConfig struct {
	// StallTimeout: with no byte (Twitter sends a keep-alive every 30
	// seconds) for this long, the connection is opened again (default 90s).
	StallTimeout time.Duration `yaml:"stall_timeout"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.StreamURL == "" {
		c.StreamURL = DefaultStreamURL
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if s := c.Search; s != nil {
		if s.Interval == 0 {
			s.Interval = DefaultInterval
		}
		if s.Count == 0 {
			s.Count = DefaultCount
		}
		if s.MaxPages == 0 {
			s.MaxPages = DefaultMaxPages
		}
		if s.MaxQueryLength == 0 {
			s.MaxQueryLength = DefaultMaxQueryLength
		}
	}
	if s := c.Stream; s != nil && s.StallTimeout == 0 {
		s.StallTimeout = DefaultStallTimeout
	}
}

// oauth1 reports whether OAuth 1.0a is configured (fully or partly).
func (c Config) oauth1() bool {
	return c.ConsumerKey != "" || c.ConsumerSecret != "" || c.ConsumerSecretFile != "" ||
		c.AccessToken != "" || c.AccessTokenSecret != "" || c.AccessTokenSecretFile != ""
}

// Validate reports the first invalid field, named as in the YAML file
// (relative to the source). It never prints a secret.
func (c Config) Validate() error {
	for _, u := range []struct{ field, v string }{{"api_url", c.APIURL}, {"stream_url", c.StreamURL}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			return fmt.Errorf("%s: %q is not an http(s) base URL", u.field, u.v)
		}
	}
	if c.oauth1() {
		for _, f := range []struct {
			field string
			set   bool
		}{
			{"consumer_key", c.ConsumerKey != ""},
			{"consumer_secret", c.ConsumerSecret != "" || c.ConsumerSecretFile != ""},
			{"access_token", c.AccessToken != ""},
			{"access_token_secret", c.AccessTokenSecret != "" || c.AccessTokenSecretFile != ""},
		} {
			if !f.set {
				return fmt.Errorf("%s: is required with OAuth 1.0a (consumer_key, consumer_secret, access_token, access_token_secret)", f.field)
			}
		}
		if c.ConsumerSecret != "" && c.ConsumerSecretFile != "" {
			return errors.New("consumer_secret: set either consumer_secret or consumer_secret_file, not both")
		}
		if c.AccessTokenSecret != "" && c.AccessTokenSecretFile != "" {
			return errors.New("access_token_secret: set either access_token_secret or access_token_secret_file, not both")
		}
		if c.BearerToken != "" || c.BearerTokenFile != "" {
			return errors.New("bearer_token: set either OAuth 1.0a or a bearer token, not both")
		}
	} else {
		if c.BearerToken == "" && c.BearerTokenFile == "" {
			return errors.New("bearer_token: is required (or bearer_token_file, or OAuth 1.0a: consumer_key, consumer_secret, access_token, access_token_secret)")
		}
		if c.BearerToken != "" && c.BearerTokenFile != "" {
			return errors.New("bearer_token: set either bearer_token or bearer_token_file, not both")
		}
	}
	for i, id := range c.Watches {
		if !mention.ValidToken(id) {
			return fmt.Errorf("watches[%d]: %q is not a watch id", i, id)
		}
	}
	if c.RequestTimeout < time.Second {
		return fmt.Errorf("request_timeout: must be at least 1s, got %s", c.RequestTimeout)
	}
	if c.Search == nil && c.Stream == nil {
		return errors.New("search, stream: enable at least one")
	}
	if s := c.Search; s != nil {
		switch {
		case s.Interval < MinInterval:
			return fmt.Errorf("search.interval: must be at least %s, got %s", MinInterval, s.Interval)
		case s.Count < 1 || s.Count > 100:
			return fmt.Errorf("search.count: must be 1 to 100, got %d", s.Count)
		case s.MaxPages < 1 || s.MaxPages > 1000:
			return fmt.Errorf("search.max_pages: must be 1 to 1000, got %d", s.MaxPages)
		case s.MaxQueryLength < 64 || s.MaxQueryLength > 4096:
			return fmt.Errorf("search.max_query_length: must be 64 to 4096, got %d", s.MaxQueryLength)
		}
	}
	if s := c.Stream; s != nil && s.StallTimeout < time.Second {
		return fmt.Errorf("stream.stall_timeout: must be at least 1s, got %s", s.StallTimeout)
	}
	return nil
}
