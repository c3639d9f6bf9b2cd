// Package config is vigie's configuration: one YAML file (vigie.yaml),
// typed, with defaults, secrets from *_file or ${ENV}, and validation at load
// that names the bad key and its line. The sample is deploy/vigie.example.yaml.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	alertstage "github.com/vigie-project/vigie/alerting/stage"
	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/bus"
	detectstage "github.com/vigie-project/vigie/detect/stage"
	"github.com/vigie-project/vigie/ingest/bluesky"
	"github.com/vigie-project/vigie/ingest/mastodon"
	"github.com/vigie-project/vigie/ingest/reddit"
	"github.com/vigie-project/vigie/ingest/replay"
	"github.com/vigie-project/vigie/ingest/roster"
	"github.com/vigie-project/vigie/ingest/rss"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/ingest/twitter"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/ingest/webhook"
	"github.com/vigie-project/vigie/ingest/xapi"
	"github.com/vigie-project/vigie/store"
)

// Config is the whole configuration.
type Config struct {
	// DataDir holds the embedded NATS store and the managed ClickHouse.
	DataDir string `yaml:"data_dir"`
	// Roles this process runs; empty means all (see Roles).
	Roles []string `yaml:"roles"`

	Log        LogConfig          `yaml:"log"`
	HTTP       HTTPConfig         `yaml:"http"`
	NATS       bus.Config         `yaml:"nats"`
	ClickHouse store.Config       `yaml:"clickhouse"`
	Writer     store.WriterConfig `yaml:"writer"`
	Analyzer   analysis.Config    `yaml:"analyzer"`
	Detect     detectstage.Config `yaml:"detect"`
	// Alerting routes crisis, charter and gap events to people; nil: the
	// alert role has nothing to do.
	Alerting *alertstage.Config `yaml:"alerting"`
	Watches  []watch.Spec       `yaml:"watches"`
	// Employees is the employee roster (CSV or YAML), reloaded when it
	// changes; nil: no employee matching.
	Employees *roster.Config `yaml:"employees"`
	Sources   Sources        `yaml:"sources"`
}

// LogConfig sets the log output.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// HTTPConfig is the HTTP server: /healthz, /metrics, the console, the APIs.
type HTTPConfig struct {
	Listen string `yaml:"listen"`
	// PublicURL is how people reach this server (links in alerts); defaults
	// to http://<listen>.
	PublicURL string `yaml:"public_url"`
}

// Sources configures the collectors; a nil source is off.
type Sources struct {
	Simulate *simulate.Config `yaml:"simulate"`
	Replay   *replay.Config   `yaml:"replay"`
	Mastodon *mastodon.Config `yaml:"mastodon"`
	Bluesky  *bluesky.Config  `yaml:"bluesky"`
	Reddit   *reddit.Config   `yaml:"reddit"`
	Twitter  *twitter.Config  `yaml:"twitter"` // API v1.1 (or compatible endpoints)
	X        *xapi.Config     `yaml:"x"`       // X API v2
	RSS      *rss.Config      `yaml:"rss"`
	Webhook  *webhook.Config  `yaml:"webhook"` // POST /ingest/v1/mentions
}

// each calls fn with the name and the config (as SetDefaults/Validate)
// of every source that is on.
func (s *Sources) each(fn func(name string, c sourceConfig)) {
	if s.Simulate != nil {
		fn("simulate", s.Simulate)
	}
	if s.Replay != nil {
		fn("replay", replayConfig{s.Replay})
	}
	if s.Mastodon != nil {
		fn("mastodon", s.Mastodon)
	}
	if s.Bluesky != nil {
		fn("bluesky", s.Bluesky)
	}
	if s.Reddit != nil {
		fn("reddit", s.Reddit)
	}
	if s.Twitter != nil {
		fn("twitter", s.Twitter)
	}
	if s.X != nil {
		fn("x", s.X)
	}
	if s.RSS != nil {
		fn("rss", s.RSS)
	}
	if s.Webhook != nil {
		fn("webhook", s.Webhook)
	}
}

