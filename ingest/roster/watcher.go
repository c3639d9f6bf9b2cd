package roster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultReloadInterval is how often a Watcher looks at the file.
const DefaultReloadInterval = 30 * time.Second

// Config is the roster section of the configuration.
type Config struct {
	// File is the roster, .csv or .yaml.
	File string `yaml:"file"`
	// ReloadInterval is how often the file's modification time and size
	// are checked; a change reloads it (default 30s).
	ReloadInterval time.Duration `yaml:"reload_interval"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.ReloadInterval == 0 {
		c.ReloadInterval = DefaultReloadInterval
	}
}

// Validate checks the settings. Errors start with the field name.
func (c *Config) Validate() error {
	switch {
	case c.File == "":
		return errors.New("file: is required")
	case FormatOf(c.File) == "":
		return fmt.Errorf("file: %q must end in .csv, .yaml or .yml", c.File)
	case c.ReloadInterval < time.Second:
		return fmt.Errorf("reload_interval: must be at least 1s, got %s", c.ReloadInterval)
	}
	return nil
}

// WatcherOption changes a Watcher.
type WatcherOption func(*Watcher) error

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) WatcherOption {
	return func(w *Watcher) error {
		if l == nil {
			return errors.New("roster: WithLogger: nil logger")
		}
		w.log = l
		return nil
	}
}

// WithRegisterer registers the watcher's metrics on reg.
func WithRegisterer(reg prometheus.Registerer) WatcherOption {
	return func(w *Watcher) error { w.reg = reg; return nil }
}

// WithClock replaces the clock behind the last-reload metric, for tests.
func WithClock(now func() time.Time) WatcherOption {
	return func(w *Watcher) error {
		if now == nil {
			return errors.New("roster: WithClock: nil func")
		}
		w.now = now
		return nil
	}
}

// WithTicker replaces the polling ticker, for tests: fn returns the tick
// channel for an interval and a function that stops it.
func WithTicker(fn func(d time.Duration) (<-chan time.Time, func())) WatcherOption {
	return func(w *Watcher) error {
		if fn == nil {
			return errors.New("roster: WithTicker: nil func")
		}
		w.ticker = fn
		return nil
	}
}

// Watcher holds the current roster and reloads it when the file changes:
// the roster is replaced without a restart. A file that no longer loads
// keeps the previous roster in force and is logged once.
type Watcher struct {
	path     string
	interval time.Duration
	log      *slog.Logger
	reg      prometheus.Registerer
	now      func() time.Time
	ticker   func(time.Duration) (<-chan time.Time, func())

	cur atomic.Pointer[Roster]

	mu      sync.Mutex // serialises Check
	stamp   stamp      // of the file last loaded or last found bad
	lastErr string     // last problem logged, to log a problem once

	reloads    *prometheus.CounterVec
	employees  prometheus.Gauge
	lastReload prometheus.Gauge
	stale      prometheus.Gauge
}

// stamp is what tells that a file changed.
type stamp struct {
	mod  time.Time
	size int64
}

// NewWatcher loads the roster; it fails when the file does not load.
// Run keeps it up to date.
func NewWatcher(cfg Config, opts ...WatcherOption) (*Watcher, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	w := &Watcher{
		path:     cfg.File,
		interval: cfg.ReloadInterval,
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		ticker: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_roster_reloads_total", Help: "Roster file loads, by result (ok, error).",
		}, []string{"result"}),
		employees: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_roster_employees", Help: "Employees in the roster in force.",
		}),
		lastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_roster_last_reload_timestamp_seconds", Help: "When the roster in force was loaded.",
		}),
		stale: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vigie_roster_stale", Help: "1 when the roster file changed but does not load, so the previous one is kept.",
		}),
	}
	for _, o := range opts {
		if err := o(w); err != nil {
			return nil, err
		}
	}
	w.log = w.log.With("component", "roster", "file", w.path)
	if w.reg != nil {
		for _, c := range []prometheus.Collector{w.reloads, w.employees, w.lastReload, w.stale} {
			if err := w.reg.Register(c); err != nil {
				return nil, fmt.Errorf("roster: metrics: %w", err)
			}
		}
	}
	st, err := statFile(w.path)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	r, err := Load(w.path)
	if err != nil {
		w.reloads.WithLabelValues("error").Inc()
		return nil, err
	}
	w.install(r, st)
	return w, nil
}

// Roster returns the roster in force. It is never nil.
func (w *Watcher) Roster() *Roster { return w.cur.Load() }

// Check reloads the file when its modification time or size changed since
// it was last read. reloaded is true when a new roster is in force; err
// says why a changed file was not taken (the previous roster stays).
func (w *Watcher) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := statFile(w.path)
	if err != nil {
		w.problem(err)
		return false, err
	}
	if st.same(w.stamp) {
		return false, nil
	}
	r, err := Load(w.path)
	if err != nil {
		// Remember the bad file so that it is not re-read and re-logged
		// on every tick; the next change is tried again.
		w.stamp = st
		w.reloads.WithLabelValues("error").Inc()
		w.stale.Set(1)
		w.problem(err)
		return false, err
	}
	w.install(r, st)
	w.log.Info("roster_reloaded", "employees", r.Len(), "official_accounts", len(r.officials),
		"domains", len(r.domains))
	return true, nil
}

// Run checks the file every reload interval until ctx is cancelled, and
// returns nil then.
func (w *Watcher) Run(ctx context.Context) error {
	tick, stop := w.ticker(w.interval)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			_, _ = w.Check() // logged and counted by Check
		}
	}
}

func (w *Watcher) install(r *Roster, st stamp) {
	w.cur.Store(r)
	w.stamp = st
	w.lastErr = ""
	w.reloads.WithLabelValues("ok").Inc()
	w.employees.Set(float64(r.Len()))
	w.lastReload.Set(float64(w.now().UnixNano()) / 1e9)
	w.stale.Set(0)
}

// problem logs err unless it is the one logged last.
func (w *Watcher) problem(err error) {
	if msg := err.Error(); msg != w.lastErr {
		w.lastErr = msg
		w.log.Error("roster_reload_failed", "error", err, "employees_in_force", w.cur.Load().Len())
	}
}

func (s stamp) same(o stamp) bool { return s.size == o.size && s.mod.Equal(o.mod) }

func statFile(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return stamp{}, fmt.Errorf("%s is not a regular file", path)
	}
	return stamp{mod: fi.ModTime(), size: fi.Size()}, nil
}
