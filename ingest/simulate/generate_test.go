package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// monday is a Monday, 11:00 in Paris: the wall-clock start of the crisis
// scenarios (onset 09:30 Paris with the default 90m).
var monday = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// generated runs generate and keeps every post with its label.
func generated(t testing.TB, cfg Config, from, to time.Time) []post {
	t.Helper()
	var out []post
	if err := generate(cfg, from, to, func(p *post) error { out = append(out, *p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("nothing generated")
	}
	return out
}

// quietWeek is a week of history without crisis.
func quietWeek(t testing.TB) (Config, []post) {
	cfg := Demo()
	cfg.Crisis = nil
	cfg.SetDefaults()
	return cfg, generated(t, cfg, monday.Add(-7*24*time.Hour), monday)
}

// crisisWeek is a week of history, then the crisis to 70 minutes after
// its onset.
func crisisWeek(t testing.TB) (Config, time.Time, []post) {
	cfg := Demo()
	cfg.SetDefaults()
	onset := monday.Add(-cfg.Crisis.OnsetBeforeNow)
	return cfg, onset, generated(t, cfg, monday.Add(-168*time.Hour), onset.Add(70*time.Minute))
}

func TestDeterministic(t *testing.T) {
	cfg := Demo()
	from, to := monday.Add(-3*time.Hour), monday.Add(30*time.Minute)
	encode := func(cfg Config) []byte {
		var buf bytes.Buffer
		if err := Generate(cfg, from, to, func(m *mention.Mention) error {
			return json.NewEncoder(&buf).Encode(m)
		}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := encode(cfg), encode(cfg)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two runs with seed %d differ (%d and %d bytes)", cfg.Seed, len(a), len(b))
	}
	cfg.Seed++
	if c := encode(cfg); bytes.Equal(a, c) {
		t.Fatal("another seed gave the same posts")
	}
}

func TestDailyAndWeeklyRhythm(t *testing.T) {
	_, posts := quietWeek(t)
	var byHour [24]int
	byDay := map[time.Weekday]int{}
	for _, p := range posts {
		local := paris(p.m.CreatedAt)
		byHour[local.Hour()]++
		byDay[local.Weekday()]++
	}
	night := byHour[2] + byHour[3] + byHour[4]
	midday := byHour[11] + byHour[12] + byHour[13]
	evening := byHour[19] + byHour[20] + byHour[21]
	if night*4 > midday || night*4 > evening {
		t.Errorf("posts 02-05h: %d, 11-14h: %d, 19-22h: %d; want the night far quieter", night, midday, evening)
	}
	if lull := byHour[15] + byHour[16]; float64(lull) > 0.9*float64(byHour[12]+byHour[20]) {
		t.Errorf("no afternoon lull: 15-17h %d against peaks %d, %d", lull, byHour[12], byHour[20])
	}
	t.Logf("posts per Paris hour over a quiet week: %v", byHour)
	weekend := float64(byDay[time.Saturday]+byDay[time.Sunday]) / 2
	weekdays := float64(byDay[time.Tuesday]+byDay[time.Wednesday]+byDay[time.Thursday]) / 3
	if weekend > 0.8*weekdays {
		t.Errorf("a weekend day has %.0f posts, a weekday %.0f: want a quieter weekend", weekend, weekdays)
	}
}

func TestCrisisVolumeAndTone(t *testing.T) {
	cfg, onset, posts := crisisWeek(t)
	brand := 0 // airfrance
	winFrom, winTo := onset.Add(55*time.Minute), onset.Add(65*time.Minute)
	var crisisCount, negatives int
	quiet := map[int]int{} // days before onset -> posts in the same clock window
	for _, p := range posts {
		if p.brand != brand {
			continue
		}
		at := p.m.CreatedAt
		if !at.Before(winFrom) && at.Before(winTo) {
			crisisCount++
			if p.tone == negative {
				negatives++
			}
			continue
		}
		for d := 1; d <= 7; d++ {
			day := onset.AddDate(0, 0, -d)
			if wd := paris(day).Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			shift := time.Duration(d) * 24 * time.Hour
			if !at.Before(winFrom.Add(-shift)) && at.Before(winTo.Add(-shift)) {
				quiet[d]++
			}
		}
	}
	var quietSum int
	for _, n := range quiet {
		quietSum += n
	}
	if len(quiet) < 4 {
		t.Fatalf("only %d quiet weekdays to compare with", len(quiet))
	}
	quietMean := float64(quietSum) / float64(len(quiet))
	if float64(crisisCount) < 10*quietMean {
		t.Errorf("%s: %d posts in 10 minutes 1h after onset, quiet weekdays average %.1f: want at least 10x",
			cfg.Brands[brand].ID, crisisCount, quietMean)
	}
	t.Logf("1h after onset: %d posts in 10 min vs %.1f on quiet weekdays (x%.1f), %.0f%% negative",
		crisisCount, quietMean, float64(crisisCount)/quietMean, 100*float64(negatives)/float64(crisisCount))
	if share := float64(negatives) / float64(crisisCount); share <= 0.5 {
		t.Errorf("negative share 1h after onset = %.2f, want above 0.5", share)
	}
}

func TestCrisisShape(t *testing.T) {
	cfg, onset, posts := crisisWeek(t)
	tags := cfg.Crisis.Hashtags
	var before, after, media, earlyMedia, quietReposts, quietN, peakReposts, peakN int
	for _, p := range posts {
		text := strings.ToLower(p.m.Text)
		has := false
		for _, tag := range tags {
			if strings.Contains(text, tag) || contains(p.m.Hashtags, tag[1:]) {
				has = true
			}
		}
		if p.m.CreatedAt.Before(onset) {
			if has || p.crisis {
				t.Errorf("crisis post before the onset: %s %q", p.m.CreatedAt, p.m.Text)
			}
			if p.brand == 0 {
				quietN++
				if p.m.RepostOf != "" {
					quietReposts++
				}
			}
			before++
			continue
		}
		if has {
			after++
		}
		if p.m.Author.Followers >= 500_000 && p.kind == kindMedia {
			media++
			if p.m.CreatedAt.Before(onset.Add(cfg.Crisis.Ramp / 2)) {
				earlyMedia++
			}
		}
		if p.brand == 0 && p.m.CreatedAt.After(onset.Add(45*time.Minute)) {
			peakN++
			if p.m.RepostOf != "" {
				peakReposts++
			}
		}
	}
	if after < 100 {
		t.Errorf("%d posts carry the crisis hashtags after the onset, want many", after)
	}
	if earlyMedia < 3 {
		t.Errorf("%d big media posts in the first half of the ramp (of %d), want at least 3", earlyMedia, media)
	}
	q, p := float64(quietReposts)/float64(quietN), float64(peakReposts)/float64(peakN)
	t.Logf("repost share %.2f quiet, %.2f from 45 min after onset; %d media posts, %d early", q, p, media, earlyMedia)
	if p < 2*q {
		t.Errorf("repost share %.2f at the peak, %.2f when quiet: want reposts to grow", p, q)
	}
	if before == 0 {
		t.Error("no history before the onset")
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestEveryPostValid checks every post of a crisis week: Normalize has
// nothing to repair, the brand is named, references point to earlier
// posts, nothing reserved to analysis is set.
func TestEveryPostValid(t *testing.T) {
	cfg, _, posts := crisisWeek(t)
	now := posts[len(posts)-1].m.CreatedAt
	seen := map[string]bool{}
	employees := map[string]bool{}
	for _, e := range cfg.Employees {
		employees[e.ID] = true
	}
	var kinds [kindEmployee + 1]int
	var replies, quotes, relaysOfOfficial int
	for i, p := range posts {
		m := p.m
		before, _ := json.Marshal(m)
		if err := mention.Normalize(m, mention.Limits{}, now); err != nil {
			t.Fatalf("post %d: %v: %s", i, err, before)
		}
		if after, _ := json.Marshal(m); !bytes.Equal(before, after) {
			t.Fatalf("Normalize changed post %d:\n%s\n%s", i, before, after)
		}
		if seen[m.ID] {
			t.Fatalf("duplicate id %s", m.ID)
		}
		if m.Source != SourceName || !strings.HasPrefix(m.ID, "simulate:") || m.URL == "" || m.Author.Handle == "" {
			t.Fatalf("post %d lacks identity: %s", i, before)
		}
		if i > 0 && m.CreatedAt.Before(posts[i-1].m.CreatedAt) {
			t.Fatalf("post %d is older than the one before it", i)
		}
		if m.CollectedAt.Before(m.CreatedAt) {
			t.Fatalf("post %d collected before it was created", i)
		}
		if m.Watches != nil || m.Sentiment != nil || m.Charter != nil || !m.AnalyzedAt.IsZero() {
			t.Fatalf("post %d has analysis fields set: %s", i, before)
		}
		if !namesBrand(m.Text, cfg.Brands[p.brand]) {
			t.Fatalf("post %d about %s does not name it: %q", i, cfg.Brands[p.brand].ID, m.Text)
		}
		for _, ref := range []string{m.RepostOf, m.QuoteOf, m.ReplyTo} {
			if ref != "" && !seen[ref] {
				t.Fatalf("post %d refers to %s, not generated before it", i, ref)
			}
		}
		if (p.kind == kindEmployee) != (m.Author.EmployeeID != "") || m.Author.EmployeeID != "" && !employees[m.Author.EmployeeID] {
			t.Fatalf("post %d: kind %d with employee id %q", i, p.kind, m.Author.EmployeeID)
		}
		if strings.Contains(m.Text, "{") || strings.Contains(m.Text, "  ") {
			t.Fatalf("post %d has a template leftover: %q", i, m.Text)
		}
		if m.ReplyTo != "" {
			replies++
		}
		if m.QuoteOf != "" {
			quotes++
		}
		if p.kind == kindEmployee && (m.RepostOf != "" || m.QuoteOf != "") {
			relaysOfOfficial++
		}
		kinds[p.kind]++
		seen[m.ID] = true
	}
	for k, n := range kinds {
		if n == 0 {
			t.Errorf("no post of kind %d in a week", k)
		}
	}
	if replies == 0 || quotes == 0 || relaysOfOfficial == 0 {
		t.Errorf("replies %d, quotes %d, employee relays %d: want some of each", replies, quotes, relaysOfOfficial)
	}
}

func namesBrand(text string, b Brand) bool {
	text = strings.ToLower(text)
	if strings.Contains(text, strings.ToLower(b.Name)) {
		return true
	}
	for _, a := range b.Aliases {
		if strings.Contains(text, strings.ToLower(a)) {
			return true
		}
	}
	return false
}

func TestLanguagesAndQuietMix(t *testing.T) {
	_, posts := quietWeek(t)
	langs := map[string]int{}
	var tones [nTones]int
	originals := 0
	texts := map[string]bool{}
	for _, p := range posts {
		langs[p.m.Lang]++
		if p.kind == kindPublic {
			tones[p.tone]++
			originals++
			texts[p.m.Text] = true
		}
	}
	fr := float64(langs["fr"]) / float64(langs["fr"]+langs["en"])
	if langs["en"] == 0 || fr < 0.5 || fr > 0.7 {
		t.Errorf("languages %v: want both, about 60%% French", langs)
	}
	for _, c := range []struct {
		tone tone
		want float64
	}{{neutral, 0.55}, {positive, 0.25}, {negative, 0.20}} {
		if got := float64(tones[c.tone]) / float64(originals); math.Abs(got-c.want) > 0.03 {
			t.Errorf("tone %d share %.3f, want %.2f ± 0.03", c.tone, got, c.want)
		}
	}
	t.Logf("%d posts, languages %v, %d originals, %.1f%% distinct, tones %v", len(posts), langs, originals,
		100*float64(len(texts))/float64(originals), tones)
	if distinct := float64(len(texts)) / float64(originals); distinct < 0.9 {
		t.Errorf("only %.0f%% of %d original posts are distinct", 100*distinct, originals)
	}
}

func TestGenerateArguments(t *testing.T) {
	cfg := Demo()
	ok := func(*mention.Mention) error { return nil }
	for name, err := range map[string]error{
		"empty window": Generate(cfg, monday, monday, ok),
		"nil func":     Generate(cfg, monday, monday.Add(time.Hour), nil),
		"bad config":   Generate(Config{}, monday, monday.Add(time.Hour), ok),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	boom := fmt.Errorf("disk full")
	n := 0
	err := Generate(cfg, monday, monday.Add(time.Hour), func(*mention.Mention) error {
		if n++; n == 3 {
			return boom
		}
		return nil
	})
	if err != boom || n != 3 {
		t.Errorf("Generate stopped after %d posts with %v, want after 3 with the callback's error", n, err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Demo()
	from := monday.Add(-24 * time.Hour)
	var n int
	b.ReportAllocs()
	for b.Loop() {
		if err := Generate(cfg, from, monday.Add(2*time.Hour), func(*mention.Mention) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}

func BenchmarkNewGenerator(b *testing.B) {
	cfg := Demo()
	cfg.SetDefaults()
	b.ReportAllocs()
	for b.Loop() {
		newGenerator(cfg, monday)
	}
}
