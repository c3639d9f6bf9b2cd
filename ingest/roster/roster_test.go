package roster

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func loadSample(t testing.TB, name string) *Roster {
	t.Helper()
	r, err := Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSamplesAgree(t *testing.T) {
	c := loadSample(t, "roster.csv")
	y := loadSample(t, "roster.yaml")
	if c.Len() != 5 || y.Len() != 5 {
		t.Fatalf("employees: csv %d, yaml %d, want 5", c.Len(), y.Len())
	}
	if !reflect.DeepEqual(c.Employees(), y.Employees()) {
		t.Errorf("employees differ:\ncsv  %+v\nyaml %+v", c.Employees(), y.Employees())
	}
	if !reflect.DeepEqual(c.Officials(), y.Officials()) {
		t.Errorf("official accounts differ:\ncsv  %+v\nyaml %+v", c.Officials(), y.Officials())
	}
	want := []string{"acme.com", "acme.fr", "acme-group.eu"}
	if !reflect.DeepEqual(c.CorporateDomains(), want) || !reflect.DeepEqual(y.CorporateDomains(), want) {
		t.Errorf("domains: csv %v, yaml %v, want %v", c.CorporateDomains(), y.CorporateDomains(), want)
	}
	e, _ := c.Employee("twitter", "jdupont")
	wantH := []Handle{{"twitter", "jdupont"}, {"mastodon", "jdupont@mastodon.social"},
		{"bluesky", "jdupont.bsky.social"}, {"linkedin", "jeanne-dupont"}}
	if got := e.Handles(); !reflect.DeepEqual(got, wantH) {
		t.Errorf("handles of E1001 = %v, want %v", got, wantH)
	}
	if e.Name != "Jeanne Dupont" || e.Department != "Communication" || e.Region != "Île-de-France" {
		t.Errorf("E1001 = %+v", e)
	}
}

func TestEmployeeLookup(t *testing.T) {
	for _, file := range []string{"roster.csv", "roster.yaml"} {
		r := loadSample(t, file)
		for _, tc := range []struct {
			source, handle, want string // want "" = no match
		}{
			{"twitter", "jdupont", "E1001"},
			{"twitter", "@JDupont", "E1001"},
			{"twitter", "  @jdupont ", "E1001"},
			{"x", "jdupont", "E1001"},    // the same network...
			{"xapi", "jdupont", "E1001"}, // ...as the X API v2 collector names it
			{"Twitter", "JDUPONT", "E1001"},
			{"twitter", "kbenali", "E1002"}, // written "@KBenali" in the file
			{"twitter", "patrick_acme", "E1004"},
			{"twitter", "pat_oneil", "E1004"},
			{"mastodon", "jdupont@mastodon.social", "E1001"},
			{"mastodon", "@jdupont@Mastodon.Social", "E1001"},
			{"mastodon", "jdupont", "E1001"},                 // local account, instance not given
			{"mastodon", "lmoreau", "E1005"},                 // written as a profile URL
			{"mastodon", "lmoreau@mastodon.social", "E1005"}, // idem
			{"mastodon", "sophie@piaille.fr", "E1003"},
			{"mastodon", "jdupont@other.example", ""}, // another person on another instance
			{"linkedin", "jeanne-dupont", "E1001"},    // written as a profile URL
			{"bluesky", "jdupont.bsky.social", "E1001"},
			{"twitter", "jdupont.bsky.social", ""}, // right handle, wrong network
			{"mastodon", "kbenali", ""},
			{"twitter", "", ""},
			{"twitter", "@", ""},
			{"facebook", "jdupont", ""},
			{"twitter", "acmefr", ""}, // official, not an employee
			{"twitter", "jdupönt", ""},
			{"twitter", strings.Repeat("a", 300), ""},
			{strings.Repeat("x", 100), "jdupont", ""},
		} {
			e, ok := r.Employee(tc.source, tc.handle)
			if got := e.ID; got != tc.want || ok != (tc.want != "") {
				t.Errorf("%s: Employee(%q, %q) = %q, %v; want %q", file, tc.source, tc.handle, got, ok, tc.want)
			}
		}
		for _, tc := range []struct {
			source, handle string
			want           bool
		}{
			{"twitter", "acmefr", true},
			{"twitter", "@ACMEFR", true},
			{"x", "acme_jobs", true},
			{"mastodon", "acme@mastodon.social", true},
			{"mastodon", "acme", true},
			{"mastodon", "acme@evil.example", false},
			{"bluesky", "acme.bsky.social", true},
			{"linkedin", "acme", true},
			{"twitter", "jdupont", false},
			{"twitter", "acme", false},
		} {
			if got := r.IsOfficial(tc.source, tc.handle); got != tc.want {
				t.Errorf("%s: IsOfficial(%q, %q) = %v, want %v", file, tc.source, tc.handle, got, tc.want)
			}
		}
	}
}

func TestBareFediverseHandleAmbiguous(t *testing.T) {
	r, err := Parse(FormatYAML, "r.yaml", []byte(`
employees:
  - {id: A, handles: {mastodon: jd@one.example}}
  - {id: B, handles: {mastodon: jd@two.example}}
  - {id: C, handles: {mastodon: [zoe@one.example, zoe@two.example]}}
  - {id: D, handles: {mastodon: solo}}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ handle, want string }{
		{"jd@one.example", "A"},
		{"jd@two.example", "B"},
		{"jd", ""},   // two employees: no guess
		{"zoe", "C"}, // one employee with two accounts
		{"solo", "D"},
		{"solo@any.example", "D"}, // written without instance: any instance
	} {
		e, _ := r.Employee("mastodon", tc.handle)
		if e.ID != tc.want {
			t.Errorf("Employee(mastodon, %q) = %q, want %q", tc.handle, e.ID, tc.want)
		}
	}
}

func TestRosterIsImmutable(t *testing.T) {
	r := loadSample(t, "roster.yaml")
	e, _ := r.Employee("twitter", "jdupont")
	h := e.Handles()
	h[0].Handle = "changed"
	e.ID = "changed"
	r.Employees()[0].ID = "changed"
	r.CorporateDomains()[0] = "evil.example"
	if e2, ok := r.Employee("twitter", "jdupont"); !ok || e2.ID != "E1001" || e2.Handles()[0].Handle != "jdupont" {
		t.Fatalf("roster changed through a returned value: %+v", e2)
	}
	if r.CorporateDomains()[0] != "acme.com" {
		t.Fatal("domains changed through a returned slice")
	}
}

func TestNilRoster(t *testing.T) {
	var r *Roster
	if _, ok := r.Employee("twitter", "x"); ok || r.IsOfficial("twitter", "x") || r.IsCorporateURL("https://acme.com") {
		t.Fatal("a nil roster matched")
	}
	Apply(r, nil)
}

func TestCSVVariants(t *testing.T) {
	// A French spreadsheet: ';' separator, BOM, Windows-1252, aliases.
	text := "Matricule;Nom;Service;Région;Twitter\r\nE1;Hélène Faure;Achats;Bretagne;@hfaure\r\n\r\nE2;Noël Petit;;;\r\n"
	cp, err := charmap.Windows1252.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"utf8":   []byte(text),
		"bom":    append([]byte("\xef\xbb\xbf"), text...),
		"cp1252": []byte(cp),
		"tabs":   []byte(strings.ReplaceAll(text, ";", "\t")),
	} {
		r, err := Parse(FormatCSV, name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		e, ok := r.Employee("twitter", "HFaure")
		if !ok || e.ID != "E1" || e.Name != "Hélène Faure" || e.Department != "Achats" || e.Region != "Bretagne" {
			t.Errorf("%s: E1 = %+v, %v", name, e, ok)
		}
		if r.Len() != 2 {
			t.Errorf("%s: %d employees, want 2", name, r.Len())
		}
	}
}

func TestLoadErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		want                string // substring of the error
	}{
		{"csv no id column", "r.csv", "name,twitter\nJeanne,jd\n", "r.csv:1: the header needs an employee_id column"},
		{"csv empty id", "r.csv", "employee_id,name\nE1,A\n,B\n", "r.csv:3: employee_id: is required"},
		{"csv duplicate id", "r.csv", "employee_id,name\nE1,A\nE2,B\nE1,C\n", `r.csv:4: employee_id: employee "E1" is already defined at line 2`},
		{"csv duplicate handle", "r.csv", "employee_id,twitter\nE1,jd\nE2,@JD\n", "r.csv:3: twitter: twitter:jd is already an employee at line 2"},
		{"csv official handle", "r.csv", "kind,employee_id,name,twitter\nofficial,,Acme,acme\nemployee,E1,A,acme\n", "r.csv:3: twitter: twitter:acme is already an official account at line 2"},
		{"csv bad kind", "r.csv", "kind,employee_id\nboss,E1\n", `r.csv:2: kind: "boss" must be employee, official or domain`},
		{"csv bad domain", "r.csv", "kind,domain\ndomain,https://acme.com/\n", `r.csv:2: domain: "https://acme.com/" is not a domain name`},
		{"csv bad network", "r.csv", "employee_id,Twitter Handle!\n", "r.csv:1: column 2: network"},
		{"csv bad handle", "r.csv", "# comment\nemployee_id,mastodon\nE1,jd@\n", `r.csv:3: mastodon: handle "jd@": want user or user@instance`},
		{"csv quotes", "r.csv", "employee_id,name\nE1,\"A\n", "r.csv:2:"},
		{"csv too many fields", "r.csv", "employee_id,name\nE1,A,extra\n", "r.csv:2: 3 fields, the header has 2"},
		{"csv repeated column", "r.csv", "employee_id,name,id\n", "r.csv:1: employee_id: column repeated"},
		{"csv empty", "r.csv", "\n\n", "file is empty"},
		{"csv official without handle", "r.csv", "kind,employee_id,name,twitter\nofficial,,Acme,\n", "r.csv:2: handles: an official account needs at least one handle"},
		{"yaml syntax", "r.yaml", "employees:\n  - id: [\n", "r.yaml: yaml:"},
		{"yaml unknown key", "r.yaml", "employees: []\nofficals: []\n", "r.yaml:2: officals: unknown key"},
		{"yaml employee key", "r.yaml", "employees:\n  - id: E1\n    nmae: A\n", "r.yaml:3: employees[0].nmae: unknown key"},
		{"yaml missing id", "r.yaml", "employees:\n  - id: E1\n  - name: B\n", "r.yaml:3: employees[1].id: is required"},
		{"yaml bad handle", "r.yaml", "employees:\n  - id: E1\n    handles:\n      twitter: jd\n      mastodon: 'a b'\n", "r.yaml:5: employees[0].handles.mastodon: handle"},
		{"yaml handles not a map", "r.yaml", "employees:\n  - id: E1\n    handles: jd\n", "r.yaml:3: employees[0].handles: want a mapping"},
		{"yaml domain", "r.yaml", "domains:\n  - acme.com\n  - localhost\n", `r.yaml:3: domains[1]: "localhost" is not a domain name`},
		{"yaml not a map", "r.yaml", "- a\n- b\n", "r.yaml:1: want a mapping"},
		{"yaml duplicate", "r.yaml", "employees:\n  - {id: E1, handles: {twitter: a}}\n  - {id: E2, handles: {x: A}}\n", "r.yaml:3: employees[1].handles.x: twitter:a is already an employee at line 2"},
		{"unknown format", "r.txt", "x", "unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tc.want)
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q does not contain %q", msg, tc.want)
			}
			if FormatOf(tc.file) != "" && !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.csv"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}
