// Package webhook posts notifications as signed JSON to any HTTP endpoint
// (an internal tool, a SOAR, a chat bridge), and gives receivers Verify to
// check the signature and refuse replays.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "webhook"

// Headers of a signed request.
const (
	HeaderTimestamp = "X-Vigie-Timestamp" // Unix seconds when the request was signed
	HeaderSignature = "X-Vigie-Signature" // "sha256=<hex HMAC-SHA256 of timestamp + "." + body>"
	HeaderEventID   = "X-Vigie-Event"     // stable id of the event: the same on every retry
)

// PayloadVersion is the version of Payload.
const PayloadVersion = "1"

// DefaultTolerance is how old (or how far in the future) a signed request
// may be for Verify.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify and Validate.
var (
	ErrConfig           = errors.New("webhook: config")
	ErrMissingSignature = errors.New("webhook: missing signature or timestamp")
	ErrStaleTimestamp   = errors.New("webhook: timestamp outside the tolerance (replay?)")
	ErrBadSignature     = errors.New("webhook: signature does not match")
)

// Config of one webhook receiver.
type Config struct {
	URL        alerting.Secret   `yaml:"url,omitempty" json:"url,omitempty"` // may carry a token: treated as a secret
	URLFile    string            `yaml:"url_file,omitempty" json:"url_file,omitempty"`
	Secret     alerting.Secret   `yaml:"secret,omitempty" json:"secret,omitempty"` // HMAC key shared with the receiver
	SecretFile string            `yaml:"secret_file,omitempty" json:"secret_file,omitempty"`
	Headers    map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"` // extra static headers
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.ValidateSecretURL("url", c.URL, c.URLFile); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := alerting.ValidateSecret("secret", c.Secret, c.SecretFile, true); err != nil {
		return fmt.Errorf("%w: %w (requests are always signed)", ErrConfig, err)
	}
	for k := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return fmt.Errorf("%w: headers: %q is not a header name", ErrConfig, k)
		}
		switch http.CanonicalHeaderKey(k) {
		case HeaderTimestamp, HeaderSignature, HeaderEventID, "Content-Type", "Content-Length", "Host":
			return fmt.Errorf("%w: headers: %q is set by vigie", ErrConfig, k)
		}
	}
	return nil
}

// Notifier posts to one endpoint.
type Notifier struct {
	cfg    Config          // secrets scrubbed
	url    alerting.Sealed // resolved URL
	key    alerting.Sealed // resolved HMAC key
	opts   alerting.Options
	sender *alerting.Sender
	log    *slog.Logger
}

// New checks cfg, resolves the URL and the key and returns a Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	u, err := alerting.ResolveSecret("url", cfg.URL, cfg.URLFile, o.Secrets)
	if err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	if err := alerting.CheckURL("url", u.Reveal()); err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	key, err := alerting.ResolveSecret("secret", cfg.Secret, cfg.SecretFile, o.Secrets)
	if err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	cfg.URL, cfg.Secret = "", ""
	return &Notifier{
		cfg: cfg, url: alerting.Seal(u), key: alerting.Seal(key), opts: o,
		sender: alerting.NewSender(Channel, o.Name, o.Client, o.Now, u, key),
		log:    o.Logger.With("component", "alert_webhook", "receiver", o.Name),
	}, nil
}

// Payload is the JSON body.
type Payload struct {
	Version      string                `json:"version"`
	EventID      string                `json:"event_id"`
	Title        string                `json:"title"`
	Summary      string                `json:"summary"`
	Text         string                `json:"text"` // the whole message as plain text, in the receiver's language
	Notification alerting.Notification `json:"notification"`
}

// Notify posts n, signed.
func (w *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	m, err := w.opts.Templates.Render(n, alerting.MarkupText)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, w.opts.Name, err)
	}
	p := Payload{Version: PayloadVersion, EventID: EventID(n), Title: m.Subject, Summary: m.Summary, Text: m.Body, Notification: *n}
	body, err := alerting.MarshalJSON(p)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: encode: %w", Channel, w.opts.Name, err)
	}
	h := http.Header{}
	for k, v := range w.cfg.Headers {
		h.Set(k, v)
	}
	ts := w.opts.Now()
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign([]byte(w.key.Reveal()), ts, body))
	h.Set(HeaderEventID, p.EventID)
	resp, err := w.sender.Post(ctx, w.url.Reveal(), h, body)
	if err != nil {
		return true, err
	}
	if retry, err := w.sender.Check(resp); err != nil {
		return retry, err
	}
	w.log.Debug("notified", "key", n.Key, "status", n.Status)
	return false, nil
}

// EventID is a stable id for n: the same notification retried has the same
// id, so receivers can drop duplicates.
func EventID(n *alerting.Notification) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\x00%s", n.Key, n.Status, n.At.UnixNano(), n.Escalation, n.Lang, n.Kind)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Sign returns the X-Vigie-Signature value for body signed at ts.
func Sign(secret []byte, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a received request: its timestamp is within tolerance of
// now (DefaultTolerance when 0) and one of its signatures matches the body
// with one of the secrets (several secrets while a key rotates). Receivers
// should also drop event ids they have seen within the tolerance.
func Verify(header http.Header, body []byte, now time.Time, tolerance time.Duration, secrets ...[]byte) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsText, sigText := header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if tsText == "" || sigText == "" {
		return ErrMissingSignature
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrMissingSignature, HeaderTimestamp)
	}
	ts := time.Unix(secs, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrStaleTimestamp, d.Round(time.Second))
	}
	for _, sig := range strings.Split(sigText, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(sig), "sha256=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		if err != nil {
			continue
		}
		for _, secret := range secrets {
			want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, ts, body), "sha256="))
			if len(secret) > 0 && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}
