package charter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Category is the kind of charter risk a rule looks for.
type Category string

// Categories of the social media charter.
const (
	Confidential        Category = "confidential"         // project code names, "confidentiel", unpublished figures
	PersonalData        Category = "personal_data"        // emails, phones, IBAN, card numbers, NIR
	Insult              Category = "insult"               // insults and harassment
	Denigration         Category = "denigration"          // of the employer, its clients or colleagues
	PoliticalReligious  Category = "political_religious"  // political or religious statements tied to the employer
	NoDisclaimer        Category = "no_disclaimer"        // speaking for the company without "views are my own"
	UndisclosedAdvocacy Category = "undisclosed_advocacy" // promoting the employer's products without disclosing employment
	OpenCrisis          Category = "open_crisis"          // commenting on a crisis that is open
)

// Categories lists every category, in a stable order.
func Categories() []Category {
	return []Category{Confidential, PersonalData, Insult, Denigration, PoliticalReligious, NoDisclaimer, UndisclosedAdvocacy, OpenCrisis}
}

// Rule languages.
const (
	LangFR  = "fr"
	LangEN  = "en"
	LangAny = "any"
)

// Validators usable in a rule's "validator" field.
const (
	ValidatorEmail = "email" // e-mail addresses, role addresses (contact@, presse@…) excepted
	ValidatorPhone = "phone" // French numbers (06 12 34 56 78, +33 6…, 0612345678) and E.164 (+44 20…)
	ValidatorIBAN  = "iban"  // IBAN with its country length and mod-97 check
	ValidatorCard  = "card"  // payment card numbers: known brand prefix, length and Luhn check
	ValidatorNIR   = "nir"   // French NIR (numéro de sécurité sociale) with its key, Corsica 2A/2B included
)

// Lists every engine knows. The first four are filled from Options; packs
// may add words to any list and define new ones.
const (
	ListCompany      = "company"      // Options.CompanyNames
	ListProduct      = "product"      // Options.ProductNames
	ListConfidential = "confidential" // Options.ConfidentialTerms
	ListOpenCrisis   = "open_crisis"  // Options.OpenCrisisTerms, or WithOpenCrisisTerms
	ListEmployer     = "employer"     // the company list plus "my employer", "ma boîte"… from the packs
)

// Limits on what a rule pack may hold.
const (
	maxPackBytes   = 4 << 20
	maxPhraseWords = 64
	maxWithin      = 1000
)

// Rule is one rule of the social media charter, as written in a YAML pack.
// A rule has exactly one matcher: Words, List, Regex or Validator.
type Rule struct {
	ID       string   `yaml:"id"`
	Category Category `yaml:"category"`
	Severity int      `yaml:"severity"` // 1 (low) to 5 (critical)
	Lang     string   `yaml:"lang"`     // fr, en or any
	Explain  Explain  `yaml:"explain"`  // what the community manager reads

	Words     []string `yaml:"words,omitempty"`     // words or phrases; case, accents and elisions ignored, whole words only
	List      string   `yaml:"list,omitempty"`      // fires on any word of a named list (e.g. confidential)
	Regex     []string `yaml:"regex,omitempty"`     // Go (RE2) regular expressions on the raw text
	Prefilter []string `yaml:"prefilter,omitempty"` // with Regex: run the expressions only when one of these words occurs
	Validator string   `yaml:"validator,omitempty"` // email, phone, iban, card or nir

	Except   []string `yaml:"except,omitempty"`   // a Words or List match that shares a word with one of these phrases does not count
	Requires Requires `yaml:"requires,omitempty"` // further conditions on the post

	// Source is the file the rule came from ("rules/fr.yaml" for built-in
	// packs, else the path given in Options.RuleFiles).
	Source string `yaml:"-"`
}

// Explain is a rule's explanation in French and English.
type Explain struct {
	FR string `yaml:"fr"`
	EN string `yaml:"en"`
}

// Requires holds the conditions a post must also meet for a rule to fire.
// All the conditions given must hold.
type Requires struct {
	Lists     []string `yaml:"lists,omitempty"`      // a word of at least one of these lists occurs
	Words     []string `yaml:"words,omitempty"`      // at least one of these words occurs
	Within    int      `yaml:"within,omitempty"`     // Lists and Words must occur within this many words of the match; 0: anywhere
	None      []string `yaml:"none,omitempty"`       // none of these words occurs anywhere in the post
	NoneLists []string `yaml:"none_lists,omitempty"` // no word of these lists occurs anywhere in the post
}

