// Package secret holds the Secret type: a configuration string (a token, a
// password, a webhook URL) that prints as <secret> everywhere — logs, errors,
// YAML and JSON dumps — and can be read from the environment or a file.
package secret

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
)

// Redacted is what a Secret prints as.
const Redacted = "<secret>"

// Secret is a string that never prints its value. Use Reveal to get it.
type Secret string

// Reveal returns the value; call it only where the value is sent.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return redact(s) }
func (s Secret) GoString() string { return redact(s) }

// Format makes every fmt verb, %s, %v, %q, %#v alike, print the redaction.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redact(s)) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redact(s)) }

// MarshalJSON keeps the value out of JSON dumps.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redact(s)) }

// MarshalYAML keeps the value out of YAML dumps.
func (s Secret) MarshalYAML() (any, error) { return redact(s), nil }

// MarshalText keeps the value out of any text encoding.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redact(s)), nil }

func redact(s Secret) string {
	if s == "" {
		return ""
	}
	return Redacted
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// Resolve returns the secret's value from, in order: file (when not empty,
// the file's content with surrounding white space trimmed), an environment
// reference "${NAME}" in value, or value itself. field names the setting in
// errors, which never contain the value.
func Resolve(field string, value Secret, file string) (Secret, error) {
	if file != "" {
		if value != "" {
			return "", fmt.Errorf("%s: set either %s or %s_file, not both", field, field, field)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_file: %w", field, err)
		}
		return Secret(strings.TrimSpace(string(b))), nil
	}
	if m := envRef.FindStringSubmatch(string(value)); m != nil {
		v, ok := os.LookupEnv(m[1])
		if !ok {
			return "", fmt.Errorf("%s: environment variable %s is not set", field, m[1])
		}
		return Secret(v), nil
	}
	return value, nil
}
