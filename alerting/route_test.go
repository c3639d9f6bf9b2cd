package alerting

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const routingPolicy = `
location: Europe/Paris
time_intervals:
  - name: office-hours
    windows:
      - weekdays: ["monday:friday"]
        start: "09:00"
        end: "18:30"
  - name: nights
    windows:
      - start: "19:00"
        end: "08:00"
route:
  receivers: [default]
  routes:
    - name: pager
      kinds: [crisis]
      min_severity: 4
      receivers: [pagerduty]
      continue: true
    - name: crisis-office
      kinds: [crisis]
      active_time_intervals: [office-hours]
      receivers: [cm-slack]
    - name: crisis-off-hours
      kinds: [crisis]
      receivers: [cm-telegram]
    - name: charter-fr
      kinds: [charter]
      langs: [fr]
      receivers: [vigilance-fr]
      routes:
        - watches: ["competitor-*"]
          receivers: [competition-cell]
        - min_severity: 5
          escalation:
            - after: 10m
              receivers: [dpo-email]
    - name: nights
      kinds: [gap, health]
      active_time_intervals: [nights]
      receivers: [ops-pager]
`

func TestRouterMatch(t *testing.T) {
	cfg, err := LoadConfig(strings.NewReader(routingPolicy))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	mondayNoon := time.Date(2026, 3, 9, 12, 0, 0, 0, paris)
	saturdayNoon := time.Date(2026, 3, 14, 12, 0, 0, 0, paris)
	mondayEvening := time.Date(2026, 3, 9, 18, 30, 0, 0, paris) // end is exclusive
	sundayNight := time.Date(2026, 3, 15, 23, 30, 0, 0, paris)
	mondayDawn := time.Date(2026, 3, 16, 7, 59, 0, 0, paris) // the night that started on Sunday
	mondayMorning := time.Date(2026, 3, 16, 8, 0, 0, 0, paris)
	// 07:30 UTC is 09:30 in Paris in summer (CEST) but 08:30 in winter.
	summerUTC := time.Date(2026, 7, 6, 7, 30, 0, 0, time.UTC)
	winterUTC := time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)

	cases := []struct {
		name      string
		n         Notification
		at        time.Time
		receivers []string
		esc       int
	}{
		{"crisis office hours", Notification{Kind: KindCrisis, Severity: 3}, mondayNoon, []string{"cm-slack"}, 0},
		{"crisis weekend", Notification{Kind: KindCrisis, Severity: 3}, saturdayNoon, []string{"cm-telegram"}, 0},
		{"crisis end of day exclusive", Notification{Kind: KindCrisis, Severity: 3}, mondayEvening, []string{"cm-telegram"}, 0},
		{"severe crisis continues", Notification{Kind: KindCrisis, Severity: 4}, mondayNoon, []string{"pagerduty", "cm-slack"}, 0},
		{"severe crisis weekend", Notification{Kind: KindCrisis, Severity: 5}, saturdayNoon, []string{"pagerduty", "cm-telegram"}, 0},
		{"charter fr", Notification{Kind: KindCharter, Severity: 3, Lang: "fr", Watch: "own"}, mondayNoon, []string{"vigilance-fr"}, 0},
		{"charter fr competitor", Notification{Kind: KindCharter, Severity: 3, Lang: "fr", Watch: "competitor-sncf"}, mondayNoon, []string{"competition-cell"}, 0},
		{"charter fr critical inherits receivers", Notification{Kind: KindCharter, Severity: 5, Lang: "fr", Watch: "own"}, mondayNoon, []string{"vigilance-fr"}, 1},
		{"charter en to default", Notification{Kind: KindCharter, Severity: 5, Lang: "en"}, mondayNoon, []string{"default"}, 0},
		{"gap at night", Notification{Kind: KindGap, Severity: 2}, sundayNight, []string{"ops-pager"}, 0},
		{"gap at dawn", Notification{Kind: KindGap, Severity: 2}, mondayDawn, []string{"ops-pager"}, 0},
		{"gap in the morning", Notification{Kind: KindGap, Severity: 2}, mondayMorning, []string{"default"}, 0},
		{"summer time", Notification{Kind: KindCrisis, Severity: 3}, summerUTC, []string{"cm-slack"}, 0},
		{"winter time", Notification{Kind: KindCrisis, Severity: 3}, winterUTC, []string{"cm-telegram"}, 0},
		{"test message", Notification{Kind: KindTest, Severity: 1}, mondayNoon, []string{"default"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := r.Match(&c.n, c.at)
			if !slices.Equal(p.Receivers, c.receivers) || len(p.Escalation) != c.esc {
				t.Errorf("Match = %v (escalation %d, routes %v), want %v (escalation %d)", p.Receivers, len(p.Escalation), p.Routes, c.receivers, c.esc)
			}
		})
	}
}

