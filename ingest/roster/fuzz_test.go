package roster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// checkRoster asserts what every roster that loads must satisfy.
func checkRoster(t *testing.T, r *Roster) {
	for _, e := range r.Employees() {
		for _, h := range e.Handles() {
			got, ok := r.Employee(h.Network, h.Handle)
			if !ok || got.ID != e.ID {
				t.Fatalf("employee %q: own handle %v finds %q, %v", e.ID, h, got.ID, ok)
			}
			if r.IsOfficial(h.Network, h.Handle) {
				t.Fatalf("handle %v is both an employee's and official", h)
			}
		}
	}
	for _, a := range r.Officials() {
		for _, h := range a.Handles() {
			if !r.IsOfficial(h.Network, h.Handle) {
				t.Fatalf("official handle %v not found", h)
			}
		}
	}
	for _, d := range r.CorporateDomains() {
		if !r.IsCorporateURL("https://www." + d + "/") {
			t.Fatalf("domain %q does not match its own subdomain", d)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	// Small seeds: the fuzzer minimises every new interesting input for up
	// to a minute, which on large seeds leaves no time to fuzz.
	f.Add([]byte("kind,employee_id,name,region,twitter,mastodon,domain\nemployee,E1,Jeanne,Bretagne,@JD,jd@m.example,\nofficial,,Acme,,acmefr,,\ndomain,,,,,,acme.com\n"))
	f.Add([]byte("employee_id;nom;twitter\nE1;A;@a|b\n"))
	f.Add([]byte("kind,domain\ndomain,acme.com\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(FormatCSV, "f.csv", data)
		if err != nil {
			return
		}
		checkRoster(t, r)
	})
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("employees:\n  - id: E1\n    name: J\n    handles: {twitter: jd, linkedin: 'https://www.linkedin.com/in/jd/'}\nofficial:\n  - {name: A, handles: {twitter: acme}}\ndomains: [acme.com]\n"))
	f.Add([]byte("employees:\n  - &a {id: E1, handles: {mastodon: [a@b.c]}}\nofficial: [{name: x, handles: {x: y}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(FormatYAML, "f.yaml", data)
		if err != nil {
			return
		}
		checkRoster(t, r)
	})
}

// FuzzApply feeds arbitrary handles, texts and links to Apply.
func FuzzApply(f *testing.F) {
	f.Add("twitter", "jdupont", "RT @acmefr: https://acme.com", "https://www.acme.fr/x")
	f.Add("mastodon", "@jdupont@mastodon.social", "http://", "//acme.com")
	f.Add("x", "@", "https://a@b@acme.com:80:90/", "https://[::1]:80/")
	data, err := os.ReadFile(filepath.Join("testdata", "roster.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	r, err := Parse(FormatYAML, "roster.yaml", data)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, source, handle, text, link string) {
		m := &mention.Mention{Source: source, Author: mention.Author{Handle: handle}, Text: text,
			Links: []string{link}, RepostOf: "x", Mentions: []string{handle}, CreatedAt: time.Unix(0, 0)}
		Apply(r, m)
		if m.Author.EmployeeID != "" {
			if _, ok := r.Employee(source, handle); !ok {
				t.Fatalf("Apply set employee %q for an unknown author", m.Author.EmployeeID)
			}
		}
	})
}
