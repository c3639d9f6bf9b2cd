package roster

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-project/vigie/mention"
)

// bigRoster has n employees with a Twitter and a Mastodon handle each.
func bigRoster(b *testing.B, n int) *Roster {
	var sb strings.Builder
	sb.WriteString("kind,employee_id,name,region,twitter,mastodon,domain\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "employee,E%d,Person %d,Bretagne,user%d,user%d@mastodon.social,\n", i, i, i, i)
	}
	sb.WriteString("official,,Acme,,acmefr,acme@mastodon.social,\ndomain,,,,,,acme.com\ndomain,,,,,,acme.fr\n")
	r, err := Parse(FormatCSV, "big.csv", []byte(sb.String()))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkApply(b *testing.B) {
	r := bigRoster(b, 10000)
	cases := []struct {
		name string
		m    mention.Mention
	}{
		{"stranger", mention.Mention{Source: "twitter", Author: mention.Author{Handle: "someone_else"},
			Text:  "Encore un retard chez Acme, troisième fois ce mois-ci. Service client injoignable #fail https://t.co/xyz",
			Links: []string{"https://t.co/xyz"}}},
		{"employee", mention.Mention{Source: "twitter", Author: mention.Author{Handle: "User4242"},
			Text: "Fière de mon équipe aujourd'hui !"}},
		{"employee_relay", mention.Mention{Source: "mastodon", Author: mention.Author{Handle: "user7@mastodon.social"},
			Text: "On recrute à Lyon", RepostOf: "mastodon:mastodon.social:1", Mentions: []string{"acme@mastodon.social"}}},
		{"link_to_corporate", mention.Mention{Source: "twitter", Author: mention.Author{Handle: "user12"},
			Text: "Notre nouveau blog : https://blog.acme.fr/2026/11/lyon"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := c.m
				Apply(r, &m)
			}
		})
	}
}

func BenchmarkLoadCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("employee_id,name,region,twitter,mastodon\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "E%d,Person %d,Bretagne,user%d,user%d@mastodon.social\n", i, i, i, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(FormatCSV, "big.csv", data); err != nil {
			b.Fatal(err)
		}
	}
}
