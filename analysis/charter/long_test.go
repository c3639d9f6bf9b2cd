package charter

import (
	"strings"
	"testing"
)

// A pathological text (100 KB of one flagged word) is read up to
// MaxCheckBytes: spans stay in that part and each flag keeps maxSpans.
func TestLongTextBounded(t *testing.T) {
	e, err := New(Options{CompanyNames: []string{"Acme"}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("connard ", 12_800) + "mon IBAN FR76 3000 6000 0112 3456 7890 189"
	flags := e.Check(text, "fr", nil)
	if len(flags) == 0 {
		t.Fatal("no flag on a text full of insults")
	}
	for _, f := range flags {
		if len(f.Spans) > maxSpans {
			t.Errorf("rule %s kept %d spans", f.Rule, len(f.Spans))
		}
		for _, sp := range f.Spans {
			if sp.End > MaxCheckBytes {
				t.Errorf("rule %s: span %+v beyond the first %d bytes", f.Rule, sp, MaxCheckBytes)
			}
		}
		if f.Category == string(PersonalData) {
			t.Errorf("the IBAN after the first %d bytes was read", MaxCheckBytes)
		}
	}
	// A cut inside a multi-byte rune stays valid.
	if got := checkedPart(strings.Repeat("é", MaxCheckBytes)); len(got) > MaxCheckBytes || !strings.HasSuffix(got, "é") {
		t.Errorf("cut at %d bytes, suffix %q", len(got), got[len(got)-2:])
	}
}
