package receiver

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// The sample configurations in the READMEs load: they are documentation
// people copy.
func TestREADMESamplesLoad(t *testing.T) {
	readmes, err := filepath.Glob("../*/README.md")
	if err != nil {
		t.Fatal(err)
	}
	readmes = append(readmes, "../README.md")
	checked := 0
	for _, path := range readmes {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range yamlBlock.FindAllStringSubmatch(string(b), -1) {
			doc := m[1]
			switch {
			case strings.HasPrefix(doc, "alerting:"):
				var wrap struct {
					Alerting yaml.Node `yaml:"alerting"`
				}
				if err := yaml.Unmarshal([]byte(doc), &wrap); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				out, err := yaml.Marshal(&wrap.Alerting)
				if err != nil {
					t.Fatal(err)
				}
				doc = string(out)
			case strings.HasPrefix(doc, "receivers:"):
				var names struct {
					Receivers []struct {
						Name string `yaml:"name"`
					} `yaml:"receivers"`
				}
				if err := yaml.Unmarshal([]byte(doc), &names); err != nil || len(names.Receivers) == 0 {
					t.Fatalf("%s: %v", path, err)
				}
				doc += "route:\n  receivers: [" + names.Receivers[0].Name + "]\n"
			default:
				continue // an Alertmanager route, an escalation fragment
			}
			if _, err := LoadBytes([]byte(doc)); err != nil {
				t.Errorf("%s: sample does not load: %v\n%s", path, err, doc)
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("checked %d samples, want at least 8 (one per channel and the full one)", checked)
	}
}
