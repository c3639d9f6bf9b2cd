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

	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/bus"
	detectstage "github.com/vigie-project/vigie/detect/stage"
	"github.com/vigie-project/vigie/ingest/replay"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/ingest/watch"
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
	Watches    []watch.Spec       `yaml:"watches"`
	Sources    Sources            `yaml:"sources"`
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
}

// Role names.
const (
	RoleIngest  = "ingest"
	RoleAnalyze = "analyze"
	RoleWrite   = "write"
	RoleDetect  = "detect"
)

// AllRoles are the roles of a single-process deployment.
var AllRoles = []string{RoleIngest, RoleAnalyze, RoleWrite, RoleDetect}

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
	if c.Sources.Simulate != nil {
		c.Sources.Simulate.SetDefaults()
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
	if s := c.Sources.Simulate; s != nil {
		add("sources.simulate", s.Validate())
	}
	if r := c.Sources.Replay; r != nil {
		add("sources.replay", r.Validate())
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
