package analysis_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// thousandWatches: the three demo brands and 997 other realistic watches.
func thousandWatches() []watch.Spec {
	specs := []watch.Spec{
		{ID: "airfrance", Name: "Air France", Kind: watch.KindBrand, Query: `"air france" OR #airfrance OR @airfrance`},
		{ID: "lufthansa", Name: "Lufthansa", Kind: watch.KindCompetitor, Query: `lufthansa OR #lufthansa`},
		{ID: "easyjet", Name: "easyJet", Kind: watch.KindCompetitor, Query: `easyjet OR #easyjet`},
	}
	words := []string{"banque", "telecom", "assurance", "mutuelle", "energie", "auto", "retail", "mode", "cosmetique", "rail"}
	for i := len(specs); i < 1000; i++ {
		w := words[i%len(words)]
		q := fmt.Sprintf(`"%s %d" OR #%s%d OR (%s%d AND (grève OR strike) AND NOT promo*)`, w, i, w, i, w, i)
		specs = append(specs, watch.Spec{ID: fmt.Sprintf("w%d", i), Name: fmt.Sprintf("%s %d", w, i), Kind: watch.KindTopic, Query: q})
	}
	return specs
}

var errEnough = errors.New("enough")

func posts(tb testing.TB, n int) []*mention.Mention {
	cfg := simulate.Demo()
	var out []*mention.Mention
	end := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	err := simulate.Generate(cfg, end.Add(-cfg.History-3*time.Hour), end, func(m *mention.Mention) error {
		out = append(out, m)
		if len(out) == n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		tb.Fatal(err)
	}
	return out
}

func newAnalyzer(tb testing.TB) *analysis.Analyzer {
	w, err := watch.Compile(thousandWatches())
	if err != nil {
		tb.Fatal(err)
	}
	a, err := analysis.NewAnalyzer(w, []analysis.Entity{{Name: "Roissy", Aliases: []string{"CDG"}}},
		analysis.CharterConfig{ConfidentialTerms: []string{"Projet Colibri"}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestAnalyzeFillsEverything(t *testing.T) {
	a := newAnalyzer(t)
	ms := posts(t, 3000)
	var langs, matched, employees, flagged, negatives int
	for _, m := range ms {
		a.Analyze(m)
		if m.Sentiment == nil || m.Sentiment.Score < -1 || m.Sentiment.Score > 1 {
			t.Fatalf("sentiment %+v for %q", m.Sentiment, m.Text)
		}
		if m.Lang != "" {
			langs++
		}
		if len(m.Watches) > 0 {
			matched++
		}
		if m.IsEmployee() {
			employees++
			if len(m.Charter) > 0 {
				flagged++
			}
		} else if len(m.Charter) > 0 {
			t.Fatalf("charter rules ran on a non-employee post: %+v", m)
		}
		if m.Sentiment.Label == mention.Negative {
			negatives++
		}
	}
	t.Logf("%d posts: %d with a language, %d matched a watch, %d employees' (%d flagged), %d negative",
		len(ms), langs, matched, employees, flagged, negatives)
	// The simulator writes every post about a brand: all must match.
	if matched < len(ms)*95/100 {
		t.Errorf("only %d of %d simulated posts matched a watch", matched, len(ms))
	}
	if langs < len(ms)*90/100 || negatives == 0 || employees == 0 {
		t.Errorf("analysis looks empty: langs %d negatives %d employees %d", langs, negatives, employees)
	}
}

func TestEmployeeSignals(t *testing.T) {
	a := newAnalyzer(t)
	m := &mention.Mention{Text: "On devrait proposer le wifi gratuit sur les vols Air France, mon numéro 06 12 34 56 78",
		Author: mention.Author{EmployeeID: "e1"}}
	a.Analyze(m)
	if !m.Idea || len(m.Charter) == 0 || m.Lang != "fr" || len(m.Watches) != 1 {
		t.Fatalf("employee post: %+v", m)
	}
	m = &mention.Mention{Text: "Air France c'est vraiment une honte, la direction est nulle", Author: mention.Author{EmployeeID: "e1"}}
	a.Analyze(m)
	if !m.Detractor {
		t.Fatalf("negative employee post about the employer is not a detractor: %+v %+v", m.Sentiment, m.Watches)
	}
	m = &mention.Mention{Text: "Atterrissage à CDG ce matin", Lang: "fr"}
	a.Analyze(m)
	if len(m.Entities) != 1 || m.Entities[0] != "Roissy" {
		t.Fatalf("entity alias not found: %v", m.Entities)
	}
}

// BenchmarkAnalyze is the whole analysis of one mention (language,
// sentiment, 1,000 watches, entities, charter on employees' posts,
// signals) on a realistic French/English mix from the simulator.
// GOMAXPROCS=1 go test -run '^$' -bench Analyze -benchmem ./analysis/
func BenchmarkAnalyze(b *testing.B) {
	a := newAnalyzer(b)
	ms := posts(b, 5000)
	work := make([]mention.Mention, len(ms))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		j := i % len(ms)
		work[j] = *ms[j]
		a.Analyze(&work[j])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mentions/s")
}
