// Package teams posts notifications to Microsoft Teams as an Adaptive Card,
// through a Teams incoming webhook or a Power Automate "When a Teams webhook
// request is received" workflow (both take the same message).
package teams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "teams"

const (
	cardVersion = "1.4" // rendered by Teams desktop, web and mobile
	maxText     = 10000 // keep the card well under Teams' 28 KB message limit
)

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("teams: config")

// Config of one Teams receiver.
type Config struct {
	WebhookURL     alerting.Secret `yaml:"webhook_url,omitempty" json:"webhook_url,omitempty"`           // literal or "${ENV_VAR}"
	WebhookURLFile string          `yaml:"webhook_url_file,omitempty" json:"webhook_url_file,omitempty"` // or read from this file
	FullWidth      *bool           `yaml:"full_width,omitempty" json:"full_width,omitempty"`             // card over the whole width; default true
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.FullWidth == nil {
		t := true
		c.FullWidth = &t
	}
}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.ValidateSecretURL("webhook_url", c.WebhookURL, c.WebhookURLFile); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Notifier posts to one Teams webhook or workflow.
type Notifier struct {
	cfg    Config          // secrets scrubbed
	url    alerting.Sealed // resolved webhook URL
	opts   alerting.Options
	sender *alerting.Sender
	log    *slog.Logger
}

// New checks cfg, resolves the webhook URL and returns a Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	u, err := alerting.ResolveSecret("webhook_url", cfg.WebhookURL, cfg.WebhookURLFile, o.Secrets)
	if err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	if err := alerting.CheckURL("webhook_url", u.Reveal()); err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	cfg.WebhookURL = ""
	return &Notifier{
		cfg: cfg, url: alerting.Seal(u), opts: o,
		sender: alerting.NewSender(Channel, o.Name, o.Client, o.Now, u),
		log:    o.Logger.With("component", "alert_teams", "receiver", o.Name),
	}, nil
}

// Message is what Teams webhooks and workflows take: a message activity
// with one Adaptive Card attachment.
type Message struct {
	Type        string       `json:"type"` // "message"
	Attachments []Attachment `json:"attachments"`
}

// Attachment carries the card.
type Attachment struct {
	ContentType string  `json:"contentType"` // application/vnd.microsoft.card.adaptive
	ContentURL  *string `json:"contentUrl"`  // null
	Content     Card    `json:"content"`
}

// Card is an Adaptive Card.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"` // "AdaptiveCard"
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Action  `json:"actions,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// Element is a TextBlock or a FactSet.
type Element struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Size     string `json:"size,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Color    string `json:"color,omitempty"`
	Style    string `json:"style,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Wrap     bool   `json:"wrap,omitempty"`
	Facts    []Fact `json:"facts,omitempty"`
}

// Fact is one line of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// Action opens a URL.
type Action struct {
	Type  string `json:"type"` // "Action.OpenUrl"
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"` // "positive" or "destructive"
}

// MSTeams holds Teams-only card settings.
type MSTeams struct {
	Width string `json:"width"`
}

// Notify posts n as an Adaptive Card.
func (t *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	msg, err := t.card(n)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, t.opts.Name, err)
	}
	body, err := alerting.MarshalJSON(msg)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: encode: %w", Channel, t.opts.Name, err)
	}
	resp, err := t.sender.Post(ctx, t.url.Reveal(), http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		return true, err
	}
	// Legacy Office 365 connectors answer 200 with the throttling error in
	// the body.
	if resp.StatusCode == http.StatusOK && strings.Contains(string(resp.Body), "HTTP error 429") {
		resp.StatusCode = http.StatusTooManyRequests
	}
	if retry, err := t.sender.Check(resp); err != nil {
		return retry, err
	}
	t.log.Debug("notified", "key", n.Key, "status", n.Status)
	return false, nil
}

