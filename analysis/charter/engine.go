// Package charter flags employee posts that may break the company's social
// media charter (confidential information, personal data, insults…), with
// explainable rules loaded from YAML packs, for the community manager to triage.
package charter

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

//go:embed rules/*.yaml
var builtinPacks embed.FS

// maxSpans bounds the spans of one flag: a post that repeats a word fifty
// times is one flag with the first sixteen places.
const maxSpans = 16

// ErrInvalidOptions is wrapped by errors about Options.
var ErrInvalidOptions = errors.New("charter: invalid options")

// Options configure an Engine.
type Options struct {
	ConfidentialTerms []string // project code names and terms that must not leave the company
	CompanyNames      []string // the employer's names and handles: "Acme", "Acme Group", "@AcmeFR"
	ProductNames      []string // the employer's products and brands
	OpenCrisisTerms   []string // terms and hashtags of the crises open now: "#BoycottAcme"
	RuleFiles         []string // extra YAML rule packs, read by New
	Disabled          []string // ids of rules to switch off
}

// Engine checks texts against the charter rules. It is immutable and safe
// for concurrent use.
type Engine struct {
	rules      []compiledRule
	byID       map[string]int
	listNames  []string
	static     *automaton // every rule word and list word but the crisis terms
	crisis     *automaton // Options.OpenCrisisTerms, swapped by WithOpenCrisisTerms
	crisisList int32
	pool       *sync.Pool
}

type langMask uint8

const (
	langFR langMask = 1 << iota
	langEN
	langAny
)

type compiledRule struct {
	rule         Rule
	langs        langMask
	list         int32 // the List matcher's list, or -1
	regexes      []*regexp.Regexp
	validator    *validatorSpec
	reqLists     []int32
	noneLists    []int32
	hasPrefilter bool
	hasReqWords  bool
	hasNone      bool
}

// scratch is the per-call working memory, pooled per engine.
type scratch struct {
	buf     []byte
	toks    []token
	stats   textStats
	events  []event
	found   []Match
	matches []hit
}

// hit is one place a rule matched: bytes in the text and words.
type hit struct {
	start, end  int
	first, last int
}

// New loads the built-in packs (rules/common.yaml, en.yaml, fr.yaml), then
// opts.RuleFiles, and compiles every rule and list into one word
// automaton. Errors name the file, the rule and the field at fault.
func New(opts Options) (*Engine, error) {
	var packs []*pack
	names, err := fs.Glob(builtinPacks, "rules/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("charter: built-in packs: %w", err)
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := builtinPacks.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("charter: built-in packs: %w", err)
		}
		p, err := parsePack(name, data)
		if err != nil {
			return nil, err
		}
		packs = append(packs, p)
	}
	for _, file := range opts.RuleFiles {
		data, err := readLimited(file, maxPackBytes+1)
		if err != nil {
			return nil, fmt.Errorf("charter: rule file: %w", err)
		}
		p, err := parsePack(file, data)
		if err != nil {
			return nil, err
		}
		packs = append(packs, p)
	}
	for _, o := range []struct {
		field string
		terms []string
	}{
		{"confidential_terms", opts.ConfidentialTerms},
		{"company_names", opts.CompanyNames},
		{"product_names", opts.ProductNames},
		{"open_crisis_terms", opts.OpenCrisisTerms},
	} {
		if err := checkTerms(o.field, o.terms); err != nil {
			return nil, err
		}
	}
	return compile(packs, opts)
}

// readLimited reads at most limit bytes of file: enough for parsePack to
// reject an oversized pack without loading all of it.
func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return data, nil
}

func checkTerms(field string, terms []string) error {
	if pe := checkPhrases(terms, field); pe != nil {
		return fmt.Errorf("charter: options: %s: %s: %w", pe.field, pe.reason, ErrInvalidOptions)
	}
	return nil
}

