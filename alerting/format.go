package alerting

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// nbsp separates thousands and units in French ("1 240", "12 %") and cannot
// be broken across lines.
const nbsp = "\u00a0"

// FormatCount writes a count the way people of lang read it: "1 240" in
// French, "1,240" in English.
func FormatCount(lang string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	digits := strconv.FormatInt(n, 10)
	sep := ","
	if lang == LangFrench {
		sep = nbsp
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatRatio writes how many times the normal level v is: "18", "2,5" in
// French, "2.5" in English (no unit: templates add "×" or "x").
func FormatRatio(lang string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	var s string
	if v >= 10 {
		s = FormatCount(lang, v)
	} else {
		s = strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
		if lang == LangFrench {
			s = strings.Replace(s, ".", ",", 1)
		}
	}
	return s
}

// FormatPercent writes a share in [0,1] as a percentage: "12 %", "12%".
func FormatPercent(lang string, share float64) string {
	p := FormatCount(lang, share*100)
	if lang == LangFrench {
		return p + nbsp + "%"
	}
	return p + "%"
}

// FormatDuration writes an elapsed time coarsely: "35 min", "1 h 20",
// "2 j 3 h" / "2 d 3 h".
func FormatDuration(lang string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	mins := int64(d.Round(time.Minute) / time.Minute)
	switch {
	case mins < 1:
		if lang == LangFrench {
			return "moins d’une minute"
		}
		return "less than a minute"
	case mins < 60:
		return fmt.Sprintf("%d%smin", mins, nbsp)
	case mins < 24*60:
		h, m := mins/60, mins%60
		if m == 0 {
			return fmt.Sprintf("%d%sh", h, nbsp)
		}
		return fmt.Sprintf("%d%sh%s%02d", h, nbsp, nbsp, m)
	}
	day := "d"
	if lang == LangFrench {
		day = "j"
	}
	dd, h := mins/(24*60), (mins%(24*60))/60
	if h == 0 {
		return fmt.Sprintf("%d%s%s", dd, nbsp, day)
	}
	return fmt.Sprintf("%d%s%s%s%d%sh", dd, nbsp, day, nbsp, h, nbsp)
}

// monthName is the short month name in lang.
func monthName(lang string, m time.Month) string {
	if lang == LangFrench {
		return [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}[m-1]
	}
	return [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[m-1]
}

// FormatClock writes t in loc as "14:05", with the date before it when t is
// not on the same day as ref: "5 oct. 14:05" / "5 Oct 14:05".
func FormatClock(lang string, t, ref time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	lt, lr := t.In(loc), ref.In(loc)
	hm := lt.Format("15:04")
	if lt.Year() == lr.Year() && lt.YearDay() == lr.YearDay() {
		return hm
	}
	month := monthName(lang, lt.Month())
	date := fmt.Sprintf("%d%s%s", lt.Day(), nbsp, month)
	if lt.Year() != lr.Year() {
		date += nbsp + strconv.Itoa(lt.Year())
	}
	return date + " " + hm
}

// FormatDateTime writes t in loc with its date and zone: "5 oct. 2015 14:05
// CEST".
func FormatDateTime(lang string, t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	month := monthName(lang, lt.Month())
	return fmt.Sprintf("%d%s%s%s%d %s %s", lt.Day(), nbsp, month, nbsp, lt.Year(), lt.Format("15:04"), lt.Format("MST"))
}

// Truncate cuts s to at most n runes, ending with "…" when it cuts.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n-1 {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}
