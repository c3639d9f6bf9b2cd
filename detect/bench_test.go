package detect

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

const (
	benchWatches   = 1000
	benchPerMinute = 20_000 // mentions per minute of event time, all watches together
)

// benchStream is a minute's worth of scored mentions spread over the
// watches; the benchmark replays it minute after minute.
func benchStream() []*mention.Mention {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"livraison", "retard", "service", "client", "produit", "commande", "remboursement",
		"delivery", "great", "store", "price", "quality", "support", "refund", "chemise", "grève"}
	ms := make([]*mention.Mention, benchPerMinute)
	for i := range ms {
		text := fmt.Sprintf("Acme %s %s %s, vraiment %s ! https://t.co/x%d @acme",
			words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], words[r.IntN(len(words))], i)
		label, score := mention.Neutral, 0.1
		if r.IntN(8) == 0 {
			label, score = mention.Negative, -0.5
		}
		watch := fmt.Sprintf("watch-%04d", r.IntN(benchWatches))
		ms[i] = &mention.Mention{
			ID: fmt.Sprintf("twitter:%d", i), Source: "twitter", Text: text,
			Author:    mention.Author{Handle: fmt.Sprintf("user%d", r.IntN(100000)), Followers: int64(r.IntN(50000))},
			Hashtags:  []string{[]string{"acme", "promo", "sav"}[r.IntN(3)]},
			Watches:   []string{watch},
			Sentiment: &mention.Sentiment{Score: score, Label: label},
		}
	}
	return ms
}

// drive feeds n mentions of the stream, advancing the watermark at every
// minute of event time, and returns the event time reached.
func drive(e *Engine, ms []*mention.Mention, start time.Time, from, n int) time.Time {
	return driveEvery(e, ms, start, from, n, len(ms))
}

// driveEvery is drive advancing the watermark every `every` mentions.
func driveEvery(e *Engine, ms []*mention.Mention, start time.Time, from, n, every int) time.Time {
	gap := time.Minute / benchPerMinute
	var at time.Time
	for i := from; i < from+n; i++ {
		m := ms[i%len(ms)]
		at = start.Add(time.Duration(i) * gap)
		if i%every == 0 {
			e.Advance(at)
		}
		m.CreatedAt = at
		_ = e.Add(m.Watches[0], m)
	}
	return at
}

// BenchmarkEngine measures scored mentions per second through Add and
// Advance (aggregation, term extraction, one detector step per watch and
// minute) across 1,000 watches. Run with GOMAXPROCS=1.
func BenchmarkEngine(b *testing.B) {
	ms := benchStream()
	e, err := NewEngine(EngineConfig{})
	if err != nil {
		b.Fatal(err)
	}
	start := monday
	// Two hours of event time first, so every detector and map is warm.
	warm := 120 * benchPerMinute
	drive(e, ms, start, 0, warm)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	drive(e, ms, start, warm, b.N)
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "mentions/s")
}

// BenchmarkEngineAdvanceEveryMention is BenchmarkEngine driven as the
// detect stage drives it: the watermark moves with every mention (each
// one is newer than the last), so Advance must cost next to nothing
// between minutes.
func BenchmarkEngineAdvanceEveryMention(b *testing.B) {
	ms := benchStream()
	e, err := NewEngine(EngineConfig{})
	if err != nil {
		b.Fatal(err)
	}
	warm := 120 * benchPerMinute
	drive(e, ms, monday, 0, warm)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	driveEvery(e, ms, monday, warm, b.N, 1)
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "mentions/s")
}

// BenchmarkMemoryPerWatch reports the live heap held per watch after two
// hours of traffic (the figure in the README).
func BenchmarkMemoryPerWatch(b *testing.B) {
	ms := benchStream()
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		e, err := NewEngine(EngineConfig{})
		if err != nil {
			b.Fatal(err)
		}
		drive(e, ms, monday, 0, 120*benchPerMinute)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/benchWatches, "bytes/watch")
		snap, err := e.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(snap))/benchWatches, "snapshot-bytes/watch")
		runtime.KeepAlive(e)
	}
}

// BenchmarkWouldOpen is the cost of an early-opening try: the detector of
// a big brand after two weeks, copied and run over one complete minute.
//
//	GOMAXPROCS=1 go test -run '^$' -bench WouldOpen -benchmem ./detect/
func BenchmarkWouldOpen(b *testing.B) {
	d, err := NewDetector("acme", Config{})
	if err != nil {
		b.Fatal(err)
	}
	history := bigBrand.series(1, monday, 2*minutesPerWeek, nil)
	d.Seed(history)
	dayAgo := history[len(history)-minutesPerDay+1] // the same minute a day before
	next := []Minute{{Start: history[len(history)-1].Start.Add(time.Minute), Volume: dayAgo.Volume, Negatives: dayAgo.Negatives}}
	b.ResetTimer()
	for b.Loop() {
		if d.wouldOpen(next) {
			b.Fatal("an ordinary minute would open a crisis")
		}
	}
}
