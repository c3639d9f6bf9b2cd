package alerting

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Route is one node of the routing tree, as in Alertmanager: a node matches
// a notification when all its matchers do; its children are tried in order
// and the first that matches wins, unless it has continue: true; when no
// child matches, the node itself is the match. Receivers and escalation are
// inherited from the parent when not set.
type Route struct {
	Name string `yaml:"name,omitempty" json:"name,omitempty"` // for logs

	// Matchers: all that are set must match.
	Kinds               []string `yaml:"kinds,omitempty" json:"kinds,omitempty"`                                 // crisis, charter, gap, health, test
	Watches             []string `yaml:"watches,omitempty" json:"watches,omitempty"`                             // watch ids, with * and ? wildcards
	MinSeverity         int      `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`                   // 1..5: severity >= this
	Langs               []string `yaml:"langs,omitempty" json:"langs,omitempty"`                                 // the event's language
	ActiveTimeIntervals []string `yaml:"active_time_intervals,omitempty" json:"active_time_intervals,omitempty"` // names from time_intervals: match only inside one of them

	Receivers  []string         `yaml:"receivers,omitempty" json:"receivers,omitempty"`
	Escalation []EscalationStep `yaml:"escalation,omitempty" json:"escalation,omitempty"`
	Continue   bool             `yaml:"continue,omitempty" json:"continue,omitempty"`
	Routes     []*Route         `yaml:"routes,omitempty" json:"routes,omitempty"`
}

// EscalationStep notifies more receivers when nobody has acknowledged a
// thread After the previous level was notified.
type EscalationStep struct {
	After     Duration `yaml:"after" json:"after"`
	Receivers []string `yaml:"receivers" json:"receivers"`
}

// Plan is where a notification goes: Receivers at once, then each
// escalation step in turn until someone acknowledges.
type Plan struct {
	Routes     []string         `json:"routes,omitempty"` // names of the matched routes, for logs
	Receivers  []string         `json:"receivers"`
	Escalation []EscalationStep `json:"escalation,omitempty"`
}

// Router evaluates the routing tree. It is immutable and safe for concurrent
// use.
type Router struct {
	root      *Route
	intervals map[string]*compiledInterval
}

// NewRouter compiles a validated Config's routes and time intervals.
func NewRouter(c *Config) (*Router, error) {
	if c.Route == nil {
		return nil, fmt.Errorf("%w: route: missing", ErrConfig)
	}
	r := &Router{root: c.Route, intervals: map[string]*compiledInterval{}}
	for i := range c.TimeIntervals {
		ti := &c.TimeIntervals[i]
		if ti.Location == "" {
			ti.Location = c.Location
		}
		ci, err := ti.compile()
		if err != nil {
			return nil, fmt.Errorf("%w: time_intervals[%d]%w", ErrConfig, i, err)
		}
		r.intervals[ti.Name] = ci
	}
	return r, nil
}

// Match returns the plan for n at now. The root route always matches, so
// the plan has at least the default receivers.
func (r *Router) Match(n *Notification, now time.Time) Plan {
	leaves, _ := r.walk(r.root, n, now, nil, nil)
	var p Plan
	for _, l := range leaves {
		if l.name != "" {
			p.Routes = append(p.Routes, l.name)
		}
		for _, rc := range l.receivers {
			if !slices.Contains(p.Receivers, rc) {
				p.Receivers = append(p.Receivers, rc)
			}
		}
		if p.Escalation == nil && len(l.escalation) > 0 {
			p.Escalation = l.escalation
		}
	}
	return p
}

type leaf struct {
	name       string
	receivers  []string
	escalation []EscalationStep
}

func (r *Router) walk(rt *Route, n *Notification, now time.Time, receivers []string, esc []EscalationStep) ([]leaf, bool) {
	if !r.matches(rt, n, now) {
		return nil, false
	}
	if len(rt.Receivers) > 0 {
		receivers = rt.Receivers
	}
	if len(rt.Escalation) > 0 {
		esc = rt.Escalation
	}
	var out []leaf
	for _, child := range rt.Routes {
		got, ok := r.walk(child, n, now, receivers, esc)
		if !ok {
			continue
		}
		out = append(out, got...)
		if !child.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []leaf{{name: rt.Name, receivers: receivers, escalation: esc}}
	}
	return out, true
}