// ListDef is a named word list in a pack: an employer reference, a
// disclaimer, a disclosure hashtag… Packs that define the same list add to it.
type ListDef struct {
	Words  []string `yaml:"words"`
	Except []string `yaml:"except,omitempty"` // an occurrence that shares a word with one of these phrases does not count
}

// Explanation returns the explanation in lang ("fr" or "en", region
// subtags allowed); other languages get English.
func (r Rule) Explanation(lang string) string {
	if baseLang(lang) == LangFR {
		return r.Explain.FR
	}
	return r.Explain.EN
}

func (r Rule) clone() Rule {
	r.Words = slices.Clone(r.Words)
	r.Regex = slices.Clone(r.Regex)
	r.Prefilter = slices.Clone(r.Prefilter)
	r.Except = slices.Clone(r.Except)
	r.Requires.Lists = slices.Clone(r.Requires.Lists)
	r.Requires.Words = slices.Clone(r.Requires.Words)
	r.Requires.None = slices.Clone(r.Requires.None)
	r.Requires.NoneLists = slices.Clone(r.Requires.NoneLists)
	return r
}

// ErrInvalidRule is wrapped by every error about a rule pack's content.
var ErrInvalidRule = errors.New("charter: invalid rule")

// RuleError names the file, rule and field of a rule pack that is wrong.
type RuleError struct {
	File   string
	Rule   string // rule id, or list name when List is set
	Index  int    // position of the rule in the file's rules
	List   bool   // the error is about a named list, not a rule
	Field  string // YAML field, e.g. "severity" or "requires.lists[1]"
	Reason string
}

func (e *RuleError) Error() string {
	if e.List {
		return fmt.Sprintf("%s: list %q: %s: %s", e.File, e.Rule, e.Field, e.Reason)
	}
	return fmt.Sprintf("%s: rule %q (index %d): %s: %s", e.File, e.Rule, e.Index, e.Field, e.Reason)
}

// Unwrap lets errors.Is(err, ErrInvalidRule) match.
func (e *RuleError) Unwrap() error { return ErrInvalidRule }

// pack is one YAML rule file.
type pack struct {
	Lists map[string]ListDef `yaml:"lists"`
	Rules []Rule             `yaml:"rules"`
}

// packError is an error about a whole rule file: unreadable YAML, an
// unknown field, no rules.
type packError struct {
	file string
	err  error
}

func (e *packError) Error() string { return e.file + ": " + e.err.Error() }

// Unwrap lets errors.Is(err, ErrInvalidRule) match, and reaches the YAML error.
func (e *packError) Unwrap() []error { return []error{ErrInvalidRule, e.err} }

// parsePack decodes and validates one rule file. Unknown fields are errors,
// so that a misspelt "sevrity" does not silently become 0.
func parsePack(file string, data []byte) (*pack, error) {
	if len(data) > maxPackBytes {
		return nil, &packError{file, fmt.Errorf("%d bytes, more than the %d allowed", len(data), maxPackBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p pack
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &packError{file, errors.New("empty rule pack")}
		}
		return nil, &packError{file, err}
	}
	var extra pack
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &packError{file, errors.New("only one YAML document is allowed")}
	}
	if len(p.Rules) == 0 && len(p.Lists) == 0 {
		return nil, &packError{file, errors.New("no rules and no lists")}
	}
	names := make([]string, 0, len(p.Lists))
	for name := range p.Lists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := validateList(file, name, p.Lists[name]); err != nil {
			return nil, err
		}
	}
	for i := range p.Rules {
		p.Rules[i].Source = file
		if err := validateRule(file, i, &p.Rules[i]); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// validName reports whether s is a valid rule id or list name: 1 to 64 of
// a-z 0-9 _ . -, starting with a letter or digit.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func validateList(file, name string, l ListDef) error {
	fail := func(field, reason string) error {
		return &RuleError{File: file, Rule: name, List: true, Field: field, Reason: reason}
	}
	if !validName(name) {
		return fail("name", "must be 1 to 64 of a-z 0-9 _ . - starting with a letter or digit")
	}
	if len(l.Words) == 0 {
		return fail("words", "must not be empty")
	}
	if err := checkPhrases(l.Words, "words"); err != nil {
		return fail(err.field, err.reason)
	}
	if err := checkPhrases(l.Except, "except"); err != nil {
		return fail(err.field, err.reason)
	}
	return nil
}

