package simulate

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-project/vigie/mention"
)

// Brand kinds.
const (
	KindBrand      = "brand"      // the company's own brand
	KindCompetitor = "competitor" // a competitor, for share of voice
)

// Sectors select sector-specific vocabulary on top of the shared one.
const (
	SectorGeneric = "generic" // customer service, apps, prices: any company
	SectorAirline = "airline" // flights, delays, luggage, strikes
)

// Bounds that keep a mistyped config from generating without end.
const (
	MaxBasePerMinute = 500
	MaxPeakFactor    = 100
	MaxHistory       = 90 * 24 * time.Hour
	MaxEmployees     = 10000
	MaxSpeed         = 1e5
)

// Config is the simulator's configuration.
type Config struct {
	Brands []Brand `yaml:"brands"`
	// Seed makes the output reproducible: the same seed and start time
	// give the same posts.
	Seed int64 `yaml:"seed"`
	// History is the quiet past backfilled at full speed before the
	// wall-clock start (default 168h).
	History time.Duration `yaml:"history"`
	// Crisis, when set, scripts a bad buzz on one brand.
	Crisis *Crisis `yaml:"crisis"`
	// Employees post sometimes about the first brand of kind "brand":
	// relays of official posts, complaints, ideas, crisis comments.
	Employees []Employee `yaml:"employees"`
	// LiveSpeed is how much faster than real time posts are generated once
	// caught up with the wall clock (default 1). Above 1, created_at runs
	// ahead of the wall clock.
	LiveSpeed float64 `yaml:"live_speed"`
}

// Brand is a watched brand or competitor.
type Brand struct {
	ID              string   `yaml:"id"`               // watch id, e.g. "airfrance"
	Name            string   `yaml:"name"`             // "Air France"
	Aliases         []string `yaml:"aliases"`          // "#airfrance", "@airfrance"
	Kind            string   `yaml:"kind"`             // brand (default) or competitor
	Sector          string   `yaml:"sector"`           // generic (default) or airline
	BasePerMinute   float64  `yaml:"base_per_minute"`  // mean posts per minute at the weekday peak (default 2)
	OfficialHandles []string `yaml:"official_handles"` // the brand's own accounts, e.g. "airfrance"
}

// Crisis scripts a bad buzz.
type Crisis struct {
	Brand string `yaml:"brand"` // id of the brand in trouble
	// OnsetBeforeNow puts the onset this long before the wall-clock start
	// (default 90m), so a demo opens on a crisis already rising.
	OnsetBeforeNow time.Duration `yaml:"onset_before_now"`
	// Ramp is how long the volume takes to reach PeakFactor × normal
	// (default 60m).
	Ramp time.Duration `yaml:"ramp"`
	// PeakFactor is the volume at the peak against the normal level
	// (default 20).
	PeakFactor float64 `yaml:"peak_factor"`
	// DecayHalfLife is how fast the excess volume fades after the peak
	// (default 90m: back near normal after several hours).
	DecayHalfLife time.Duration `yaml:"decay_half_life"`
	// Hashtags are the crisis's new terms (default "#boycott<brand id>").
	Hashtags []string `yaml:"hashtags"`
	// Speed is how much faster than real time the 30 minutes before the
	// onset and the crisis so far are played, until event time catches up
	// with the wall clock (default 60; must be above 1).
	Speed float64 `yaml:"speed"`
}

// Employee is an employee of the own brand who posts now and then.
type Employee struct {
	ID     string `yaml:"id"`     // roster id, set as author.employee_id
	Handle string `yaml:"handle"` // without "@"
	Name   string `yaml:"name"`
}

// SetDefaults fills unset fields with their defaults.
func (c *Config) SetDefaults() {
	if c.History == 0 {
		c.History = 168 * time.Hour
	}
	if c.LiveSpeed == 0 {
		c.LiveSpeed = 1
	}
	for i := range c.Brands {
		b := &c.Brands[i]
		if b.Kind == "" {
			b.Kind = KindBrand
		}
		if b.Sector == "" {
			b.Sector = SectorGeneric
		}
		if b.BasePerMinute == 0 {
			b.BasePerMinute = 2
		}
	}
	if k := c.Crisis; k != nil {
		if k.OnsetBeforeNow == 0 {
			k.OnsetBeforeNow = 90 * time.Minute
		}
		if k.Ramp == 0 {
			k.Ramp = 60 * time.Minute
		}
		if k.PeakFactor == 0 {
			k.PeakFactor = 20
		}
		if k.DecayHalfLife == 0 {
			k.DecayHalfLife = 90 * time.Minute
		}
		if k.Speed == 0 {
			k.Speed = 60
		}
		if len(k.Hashtags) == 0 && k.Brand != "" {
			k.Hashtags = []string{"#boycott" + strings.NewReplacer("-", "", "_", "").Replace(k.Brand)}
		}
	}
}