func (r *Router) matches(rt *Route, n *Notification, now time.Time) bool {
	if len(rt.Kinds) > 0 && !slices.Contains(rt.Kinds, n.Kind) {
		return false
	}
	if rt.MinSeverity > 0 && n.Severity < rt.MinSeverity {
		return false
	}
	if len(rt.Langs) > 0 && !slices.Contains(rt.Langs, n.Lang) {
		return false
	}
	if len(rt.Watches) > 0 && !slices.ContainsFunc(rt.Watches, func(p string) bool {
		ok, err := path.Match(p, n.Watch)
		return err == nil && ok
	}) {
		return false
	}
	if len(rt.ActiveTimeIntervals) > 0 && !slices.ContainsFunc(rt.ActiveTimeIntervals, func(name string) bool {
		ci := r.intervals[name]
		return ci != nil && ci.contains(now)
	}) {
		return false
	}
	return true
}

func (rt *Route) hasMatchers() bool {
	return len(rt.Kinds) > 0 || len(rt.Watches) > 0 || rt.MinSeverity != 0 || len(rt.Langs) > 0 || len(rt.ActiveTimeIntervals) > 0
}

func (rt *Route) validate(at string, intervals, receivers map[string]bool) error {
	for i, k := range rt.Kinds {
		if !validKind(k) || k == KindDigest {
			return fmt.Errorf("%w: %s.kinds[%d]: %q is not one of crisis, charter, gap, health, test", ErrConfig, at, i, k)
		}
	}
	if rt.MinSeverity != 0 && (rt.MinSeverity < 1 || rt.MinSeverity > 5) {
		return fmt.Errorf("%w: %s.min_severity: %d is not between 1 and 5", ErrConfig, at, rt.MinSeverity)
	}
	for i, l := range rt.Langs {
		if l != LangFrench && l != LangEnglish {
			return fmt.Errorf("%w: %s.langs[%d]: %q is not fr or en", ErrConfig, at, i, l)
		}
	}
	for i, w := range rt.Watches {
		if _, err := path.Match(w, ""); err != nil || w == "" {
			return fmt.Errorf("%w: %s.watches[%d]: %q is not a valid pattern", ErrConfig, at, i, w)
		}
	}
	for i, name := range rt.ActiveTimeIntervals {
		if !intervals[name] {
			return fmt.Errorf("%w: %s.active_time_intervals[%d]: %q is not defined in time_intervals", ErrConfig, at, i, name)
		}
	}
	if err := checkReceivers(at+".receivers", rt.Receivers, receivers); err != nil {
		return err
	}
	for i, step := range rt.Escalation {
		p := fmt.Sprintf("%s.escalation[%d]", at, i)
		if step.After <= 0 {
			return fmt.Errorf("%w: %s.after: must be a positive duration like 15m", ErrConfig, p)
		}
		if len(step.Receivers) == 0 {
			return fmt.Errorf("%w: %s.receivers: at least one receiver is needed", ErrConfig, p)
		}
		if err := checkReceivers(p+".receivers", step.Receivers, receivers); err != nil {
			return err
		}
	}
	for i, child := range rt.Routes {
		if child == nil {
			return fmt.Errorf("%w: %s.routes[%d]: empty route", ErrConfig, at, i)
		}
		if err := child.validate(fmt.Sprintf("%s.routes[%d]", at, i), intervals, receivers); err != nil {
			return err
		}
	}
	return nil
}

func checkReceivers(at string, names []string, known map[string]bool) error {
	for i, name := range names {
		if name == "" {
			return fmt.Errorf("%w: %s[%d]: empty receiver name", ErrConfig, at, i)
		}
		if known != nil && !known[name] {
			return fmt.Errorf("%w: %s[%d]: unknown receiver %q", ErrConfig, at, i, name)
		}
	}
	return nil
}

