package config_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/deploy"
)

func TestExampleAndDemoConfigsAreValid(t *testing.T) {
	for _, path := range []string{"../deploy/vigie.example.yaml", "../deploy/demo/vigie.yaml"} {
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(cfg.Watches) == 0 {
			t.Errorf("%s: no watches", path)
		}
	}
	if _, err := config.Parse(deploy.DemoConfig, "embedded"); err != nil {
		t.Fatal(err)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := config.Parse([]byte("watches:\n  - {id: acme, name: Acme, kind: brand}\n"), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "./data" || cfg.Writer.BatchSize != 10000 || cfg.NATS.DuplicateWindow.Minutes() < 2 ||
		cfg.ClickHouse.Database != "vigie" || len(cfg.Roles) != len(config.AllRoles) || cfg.HTTP.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "nats:\n  urll: nats://x:4222\n", []string{"x.yaml:2: nats.urll: unknown key", `did you mean "url"`}},
		{"unknown top key", "data_dir: /tmp\nwritre:\n  batch_size: 3\n", []string{"x.yaml:2: writre: unknown key", `"writer"`}},
		{"wrong type", "writer:\n  batch_size: lots\n", []string{"x.yaml:2: writer.batch_size:", "lots"}},
		{"bad duration", "writer:\n  batch_wait: soon\n", []string{"x.yaml:2: writer.batch_wait:", "soon"}},
		{"semantic", "data_dir: /tmp\nwriter:\n  batch_size: -4\n", []string{"x.yaml:3: writer.batch_size: must be in 1..1000000"}},
		{"nested list", "watches:\n  - id: ok\n    name: OK\n    kind: brand\n  - id: Bad Id\n    name: B\n    kind: brand\n", []string{"x.yaml:5: watches[1]", "Bad Id"}},
		{"unknown key in list item", "watches:\n  - id: ok\n    nme: OK\n", []string{"x.yaml:3: watches[0].nme: unknown key", `"name"`}},
		{"role", "roles: [ingest, cook]\n", []string{"x.yaml:1: roles[1]: unknown role \"cook\""}},
		{"syntax", "nats:\n  url: [unclosed\n", []string{"x.yaml:"}},
		{"not a mapping", "- a\n- b\n", []string{"must be a mapping"}},
		{"section type", "nats: 3\n", []string{"x.yaml:1: nats: expected a mapping"}},
		{"replay speed", "sources:\n  replay:\n    file: x.jsonl\n    speed: -1\n", []string{"sources.replay.speed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "x.yaml")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n  does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAllUnknownKeysReported(t *testing.T) {
	_, err := config.Parse([]byte("a: 1\nnats:\n  b: 2\nwriter:\n  c: 3\n"), "x.yaml")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, w := range []string{"x.yaml:1: a:", "x.yaml:3: nats.b:", "x.yaml:5: writer.c:"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestSecretsHiddenInDump(t *testing.T) {
	t.Setenv("VIGIE_TEST_CH_PASSWORD", "hunter2-very-secret")
	dir := t.TempDir()
	path := filepath.Join(dir, "vigie.yaml")
	os.WriteFile(path, []byte("clickhouse:\n  addr: 127.0.0.1:9000\n  password: hunter2-very-secret\nnats:\n  url: nats://127.0.0.1:4222\n  token: ${VIGIE_TEST_CH_PASSWORD}\n"), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := config.Dump(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("dump leaks a secret:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "<secret>") {
		t.Fatalf("dump does not show <secret>:\n%s", buf.String())
	}
}
