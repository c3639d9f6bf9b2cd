package alerting

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vigie-project/vigie/config/secret"
)

// ErrSecret is wrapped by ResolveSecret failures.
var ErrSecret = errors.New("alerting: secret")

const redacted = secret.Redacted

// Secret is a credential or a URL that carries one (Slack and Teams webhook
// URLs, bot tokens, routing keys, passwords). It is vigie's one secret type
// (config/secret): every way of printing or serialising it — fmt verbs,
// slog, JSON, YAML, text — gives "<secret>"; only Reveal returns the value.
type Secret = secret.Secret

// SecretSource says where ResolveSecret looks things up. NewOptions fills
// nil functions with os.LookupEnv and os.ReadFile.
type SecretSource struct {
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)
}

// ResolveSecret returns the secret for the config field named field: the
// trimmed content of file when file is set, else value with a whole-value
// "${VAR}" reference replaced by the environment variable VAR. Exactly one
// of value and file must be set. Errors name the field, the variable or the
// file, never the secret.
func ResolveSecret(field string, value Secret, file string, src SecretSource) (Secret, error) {
	switch {
	case value != "" && file != "":
		return "", fmt.Errorf("%w: %s and %s_file are both set; keep one", ErrSecret, field, field)
	case file != "":
		if src.ReadFile == nil {
			return "", fmt.Errorf("%w: %s_file: no file reader", ErrSecret, field)
		}
		b, err := src.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%w: %s_file %q: %w", ErrSecret, field, file, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%w: %s_file %q is empty", ErrSecret, field, file)
		}
		return Secret(v), nil
	case value == "":
		return "", fmt.Errorf("%w: %s is required (or %s_file)", ErrSecret, field, field)
	}
	raw := string(value)
	if name, ok := envReference(raw); ok {
		if src.LookupEnv == nil {
			return "", fmt.Errorf("%w: %s: no environment lookup", ErrSecret, field)
		}
		v, found := src.LookupEnv(name)
		if !found || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%w: %s: environment variable %s is not set", ErrSecret, field, name)
		}
		return Secret(strings.TrimSpace(v)), nil
	}
	return value, nil
}

// envReference reports whether s is exactly "${NAME}" with a valid name.
func envReference(s string) (string, bool) {
	if !strings.HasPrefix(s, "${") || !strings.HasSuffix(s, "}") {
		return "", false
	}
	name := s[2 : len(s)-1]
	if name == "" {
		return "", false
	}
	for i, r := range name {
		ok := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return "", false
		}
	}
	return name, true
}

// redact replaces every secret value found in s by "<secret>". Secrets
// shorter than 4 bytes are ignored (they would match everywhere and are not
// worth protecting this way).
func redact(s string, secrets []Secret) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec.Reveal(), redacted)
		}
	}
	return s
}

// ValidateSecret checks a secret's pair of keys at config time (field and
// field_file): exactly one when required, at most one otherwise.
func ValidateSecret(field string, value Secret, file string, required bool) error {
	switch {
	case value != "" && file != "":
		return fmt.Errorf("%s and %s_file are both set; keep one", field, field)
	case required && value == "" && file == "":
		return fmt.Errorf("%s or %s_file is required", field, field)
	}
	return nil
}

// ValidateSecretURL is ValidateSecret for a required URL; a literal value
// (not "${VAR}") must also be an absolute http(s) URL.
func ValidateSecretURL(field string, value Secret, file string) error {
	if err := ValidateSecret(field, value, file, true); err != nil {
		return err
	}
	if _, isRef := envReference(string(value)); value != "" && !isRef {
		return CheckURL(field, string(value))
	}
	return nil
}

// Sealed holds a resolved secret behind a pointer. fmt reaches unexported
// struct fields by reflection, without Secret's methods, and would print a
// Secret stored there; through Sealed it prints an address. Notifiers keep
// their resolved secrets Sealed.
type Sealed struct{ p *Secret }

// Seal wraps s.
func Seal(s Secret) Sealed { return Sealed{p: &s} }

// Reveal returns the value.
func (s Sealed) Reveal() string {
	if s.p == nil {
		return ""
	}
	return s.p.Reveal()
}

// Secret returns the wrapped Secret.
func (s Sealed) Secret() Secret {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// String implements fmt.Stringer.
func (s Sealed) String() string { return redacted }

// Format implements fmt.Formatter.
func (s Sealed) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue implements slog.LogValuer.
func (s Sealed) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Sealed) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
