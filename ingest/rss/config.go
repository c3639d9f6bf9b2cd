package rss

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

// Defaults.
const (
	DefaultInterval     = 10 * time.Minute
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodyBytes = 10 << 20
	DefaultMaxItems     = 500
	DefaultMaxBackoff   = time.Hour
	DefaultConcurrency  = 4
	DefaultUserAgent    = "vigie-rss/1 (+https://github.com/vigie-project/vigie)"
)

// Config is the RSS/Atom collector's configuration.
type Config struct {
	Feeds []Feed `yaml:"feeds"`
	// Interval is the polling interval of feeds that do not set their own
	// (default 10m).
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one request, body included (default 30s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxBodyBytes bounds a feed document (default 10 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxItems bounds the items read from one document, first ones first
	// (default 500).
	MaxItems int `yaml:"max_items"`
	// MaxTextBytes is where an article's text is cut (default
	// mention.DefaultMaxTextBytes): a long article is kept, shortened.
	MaxTextBytes int `yaml:"max_text_bytes"`
	// MaxBackoff caps the wait between retries of a failing feed (default 1h).
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Concurrency is how many feeds are fetched at once (default 4).
	Concurrency int `yaml:"concurrency"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent"`
}

// Feed is one RSS or Atom feed.
type Feed struct {
	URL string `yaml:"url"`
	// Name identifies the feed in logs, metrics and gaps; default: the
	// URL without its scheme and query.
	Name string `yaml:"name"`
	// Lang, when set, is the language of every article (ISO 639-1); it
	// wins over the feed's own <language>, often left at a CMS default.
	Lang string `yaml:"lang"`
	// Interval overrides Config.Interval for this feed.
	Interval time.Duration `yaml:"interval"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxItems == 0 {
		c.MaxItems = DefaultMaxItems
	}
	if c.MaxTextBytes == 0 {
		c.MaxTextBytes = mention.DefaultMaxTextBytes
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	for i := range c.Feeds {
		f := &c.Feeds[i]
		f.URL = strings.TrimSpace(f.URL)
		f.Name = strings.TrimSpace(f.Name)
		f.Lang = strings.TrimSpace(f.Lang)
		if f.Interval == 0 {
			f.Interval = c.Interval
		}
		if f.Name == "" {
			f.Name = defaultName(f.URL)
		}
	}
}

// defaultName is the URL without scheme, query or fragment.
func defaultName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.TrimSuffix(strings.ToLower(u.Host)+u.EscapedPath(), "/")
}

// Validate checks the settings; call SetDefaults first. Errors start with
// the field name, relative to the rss section.
func (c *Config) Validate() error {
	if len(c.Feeds) == 0 {
		return errors.New("feeds: at least one feed is required")
	}
	urls, names := map[string]int{}, map[string]int{}
	for i, f := range c.Feeds {
		if err := f.validate(); err != nil {
			return fmt.Errorf("feeds[%d].%w", i, err)
		}
		if j, dup := urls[f.URL]; dup {
			return fmt.Errorf("feeds[%d].url: %s is already feeds[%d]", i, f.URL, j)
		}
		if j, dup := names[f.Name]; dup {
			return fmt.Errorf("feeds[%d].name: %q is already the name of feeds[%d]; set distinct names", i, f.Name, j)
		}
		urls[f.URL], names[f.Name] = i, i
	}
	switch {
	case c.Interval < 30*time.Second || c.Interval > 24*time.Hour:
		return fmt.Errorf("interval: must be between 30s and 24h, got %s", c.Interval)
	case c.Timeout < time.Second || c.Timeout > 5*time.Minute:
		return fmt.Errorf("timeout: must be between 1s and 5m, got %s", c.Timeout)
	case c.MaxBodyBytes < 64<<10 || c.MaxBodyBytes > 1<<30:
		return fmt.Errorf("max_body_bytes: must be between 65536 and %d, got %d", 1<<30, c.MaxBodyBytes)
	case c.MaxItems < 1 || c.MaxItems > 10000:
		return fmt.Errorf("max_items: must be between 1 and 10000, got %d", c.MaxItems)
	case c.MaxTextBytes < 280:
		return fmt.Errorf("max_text_bytes: must be at least 280, got %d", c.MaxTextBytes)
	case c.MaxBackoff < time.Minute || c.MaxBackoff > 24*time.Hour:
		return fmt.Errorf("max_backoff: must be between 1m and 24h, got %s", c.MaxBackoff)
	case c.Concurrency < 1 || c.Concurrency > 64:
		return fmt.Errorf("concurrency: must be between 1 and 64, got %d", c.Concurrency)
	case !printable(c.UserAgent) || len(c.UserAgent) > 256:
		return errors.New("user_agent: must be printable text of at most 256 bytes")
	}
	return nil
}

func (f Feed) validate() error {
	if f.URL == "" {
		return errors.New("url: is required")
	}
	u, err := url.Parse(f.URL)
	switch {
	case err != nil:
		return fmt.Errorf("url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("url: must be http or https, got %q", f.URL)
	case u.Host == "":
		return fmt.Errorf("url: %q has no host", f.URL)
	case u.User != nil:
		return errors.New("url: must not hold credentials")
	}
	if f.Name == "" || len(f.Name) > 200 || !printable(f.Name) {
		return fmt.Errorf("name: %q must be 1-200 bytes of printable text", f.Name)
	}
	if f.Lang != "" {
		if _, ok := primaryLang(f.Lang); !ok {
			return fmt.Errorf("lang: %q must be a language code such as fr or en", f.Lang)
		}
	}
	if f.Interval < 30*time.Second || f.Interval > 24*time.Hour {
		return fmt.Errorf("interval: must be between 30s and 24h, got %s", f.Interval)
	}
	return nil
}

func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// primaryLang returns the primary subtag of a language tag, lower case:
// "fr-FR", "fr_fr" and "FR" give "fr". ok is false when s is not a tag.
func primaryLang(s string) (string, bool) {
	s = strings.TrimSpace(s)
	p := s
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		p = s[:i]
	}
	if len(p) < 2 || len(p) > 3 {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		c := p[i] | 0x20
		if c < 'a' || c > 'z' {
			return "", false
		}
	}
	return strings.ToLower(p), true
}