// Validate reports the first invalid field, named by its YAML path.
// Call SetDefaults first.
func (c *Config) Validate() error {
	if len(c.Brands) == 0 {
		return errors.New("simulate.brands: at least one brand is required")
	}
	ids := map[string]int{}
	for i, b := range c.Brands {
		if err := b.validate(); err != nil {
			return fmt.Errorf("simulate.brands[%d].%w", i, err)
		}
		if j, dup := ids[b.ID]; dup {
			return fmt.Errorf("simulate.brands[%d].id: %q is already the id of brands[%d]", i, b.ID, j)
		}
		ids[b.ID] = i
	}
	if c.History < 0 || c.History > MaxHistory {
		return fmt.Errorf("simulate.history: must be between 0 and %s, got %s", MaxHistory, c.History)
	}
	if !(c.LiveSpeed > 0) || c.LiveSpeed > MaxSpeed {
		return fmt.Errorf("simulate.live_speed: must be above 0 and at most %g, got %v", float64(MaxSpeed), c.LiveSpeed)
	}
	if k := c.Crisis; k != nil {
		if err := k.validate(ids, c.History); err != nil {
			return fmt.Errorf("simulate.crisis.%w", err)
		}
	}
	if len(c.Employees) > MaxEmployees {
		return fmt.Errorf("simulate.employees: at most %d, got %d", MaxEmployees, len(c.Employees))
	}
	if len(c.Employees) > 0 && c.employer() < 0 {
		return fmt.Errorf("simulate.employees: employees need a brand of kind %q to work for", KindBrand)
	}
	empIDs := map[string]int{}
	for i, e := range c.Employees {
		switch {
		case e.ID == "" || badText(e.ID) || strings.ContainsFunc(e.ID, unicode.IsSpace):
			return fmt.Errorf("simulate.employees[%d].id: %q must be non-empty, printable and without spaces", i, e.ID)
		case !validHandle(e.Handle):
			return fmt.Errorf("simulate.employees[%d].handle: %q must be 1-30 ASCII letters, digits or '_' (an optional '@' first)", i, e.Handle)
		case strings.TrimSpace(e.Name) == "" || badText(e.Name):
			return fmt.Errorf("simulate.employees[%d].name: must be non-empty printable text", i)
		}
		if j, dup := empIDs[e.ID]; dup {
			return fmt.Errorf("simulate.employees[%d].id: %q is already the id of employees[%d]", i, e.ID, j)
		}
		empIDs[e.ID] = i
	}
	return nil
}

// employer is the index of the brand employees work for, or -1.
func (c *Config) employer() int {
	for i, b := range c.Brands {
		if b.Kind == KindBrand {
			return i
		}
	}
	return -1
}

func (b Brand) validate() error {
	if !mention.ValidToken(b.ID) {
		return fmt.Errorf("id: %q must be 1-64 lower-case ASCII letters, digits, '-' or '_'", b.ID)
	}
	if strings.TrimSpace(b.Name) == "" || badText(b.Name) || len(b.Name) > 100 {
		return fmt.Errorf("name: %q must be 1-100 bytes of printable text", b.Name)
	}
	for j, a := range b.Aliases {
		if strings.TrimSpace(a) == "" || badText(a) || len(a) > 100 {
			return fmt.Errorf("aliases[%d]: %q must be 1-100 bytes of printable text", j, a)
		}
		if (a[0] == '#' || a[0] == '@') && !validTag(a[1:]) {
			return fmt.Errorf("aliases[%d]: %q: a hashtag or handle needs letters, digits or '_' after its %q", j, a, a[:1])
		}
	}
	if b.Kind != KindBrand && b.Kind != KindCompetitor {
		return fmt.Errorf("kind: %q must be %q or %q", b.Kind, KindBrand, KindCompetitor)
	}
	if b.Sector != SectorGeneric && b.Sector != SectorAirline {
		return fmt.Errorf("sector: %q must be %q or %q", b.Sector, SectorGeneric, SectorAirline)
	}
	if !(b.BasePerMinute > 0) || b.BasePerMinute > MaxBasePerMinute {
		return fmt.Errorf("base_per_minute: must be above 0 and at most %d, got %v", MaxBasePerMinute, b.BasePerMinute)
	}
	for j, h := range b.OfficialHandles {
		if !validHandle(h) {
			return fmt.Errorf("official_handles[%d]: %q must be 1-30 ASCII letters, digits or '_' (an optional '@' first)", j, h)
		}
	}
	return nil
}

