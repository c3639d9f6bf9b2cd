package charter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// validatorSpec describes a named validator: how to find its matches, the
// cheap test on the text that decides whether it runs at all, and how much
// of a match survives masking.
type validatorSpec struct {
	name       string
	find       func(text string, dst []Match) []Match
	minDigits  int  // the text needs at least this many ASCII digits…
	minCluster int  // … and this many in one cluster (see textStats)
	needsAt    bool // the text needs an '@' after a letter or digit
	head       int  // letters and digits kept at the start of a masked match
	tail       int  // … and at the end
}

func validatorByName(name string) *validatorSpec {
	switch name {
	case ValidatorEmail:
		return &validatorSpec{name: name, find: FindEmails, needsAt: true, head: 1}
	case ValidatorPhone:
		// E.164 numbers have 8 digits at least, country code included.
		return &validatorSpec{name: name, find: FindPhones, minDigits: 8, minCluster: 8, head: 2, tail: 2}
	case ValidatorIBAN:
		// The shortest run of digits of an IBAN is in Dutch ones: NL91ABNA0417164300.
		return &validatorSpec{name: name, find: FindIBANs, minDigits: 9, minCluster: 8, head: 4, tail: 3}
	case ValidatorCard:
		return &validatorSpec{name: name, find: FindCards, minDigits: 14, minCluster: 14, head: 4, tail: 4}
	case ValidatorNIR:
		// 2A and 2B split a Corsican NIR: 2 90 02 2 | A | 123 456 78.
		return &validatorSpec{name: name, find: FindNIRs, minDigits: 13, minCluster: 6, head: 1, tail: 2}
	}
	return nil
}

func validatorNames() []string {
	return []string{ValidatorCard, ValidatorEmail, ValidatorIBAN, ValidatorNIR, ValidatorPhone}
}

// gate reports whether the validator can find anything in a text with
// these stats.
func (v *validatorSpec) gate(st *textStats) bool {
	if v.needsAt {
		return st.at
	}
	return st.digits >= v.minDigits && st.cluster >= v.minCluster
}

// maskSpan hides the middle of personal data so that flags, and the tables
// they are stored in, do not become a copy of what they flag. Separators
// are kept, so the shape stays readable: "FR76 **** **** **** **** **** 189",
// "06 ** ** ** 78", "j*****@example.com".
func maskSpan(s string, v *validatorSpec) string {
	if v != nil && v.name == ValidatorEmail {
		if at := strings.LastIndexByte(s, '@'); at > 0 {
			return maskMiddle(s[:at], 1, 0) + s[at:]
		}
	}
	head, tail := 2, 2
	if v != nil {
		head, tail = v.head, v.tail
	}
	return maskMiddle(s, head, tail)
}

// maskMiddle replaces every letter and digit of s with '*', except the
// first head and the last tail of them. When that would leave less than
// half of them hidden, everything is hidden.
func maskMiddle(s string, head, tail int) string {
	total := 0
	for _, r := range s {
		if isWordRune(r) {
			total++
		}
	}
	if total-head-tail < (total+1)/2 {
		head, tail = 0, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s {
		if !isWordRune(r) {
			b.WriteRune(r)
			continue
		}
		if n < head || n >= total-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		n++
	}
	return b.String()
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isAlnum(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
