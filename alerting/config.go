package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrConfig is wrapped by every configuration error; the message names the
// bad key as a path ("route.routes[1].min_severity").
var ErrConfig = errors.New("alerting: config")

// Defaults of Config.
const (
	DefaultCooldown         = 15 * time.Minute
	DefaultSignificantRatio = 1.5
	DefaultRetention        = 24 * time.Hour
)

// Config is the routing, grouping and escalation policy (the "alerting"
// section of vigie.yaml without the receivers' channel settings, which
// alerting/receiver adds).
type Config struct {
	Location         string         `yaml:"location,omitempty" json:"location,omitempty"`                   // time zone of time windows and messages; default Europe/Paris
	DefaultLang      string         `yaml:"default_lang,omitempty" json:"default_lang,omitempty"`           // "fr" (default) or "en"
	TemplatesDir     string         `yaml:"templates_dir,omitempty" json:"templates_dir,omitempty"`         // operators' template overrides
	Cooldown         Duration       `yaml:"cooldown,omitempty" json:"cooldown,omitempty"`                   // identical notifications are not repeated within it; default 15m
	SignificantRatio float64        `yaml:"significant_ratio,omitempty" json:"significant_ratio,omitempty"` // volume change that makes an update worth sending at once; default 1.5
	Retention        Duration       `yaml:"retention,omitempty" json:"retention,omitempty"`                 // how long a resolved thread is remembered; default 24h
	TimeIntervals    []TimeInterval `yaml:"time_intervals,omitempty" json:"time_intervals,omitempty"`
	Route            *Route         `yaml:"route" json:"route"`
}

// ReceiverSettings is what the engine needs to know of a receiver: its
// language and its rate cap.
type ReceiverSettings struct {
	Name      string     `yaml:"name" json:"name"`
	Lang      string     `yaml:"lang,omitempty" json:"lang,omitempty"`             // "fr" or "en"; default Config.DefaultLang
	RateLimit *RateLimit `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"` // nil: no cap
}

// RateLimit caps what one receiver gets: at most Max notifications per Per;
// the rest is held back and sent as one digest when the cap allows.
// Resolutions and acknowledgements are never held back.
type RateLimit struct {
	Max int      `yaml:"max" json:"max"`
	Per Duration `yaml:"per" json:"per"`
}

// Duration is a time.Duration written "15m", "1h30m" in YAML and JSON.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 15m or 1h30m", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// LoadConfig decodes a policy from YAML, rejecting unknown keys, applies the
// defaults and validates it (receivers are checked by Validate).
func LoadConfig(r io.Reader) (*Config, error) {
	var c Config
	if err := DecodeYAML(r, &c); err != nil {
		return nil, err
	}
	c.SetDefaults()
	if err := c.Validate(nil); err != nil {
		return nil, err
	}
	return &c, nil
}

// DecodeYAML decodes one YAML document strictly: an unknown or misspelt key
// is an error naming its line.
func DecodeYAML(r io.Reader, v any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty document", ErrConfig)
		}
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// DecodeYAMLBytes is DecodeYAML on a byte slice.
func DecodeYAMLBytes(b []byte, v any) error { return DecodeYAML(bytes.NewReader(b), v) }

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.Location == "" {
		c.Location = DefaultLocation
	}
	if c.DefaultLang == "" {
		c.DefaultLang = LangFrench
	}
	if c.Cooldown == 0 {
		c.Cooldown = Duration(DefaultCooldown)
	}
	if c.SignificantRatio == 0 {
		c.SignificantRatio = DefaultSignificantRatio
	}
	if c.Retention == 0 {
		c.Retention = Duration(DefaultRetention)
	}
	for i := range c.TimeIntervals {
		if c.TimeIntervals[i].Location == "" {
			c.TimeIntervals[i].Location = c.Location
		}
	}
}

// Validate checks the policy. When receivers is not nil, every receiver a
// route names must be in it.
func (c *Config) Validate(receivers []ReceiverSettings) error {
	if _, err := time.LoadLocation(c.Location); err != nil {
		return fmt.Errorf("%w: location: %q is not a known time zone", ErrConfig, c.Location)
	}
	if c.DefaultLang != LangFrench && c.DefaultLang != LangEnglish {
		return fmt.Errorf("%w: default_lang: %q is not fr or en", ErrConfig, c.DefaultLang)
	}
	if c.Cooldown < 0 {
		return fmt.Errorf("%w: cooldown: must not be negative", ErrConfig)
	}
	if c.SignificantRatio < 1 {
		return fmt.Errorf("%w: significant_ratio: %g must be at least 1", ErrConfig, c.SignificantRatio)
	}
	if c.Retention < 0 {
		return fmt.Errorf("%w: retention: must not be negative", ErrConfig)
	}
	intervals := map[string]bool{}
	for i := range c.TimeIntervals {
		ti := &c.TimeIntervals[i]
		path := fmt.Sprintf("time_intervals[%d]", i)
		if _, err := ti.compile(); err != nil {
			return fmt.Errorf("%w: %s%w", ErrConfig, path, err)
		}
		if intervals[ti.Name] {
			return fmt.Errorf("%w: %s.name: %q is defined twice", ErrConfig, path, ti.Name)
		}
		intervals[ti.Name] = true
	}
	var known map[string]bool
	if receivers != nil {
		known = map[string]bool{}
		for i, r := range receivers {
			if err := r.Validate(); err != nil {
				return fmt.Errorf("%w: receivers[%d]%w", ErrConfig, i, err)
			}
			if known[r.Name] {
				return fmt.Errorf("%w: receivers[%d].name: %q is defined twice", ErrConfig, i, r.Name)
			}
			known[r.Name] = true
		}
	}
	if c.Route == nil {
		return fmt.Errorf("%w: route: missing (the default route names where everything goes)", ErrConfig)
	}
	if c.Route.hasMatchers() {
		return fmt.Errorf("%w: route: the root route matches everything; put kinds, watches, min_severity, langs and active_time_intervals on its routes", ErrConfig)
	}
	if len(c.Route.Receivers) == 0 {
		return fmt.Errorf("%w: route.receivers: the root route needs at least one receiver", ErrConfig)
	}
	if c.Route.Continue {
		return fmt.Errorf("%w: route.continue: has no meaning on the root route", ErrConfig)
	}
	return c.Route.validate("route", intervals, known)
}

// Validate checks one receiver's settings; the error starts with the key.
func (r *ReceiverSettings) Validate() error {
	if r.Name == "" {
		return errors.New(".name: required")
	}
	if r.Lang != "" && r.Lang != LangFrench && r.Lang != LangEnglish {
		return fmt.Errorf(".lang: %q is not fr or en", r.Lang)
	}
	if rl := r.RateLimit; rl != nil {
		if rl.Max < 1 {
			return fmt.Errorf(".rate_limit.max: %d must be at least 1", rl.Max)
		}
		if rl.Per <= 0 {
			return errors.New(".rate_limit.per: must be a positive duration like 1h")
		}
	}
	return nil
}