func (k *Crisis) validate(brands map[string]int, history time.Duration) error {
	if _, ok := brands[k.Brand]; !ok {
		return fmt.Errorf("brand: %q is not the id of a configured brand", k.Brand)
	}
	if k.OnsetBeforeNow < 0 || k.OnsetBeforeNow > history {
		return fmt.Errorf("onset_before_now: must be between 0 and simulate.history (%s), got %s", history, k.OnsetBeforeNow)
	}
	if k.Ramp <= 0 || k.Ramp > 24*time.Hour {
		return fmt.Errorf("ramp: must be above 0 and at most 24h, got %s", k.Ramp)
	}
	if !(k.PeakFactor >= 1) || k.PeakFactor > MaxPeakFactor {
		return fmt.Errorf("peak_factor: must be between 1 and %d, got %v", MaxPeakFactor, k.PeakFactor)
	}
	if k.DecayHalfLife < time.Minute || k.DecayHalfLife > 7*24*time.Hour {
		return fmt.Errorf("decay_half_life: must be between 1m and 168h, got %s", k.DecayHalfLife)
	}
	for j, h := range k.Hashtags {
		if !strings.HasPrefix(h, "#") || !validTag(h[1:]) {
			return fmt.Errorf("hashtags[%d]: %q must be '#' followed by letters, digits or '_'", j, h)
		}
	}
	if !(k.Speed > 1) || k.Speed > MaxSpeed {
		return fmt.Errorf("speed: must be above 1 (to catch up with the wall clock) and at most %g, got %v", float64(MaxSpeed), k.Speed)
	}
	return nil
}

// badText reports invalid UTF-8 or control characters, and braces, which
// the phrase templates use for their slots.
func badText(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '{' || r == '}' })
}

// validHandle: what X allows (Mastodon's local part is a subset).
func validHandle(h string) bool {
	h = strings.TrimPrefix(h, "@")
	if h == "" || len(h) > 30 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validTag: a hashtag body as the extractor reads it (letters, digits, '_').
func validTag(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !isTagRune(r) {
			return false
		}
	}
	return true
}

func isTagRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// clone returns a deep copy, so that defaults never write to the caller's
// slices.
func (c Config) clone() Config {
	c.Brands = append([]Brand(nil), c.Brands...)
	for i := range c.Brands {
		c.Brands[i].Aliases = append([]string(nil), c.Brands[i].Aliases...)
		c.Brands[i].OfficialHandles = append([]string(nil), c.Brands[i].OfficialHandles...)
	}
	if c.Crisis != nil {
		k := *c.Crisis
		k.Hashtags = append([]string(nil), k.Hashtags...)
		c.Crisis = &k
	}
	c.Employees = append([]Employee(nil), c.Employees...)
	return c
}

// Demo returns the configuration of `vigie demo`: Air France with two
// competitors, a dozen employees and the "torn shirt" crisis of October
// 2015 replayed as a bad buzz that started 90 minutes ago.
func Demo() Config {
	return Config{
		Seed: 20151005,
		Brands: []Brand{
			{ID: "airfrance", Name: "Air France", Aliases: []string{"#airfrance", "@airfrance"}, Kind: KindBrand,
				Sector: SectorAirline, BasePerMinute: 3, OfficialHandles: []string{"airfrance"}},
			{ID: "lufthansa", Name: "Lufthansa", Aliases: []string{"#lufthansa", "@lufthansa"}, Kind: KindCompetitor,
				Sector: SectorAirline, BasePerMinute: 1.5, OfficialHandles: []string{"lufthansa"}},
			{ID: "easyjet", Name: "easyJet", Aliases: []string{"#easyjet", "@easyJet"}, Kind: KindCompetitor,
				Sector: SectorAirline, BasePerMinute: 2, OfficialHandles: []string{"easyJet"}},
		},
		History: 168 * time.Hour,
		Crisis: &Crisis{
			Brand:    "airfrance",
			Hashtags: []string{"#boycottairfrance", "#chemisearrachee"},
		},
		Employees: []Employee{
			{ID: "E1001", Handle: "claire_pnc", Name: "Claire Dumas"},
			{ID: "E1002", Handle: "marc_pilote", Name: "Marc Lefort"},
			{ID: "E1003", Handle: "sandrine_cdg", Name: "Sandrine Aubert"},
			{ID: "E1004", Handle: "yanis_ops", Name: "Yanis Belkacem"},
			{ID: "E1005", Handle: "julie_rh", Name: "Julie Carpentier"},
			{ID: "E1006", Handle: "thomas_maint", Name: "Thomas Perrin"},
			{ID: "E1007", Handle: "amina_escale", Name: "Amina Touré"},
			{ID: "E1008", Handle: "pierre_it", Name: "Pierre Vasseur"},
			{ID: "E1009", Handle: "lucie_comm", Name: "Lucie Marchetti"},
			{ID: "E1010", Handle: "sam_cabincrew", Name: "Sam Whitfield"},
			{ID: "E1011", Handle: "nadia_cargo", Name: "Nadia Chevalier"},
			{ID: "E1012", Handle: "olivier_ventes", Name: "Olivier Brun"},
		},
	}
}