func validateRule(file string, i int, r *Rule) error {
	fail := func(field, reason string) error {
		return &RuleError{File: file, Rule: r.ID, Index: i, Field: field, Reason: reason}
	}
	if !validName(r.ID) {
		return fail("id", "must be 1 to 64 of a-z 0-9 _ . - starting with a letter or digit")
	}
	if !slices.Contains(Categories(), r.Category) {
		return fail("category", fmt.Sprintf("unknown %q (known: %s)", r.Category, joinCategories()))
	}
	if r.Severity < 1 || r.Severity > 5 {
		return fail("severity", "must be 1..5")
	}
	switch r.Lang {
	case LangFR, LangEN, LangAny:
	default:
		return fail("lang", fmt.Sprintf("must be fr, en or any, not %q", r.Lang))
	}
	if strings.TrimSpace(r.Explain.FR) == "" {
		return fail("explain.fr", "must not be empty")
	}
	if strings.TrimSpace(r.Explain.EN) == "" {
		return fail("explain.en", "must not be empty")
	}

	var matchers []string
	for _, m := range []struct {
		name string
		set  bool
	}{{"words", len(r.Words) > 0}, {"list", r.List != ""}, {"regex", len(r.Regex) > 0}, {"validator", r.Validator != ""}} {
		if m.set {
			matchers = append(matchers, m.name)
		}
	}
	switch len(matchers) {
	case 0:
		return fail("words|list|regex|validator", "a rule needs one matcher, it has none")
	case 1:
	default:
		return fail(strings.Join(matchers, "|"), "a rule needs one matcher, it has "+strings.Join(matchers, " and "))
	}
	if err := checkPhrases(r.Words, "words"); err != nil {
		return fail(err.field, err.reason)
	}
	if r.List != "" && !validName(r.List) {
		return fail("list", fmt.Sprintf("invalid list name %q", r.List))
	}
	// Regular expressions are compiled, and their errors reported, by compileRule.
	if len(r.Prefilter) > 0 && len(r.Regex) == 0 {
		return fail("prefilter", "only meaningful with regex")
	}
	if err := checkPhrases(r.Prefilter, "prefilter"); err != nil {
		return fail(err.field, err.reason)
	}
	if r.Validator != "" && validatorByName(r.Validator) == nil {
		return fail("validator", fmt.Sprintf("unknown %q (known: %s)", r.Validator, strings.Join(validatorNames(), ", ")))
	}
	if len(r.Except) > 0 && len(r.Words) == 0 && r.List == "" {
		return fail("except", "only meaningful with words or list")
	}
	if err := checkPhrases(r.Except, "except"); err != nil {
		return fail(err.field, err.reason)
	}

	q := r.Requires
	for j, name := range q.Lists {
		if !validName(name) {
			return fail(fmt.Sprintf("requires.lists[%d]", j), fmt.Sprintf("invalid list name %q", name))
		}
	}
	for j, name := range q.NoneLists {
		if !validName(name) {
			return fail(fmt.Sprintf("requires.none_lists[%d]", j), fmt.Sprintf("invalid list name %q", name))
		}
	}
	if err := checkPhrases(q.Words, "requires.words"); err != nil {
		return fail(err.field, err.reason)
	}
	if err := checkPhrases(q.None, "requires.none"); err != nil {
		return fail(err.field, err.reason)
	}
	if q.Within < 0 || q.Within > maxWithin {
		return fail("requires.within", fmt.Sprintf("must be 0..%d", maxWithin))
	}
	if q.Within > 0 && len(q.Lists) == 0 && len(q.Words) == 0 {
		return fail("requires.within", "needs requires.lists or requires.words")
	}
	return nil
}

type phraseError struct{ field, reason string }

// checkPhrases reports the first phrase that normalises to no word, or to
// too many words for the matcher.
func checkPhrases(phrases []string, field string) *phraseError {
	var buf []byte
	var toks []token
	for j, p := range phrases {
		buf, toks = tokenize(p, buf[:0], toks[:0], nil)
		switch {
		case len(toks) == 0:
			return &phraseError{fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("%q has no letter or digit", p)}
		case len(toks) > maxPhraseWords:
			return &phraseError{fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("more than %d words", maxPhraseWords)}
		}
	}
	return nil
}

func joinCategories() string {
	var b strings.Builder
	for i, c := range Categories() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(c))
	}
	return b.String()
}

// baseLang reduces "fr-FR", "FR" or "fr_CA" to "fr".
func baseLang(lang string) string {
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	return strings.ToLower(strings.TrimSpace(lang))
}
