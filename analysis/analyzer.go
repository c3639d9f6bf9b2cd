package analysis

import (
	"fmt"

	"github.com/vigie-project/vigie/analysis/charter"
	"github.com/vigie-project/vigie/analysis/lang"
	"github.com/vigie-project/vigie/analysis/sentiment"
	"github.com/vigie-project/vigie/analysis/signals"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// CharterConfig says which posts the charter rules read and with what
// company vocabulary.
type CharterConfig struct {
	// AllPosts checks every post, not only employees'.
	AllPosts          bool     `yaml:"all_posts"`
	ConfidentialTerms []string `yaml:"confidential_terms"` // project code names, internal terms
	// CompanyNames are the employer's names; default: the names of the
	// watches of kind brand.
	CompanyNames []string `yaml:"company_names"`
	ProductNames []string `yaml:"product_names"`
	RuleFiles    []string `yaml:"rule_files"` // extra YAML rule packs
	Disabled     []string `yaml:"disabled"`   // rule ids switched off
}

// Roster marks employees' posts and relays of official accounts.
type Roster interface {
	Apply(m *mention.Mention)
}

// Analyzer is the whole analysis of a mention. Immutable after
// NewAnalyzer and safe for concurrent use.
type Analyzer struct {
	watches    *watch.Matcher
	brands     map[string]bool // ids of watches of kind brand
	entities   *watch.Matcher  // known entities, one "watch" per entity
	entityName map[string]string
	sentiment  *sentiment.Analyzer
	charter    *charter.Engine
	allPosts   bool
	roster     func() Roster
}

// Entity is a known name (person, place, product) reported in
// Mention.Entities when a post names it.
type Entity struct {
	Name    string   `yaml:"name"`
	Aliases []string `yaml:"aliases"`
}

// NewAnalyzer builds the analyzer. roster may be nil (no employee
// matching) and is called per mention so that a reloaded roster is used
// at once.
func NewAnalyzer(w *watch.Matcher, entities []Entity, cc CharterConfig, roster func() Roster) (*Analyzer, error) {
	a := &Analyzer{watches: w, brands: map[string]bool{}, allPosts: cc.AllPosts, roster: roster, entityName: map[string]string{}}
	var companies []string
	for _, s := range w.Specs() {
		if s.Kind == watch.KindBrand {
			a.brands[s.ID] = true
			companies = append(companies, s.Name)
		}
	}
	if len(cc.CompanyNames) > 0 {
		companies = cc.CompanyNames
	}
	var err error
	if a.sentiment, err = sentiment.New(); err != nil {
		return nil, fmt.Errorf("analyzer: sentiment: %w", err)
	}
	a.charter, err = charter.New(charter.Options{
		ConfidentialTerms: cc.ConfidentialTerms, CompanyNames: companies, ProductNames: cc.ProductNames,
		RuleFiles: cc.RuleFiles, Disabled: cc.Disabled,
	})
	if err != nil {
		return nil, fmt.Errorf("analyzer: charter: %w", err)
	}
	specs := make([]watch.Spec, 0, len(entities))
	for i, e := range entities {
		q := quote(e.Name)
		for _, al := range e.Aliases {
			q += " OR " + quote(al)
		}
		id := fmt.Sprintf("e%d", i)
		a.entityName[id] = e.Name
		specs = append(specs, watch.Spec{ID: id, Name: e.Name, Kind: watch.KindTopic, Query: q})
	}
	if a.entities, err = watch.Compile(specs); err != nil {
		return nil, fmt.Errorf("entities: %w", err)
	}
	return a, nil
}

func quote(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			out = append(out, s[i])
		}
	}
	return string(append(out, '"'))
}

// Func returns the analysis as a stage function.
func (a *Analyzer) Func() Func { return a.Analyze }

// Analyze fills m's language (when the platform gave none), sentiment,
// watches, entities, employee flags and, for employees' posts (or every
// post with charter.all_posts), charter flags, ideas and detractors.
func (a *Analyzer) Analyze(m *mention.Mention) {
	if m.Lang == "" {
		m.Lang = lang.Detect(m.Text)
	}
	s := a.sentiment.Score(m.Text, m.Lang)
	m.Sentiment = &s
	d := watch.DocOf(m)
	m.Watches = a.watches.Match(&d, m.Watches[:0])
	if len(a.entityName) > 0 {
		var ids [8]string
		for _, id := range a.entities.Match(&d, ids[:0]) {
			m.Entities = append(m.Entities, a.entityName[id])
		}
	}
	if a.roster != nil {
		if r := a.roster(); r != nil {
			r.Apply(m)
		}
	}
	employee := m.IsEmployee()
	if employee || a.allPosts {
		m.Charter = a.charter.Check(m.Text, m.Lang, m.Charter[:0])
	}
	if employee {
		m.Idea = signals.IsIdea(m.Text, m.Lang)
		m.Detractor = signals.IsDetractor(m, a.aboutEmployer(m))
	}
}

func (a *Analyzer) aboutEmployer(m *mention.Mention) bool {
	for _, w := range m.Watches {
		if a.brands[w] {
			return true
		}
	}
	return false
}
