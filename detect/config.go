package detect

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Sensitivity presets.
const (
	SensitivityLow    = "low"
	SensitivityNormal = "normal"
	SensitivityHigh   = "high"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("detect: invalid config")

// ConfigError names the configuration field that is wrong and why.
type ConfigError struct {
	Field  string // YAML name, e.g. "windows[2]" or "expected_events[0].end"
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("detect: config field %s: %s", e.Field, e.Reason)
}

// Unwrap lets errors.Is(err, ErrConfig) match.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// Config tunes one watch's detector. The zero value, after SetDefaults, is
// the shipped default for mention counts.
type Config struct {
	// Sensitivity picks the thresholds: low, normal (default) or high.
	Sensitivity string `yaml:"sensitivity"`
	// OpenScore and ResolveScore override the preset, on the -log10(p)
	// scale: a crisis opens when the evidence reaches OpenScore and is
	// over once it stays below ResolveScore for ResolveAfter.
	OpenScore    float64 `yaml:"open_score"`
	ResolveScore float64 `yaml:"resolve_score"`
	// Margin is how far above the typical daily maximum of the evidence
	// (median of the last 7 days) a step must be to open a crisis: a
	// series with routine spikes raises its own bar. It is in √score
	// ((√typical + margin)²) and, for series whose ordinary days score far
	// above the preset, in proportion (typical × (1 + margin/2)).
	Margin float64 `yaml:"margin"`

	// Step is the length of one observation: one minute for watches; the
	// CSV backtest sets it to the series' spacing.
	Step time.Duration `yaml:"step"`
	// Windows are the spans over which the observed volume is summed and
	// tested: a short one reacts in minutes, a long one sees a small
	// brand's slow surge. Rounded to whole steps; duplicates collapse.
	Windows []time.Duration `yaml:"windows"`
	// TimeZone is the IANA zone whose hours and weekdays shape the
	// audience's rhythm (e.g. "Europe/Paris"). Default UTC.
	TimeZone string `yaml:"time_zone"`

	// WarmUp is how much data the detector sees before it may open a
	// crisis (history given to Seed counts).
	WarmUp time.Duration `yaml:"warm_up"`
	// LevelHalfLife is how fast the deseasonalised level follows the data.
	LevelHalfLife time.Duration `yaml:"level_half_life"`
	// SeasonHalfLife is how fast the hour-of-day profile follows the data;
	// the day-of-week profile is three times slower.
	SeasonHalfLife time.Duration `yaml:"season_half_life"`
	// ResolveAfter is how long the level must stay normal before a crisis
	// is declared over.
	ResolveAfter time.Duration `yaml:"resolve_after"`
	// AdaptAfter is how long a crisis may last before its level is taken
	// as the new normal: the baseline, frozen during a crisis, then learns
	// again so a permanent change does not keep a crisis open for ever.
	AdaptAfter time.Duration `yaml:"adapt_after"`
	// ReopenWithin is how long after its resolution a crisis that flares
	// up again keeps its id and thread instead of opening a new one.
	ReopenWithin time.Duration `yaml:"reopen_within"`
	// CalmDown is how long a lower severity must hold before the crisis
	// is downgraded (escalation is immediate).
	CalmDown time.Duration `yaml:"calm_down"`

	// MinMentions is the least volume, over the longest window, that may
	// open a crisis: a handful of posts never wakes anybody. Zero means the
	// default (10). Ignored for Continuous series.
	MinMentions float64 `yaml:"min_mentions"`
	// Continuous says the values are measurements (CPU %, latency), not
	// counts: no Poisson floor under the learned dispersion, no
	// MinMentions. The CSV backtest sets it.
	Continuous bool `yaml:"continuous"`
	// Drops also opens on an improbably low volume. Off for watches (a
	// silent brand is not a bad buzz); on in the CSV backtest, where a
	// metric can fail either way.
	Drops bool `yaml:"drops"`

	// ExpectedEvents are planned moments (a launch, a TV ad) when more
	// volume than usual is expected: inside each window the expected
	// volume is multiplied by its Factor and the baseline does not learn.
	ExpectedEvents []Expected `yaml:"expected_events"`

	// Drill marks every event of this watch as an exercise.
	Drill bool `yaml:"drill"`
}

// Expected is a planned event that lowers the sensitivity in its window.
type Expected struct {
	Start  time.Time `yaml:"start"`
	End    time.Time `yaml:"end"`
	Note   string    `yaml:"note"`
	Factor float64   `yaml:"factor"` // expected volume multiplier, >= 1; default 5
}

// Defaults for mention counts.
const (
	DefaultStep           = time.Minute
	DefaultWarmUp         = 24 * time.Hour
	DefaultLevelHalfLife  = 24 * time.Hour
	DefaultSeasonHalfLife = 7 * 24 * time.Hour
	DefaultResolveAfter   = time.Hour
	DefaultAdaptAfter     = 24 * time.Hour
	DefaultCalmDown       = 30 * time.Minute
	DefaultReopenWithin   = 6 * time.Hour
	DefaultMinMentions    = 10
	DefaultExpectedFactor = 5
)

// DefaultWindows are the test spans for watches.
func DefaultWindows() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}
}