func compile(packs []*pack, opts Options) (*Engine, error) {
	e := &Engine{byID: map[string]int{}}

	// Lists: the reserved ones first, then those the packs define, merged by name.
	lists := map[string]*ListDef{}
	for _, name := range []string{ListCompany, ListProduct, ListConfidential, ListOpenCrisis, ListEmployer} {
		lists[name] = &ListDef{}
	}
	for _, p := range packs {
		for name, l := range p.Lists {
			if lists[name] == nil {
				lists[name] = &ListDef{}
			}
			lists[name].Words = append(lists[name].Words, l.Words...)
			lists[name].Except = append(lists[name].Except, l.Except...)
		}
	}
	lists[ListCompany].Words = append(lists[ListCompany].Words, opts.CompanyNames...)
	lists[ListProduct].Words = append(lists[ListProduct].Words, opts.ProductNames...)
	lists[ListConfidential].Words = append(lists[ListConfidential].Words, opts.ConfidentialTerms...)
	// Naming the company or one of its products is referring to the employer.
	lists[ListEmployer].Words = append(lists[ListEmployer].Words, lists[ListCompany].Words...)
	lists[ListEmployer].Words = append(lists[ListEmployer].Words, lists[ListProduct].Words...)
	for name := range lists {
		e.listNames = append(e.listNames, name)
	}
	slices.Sort(e.listNames)
	listIdx := func(name string) int32 {
		i, ok := slices.BinarySearch(e.listNames, name)
		if !ok {
			return -1
		}
		return int32(i)
	}
	e.crisisList = listIdx(ListOpenCrisis)

	// Rules, in pack order; ids are unique across packs.
	disabled := map[string]bool{}
	for _, id := range opts.Disabled {
		disabled[id] = true
	}
	seen := map[string]string{}
	for _, p := range packs {
		for i, r := range p.Rules {
			if prev, dup := seen[r.ID]; dup {
				return nil, &RuleError{File: r.Source, Rule: r.ID, Index: i, Field: "id", Reason: "already defined in " + prev}
			}
			seen[r.ID] = r.Source
			if disabled[r.ID] {
				continue
			}
			c, err := compileRule(r, i, listIdx, e.listNames)
			if err != nil {
				return nil, err
			}
			e.byID[r.ID] = len(e.rules)
			e.rules = append(e.rules, c)
		}
	}
	for i, id := range opts.Disabled {
		if _, ok := seen[id]; !ok {
			return nil, fmt.Errorf("charter: options: disabled[%d]: unknown rule id %q: %w", i, id, ErrInvalidOptions)
		}
	}

	b := newAutomatonBuilder()
	for i, c := range e.rules {
		idx := int32(i)
		addAll(b, c.rule.Words, ref{refTrigger, idx})
		addAll(b, c.rule.Except, ref{refExcept, idx})
		addAll(b, c.rule.Prefilter, ref{refPrefilter, idx})
		addAll(b, c.rule.Requires.Words, ref{refReqWord, idx})
		addAll(b, c.rule.Requires.None, ref{refNone, idx})
	}
	for i, name := range e.listNames {
		addAll(b, lists[name].Words, ref{refListWord, int32(i)})
		addAll(b, lists[name].Except, ref{refListExcept, int32(i)})
	}
	e.static = b.build()
	e.crisis = e.buildCrisis(opts.OpenCrisisTerms)
	e.pool = newPool()
	return e, nil
}

func addAll(b *automatonBuilder, phrases []string, r ref) {
	for _, p := range phrases {
		b.add(p, r)
	}
}

func (e *Engine) buildCrisis(terms []string) *automaton {
	if len(terms) == 0 {
		return nil
	}
	b := newAutomatonBuilder()
	addAll(b, terms, ref{refListWord, e.crisisList})
	return b.build()
}

func newPool() *sync.Pool {
	return &sync.Pool{New: func() any { return new(scratch) }}
}

