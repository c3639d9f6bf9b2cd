package analysis

import (
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// PassThrough only matches watches: the foundation's analyzer, so the
// pipeline runs end to end before language, sentiment and charter rules.
func PassThrough(w *watch.Matcher) Func {
	return func(m *mention.Mention) {
		d := watch.DocOf(m)
		m.Watches = w.Match(&d, m.Watches[:0])
	}
}