func (t *Notifier) card(n *alerting.Notification) (Message, error) {
	m, err := t.opts.Templates.Render(n, alerting.MarkupMarkdown)
	if err != nil {
		return Message{}, err
	}
	esc := alerting.EscapeMarkdown
	var body []Element
	if n.Drill {
		body = append(body, Element{Type: "TextBlock", Text: "**" + esc(m.Labels["drill"]) + "**", Color: "Warning", Wrap: true})
	}
	body = append(body,
		// Title and summary come from templates and configured names: no
		// outside text to neutralise, and Teams shows escapes literally.
		Element{Type: "TextBlock", Text: m.Title, Size: "Large", Weight: "Bolder", Color: color(n), Style: "heading", Wrap: true},
		Element{Type: "TextBlock", Text: m.Summary, Wrap: true},
	)
	if facts := t.facts(n, m); len(facts) > 0 {
		body = append(body, Element{Type: "FactSet", Facts: facts})
	}
	if m.Details != "" {
		body = append(body, Element{Type: "TextBlock", Text: alerting.Truncate(m.Details, maxText), Wrap: true})
	}
	footer := esc(m.Footer)
	if n.Drill {
		footer = "**" + esc(m.Labels["drill"]) + "** · " + footer
	}
	body = append(body, Element{Type: "TextBlock", Text: footer, Size: "Small", IsSubtle: true, Wrap: true})

	card := Card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: cardVersion, Body: body}
	if *t.cfg.FullWidth {
		card.MSTeams = &MSTeams{Width: "Full"}
	}
	if n.ConsoleURL != "" && alerting.CheckURL("console_url", n.ConsoleURL) == nil {
		card.Actions = append(card.Actions, Action{Type: "Action.OpenUrl", Title: m.Labels["console"], URL: n.ConsoleURL, Style: "positive"})
	}
	if n.AckURL != "" && alerting.CheckURL("ack_url", n.AckURL) == nil && (n.Status == alerting.StatusOpen || n.Status == alerting.StatusUpdate) && n.Kind != alerting.KindDigest {
		card.Actions = append(card.Actions, Action{Type: "Action.OpenUrl", Title: m.Labels["ack"], URL: n.AckURL, Style: "destructive"})
	}
	return Message{Type: "message", Attachments: []Attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}, nil
}

func (t *Notifier) facts(n *alerting.Notification, m *alerting.Message) []Fact {
	if n.Kind == alerting.KindDigest {
		return nil
	}
	esc := alerting.EscapeMarkdown
	lang := m.Lang
	watch := n.WatchName
	if watch == "" {
		watch = n.Watch
	}
	var facts []Fact
	if watch != "" {
		facts = append(facts, Fact{Title: m.Labels["watch"], Value: esc(watch)})
	}
	facts = append(facts, Fact{Title: m.Labels["severity"], Value: fmt.Sprintf("%d/5", n.Severity)})
	if n.Kind == alerting.KindCrisis && (n.Observed > 0 || n.Expected > 0) {
		v := alerting.FormatCount(lang, n.Observed) + " mentions/h"
		if r, ok := n.Ratio(); ok {
			v += " (" + alerting.FormatRatio(lang, r) + "×)"
		}
		facts = append(facts, Fact{Title: m.Labels["volume"], Value: v})
	}
	since := n.Since
	if since.IsZero() {
		since = n.At
	}
	loc := t.opts.Templates.Location()
	facts = append(facts, Fact{Title: m.Labels["since"], Value: alerting.FormatClock(lang, since, n.At, loc) + " (" + alerting.FormatDuration(lang, n.At.Sub(since)) + ")"})
	return facts
}

func color(n *alerting.Notification) string {
	switch {
	case n.Status == alerting.StatusResolved:
		return "Good"
	case n.Status == alerting.StatusAcknowledged || n.Kind == alerting.KindDigest:
		return "Accent"
	case n.Severity >= 4:
		return "Attention"
	}
	return "Warning"
}
