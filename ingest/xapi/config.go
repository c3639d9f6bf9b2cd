package xapi

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
	DefaultBaseURL        = "https://api.x.com"
	DefaultRequestTimeout = 30 * time.Second
	DefaultInterval       = time.Minute
	DefaultMaxResults     = 100
	DefaultMaxPages       = 10
	DefaultMaxQueryLength = 512 // recent search and rules, Basic access
	DefaultStallTimeout   = 60 * time.Second
	MinInterval           = 5 * time.Second
	MaxBackfillMinutes    = 5
)

// Config is the X API v2 collector's configuration.
type Config struct {
	// BaseURL is the API root (default https://api.x.com); tests and
	// compatible gateways set another one.
	BaseURL string `yaml:"base_url"`
	// BearerToken is the app-only token (literal or "${ENV}"), or read
	// from BearerTokenFile.
	BearerToken     secret.Secret `yaml:"bearer_token"`
	BearerTokenFile string        `yaml:"bearer_token_file"`
	// Watches lists the watch ids to collect; empty means every watch.
	Watches []string `yaml:"watches"`
	// RequestTimeout bounds one REST request (default 30s). The stream has
	// no timeout but a stall detector.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Search polls GET /2/tweets/search/recent; nil is off.
	Search *SearchConfig `yaml:"search"`
	// Stream reads GET /2/tweets/search/stream with rules kept in step
	// with the watches; nil is off.
	Stream *StreamConfig `yaml:"stream"`
}

// SearchConfig configures recent search polling.
type SearchConfig struct {
	// Interval between two polls of every query (default 1m, at least 5s).
	Interval time.Duration `yaml:"interval"`
	// MaxResults per page, 10 to 100 (default 100).
	MaxResults int `yaml:"max_results"`
	// MaxPages bounds the pages read per query and poll (default 10);
	// beyond it the rest is reported as a gap.
	MaxPages int `yaml:"max_pages"`
	// MaxQueryLength is the access level's query limit in characters
	// (default 512; 4096 with Pro). Longer watches are split.
	MaxQueryLength int `yaml:"max_query_length"`
}

// StreamConfig configures the filtered stream.
type StreamConfig struct {
	// StallTimeout: with no byte (not even the keep-alive X sends every
	// 20 seconds) for this long, the connection is dropped and opened
	// again (default 60s).
	StallTimeout time.Duration `yaml:"stall_timeout"`
	// BackfillMinutes (0 to 5, Pro and Enterprise access) asks X to
	// replay what was missed during a disconnection of up to that long.
	BackfillMinutes int `yaml:"backfill_minutes"`
	// MaxRuleLength is the access level's rule limit in characters
	// (default 512; 1024 with Pro). Longer watches are split.
	MaxRuleLength int `yaml:"max_rule_length"`
	// MaxRules, when > 0, is the number of rules the access level allows;
	// vigie refuses to start the stream with more.
	MaxRules int `yaml:"max_rules"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if s := c.Search; s != nil {
		if s.Interval == 0 {
			s.Interval = DefaultInterval
		}
		if s.MaxResults == 0 {
			s.MaxResults = DefaultMaxResults
		}
		if s.MaxPages == 0 {
			s.MaxPages = DefaultMaxPages
		}
		if s.MaxQueryLength == 0 {
			s.MaxQueryLength = DefaultMaxQueryLength
		}
	}
	if s := c.Stream; s != nil {
		if s.StallTimeout == 0 {
			s.StallTimeout = DefaultStallTimeout
		}
		if s.MaxRuleLength == 0 {
			s.MaxRuleLength = DefaultMaxQueryLength
		}
	}
}

// Validate reports the first invalid field, named as in the YAML file
// (relative to the source). It never prints a secret.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("base_url: %q is not an http(s) URL", c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("base_url: %q must not have a query or fragment", c.BaseURL)
	}
	if c.BearerToken == "" && c.BearerTokenFile == "" {
		return errors.New("bearer_token: is required (or bearer_token_file)")
	}
	if c.BearerToken != "" && c.BearerTokenFile != "" {
		return errors.New("bearer_token: set either bearer_token or bearer_token_file, not both")
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
		case s.MaxResults < 10 || s.MaxResults > 100:
			return fmt.Errorf("search.max_results: must be 10 to 100, got %d", s.MaxResults)
		case s.MaxPages < 1 || s.MaxPages > 1000:
			return fmt.Errorf("search.max_pages: must be 1 to 1000, got %d", s.MaxPages)
		case s.MaxQueryLength < 64 || s.MaxQueryLength > 4096:
			return fmt.Errorf("search.max_query_length: must be 64 to 4096, got %d", s.MaxQueryLength)
		}
	}
	if s := c.Stream; s != nil {
		switch {
		case s.StallTimeout < time.Second:
			return fmt.Errorf("stream.stall_timeout: must be at least 1s, got %s", s.StallTimeout)
		case s.BackfillMinutes < 0 || s.BackfillMinutes > MaxBackfillMinutes:
			return fmt.Errorf("stream.backfill_minutes: must be 0 to %d, got %d", MaxBackfillMinutes, s.BackfillMinutes)
		case s.MaxRuleLength < 64 || s.MaxRuleLength > 4096:
			return fmt.Errorf("stream.max_rule_length: must be 64 to 4096, got %d", s.MaxRuleLength)
		case s.MaxRules < 0:
			return fmt.Errorf("stream.max_rules: must be >= 0, got %d", s.MaxRules)
		}
	}
	return nil
}