type sourceConfig interface {
	SetDefaults()
	Validate() error
}

// replayConfig adapts replay.Config, which has no defaults.
type replayConfig struct{ c *replay.Config }

func (r replayConfig) SetDefaults()    {}
func (r replayConfig) Validate() error { return r.c.Validate() }

// Role names.
const (
	RoleIngest  = "ingest"
	RoleAnalyze = "analyze"
	RoleWrite   = "write"
	RoleDetect  = "detect"
	RoleAlert   = "alert"
)

// AllRoles are the roles of a single-process deployment.
var AllRoles = []string{RoleIngest, RoleAnalyze, RoleWrite, RoleDetect, RoleAlert}

// SetDefaults fills what is not set, recursively.
func (c *Config) SetDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if len(c.Roles) == 0 {
		c.Roles = append([]string(nil), AllRoles...)
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	if c.HTTP.PublicURL == "" {
		c.HTTP.PublicURL = "http://" + c.HTTP.Listen
	}
	c.NATS.SetDefaults()
	c.ClickHouse.SetDefaults()
	c.Writer.SetDefaults()
	c.Analyzer.SetDefaults()
	c.Detect.SetDefaults()
	c.Sources.each(func(_ string, sc sourceConfig) { sc.SetDefaults() })
	if c.Employees != nil {
		c.Employees.SetDefaults()
	}
	if c.Alerting != nil {
		c.Alerting.SetDefaults()
	}
}

// Validate checks everything and returns every problem, each starting
// with its dotted key.
func (c *Config) Validate() error {
	var errs []error
	add := func(prefix string, err error) {
		if err == nil {
			return
		}
		for _, e := range unjoin(err) {
			msg := e.Error()
			if prefix != "" && !strings.HasPrefix(msg, prefix+".") {
				// A section may already name itself ("replay.speed: …").
				parent, last := "", prefix
				if i := strings.LastIndex(prefix, "."); i >= 0 {
					parent, last = prefix[:i+1], prefix[i+1:]
				}
				if strings.HasPrefix(msg, last+".") || strings.HasPrefix(msg, last+"[") {
					msg = parent + msg
				} else {
					msg = prefix + "." + msg
				}
			}
			errs = append(errs, errors.New(msg))
		}
	}
	for i, r := range c.Roles {
		if !contains(AllRoles, r) {
			add("", fmt.Errorf("roles[%d]: unknown role %q (known: %s)", i, r, strings.Join(AllRoles, ", ")))
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("", fmt.Errorf("log.level: must be debug, info, warn or error, got %q", c.Log.Level))
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("", fmt.Errorf("log.format: must be text or json, got %q", c.Log.Format))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("", fmt.Errorf("http.listen: %v", err))
	}
	if u, err := url.Parse(c.HTTP.PublicURL); err != nil || u.Scheme == "" || u.Host == "" {
		add("", fmt.Errorf("http.public_url: must be an absolute URL, got %q", c.HTTP.PublicURL))
	}
	add("nats", c.NATS.Validate())
	add("clickhouse", c.ClickHouse.Validate())
	add("writer", c.Writer.Validate())
	add("analyzer", c.Analyzer.Validate())
	add("detect", c.Detect.Validate())
	if _, err := watch.Compile(c.Watches); err != nil {
		// Compile's errors already start with "watches[i]".
		add("", err)
	}
	for i, w := range c.Watches {
		if strings.HasPrefix(w.ID, "_") {
			add("", fmt.Errorf("watches[%d].id: must not start with '_' (reserved)", i))
		}
	}
	c.Sources.each(func(name string, sc sourceConfig) { add("sources."+name, sc.Validate()) })
	if c.Employees != nil {
		add("employees", c.Employees.Validate())
	}
	if c.Alerting != nil {
		add("alerting", c.Alerting.Validate())
	}
	return errors.Join(errs...)
}

// Has reports whether this process runs role.
func (c *Config) Has(role string) bool { return contains(c.Roles, role) }

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