func compileRule(r Rule, i int, listIdx func(string) int32, known []string) (compiledRule, error) {
	fail := func(field, reason string) error {
		return &RuleError{File: r.Source, Rule: r.ID, Index: i, Field: field, Reason: reason}
	}
	unknown := func(name string) string {
		return fmt.Sprintf("unknown list %q (known: %s)", name, strings.Join(known, ", "))
	}
	c := compiledRule{rule: r, list: -1, validator: validatorByName(r.Validator)}
	switch r.Lang {
	case LangFR:
		c.langs = langFR
	case LangEN:
		c.langs = langEN
	default:
		c.langs = langAny
	}
	if r.List != "" {
		if c.list = listIdx(r.List); c.list < 0 {
			return c, fail("list", unknown(r.List))
		}
	}
	for j, name := range r.Requires.Lists {
		l := listIdx(name)
		if l < 0 {
			return c, fail(fmt.Sprintf("requires.lists[%d]", j), unknown(name))
		}
		c.reqLists = append(c.reqLists, l)
	}
	for j, name := range r.Requires.NoneLists {
		l := listIdx(name)
		if l < 0 {
			return c, fail(fmt.Sprintf("requires.none_lists[%d]", j), unknown(name))
		}
		c.noneLists = append(c.noneLists, l)
	}
	for j, expr := range r.Regex {
		re, err := regexp.Compile(expr)
		if err != nil {
			return c, fail(fmt.Sprintf("regex[%d]", j), err.Error())
		}
		c.regexes = append(c.regexes, re)
	}
	c.hasPrefilter = len(r.Prefilter) > 0
	c.hasReqWords = len(r.Requires.Words) > 0
	c.hasNone = len(r.Requires.None) > 0
	return c, nil
}

// WithOpenCrisisTerms returns a copy of e whose open-crisis terms are terms,
// in place of Options.OpenCrisisTerms or of an earlier call. Only the small
// crisis automaton is rebuilt; rules and the main automaton are shared.
func (e *Engine) WithOpenCrisisTerms(terms []string) (*Engine, error) {
	if err := checkTerms("open_crisis_terms", terms); err != nil {
		return nil, err
	}
	c := *e
	c.crisis = e.buildCrisis(slices.Clone(terms))
	c.pool = newPool()
	return &c, nil
}

// Rule returns the rule with this id, to show its explanation.
func (e *Engine) Rule(id string) (Rule, bool) {
	i, ok := e.byID[id]
	if !ok {
		return Rule{}, false
	}
	return e.rules[i].rule.clone(), true
}

// Rules returns the enabled rules, in the order Check applies them.
func (e *Engine) Rules() []Rule {
	out := make([]Rule, len(e.rules))
	for i := range e.rules {
		out[i] = e.rules[i].rule.clone()
	}
	return out
}

// Check appends to dst a flag for every rule that text breaks, in rule
// order. lang is the post's language ("fr", "en-GB"…): rules of that
// language and language-independent ones apply; with an empty lang all
// rules do, with another language only the independent ones. Spans are
// byte offsets into text; the spans of personal_data flags are masked.
func (e *Engine) Check(text, lang string, dst []mention.CharterFlag) []mention.CharterFlag {
	if text == "" || len(e.rules) == 0 {
		return dst
	}
	text = checkedPart(text)
	s := e.pool.Get().(*scratch)
	defer e.release(s)
	s.stats = textStats{}
	s.buf, s.toks = tokenize(text, s.buf[:0], s.toks[:0], &s.stats)
	s.events = e.static.scan(s.buf, s.toks, s.events[:0])
	if e.crisis != nil {
		s.events = e.crisis.scan(s.buf, s.toks, s.events)
	}
	langs := langsOf(lang)
	for i := range e.rules {
		if e.rules[i].langs&langs != 0 {
			dst = e.apply(int32(i), text, s, dst)
		}
	}
	return dst
}

// MaxCheckBytes is how much of a text the rules read: a post is far
// shorter, and a long article's problem shows in its first pages. It keeps
// the cost of a pathological text (100 KB of one flagged word) bounded.
const MaxCheckBytes = 20 << 10

// checkedPart is the first MaxCheckBytes of text, cut at a rune boundary,
// so that spans stay byte offsets into the original text.
func checkedPart(text string) string {
	if len(text) <= MaxCheckBytes {
		return text
	}
	cut := MaxCheckBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

func (e *Engine) release(s *scratch) {
	if cap(s.buf) > 1<<18 || cap(s.toks) > 1<<15 || cap(s.events) > 1<<12 {
		return // one huge text should not pin its buffers
	}
	e.pool.Put(s)
}

func langsOf(lang string) langMask {
	switch baseLang(lang) {
	case LangFR:
		return langFR | langAny
	case LangEN:
		return langEN | langAny
	case "", "und":
		return langFR | langEN | langAny
	}
	return langAny
}
