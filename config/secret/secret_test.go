package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const value = "xoxb-very-secret-token"

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(value)
	type cfg struct {
		Token Secret `json:"token" yaml:"token"`
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "token", s, "cfg", cfg{s})
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "token", s)
	j, _ := json.Marshal(cfg{s})
	y, _ := yaml.Marshal(cfg{s})
	outs := []string{
		s.String(), fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v", s, s, s, cfg{s}, cfg{s}),
		fmt.Errorf("wrapped: %v", s).Error(), logs.String(), string(j), string(y),
	}
	for i, out := range outs {
		if strings.Contains(out, value) {
			t.Errorf("output %d leaks the secret: %s", i, out)
		}
		if !strings.Contains(out, Redacted) && !strings.Contains(out, `\u003csecret\u003e`) {
			t.Errorf("output %d does not show %s: %s", i, Redacted, out)
		}
	}
	if s.Reveal() != value {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIE_TEST_TOKEN", value)
	for _, tc := range []struct {
		name   string
		val    Secret
		file   string
		want   string
		errSub string
	}{
		{"literal", value, "", value, ""},
		{"env", "${VIGIE_TEST_TOKEN}", "", value, ""},
		{"file", "", file, value, ""},
		{"missing env", "${VIGIE_NOPE_NOT_SET}", "", "", "VIGIE_NOPE_NOT_SET is not set"},
		{"both", "x", file, "", "not both"},
		{"missing file", "", filepath.Join(dir, "nope"), "", "token_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve("token", tc.val, tc.file)
			if tc.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSub) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.errSub)
				}
				if strings.Contains(err.Error(), value) {
					t.Fatalf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != tc.want {
				t.Fatalf("got %q, %v", got.Reveal(), err)
			}
		})
	}
	var pe *os.PathError
	_, err := Resolve("token", "", "/nonexistent/x")
	if !errors.As(err, &pe) {
		t.Fatalf("want a wrapped *os.PathError, got %v", err)
	}
}
