package sentiment

import (
	"testing"

	"github.com/jdkato/prose/v2"
)

// BenchmarkProseTokenize is the comparison that justifies our own
// tokenizer: prose/v2 tokenising alone (tagging, segmentation and entity
// extraction off), on the same posts as BenchmarkScore.
func BenchmarkProseTokenize(b *testing.B) {
	for _, p := range benchPosts {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				doc, err := prose.NewDocument(p.text, prose.WithTagging(false), prose.WithSegmentation(false), prose.WithExtraction(false))
				if err != nil {
					b.Fatal(err)
				}
				_ = doc.Tokens()
			}
		})
	}
}