func TestConfigValidationNamesTheKey(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown key", "route:\n  receivers: [a]\n  reciever: b\n", "line 3: field reciever not found"},
		{"no route", "cooldown: 5m\n", "route: missing"},
		{"root matcher", "route:\n  receivers: [a]\n  kinds: [crisis]\n", "root route matches everything"},
		{"root without receivers", "route:\n  routes:\n    - receivers: [a]\n", "route.receivers"},
		{"bad severity", "route:\n  receivers: [a]\n  routes:\n    - receivers: [b]\n    - min_severity: 7\n", "route.routes[1].min_severity: 7 is not between 1 and 5"},
		{"bad kind", "route:\n  receivers: [a]\n  routes:\n    - kinds: [crisis, buzz]\n", `route.routes[0].kinds[1]: "buzz"`},
		{"bad lang", "route:\n  receivers: [a]\n  routes:\n    - langs: [de]\n", `route.routes[0].langs[0]: "de" is not fr or en`},
		{"unknown interval", "route:\n  receivers: [a]\n  routes:\n    - active_time_intervals: [weekend]\n", `route.routes[0].active_time_intervals[0]: "weekend" is not defined`},
		{"bad escalation", "route:\n  receivers: [a]\n  escalation:\n    - receivers: [b]\n", "route.escalation[0].after: must be a positive duration"},
		{"bad duration", "cooldown: soon\nroute:\n  receivers: [a]\n", `"soon" is not a duration`},
		{"bad weekday", "time_intervals:\n  - name: x\n    windows:\n      - weekdays: [lundi]\nroute:\n  receivers: [a]\n", `time_intervals[0].windows[0].weekdays[0]: "lundi"`},
		{"bad time", "time_intervals:\n  - name: x\n    windows:\n      - start: \"9h\"\n        end: \"18:00\"\nroute:\n  receivers: [a]\n", `time_intervals[0].windows[0].start: "9h"`},
		{"bad zone", "location: Mars/Olympus\nroute:\n  receivers: [a]\n", `location: "Mars/Olympus"`},
		{"bad ratio", "significant_ratio: 0.5\nroute:\n  receivers: [a]\n", "significant_ratio: 0.5 must be at least 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(c.yaml))
			if err == nil {
				t.Fatalf("LoadConfig accepted %q", c.yaml)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want ErrConfig containing %q", err, c.want)
			}
		})
	}
}

func TestConfigDefaultsAndReceivers(t *testing.T) {
	cfg, err := LoadConfig(strings.NewReader("route:\n  receivers: [a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Location != "Europe/Paris" || cfg.DefaultLang != "fr" || cfg.Cooldown.D() != 15*time.Minute || cfg.SignificantRatio != 1.5 || cfg.Retention.D() != 24*time.Hour {
		t.Errorf("defaults = %+v", cfg)
	}
	bad := []struct {
		receivers []ReceiverSettings
		want      string
	}{
		{[]ReceiverSettings{{Name: "b"}}, `route.receivers[0]: unknown receiver "a"`},
		{[]ReceiverSettings{{Name: "a"}, {Name: "a"}}, `receivers[1].name: "a" is defined twice`},
		{[]ReceiverSettings{{Name: "a", Lang: "es"}}, `receivers[0].lang: "es"`},
		{[]ReceiverSettings{{Name: "a", RateLimit: &RateLimit{Max: 0, Per: Duration(time.Hour)}}}, "receivers[0].rate_limit.max"},
		{[]ReceiverSettings{{Name: "a", RateLimit: &RateLimit{Max: 3}}}, "receivers[0].rate_limit.per"},
	}
	for _, b := range bad {
		if err := cfg.Validate(b.receivers); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%+v) = %v, want %q", b.receivers, err, b.want)
		}
	}
	if err := cfg.Validate([]ReceiverSettings{{Name: "a", Lang: "en", RateLimit: &RateLimit{Max: 3, Per: Duration(time.Hour)}}}); err != nil {
		t.Errorf("Validate of a good receiver: %v", err)
	}
}
