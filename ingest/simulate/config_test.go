package simulate

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/mention"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"demo", func(*Config) {}, ""},
		{"no crisis, no employees", func(c *Config) { c.Crisis, c.Employees = nil, nil }, ""},
		{"one generic brand", func(c *Config) {
			c.Brands = []Brand{{ID: "acme", Name: "Acme"}}
			c.Crisis.Brand = "acme"
			c.Employees = nil
		}, ""},
		{"no brands", func(c *Config) { c.Brands = nil }, "simulate.brands: at least one"},
		{"bad id", func(c *Config) { c.Brands[1].ID = "Lufthansa" }, "simulate.brands[1].id:"},
		{"empty id", func(c *Config) { c.Brands[0].ID = "" }, "simulate.brands[0].id:"},
		{"duplicate id", func(c *Config) { c.Brands[2].ID = "airfrance" }, "simulate.brands[2].id: \"airfrance\" is already"},
		{"no name", func(c *Config) { c.Brands[0].Name = " " }, "simulate.brands[0].name:"},
		{"brace in name", func(c *Config) { c.Brands[0].Name = "Air {b}" }, "simulate.brands[0].name:"},
		{"bad alias", func(c *Config) { c.Brands[0].Aliases = []string{"#"} }, "simulate.brands[0].aliases[0]:"},
		{"control in alias", func(c *Config) { c.Brands[0].Aliases = []string{"air\nfrance"} }, "simulate.brands[0].aliases[0]:"},
		{"bad kind", func(c *Config) { c.Brands[1].Kind = "rival" }, "simulate.brands[1].kind:"},
		{"bad sector", func(c *Config) { c.Brands[1].Sector = "rail" }, "simulate.brands[1].sector:"},
		{"negative volume", func(c *Config) { c.Brands[0].BasePerMinute = -1 }, "simulate.brands[0].base_per_minute:"},
		{"NaN volume", func(c *Config) { c.Brands[0].BasePerMinute = math.NaN() }, "simulate.brands[0].base_per_minute:"},
		{"huge volume", func(c *Config) { c.Brands[0].BasePerMinute = 1e6 }, "simulate.brands[0].base_per_minute:"},
		{"bad handle", func(c *Config) { c.Brands[0].OfficialHandles = []string{"air france"} }, "simulate.brands[0].official_handles[0]:"},
		{"negative history", func(c *Config) { c.History = -time.Hour }, "simulate.history:"},
		{"long history", func(c *Config) { c.History = 100 * 24 * time.Hour }, "simulate.history:"},
		{"negative live speed", func(c *Config) { c.LiveSpeed = -1 }, "simulate.live_speed:"},
		{"unknown crisis brand", func(c *Config) { c.Crisis.Brand = "klm" }, "simulate.crisis.brand: \"klm\""},
		{"onset before history", func(c *Config) { c.Crisis.OnsetBeforeNow = 200 * time.Hour }, "simulate.crisis.onset_before_now:"},
		{"negative ramp", func(c *Config) { c.Crisis.Ramp = -time.Minute }, "simulate.crisis.ramp:"},
		{"peak below 1", func(c *Config) { c.Crisis.PeakFactor = 0.5 }, "simulate.crisis.peak_factor:"},
		{"tiny half-life", func(c *Config) { c.Crisis.DecayHalfLife = time.Second }, "simulate.crisis.decay_half_life:"},
		{"hashtag without #", func(c *Config) { c.Crisis.Hashtags = []string{"boycott"} }, "simulate.crisis.hashtags[0]:"},
		{"speed 1 never catches up", func(c *Config) { c.Crisis.Speed = 1 }, "simulate.crisis.speed:"},
		{"employee without id", func(c *Config) { c.Employees[3].ID = "" }, "simulate.employees[3].id:"},
		{"employee bad handle", func(c *Config) { c.Employees[0].Handle = "claire pnc" }, "simulate.employees[0].handle:"},
		{"employee no name", func(c *Config) { c.Employees[0].Name = "" }, "simulate.employees[0].name:"},
		{"duplicate employee", func(c *Config) { c.Employees[1].ID = c.Employees[0].ID }, "simulate.employees[1].id:"},
		{"employees without employer", func(c *Config) {
			for i := range c.Brands {
				c.Brands[i].Kind = KindCompetitor
			}
		}, "simulate.employees: employees need a brand"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Demo()
			tc.change(&cfg)
			cfg.SetDefaults()
			err := cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestSetDefaults(t *testing.T) {
	cfg := Config{Brands: []Brand{{ID: "acme-corp", Name: "Acme"}}, Crisis: &Crisis{Brand: "acme-corp"}}
	cfg.SetDefaults()
	b, k := cfg.Brands[0], cfg.Crisis
	if cfg.History != 168*time.Hour || cfg.LiveSpeed != 1 || b.Kind != KindBrand || b.Sector != SectorGeneric ||
		b.BasePerMinute != 2 || k.OnsetBeforeNow != 90*time.Minute || k.Ramp != time.Hour || k.PeakFactor != 20 ||
		k.Speed != 60 || k.DecayHalfLife != 90*time.Minute || len(k.Hashtags) != 1 || k.Hashtags[0] != "#boycottacmecorp" {
		t.Fatalf("defaults not applied: %+v %+v", cfg, *k)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNewDoesNotChangeTheCallersConfig(t *testing.T) {
	cfg := Demo()
	if _, err := New(cfg, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.Crisis.Ramp != 0 || cfg.Crisis.Speed != 0 || cfg.LiveSpeed != 0 {
		t.Fatalf("New wrote defaults into the caller's config: %+v", *cfg.Crisis)
	}
}

// TestREADMESample keeps the README's sample configuration valid.
func TestREADMESample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	sample, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no yaml sample")
	}
	var doc struct {
		Simulate Config `yaml:"simulate"`
	}
	if err := yaml.Unmarshal([]byte(sample), &doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Simulate
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Crisis == nil || cfg.Crisis.OnsetBeforeNow != 90*time.Minute || len(cfg.Brands) < 2 || len(cfg.Employees) == 0 {
		t.Fatalf("sample decoded to %+v", cfg)
	}
}

// FuzzConfig checks that any configuration that validates generates
// posts that pass mention.Normalize and name their brand, whatever the
// brand's name and aliases.
func FuzzConfig(f *testing.F) {
	f.Add("Air France", "#airfrance", "@airfrance", 3.0, 20.0, int64(1), "airline")
	f.Add("Ça Marche", "#çamarche", "@camarche", 0.5, 1.0, int64(-7), "generic")
	f.Add("x", "y", "@z", 400.0, 100.0, int64(0), "")
	f.Add("Élysée Café", "Élysée", "#a_b", 1e-9, 1.5, int64(42), "airline")
	f.Fuzz(func(t *testing.T, name, alias1, alias2 string, base, peak float64, seed int64, sector string) {
		cfg := Config{
			Seed: seed,
			Brands: []Brand{
				{ID: "b", Name: name, Aliases: []string{alias1, alias2}, Sector: sector, BasePerMinute: base, OfficialHandles: []string{"brand"}},
				{ID: "c", Name: "Rival", Kind: KindCompetitor, Sector: sector},
			},
			History:   time.Hour,
			Crisis:    &Crisis{Brand: "b", PeakFactor: peak, Ramp: 20 * time.Minute, OnsetBeforeNow: 30 * time.Minute},
			Employees: []Employee{{ID: "e1", Handle: "emp", Name: "Em Ployee"}},
		}
		cfg.SetDefaults()
		if cfg.Validate() != nil {
			return
		}
		cfg.Brands[0].BasePerMinute = min(base, 5) // keep each input fast
		now := monday.Add(2 * time.Hour)
		err := generate(cfg, monday.Add(-time.Hour), monday.Add(15*time.Minute), func(p *post) error {
			if err := mention.Normalize(p.m, mention.Limits{}, now); err != nil {
				t.Fatalf("%v: %+v", err, p.m)
			}
			if !namesBrand(p.m.Text, cfg.Brands[p.brand]) {
				t.Fatalf("post about %q does not name it: %q", cfg.Brands[p.brand].Name, p.m.Text)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
