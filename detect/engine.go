package detect

import (
	"fmt"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/mention"
)

// EngineConfig configures an Engine.
type EngineConfig struct {
	Window WindowConfig `yaml:"window"`
	// Detector is the configuration of every watch without an override.
	Detector Config `yaml:"detector"`
	// Watches holds per-watch configurations. In YAML a watch lists only
	// the keys it changes from Detector; in Go each entry is complete
	// (start from a copy of Detector). Watches listed here get minutes,
	// zeros included, from the first Advance, before their first post.
	Watches map[string]Config `yaml:"watches"`
}

// UnmarshalYAML decodes each watch's block on top of a copy of the
// default detector configuration, so an override lists only what changes.
func (c *EngineConfig) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Window   WindowConfig         `yaml:"window"`
		Detector Config               `yaml:"detector"`
		Watches  map[string]yaml.Node `yaml:"watches"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	c.Window, c.Detector, c.Watches = raw.Window, raw.Detector, nil
	for name, n := range raw.Watches {
		cfg := raw.Detector
		cfg.Windows = append([]time.Duration(nil), raw.Detector.Windows...)
		cfg.ExpectedEvents = append([]Expected(nil), raw.Detector.ExpectedEvents...)
		if err := n.Decode(&cfg); err != nil {
			return fmt.Errorf("watches.%s: %w", name, err)
		}
		if c.Watches == nil {
			c.Watches = make(map[string]Config)
		}
		c.Watches[name] = cfg
	}
	return nil
}

// Validate checks the whole configuration; the error names the field.
func (c EngineConfig) Validate() error {
	w := c.Window
	w.SetDefaults()
	if err := w.Validate(); err != nil {
		return prefixField("window.", err)
	}
	d := c.Detector
	d.SetDefaults()
	if err := d.Validate(); err != nil {
		return prefixField("detector.", err)
	}
	for _, name := range sortedKeys(c.Watches) {
		if name == "" {
			return &ConfigError{"watches", "a watch name is empty"}
		}
		cfg := c.Watches[name]
		cfg.SetDefaults()
		if err := cfg.Validate(); err != nil {
			return prefixField("watches."+name+".", err)
		}
	}
	return nil
}

func prefixField(prefix string, err error) error {
	if ce, ok := err.(*ConfigError); ok {
		return &ConfigError{prefix + ce.Field, ce.Reason}
	}
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Engine runs the detectors of many watches: mentions go in with Add,
// the watermark moves with Advance, events come out. Not safe for
// concurrent use: the caller serialises Add, Advance and Snapshot.
type Engine struct {
	cfg       EngineConfig
	window    *Window
	detectors map[string]*Detector
	last      map[string]Verdict
	tried     map[string]int64 // per watch: the pending minutes last tried for an early opening
	earlyAt   int64            // the watermark's minute when early opening last looked
}

// NewEngine validates cfg and returns an engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w, err := NewWindow(cfg.Window)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, window: w, detectors: make(map[string]*Detector), last: make(map[string]Verdict),
		tried: make(map[string]int64)}
	for _, name := range sortedKeys(cfg.Watches) {
		if _, err := e.detector(name); err != nil {
			return nil, err
		}
		w.Watch(name)
	}
	return e, nil
}

// detector returns the watch's detector, creating it on first use.
func (e *Engine) detector(watch string) (*Detector, error) {
	if d, ok := e.detectors[watch]; ok {
		return d, nil
	}
	cfg, ok := e.cfg.Watches[watch]
	if !ok {
		cfg = e.cfg.Detector
	}
	d, err := NewDetector(watch, cfg)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", watch, err)
	}
	e.detectors[watch] = d
	return d, nil
}

// Add counts a mention for one watch (a mention matching several watches
// is added once per watch). See Window.Add for the errors.
func (e *Engine) Add(watch string, m *mention.Mention) error {
	return e.window.Add(watch, m)
}

// Advance moves the watermark (event time: the time up to which posts
// have arrived, e.g. the wall clock of the consumer), runs every closed
// minute through its watch's detector, and returns the events in order.
//
// Early opening (window.early_open, on by default): a minute normally
// waits for the lateness (5 min) before it is judged, so that late posts
// count. But posts that arrive late can only add to a surge, so when the
// minutes a watch already has complete would open a crisis as they stand,
// waiting only delays the page. For each watch with no crisis open whose
// complete minutes hold more than expected, Advance runs them on a copy
// of the detector, once per newly completed minute; if the copy opens a
// crisis, the minutes are closed at once and run on the real detector
// (the same steps, so the same opening). Later posts for those minutes
// are counted late (WindowStats.Late; EarlyClosed counts the minutes).
//
// Advance takes event time for the present (a replay, a test): every
// completed minute may be tried. A stream uses AdvanceAt.
func (e *Engine) Advance(watermark time.Time) []Event {
	return e.AdvanceAt(watermark, watermark)
}

// AdvanceAt is Advance for a stream read at wall-clock time now: minutes
// are tried for an early opening only while the watermark is within the
// lateness of now. A backlog being caught up (a restart, a backfill) has
// its minutes closed by the watermark at once anyway, and trying each of
// them would cost a detector copy per minute and watch.
func (e *Engine) AdvanceAt(watermark, now time.Time) []Event {
	var events []Event
	for _, wm := range e.window.Advance(watermark) {
		events = e.step(wm, events)
	}
	// Minutes complete when the watermark enters a new minute: look then,
	// not at every mention.
	if wm := unixMinute(e.window.Watermark()); wm != e.earlyAt && e.cfg.Window.earlyOpen() &&
		now.Sub(e.window.Watermark()) < e.window.cfg.Lateness {
		e.earlyAt = wm
		events = e.openEarly(events)
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	return events
}

func (e *Engine) step(wm WatchMinute, events []Event) []Event {
	d, err := e.detector(wm.Watch)
	if err != nil {
		return events // the configuration was validated: not reached
	}
	v, ev := d.Step(wm.Minute)
	e.last[wm.Watch] = v
	if ev != nil {
		events = append(events, *ev)
	}
	return events
}

// openEarly closes a watch's pending minutes at once when they would open
// a crisis (see Advance).
func (e *Engine) openEarly(events []Event) []Event {
	for _, name := range e.window.names {
		d := e.detectors[name]
		last, seen := e.last[name]
		if d == nil || d.st.Crisis != nil || !seen || last.WarmUp {
			continue
		}
		until, volume := e.window.pending(name)
		if until == 0 || e.tried[name] >= until {
			continue
		}
		if k := float64(until - unixMinute(last.At) - 1); !(volume > k*last.Expected) {
			continue // no more than expected so far: nothing to open
		}
		e.tried[name] = until
		mins := e.window.pendingMinutes(name, until)
		if !d.wouldOpen(mins) {
			continue
		}
		for _, wm := range e.window.closeEarly(name, until) {
			events = e.step(wm, events)
		}
	}
	return events
}

// Seed warms a watch's detector up from history (see Detector.Seed).
func (e *Engine) Seed(watch string, history []Minute) error {
	d, err := e.detector(watch)
	if err != nil {
		return err
	}
	d.Seed(history)
	e.window.Watch(watch)
	return nil
}

// Replay drives the engine from mentions in any order: it sorts them by
// created_at, advances the watermark to each one's time before adding it,
// then advances to until (when it is later) so the last minutes close.
// It returns every event. A demo or a test uses it in place of a stream.
func (e *Engine) Replay(ms []*mention.Mention, until time.Time) []Event {
	sorted := make([]*mention.Mention, 0, len(ms))
	for _, m := range ms {
		if m != nil {
			sorted = append(sorted, m)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].CreatedAt.Before(sorted[j].CreatedAt) })
	var events []Event
	var minute int64
	for i, m := range sorted {
		if mi := unixMinute(m.CreatedAt); i == 0 || mi != minute {
			minute = mi
			events = append(events, e.Advance(m.CreatedAt)...)
		}
		for _, w := range m.Watches {
			_ = e.Add(w, m) // rejects are counted in Stats
		}
	}
	if until.After(e.window.Watermark()) {
		events = append(events, e.Advance(until)...)
	}
	return events
}

// Stats returns the window's counters.
func (e *Engine) Stats() WindowStats { return e.window.Stats() }

// Watermark is the latest watermark.
func (e *Engine) Watermark() time.Time { return e.window.Watermark() }

// Verdict is the last verdict of a watch's detector.
func (e *Engine) Verdict(watch string) (Verdict, bool) {
	v, ok := e.last[watch]
	return v, ok
}

// Open lists the crises open now, by watch name.
func (e *Engine) Open() []string {
	var ids []string
	for _, name := range sortedKeys(e.detectors) {
		if c := e.detectors[name].st.Crisis; c != nil {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
