// Package pagerduty pages the on-call person through the PagerDuty Events
// API v2: a thread opens an alert (trigger), then acknowledges and resolves
// it, all on one dedup_key, the notification's Key.
package pagerduty

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "pagerduty"

// DefaultBaseURL is PagerDuty's events endpoint host (EU accounts use
// https://events.eu.pagerduty.com).
const DefaultBaseURL = "https://events.pagerduty.com"

// Limits of the Events API v2.
const (
	maxSummary  = 1024
	maxDedupKey = 255
)

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("pagerduty: config")

// defaultSeverities maps vigie severities (1..5) to PagerDuty's.
func defaultSeverities() map[int]string {
	return map[int]string{1: "info", 2: "info", 3: "warning", 4: "error", 5: "critical"}
}

// Config of one PagerDuty service integration (Events API v2).
type Config struct {
	RoutingKey     alerting.Secret `yaml:"routing_key,omitempty" json:"routing_key,omitempty"`           // integration key, literal or "${ENV_VAR}"
	RoutingKeyFile string          `yaml:"routing_key_file,omitempty" json:"routing_key_file,omitempty"` // or read from this file
	BaseURL        string          `yaml:"base_url,omitempty" json:"base_url,omitempty"`                 // default https://events.pagerduty.com
	Source         string          `yaml:"source,omitempty" json:"source,omitempty"`                     // payload.source; default "vigie"
	Severities     map[int]string  `yaml:"severities,omitempty" json:"severities,omitempty"`             // 1..5 → critical, error, warning, info
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.Source == "" {
		c.Source = "vigie"
	}
	merged := defaultSeverities()
	maps.Copy(merged, c.Severities)
	c.Severities = merged
}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.ValidateSecret("routing_key", c.RoutingKey, c.RoutingKeyFile, true); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := alerting.CheckURL("base_url", c.BaseURL); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for sev, pd := range c.Severities {
		if sev < 1 || sev > 5 {
			return fmt.Errorf("%w: severities: key %d is not a severity between 1 and 5", ErrConfig, sev)
		}
		switch pd {
		case "critical", "error", "warning", "info":
		default:
			return fmt.Errorf("%w: severities[%d]: %q is not critical, error, warning or info", ErrConfig, sev, pd)
		}
	}
	return nil
}

// Notifier sends events to one integration.
type Notifier struct {
	cfg      Config          // secrets scrubbed
	key      alerting.Sealed // resolved routing key
	endpoint string
	opts     alerting.Options
	sender   *alerting.Sender
	log      *slog.Logger
}

// New checks cfg, resolves the routing key and returns a Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	key, err := alerting.ResolveSecret("routing_key", cfg.RoutingKey, cfg.RoutingKeyFile, o.Secrets)
	if err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	cfg.RoutingKey = ""
	return &Notifier{
		cfg: cfg, key: alerting.Seal(key), endpoint: strings.TrimRight(cfg.BaseURL, "/") + "/v2/enqueue", opts: o,
		sender: alerting.NewSender(Channel, o.Name, o.Client, o.Now, key),
		log:    o.Logger.With("component", "alert_pagerduty", "receiver", o.Name),
	}, nil
}

// Event is an Events API v2 alert event.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Links       []Link   `json:"links,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
}

// Payload is the PD-CEF part of a trigger.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Notify sends the event for n: open and update trigger (PagerDuty adds an
// update to the open alert with the same dedup_key, without paging again),
// acknowledged acknowledges, resolved resolves.
func (p *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	ev, err := p.event(n)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, p.opts.Name, err)
	}
	retry, err := p.sender.PostJSON(ctx, p.endpoint, nil, ev)
	if err != nil {
		return retry, err
	}
	p.log.Debug("notified", "key", n.Key, "action", ev.EventAction)
	return false, nil
}

func (p *Notifier) event(n *alerting.Notification) (*Event, error) {
	ev := &Event{RoutingKey: p.key.Reveal(), DedupKey: DedupKey(n.Key)}
	switch n.Status {
	case alerting.StatusAcknowledged:
		ev.EventAction = "acknowledge"
		return ev, nil
	case alerting.StatusResolved:
		ev.EventAction = "resolve"
		return ev, nil
	}
	ev.EventAction = "trigger"
	m, err := p.opts.Templates.Render(n, alerting.MarkupText)
	if err != nil {
		return nil, err
	}
	summary := m.Subject
	if m.Summary != "" {
		summary += " — " + m.Summary
	}
	ev.Payload = &Payload{
		Summary:       alerting.Truncate(summary, maxSummary),
		Source:        p.cfg.Source,
		Severity:      p.cfg.Severities[n.Severity],
		Timestamp:     n.At.UTC().Format(time.RFC3339),
		Component:     n.Watch,
		Group:         n.WatchName,
		Class:         n.Kind,
		CustomDetails: details(n, m),
	}
	ev.Client = "vigie"
	if n.ConsoleURL != "" && alerting.CheckURL("console_url", n.ConsoleURL) == nil {
		ev.ClientURL = n.ConsoleURL
		ev.Links = append(ev.Links, Link{Href: n.ConsoleURL, Text: m.Labels["console"]})
	}
	if n.AckURL != "" && alerting.CheckURL("ack_url", n.AckURL) == nil {
		ev.Links = append(ev.Links, Link{Href: n.AckURL, Text: m.Labels["ack"]})
	}
	return ev, nil
}

// DedupKey is the dedup_key for a thread key: the key itself, or its
// SHA-256 when longer than PagerDuty's 255 characters.
func DedupKey(key string) string {
	if len(key) <= maxDedupKey {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "vigie-" + hex.EncodeToString(sum[:])
}

func details(n *alerting.Notification, m *alerting.Message) map[string]any {
	d := map[string]any{
		"message":  m.Body,
		"severity": strconv.Itoa(n.Severity) + "/5",
		"since":    n.Since.UTC().Format(time.RFC3339),
	}
	if n.Observed > 0 || n.Expected > 0 {
		d["observed_per_hour"] = n.Observed
		d["expected_per_hour"] = n.Expected
		if r, ok := n.Ratio(); ok {
			d["ratio"] = float64(int(r*10+0.5)) / 10
		}
	}
	if n.Drill {
		d["drill"] = true
	}
	if n.Escalation > 0 {
		d["escalation_level"] = n.Escalation
	}
	if len(n.Signals) > 0 {
		d["signals"] = n.Signals
	}
	if len(n.TopTerms) > 0 {
		d["top_terms"] = n.TopTerms
	}
	if len(n.SamplePosts) > 0 {
		d["sample_posts"] = n.SamplePosts
	}
	if len(n.TopSpreaders) > 0 {
		d["top_spreaders"] = n.TopSpreaders
	}
	if n.EmployeeShare > 0 {
		d["employee_share"] = n.EmployeeShare
	}
	if len(n.Digest) > 0 {
		d["held_back"] = n.Digest
	}
	for k, v := range n.Extra {
		if _, taken := d[k]; !taken {
			d[k] = v
		}
	}
	return d
}