// TimeInterval is a named set of weekly windows, in a time zone.
type TimeInterval struct {
	Name     string       `yaml:"name" json:"name"`
	Location string       `yaml:"location,omitempty" json:"location,omitempty"` // default Config.Location
	Windows  []TimeWindow `yaml:"windows" json:"windows"`
}

// TimeWindow is a time of day range on some weekdays. An end before the
// start crosses midnight (19:00–08:00 is the night that starts on each
// listed day). Empty weekdays: every day; empty start and end: all day.
type TimeWindow struct {
	Weekdays []string `yaml:"weekdays,omitempty" json:"weekdays,omitempty"` // "monday", "monday:friday"
	Start    string   `yaml:"start,omitempty" json:"start,omitempty"`       // "09:00"
	End      string   `yaml:"end,omitempty" json:"end,omitempty"`           // "18:30", "24:00"
}

type compiledInterval struct {
	loc     *time.Location
	windows []compiledWindow
}

type compiledWindow struct {
	days       [7]bool
	start, end int // minutes from midnight; end may be 1440
}

func weekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.ToLower(d.String()) == name {
			return d, true
		}
	}
	return 0, false
}

// compile checks the interval; errors start with the key (".windows[0].start").
func (ti *TimeInterval) compile() (*compiledInterval, error) {
	if ti.Name == "" {
		return nil, errors.New(".name: required")
	}
	loc, err := time.LoadLocation(ti.Location)
	if err != nil {
		return nil, fmt.Errorf(".location: %q is not a known time zone", ti.Location)
	}
	if len(ti.Windows) == 0 {
		return nil, errors.New(".windows: at least one window is needed")
	}
	ci := &compiledInterval{loc: loc}
	for i, w := range ti.Windows {
		p := fmt.Sprintf(".windows[%d]", i)
		var cw compiledWindow
		if len(w.Weekdays) == 0 {
			cw.days = [7]bool{true, true, true, true, true, true, true}
		}
		for j, spec := range w.Weekdays {
			from, to, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(spec)), ":")
			a, okA := weekday(from)
			b, okB := a, okA
			if isRange {
				b, okB = weekday(to)
			}
			if !okA || !okB {
				return nil, fmt.Errorf("%s.weekdays[%d]: %q is not a weekday like monday or a range like monday:friday", p, j, spec)
			}
			for d := a; ; d = (d + 1) % 7 {
				cw.days[d] = true
				if d == b {
					break
				}
			}
		}
		switch {
		case w.Start == "" && w.End == "":
			cw.start, cw.end = 0, 24*60
		case w.Start == "" || w.End == "":
			return nil, fmt.Errorf("%s: start and end go together", p)
		default:
			if cw.start, err = parseClock(w.Start); err != nil || cw.start == 24*60 {
				return nil, fmt.Errorf("%s.start: %q is not a time like 09:00", p, w.Start)
			}
			if cw.end, err = parseClock(w.End); err != nil {
				return nil, fmt.Errorf("%s.end: %q is not a time like 18:30 or 24:00", p, w.End)
			}
			if cw.start == cw.end {
				return nil, fmt.Errorf("%s: start and end are equal; leave both out for the whole day", p)
			}
		}
		ci.windows = append(ci.windows, cw)
	}
	return ci, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, errors.New("bad time")
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil {
		return 0, err
	}
	if h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, errors.New("bad time")
	}
	return h*60 + m, nil
}

func (ci *compiledInterval) contains(t time.Time) bool {
	lt := t.In(ci.loc)
	minute := lt.Hour()*60 + lt.Minute()
	day := lt.Weekday()
	prev := (day + 6) % 7
	for _, w := range ci.windows {
		if w.start < w.end {
			if w.days[day] && minute >= w.start && minute < w.end {
				return true
			}
			continue
		}
		// Crosses midnight: the evening of a listed day or the morning after it.
		if (w.days[day] && minute >= w.start) || (w.days[prev] && minute < w.end) {
			return true
		}
	}
	return false
}
