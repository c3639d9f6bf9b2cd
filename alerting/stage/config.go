package stage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/receiver"
)

// Defaults of Config.
const (
	DefaultTickInterval        = 10 * time.Second
	DefaultSnapshotInterval    = 200 * time.Millisecond
	DefaultBatch               = 64
	DefaultRetryInterval       = time.Minute
	DefaultGiveUpAfter         = time.Hour
	DefaultGapSeverity         = 2
	DefaultGapResolveAfter     = 10 * time.Minute
	DefaultCharterResolveAfter = 72 * time.Hour
	DefaultShutdownGrace       = 10 * time.Second
	DefaultConsolePath         = "/crises/"
)

// Config is the alerting section of vigie.yaml: the colleague's routing
// policy and receivers (receiver.File, inline) plus what the stage needs.
// The public URL of links is not here: the lead passes http.public_url.
type Config struct {
	receiver.File `yaml:",inline"`

	// ConsolePath is where the console shows a crisis: the link in a
	// crisis message is public_url + console_path + the escaped crisis id.
	ConsolePath string `yaml:"console_path,omitempty"`
	// TickInterval is the longest wait between two looks at escalations,
	// digests and expiries (the stage also wakes when one is due).
	TickInterval alerting.Duration `yaml:"tick_interval,omitempty"`
	// SnapshotInterval is the shortest time between two saves of the state
	// to the KV bucket (a lone event is saved at once, a burst once per
	// interval). Events are acknowledged to NATS only after the save that
	// holds them; deliveries do not wait for it, so a crash may page again
	// for what the last interval decided. Acks and timer steps are saved
	// before they deliver.
	SnapshotInterval alerting.Duration `yaml:"snapshot_interval,omitempty"`
	// Batch is how many events one pull takes at most.
	Batch int `yaml:"batch,omitempty"`
	// RetryInterval is the wait before a delivery that failed in a way worth
	// retrying (after the dispatcher's own attempts) is dispatched again.
	RetryInterval alerting.Duration `yaml:"retry_interval,omitempty"`
	// GiveUpAfter is how long such a delivery is retried before it is
	// journaled as failed for good.
	GiveUpAfter alerting.Duration `yaml:"give_up_after,omitempty"`
	// GapSeverity is the severity of collection gap notifications (1..5).
	GapSeverity int `yaml:"gap_severity,omitempty"`
	// GapResolveAfter: a source's gap thread resolves ("collection back")
	// when no gap was reported for this long after the last one ended.
	GapResolveAfter alerting.Duration `yaml:"gap_resolve_after,omitempty"`
	// CharterResolveAfter: a charter flag's thread resolves this long after
	// its last event, unless the console resolves it sooner.
	CharterResolveAfter alerting.Duration `yaml:"charter_resolve_after,omitempty"`
	// ShutdownGrace is how long a stopping stage waits for the deliveries
	// in flight; what is left stays in the outbox for the next start.
	ShutdownGrace alerting.Duration `yaml:"shutdown_grace,omitempty"`
}

// LoadConfig decodes the alerting section strictly (unknown keys are
// errors naming their line), applies the defaults and validates it.
func LoadConfig(r io.Reader) (*Config, error) {
	var c Config
	if err := alerting.DecodeYAML(r, &c); err != nil {
		return nil, err
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadConfigBytes is LoadConfig on a byte slice.
func LoadConfigBytes(b []byte) (*Config, error) { return LoadConfig(bytes.NewReader(b)) }

// SetDefaults fills what is not set, in the stage settings, the policy and
// every receiver.
func (c *Config) SetDefaults() {
	c.File.SetDefaults()
	if c.ConsolePath == "" {
		c.ConsolePath = DefaultConsolePath
	}
	setDur := func(d *alerting.Duration, def time.Duration) {
		if *d == 0 {
			*d = alerting.Duration(def)
		}
	}
	setDur(&c.TickInterval, DefaultTickInterval)
	setDur(&c.SnapshotInterval, DefaultSnapshotInterval)
	setDur(&c.RetryInterval, DefaultRetryInterval)
	setDur(&c.GiveUpAfter, DefaultGiveUpAfter)
	setDur(&c.GapResolveAfter, DefaultGapResolveAfter)
	setDur(&c.CharterResolveAfter, DefaultCharterResolveAfter)
	setDur(&c.ShutdownGrace, DefaultShutdownGrace)
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.GapSeverity == 0 {
		c.GapSeverity = DefaultGapSeverity
	}
}

// Validate checks everything; every error starts with the key at fault
// ("tick_interval: …", "route.routes[1].min_severity: …",
// "receivers[2].slack (\"cm\"): …").
func (c *Config) Validate() error {
	if err := c.File.Validate(); err != nil {
		return &fieldError{msg: strings.TrimPrefix(err.Error(), alerting.ErrConfig.Error()+": "), err: err}
	}
	if !strings.HasPrefix(c.ConsolePath, "/") {
		return fieldErrorf("console_path: %q must start with /", c.ConsolePath)
	}
	for _, d := range []struct {
		name string
		v    alerting.Duration
		min  time.Duration
	}{
		{"tick_interval", c.TickInterval, time.Millisecond},
		{"snapshot_interval", c.SnapshotInterval, time.Millisecond},
		{"retry_interval", c.RetryInterval, time.Second},
		{"give_up_after", c.GiveUpAfter, time.Second},
		{"gap_resolve_after", c.GapResolveAfter, time.Second},
		{"charter_resolve_after", c.CharterResolveAfter, time.Second},
		{"shutdown_grace", c.ShutdownGrace, 0},
	} {
		if d.v.D() < d.min {
			return fieldErrorf("%s: %s is below the minimum %s", d.name, d.v.D(), d.min)
		}
	}
	if c.Batch < 1 || c.Batch > 4096 {
		return fieldErrorf("batch: %d is not between 1 and 4096", c.Batch)
	}
	if c.GapSeverity < 1 || c.GapSeverity > 5 {
		return fieldErrorf("gap_severity: %d is not between 1 and 5", c.GapSeverity)
	}
	return nil
}

// fieldError prints a configuration error from its key and still wraps
// alerting.ErrConfig and the original error.
type fieldError struct {
	msg string
	err error
}

func (e *fieldError) Error() string { return e.msg }
func (e *fieldError) Unwrap() error { return e.err }

func fieldErrorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &fieldError{msg: msg, err: fmt.Errorf("%w: %s", alerting.ErrConfig, msg)}
}

// receiverConfig returns the named receiver's configuration.
func (c *Config) receiverConfig(name string) (receiver.Config, error) {
	for _, r := range c.Receivers {
		if r.Name == name {
			return r, nil
		}
	}
	names := make([]string, 0, len(c.Receivers))
	for _, r := range c.Receivers {
		names = append(names, r.Name)
	}
	return receiver.Config{}, fmt.Errorf("%w: %q (configured: %s)", ErrUnknownReceiver, name, strings.Join(names, ", "))
}

// ErrUnknownReceiver is returned by Test for a receiver not in the config.
var ErrUnknownReceiver = errors.New("stage: unknown receiver")
