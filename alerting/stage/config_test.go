package stage

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigie-project/vigie/alerting"
)

const sampleConfig = `
default_lang: fr
receivers:
  - name: cm-slack
    slack: {webhook_url: "https://hooks.slack.example/services/T/B/secret-token"}
  - name: oncall
    lang: en
    webhook: {url: "https://pager.example/hook", secret: hmac-secret}
route:
  receivers: [cm-slack]
  routes:
    - kinds: [crisis]
      min_severity: 4
      receivers: [cm-slack, oncall]
console_path: /console/crises/
snapshot_interval: 2s
gap_resolve_after: 30m
`

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfigBytes([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if c.ConsolePath != "/console/crises/" || c.SnapshotInterval.D() != 2*time.Second || c.GapResolveAfter.D() != 30*time.Minute {
		t.Errorf("stage keys not read: %+v", c)
	}
	if c.TickInterval.D() != DefaultTickInterval || c.Batch != DefaultBatch || c.Cooldown.D() != alerting.DefaultCooldown {
		t.Errorf("defaults not applied: tick %s batch %d cooldown %s", c.TickInterval.D(), c.Batch, c.Cooldown.D())
	}
	if len(c.Receivers) != 2 || c.Receivers[1].Lang != "en" {
		t.Errorf("receivers: %+v", c.Receivers)
	}
	if dump := fmt.Sprintf("%+v", c); strings.Contains(dump, "secret-token") || strings.Contains(dump, "hmac-secret") {
		t.Errorf("config dump leaks a secret: %s", dump)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, tc := range []struct{ extra, want string }{
		{"tick_interval: 0s\nbatch: 0\nsnapshot_interval: -1s\n", "snapshot_interval: "},
		{"batch: 5000\n", "batch: 5000 is not between 1 and 4096"},
		{"gap_severity: 9\n", "gap_severity: 9"},
		{"console_path: crises\n", "console_path: "},
		{"retry_interval: 10ms\n", "retry_interval: "},
		{"cooldown: -1m\n", "cooldown: must not be negative"},
		{"snapshot_intervall: 1s\n", "field snapshot_intervall not found"},
	} {
		base := sampleConfig[:strings.Index(sampleConfig, "console_path:")]
		_, err := LoadConfigBytes([]byte(base + tc.extra))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.extra, err, tc.want)
			continue
		}
		if !strings.HasPrefix(tc.want, "field") && !strings.HasPrefix(err.Error(), strings.SplitN(tc.want, ":", 2)[0]) {
			t.Errorf("%q: error %q does not start with the key", tc.extra, err)
		}
		if !errors.Is(err, alerting.ErrConfig) {
			t.Errorf("%q: error does not wrap alerting.ErrConfig", tc.extra)
		}
	}
	bad := strings.Replace(sampleConfig, "receivers: [cm-slack, oncall]", "receivers: [cm-slack, nobody]", 1)
	if _, err := LoadConfigBytes([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "route.routes[0].receivers[1]") {
		t.Errorf("unknown receiver: %v", err)
	}
}

// The README's sample loads: people copy it.
func TestREADMESampleLoads(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no yaml sample in README.md")
	}
	var wrap struct {
		Alerting yaml.Node `yaml:"alerting"`
	}
	if err := yaml.Unmarshal(m[1], &wrap); err != nil {
		t.Fatal(err)
	}
	doc, err := yaml.Marshal(&wrap.Alerting)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfigBytes(doc)
	if err != nil {
		t.Fatalf("sample does not load: %v\n%s", err, doc)
	}
	var d Config
	d.SetDefaults()
	if c.SnapshotInterval != d.SnapshotInterval || c.GapResolveAfter != d.GapResolveAfter || c.CharterResolveAfter != d.CharterResolveAfter ||
		c.TickInterval != d.TickInterval || c.Batch != d.Batch || c.ShutdownGrace != d.ShutdownGrace || c.RetryInterval != d.RetryInterval {
		t.Errorf("the sample says other values than the defaults: %+v", c)
	}
}