// preset gives a sensitivity's open and resolve scores and margin.
func preset(sensitivity string) (open, resolve, margin float64, ok bool) {
	switch sensitivity {
	case SensitivityLow:
		return 8, 2, 1.5, true
	case SensitivityNormal:
		return 6, 2, 1, true
	case SensitivityHigh:
		return 4.5, 1.5, 0.5, true
	}
	return 0, 0, 0, false
}

// SetDefaults fills the zero fields.
func (c *Config) SetDefaults() {
	if c.Sensitivity == "" {
		c.Sensitivity = SensitivityNormal
	}
	if open, resolve, margin, ok := preset(c.Sensitivity); ok {
		if c.Margin == 0 {
			c.Margin = margin
		}
		if c.OpenScore == 0 {
			c.OpenScore = open
		}
		if c.ResolveScore == 0 {
			c.ResolveScore = resolve
		}
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if len(c.Windows) == 0 {
		c.Windows = DefaultWindows()
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	setDur(&c.WarmUp, DefaultWarmUp)
	setDur(&c.LevelHalfLife, DefaultLevelHalfLife)
	setDur(&c.SeasonHalfLife, DefaultSeasonHalfLife)
	setDur(&c.ResolveAfter, DefaultResolveAfter)
	setDur(&c.AdaptAfter, DefaultAdaptAfter)
	setDur(&c.CalmDown, DefaultCalmDown)
	setDur(&c.ReopenWithin, DefaultReopenWithin)
	if c.MinMentions == 0 && !c.Continuous {
		c.MinMentions = DefaultMinMentions
	}
	for i := range c.ExpectedEvents {
		if c.ExpectedEvents[i].Factor == 0 {
			c.ExpectedEvents[i].Factor = DefaultExpectedFactor
		}
	}
}

func setDur(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Validate checks a config after SetDefaults; the error names the field.
func (c Config) Validate() error {
	if _, _, _, ok := preset(c.Sensitivity); !ok {
		return &ConfigError{"sensitivity", fmt.Sprintf("%q: want low, normal or high", c.Sensitivity)}
	}
	if !(c.OpenScore > 0) || c.OpenScore > maxScore {
		return &ConfigError{"open_score", fmt.Sprintf("%v: want a number in (0, %v]", c.OpenScore, maxScore)}
	}
	if !(c.ResolveScore > 0) || c.ResolveScore >= c.OpenScore {
		return &ConfigError{"resolve_score", fmt.Sprintf("%v: want a positive number below open_score (%v)", c.ResolveScore, c.OpenScore)}
	}
	if !(c.Margin >= 0) || c.Margin > maxScore {
		return &ConfigError{"margin", fmt.Sprintf("%v: want a number in [0, %v]", c.Margin, maxScore)}
	}
	if c.Step < time.Second {
		return &ConfigError{"step", fmt.Sprintf("%v: want at least 1s", c.Step)}
	}
	if len(c.Windows) > 16 {
		return &ConfigError{"windows", fmt.Sprintf("%d windows: want at most 16", len(c.Windows))}
	}
	for i, w := range c.Windows {
		if w <= 0 {
			return &ConfigError{fmt.Sprintf("windows[%d]", i), fmt.Sprintf("%v: want a positive duration", w)}
		}
		if w > 1000*c.Step {
			return &ConfigError{fmt.Sprintf("windows[%d]", i), fmt.Sprintf("%v: want at most 1000 steps (%v)", w, 1000*c.Step)}
		}
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return &ConfigError{"time_zone", fmt.Sprintf("%q: %v", c.TimeZone, err)}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"warm_up", c.WarmUp}, {"level_half_life", c.LevelHalfLife}, {"season_half_life", c.SeasonHalfLife},
		{"resolve_after", c.ResolveAfter}, {"adapt_after", c.AdaptAfter}, {"calm_down", c.CalmDown}, {"reopen_within", c.ReopenWithin},
	} {
		if d.v < 0 {
			return &ConfigError{d.name, fmt.Sprintf("%v: must not be negative", d.v)}
		}
	}
	if !(c.MinMentions >= 0) || math.IsInf(c.MinMentions, 0) {
		return &ConfigError{"min_mentions", fmt.Sprintf("%v: want a number >= 0", c.MinMentions)}
	}
	for i, e := range c.ExpectedEvents {
		f := fmt.Sprintf("expected_events[%d]", i)
		switch {
		case e.Start.IsZero():
			return &ConfigError{f + ".start", "is required"}
		case !e.End.After(e.Start):
			return &ConfigError{f + ".end", fmt.Sprintf("%s: must be after start (%s)", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))}
		case !(e.Factor >= 1) || math.IsInf(e.Factor, 0):
			return &ConfigError{f + ".factor", fmt.Sprintf("%v: want a number >= 1", e.Factor)}
		case strings.ContainsAny(e.Note, "\x00"):
			return &ConfigError{f + ".note", "contains a NUL byte"}
		}
	}
	return nil
}

// expectedFactor is the volume multiplier planned for t (1 when nothing is
// planned; the largest factor when windows overlap).
func (c *Config) expectedFactor(t time.Time) (float64, string) {
	f, note := 1.0, ""
	for _, e := range c.ExpectedEvents {
		if !t.Before(e.Start) && t.Before(e.End) && e.Factor > f {
			f, note = e.Factor, e.Note
		}
	}
	return f, note
}
