package watch

import (
	"testing"
	"time"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// BenchmarkMatch1000 matches 1,000 generated watches against the corpus,
// one post per iteration. Run it on one core:
//
//	GOMAXPROCS=1 go test -run='^$' -bench=Match -benchmem ./ingest/watch/
func BenchmarkMatch1000(b *testing.B) {
	m, err := Compile(genSpecs(1000))
	if err != nil {
		b.Fatal(err)
	}
	docs := loadPosts(b)
	size := 0
	for _, d := range docs {
		size += len(d.Text)
	}
	b.SetBytes(int64(size / len(docs))) // MB/s of post text
	dst := make([]string, 0, 64)
	matches := 0
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		dst = m.Match(&docs[i%len(docs)], dst[:0])
		matches += len(dst)
	}
	reportRate(b, cpuTime()-cpu)
	b.ReportMetric(float64(matches)/float64(b.N), "matches/post")
}

// reportRate reports posts per wall-clock second and, where measured, per
// CPU second (the process's; with GOMAXPROCS=1 and no allocation, that
// is the benchmark's core).
func reportRate(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "posts/cpu-s")
	}
}

func BenchmarkCompile1000(b *testing.B) {
	specs := genSpecs(1000)
	for b.Loop() {
		if _, err := Compile(specs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrefilterAhoCorasickLib is the design this package did not
// take, measured for the README: the same folding, then the Aho-Corasick
// library over the folded text with every literal of the 1,000 watches
// as a pattern (" word " for whole words, " stem" for wildcards). It
// only finds the candidate literals; Match does that and evaluates.
func BenchmarkPrefilterAhoCorasickLib(b *testing.B) {
	m, err := Compile(genSpecs(1000))
	if err != nil {
		b.Fatal(err)
	}
	var pats []string
	for _, l := range m.lits {
		switch {
		case l.cls != clsWord && l.cls != clsHashtag && l.cls != clsHandle:
		case l.prefix:
			pats = append(pats, " "+l.text)
		default:
			pats = append(pats, " "+l.text+" ")
		}
	}
	builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch, DFA: true})
	ac := builder.Build(pats)
	docs := loadPosts(b)
	var t tokenizer
	var text []byte
	found := 0
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		t.reset()
		t.tokenize(docs[i%len(docs)].Text)
		text = append(text[:0], ' ')
		for j := range t.toks {
			text = append(text, t.text(j)...)
			text = append(text, ' ')
		}
		it := ac.IterOverlappingByte(text)
		for m := it.Next(); m != nil; m = it.Next() {
			found++
		}
	}
	reportRate(b, cpuTime()-cpu)
	if found == 0 {
		b.Fatal("the automaton found nothing")
	}
}
