package watch

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestSampleConfig decodes testdata/watches.yaml, the sample shown in the
// README, and matches a few posts with it.
func TestSampleConfig(t *testing.T) {
	raw, err := os.ReadFile("testdata/watches.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Watches []Spec `yaml:"watches"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	m, err := Compile(cfg.Watches)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  Doc
		want []string
	}{
		{Doc{Text: "Grève des pilotes Air France demain", Lang: "fr"}, []string{"airfrance", "airfrance-greve"}},
		{Doc{Text: "Grève des pilotes Air France demain", Lang: "en"}, []string{"airfrance"}},
		{Doc{Text: "Air France : mon vol est encore annulé"}, []string{"airfrance", "airfrance-retards"}},
		{Doc{Text: "Air France recrutement : 500 offres"}, nil},
		{Doc{Text: "Vol KLM et Orange en panne"}, []string{"klm", "orange-operateur"}},
		{Doc{Text: "Un jus d'orange"}, nil},
		{Doc{Text: "Fière d'être ambassadrice", Source: "linkedin"}, nil},
		{Doc{Text: "Fière d'être ambassadeur", Source: "linkedin"}, []string{"tous-ambassadeurs"}},
		{Doc{Text: "ambassadeur", Source: "twitter", Hashtags: []string{"TousAmbassadeurs"}}, []string{"tous-ambassadeurs"}},
	}
	for _, tt := range tests {
		if got := m.Match(&tt.doc, nil); !slices.Equal(got, tt.want) {
			t.Errorf("Match(%+v) = %q, want %q", tt.doc, got, tt.want)
		}
	}
	if got := m.Upstream("airfrance-greve"); !slices.Equal(got.Langs, []string{"fr"}) {
		t.Errorf("Upstream(airfrance-greve).Langs = %q, want [fr]", got.Langs)
	}
}
