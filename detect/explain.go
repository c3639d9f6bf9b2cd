package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// summary writes the one-line explanation an on-call person reads, in
// French and English.
func (d *Detector) summary(e *Event, c *crisis) map[string]string {
	obs, exp := e.Observed, e.Expected
	win := e.Window
	var fr, en strings.Builder
	switch e.Status {
	case StatusResolved:
		dur := e.At.Sub(e.OpenedAt)
		fmt.Fprintf(&en, "%s: crisis over after %s, level back to normal for %s (peak severity %d/5, %s mentions in all).",
			e.Watch, durEN(dur), durEN(d.cfg.ResolveAfter), e.PeakSeverity, numEN(e.Mentions))
		fmt.Fprintf(&fr, "%s : crise terminée après %s, niveau normal depuis %s (gravité maximale %d/5, %s mentions au total).",
			e.Watch, durFR(dur), durFR(d.cfg.ResolveAfter), e.PeakSeverity, numFR(e.Mentions))
		return map[string]string{"en": en.String(), "fr": fr.String()}
	case StatusUpdate:
		fmt.Fprintf(&en, "%s: crisis now severity %d/5 — ", e.Watch, e.Severity)
		fmt.Fprintf(&fr, "%s : crise désormais de gravité %d/5 — ", e.Watch, e.Severity)
	default:
		fmt.Fprintf(&en, "%s: crisis opened, severity %d/5 — ", e.Watch, e.Severity)
		fmt.Fprintf(&fr, "%s : crise ouverte, gravité %d/5 — ", e.Watch, e.Severity)
	}
	verbEN, verbFR := "mentions", "mentions"
	if d.cfg.Continuous {
		verbEN, verbFR = "in all", "au total"
	}
	fmt.Fprintf(&en, "%s %s in the last %s, %s expected", numEN(obs), verbEN, durEN(win), numEN(exp))
	fmt.Fprintf(&fr, "%s %s en %s, %s attendues", numFR(obs), verbFR, durFR(win), numFR(exp))
	if exp > 0 && obs > 0 {
		r := obs / exp
		if c.Drop {
			fmt.Fprintf(&en, " (%s times fewer)", numEN(1/r))
			fmt.Fprintf(&fr, " (%s fois moins)", numFR(1/r))
		} else {
			fmt.Fprintf(&en, " (×%s)", numEN(r))
			fmt.Fprintf(&fr, " (×%s)", numFR(r))
		}
	}
	for _, s := range e.Signals {
		if s.Name == SignalNegativeShare && s.Score >= 2 {
			fmt.Fprintf(&en, ", %s%% negative (usually %s%%)", numEN(100*s.Observed), numEN(100*s.Expected))
			fmt.Fprintf(&fr, ", %s %% de négatif (d'habitude %s %%)", numFR(100*s.Observed), numFR(100*s.Expected))
		}
	}
	var words []string
	for _, t := range e.TopHashtags {
		words = append(words, "#"+t.Term)
		if len(words) == 2 {
			break
		}
	}
	for _, t := range e.TopTerms {
		if len(words) == 4 {
			break
		}
		words = append(words, t.Term)
	}
	if len(words) > 0 {
		fmt.Fprintf(&en, "; rising: %s", strings.Join(words, ", "))
		fmt.Fprintf(&fr, " ; en hausse : %s", strings.Join(words, ", "))
	}
	if len(e.TopSpreaders) > 0 {
		s := e.TopSpreaders[0]
		fmt.Fprintf(&en, "; top spreader @%s (%s followers)", s.Handle, numEN(float64(s.Followers)))
		fmt.Fprintf(&fr, " ; principal relais @%s (%s abonnés)", s.Handle, numFR(float64(s.Followers)))
	}
	if e.EmployeeShare >= 0.05 {
		fmt.Fprintf(&en, "; %s%% from employees", numEN(100*e.EmployeeShare))
		fmt.Fprintf(&fr, " ; %s %% venant de salariés", numFR(100*e.EmployeeShare))
	}
	if e.Drill {
		en.WriteString(" [DRILL]")
		fr.WriteString(" [EXERCICE]")
	}
	en.WriteString(".")
	fr.WriteString(".")
	return map[string]string{"en": en.String(), "fr": fr.String()}
}

// numEN formats a number for reading: 3 significant digits, k and M.
func numEN(x float64) string { return humanNum(x, ".", "k", "M") }

// numFR is numEN with a decimal comma and French units.
func numFR(x float64) string { return humanNum(x, ",", " k", " M") }

func humanNum(x float64, dot, k, mega string) string {
	if !finite(x) {
		return "?"
	}
	unit := ""
	switch ax := math.Abs(x); {
	case ax >= 1e6:
		x, unit = x/1e6, mega
	case ax >= 1e4:
		x, unit = x/1e3, k
	}
	var s string
	switch ax := math.Abs(x); {
	case ax >= 100 || x == math.Trunc(x):
		s = strconv.FormatFloat(math.Round(x), 'f', -1, 64)
	case ax >= 10:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(x, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return strings.Replace(s, ".", dot, 1) + unit
}

func durEN(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %02d", h, m)
}

func durFR(d time.Duration) string { return durEN(d) }
