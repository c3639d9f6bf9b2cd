package charter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validRule is a rule that loads; tests break one field at a time.
const validRule = `
  - id: no-codename
    category: confidential
    severity: 4
    lang: any
    explain: {fr: "Nom de code interdit.", en: "Forbidden code name."}
    words: [bluebird]
`

func writePack(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRuleFileErrors(t *testing.T) {
	// The third rule of custom.yaml is the one broken by each case.
	prefix := "rules:\n" + strings.ReplaceAll(validRule, "no-codename", "first") + strings.ReplaceAll(validRule, "no-codename", "second")
	tests := []struct {
		name    string
		content string
		want    string // the whole error after the file path
	}{
		{"severity too high", prefix + strings.Replace(validRule, "severity: 4", "severity: 7", 1),
			`: rule "no-codename" (index 2): severity: must be 1..5`},
		{"severity missing", prefix + strings.Replace(validRule, "    severity: 4\n", "", 1),
			`: rule "no-codename" (index 2): severity: must be 1..5`},
		{"unknown category", prefix + strings.Replace(validRule, "confidential", "gossip", 1),
			`: rule "no-codename" (index 2): category: unknown "gossip" (known: confidential, personal_data, insult, denigration, political_religious, no_disclaimer, undisclosed_advocacy, open_crisis)`},
		{"bad lang", prefix + strings.Replace(validRule, "lang: any", "lang: de", 1),
			`: rule "no-codename" (index 2): lang: must be fr, en or any, not "de"`},
		{"no French explanation", prefix + strings.Replace(validRule, `fr: "Nom de code interdit.", `, "", 1),
			`: rule "no-codename" (index 2): explain.fr: must not be empty`},
		{"no matcher", prefix + strings.Replace(validRule, "words: [bluebird]", "", 1),
			`: rule "no-codename" (index 2): words|list|regex|validator: a rule needs one matcher, it has none`},
		{"two matchers", prefix + strings.Replace(validRule, "words: [bluebird]", "words: [bluebird]\n    validator: iban", 1),
			`: rule "no-codename" (index 2): words|validator: a rule needs one matcher, it has words and validator`},
		{"empty word", prefix + strings.Replace(validRule, "[bluebird]", `[bluebird, "!!!"]`, 1),
			`: rule "no-codename" (index 2): words[1]: "!!!" has no letter or digit`},
		{"bad regex", prefix + strings.Replace(validRule, "words: [bluebird]", `regex: ["ok", "a(b"]`, 1),
			`: rule "no-codename" (index 2): regex[1]: error parsing regexp: missing closing ): ` + "`a(b`"},
		{"unknown validator", prefix + strings.Replace(validRule, "words: [bluebird]", "validator: ssn", 1),
			`: rule "no-codename" (index 2): validator: unknown "ssn" (known: card, email, iban, nir, phone)`},
		{"prefilter without regex", prefix + strings.Replace(validRule, "words: [bluebird]", "words: [bluebird]\n    prefilter: [blue]", 1),
			`: rule "no-codename" (index 2): prefilter: only meaningful with regex`},
		{"except with validator", prefix + strings.Replace(validRule, "words: [bluebird]", "validator: iban\n    except: [rib]", 1),
			`: rule "no-codename" (index 2): except: only meaningful with words or list`},
		{"unknown list", prefix + strings.Replace(validRule, "words: [bluebird]", "words: [bluebird]\n    requires: {lists: [employer, staff]}", 1),
			`: rule "no-codename" (index 2): requires.lists[1]: unknown list "staff" (known: company, confidential, disclaimer, disclosure, employer, open_crisis, product)`},
		{"within without target", prefix + strings.Replace(validRule, "words: [bluebird]", "words: [bluebird]\n    requires: {within: 3}", 1),
			`: rule "no-codename" (index 2): requires.within: needs requires.lists or requires.words`},
		{"within too far", prefix + strings.Replace(validRule, "words: [bluebird]", "words: [bluebird]\n    requires: {within: 5000, words: [x]}", 1),
			`: rule "no-codename" (index 2): requires.within: must be 0..1000`},
		{"bad id", prefix + strings.Replace(validRule, "no-codename", "No Codename", 1),
			`: rule "No Codename" (index 2): id: must be 1 to 64 of a-z 0-9 _ . - starting with a letter or digit`},
		{"duplicate id", prefix + strings.Replace(validRule, "no-codename", "first", 1),
			`: rule "first" (index 2): id: already defined in `},
		{"id of a built-in rule", "rules:\n" + strings.Replace(validRule, "no-codename", "pd-iban", 1),
			`: rule "pd-iban" (index 0): id: already defined in rules/common.yaml`},
		{"bad list", "lists:\n  staff:\n    words: []\n",
			`: list "staff": words: must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writePack(t, "custom.yaml", tt.content)
			_, err := New(Options{RuleFiles: []string{file}})
			if err == nil {
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("error %v does not wrap ErrInvalidRule", err)
			}
			if !strings.HasPrefix(err.Error(), file) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %v\nwant\n  %s%s", err, file, tt.want)
			}
		})
	}
}

func TestRuleFileSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"misspelt field", "rules:\n" + strings.Replace(validRule, "severity:", "sevrity:", 1), "field sevrity not found"},
		{"not YAML", "rules: [", "yaml:"},
		{"empty file", "", "empty rule pack"},
		{"nothing in it", "rules: []\n", "no rules and no lists"},
		{"two documents", "rules:\n" + validRule + "---\nrules: []\n", "only one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writePack(t, "custom.yaml", tt.content)
			_, err := New(Options{RuleFiles: []string{file}})
			if err == nil || !strings.HasPrefix(err.Error(), file) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %s…%s", err, file, tt.want)
			}
			if !errors.Is(err, ErrInvalidRule) {
				t.Errorf("error %v does not wrap ErrInvalidRule", err)
			}
		})
	}
	if _, err := New(Options{RuleFiles: []string{filepath.Join(t.TempDir(), "missing.yaml")}}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: error %v does not name it", err)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{ConfidentialTerms: []string{"Orion", "  "}}, `options: confidential_terms[1]: "  " has no letter or digit`},
		{Options{CompanyNames: []string{"#"}}, `options: company_names[0]: "#" has no letter or digit`},
		{Options{Disabled: []string{"fr-insult", "no-such-rule"}}, `options: disabled[1]: unknown rule id "no-such-rule"`},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		if err == nil || !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error %v, want %q", tt.opts, err, tt.want)
		}
	}
}

func TestCustomPackLoadsAndExtendsLists(t *testing.T) {
	file := writePack(t, "custom.yaml", `
lists:
  disclosure:
    words: ["#TeamAcme"]
  codenames:
    words: [bluebird, red kite]
    except: [red kite festival]
rules:
  - id: acme-codename
    category: confidential
    severity: 5
    lang: any
    list: codenames
    explain: {fr: "Nom de code.", en: "Code name."}
  - id: acme-salary
    category: confidential
    severity: 2
    lang: fr
    regex: ['\d+ ?k€ brut']
    prefilter: [salaire]
    explain: {fr: "Salaire publié.", en: "Salary published."}
`)
	e, err := New(Options{RuleFiles: []string{file}, ProductNames: []string{"NovaBox"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, lang string
		want       []string // rule ids
	}{
		{"Bluebird ships in May", "en", []string{"acme-codename"}},
		{"See you at the Red Kite festival", "en", nil},
		{"Red kite is late", "en", []string{"acme-codename"}},
		{"Mon salaire : 52 k€ brut", "fr", []string{"acme-salary"}},
		{"52 k€ brut pour ce poste", "fr", nil}, // the prefilter word is missing
		{"Mon salaire : 52 k€ brut", "en", nil}, // a French rule
		{"The NovaBox is amazing", "en", []string{"en-undisclosed-advocacy"}},
		{"The NovaBox is amazing #TeamAcme", "en", nil}, // the custom disclosure hashtag
	}
	for _, tt := range tests {
		var got []string
		for _, f := range e.Check(tt.text, tt.lang, nil) {
			got = append(got, f.Rule)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Check(%q, %s) = %v, want %v", tt.text, tt.lang, got, tt.want)
		}
	}
	r, ok := e.Rule("acme-codename")
	if !ok || r.Source != file || r.Explanation("fr-FR") != "Nom de code." || r.Explanation("de") != "Code name." {
		t.Errorf("Rule(acme-codename) = %+v, %v", r, ok)
	}
}

// TestBuiltinPacks checks the shipped packs: every category has a rule,
// every rule explains itself in both languages.
func TestBuiltinPacks(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Category]bool{}
	for _, r := range e.Rules() {
		seen[r.Category] = true
		if len(r.Explain.FR) < 40 || len(r.Explain.EN) < 40 {
			t.Errorf("rule %s: explanation too short to help", r.ID)
		}
		if !strings.HasPrefix(r.Source, "rules/") {
			t.Errorf("rule %s: source %q", r.ID, r.Source)
		}
	}
	for _, c := range Categories() {
		if !seen[c] {
			t.Errorf("no built-in rule for category %s", c)
		}
	}
}

func FuzzParsePack(f *testing.F) {
	f.Add([]byte("rules:\n" + validRule))
	f.Add([]byte("lists:\n  x:\n    words: [a]\n"))
	f.Add([]byte("rules:\n  - id: a\n    regex: ['(']\n"))
	f.Add([]byte("rules: {a: b}"))
	f.Add([]byte("- - - -"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePack("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What parses must compile and check any text without panicking.
		e, err := compile([]*pack{p}, Options{})
		if err != nil {
			return // e.g. a reference to a list the pack does not define
		}
		e.Check("Acme confidentiel 06 12 34 56 78 #BoycottAcme jean@gmail.com", "", nil)
	})
}

// TestREADMEExamplePack loads the sample pack of README.md, so that the
// documentation cannot drift from what the loader accepts.
func TestREADMEExamplePack(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	if !ok {
		t.Fatal("README.md has no yaml block")
	}
	pack, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md: unterminated yaml block")
	}
	e, err := New(Options{RuleFiles: []string{writePack(t, "acme.yaml", pack)}, CompanyNames: []string{"Acme"}})
	if err != nil {
		t.Fatalf("README sample pack: %v", err)
	}
	for text, want := range map[string]string{
		"Bluebird sort en mai":                                  "acme-codename",
		"Mon salaire : 48 k€ brut":                              "acme-salary",
		"Chez Acme on trouve que Globex est à fuir":             "acme-competitor-bashing",
		"Chez Acme on trouve que Globex est pas nul":            "",
		"Chez Acme on trouve que Globex est à fuir, avis perso": "",
	} {
		var got []string
		for _, f := range e.Check(text, "fr", nil) {
			if strings.HasPrefix(f.Rule, "acme-") {
				got = append(got, f.Rule)
			}
		}
		if strings.Join(got, ",") != want {
			t.Errorf("Check(%q) = %v, want %q", text, got, want)
		}
	}
}
