// Package slack posts notifications to a Slack incoming webhook as a Block
// Kit message, or to a Mattermost incoming webhook (Slack-compatible
// payload, Markdown text) when mattermost is set.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "slack"

// Slack limits (Block Kit reference).
const (
	maxHeader  = 150  // header block plain_text
	maxSection = 3000 // section block mrkdwn text
	maxButton  = 75   // button text
	maxContext = 2000 // context element text
)

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("slack: config")

// Config of one Slack or Mattermost receiver.
type Config struct {
	WebhookURL     alerting.Secret `yaml:"webhook_url,omitempty" json:"webhook_url,omitempty"`           // literal or "${ENV_VAR}"
	WebhookURLFile string          `yaml:"webhook_url_file,omitempty" json:"webhook_url_file,omitempty"` // or read from this file
	Mattermost     bool            `yaml:"mattermost,omitempty" json:"mattermost,omitempty"`             // Mattermost: Markdown text, no Block Kit
	Channel        string          `yaml:"channel,omitempty" json:"channel,omitempty"`                   // override, where the webhook allows it
	Username       string          `yaml:"username,omitempty" json:"username,omitempty"`
	IconEmoji      string          `yaml:"icon_emoji,omitempty" json:"icon_emoji,omitempty"`
	IconURL        string          `yaml:"icon_url,omitempty" json:"icon_url,omitempty"`
}

// SetDefaults fills what is not set (nothing yet: Slack apps fix their own
// name and icon).
func (c *Config) SetDefaults() {}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.ValidateSecretURL("webhook_url", c.WebhookURL, c.WebhookURLFile); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.IconURL != "" {
		if err := alerting.CheckURL("icon_url", c.IconURL); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}

// Notifier posts to one webhook.
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
		log:    o.Logger.With("component", "alert_slack", "receiver", o.Name),
	}, nil
}

// Notify posts n. Slack answers 200 "ok"; 429 carries Retry-After.
func (s *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	var payload any
	var err error
	if s.cfg.Mattermost {
		payload, err = s.mattermost(n)
	} else {
		payload, err = s.blocks(n)
	}
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, s.opts.Name, err)
	}
	retry, err := s.sender.PostJSON(ctx, s.url.Reveal(), nil, payload)
	if err != nil {
		return retry, err
	}
	s.log.Debug("notified", "key", n.Key, "status", n.Status)
	return false, nil
}

// Message is an incoming-webhook message.
type Message struct {
	Text      string  `json:"text"` // notification and fallback text (Mattermost: the whole message)
	Blocks    []Block `json:"blocks,omitempty"`
	Channel   string  `json:"channel,omitempty"`
	Username  string  `json:"username,omitempty"`
	IconEmoji string  `json:"icon_emoji,omitempty"`
	IconURL   string  `json:"icon_url,omitempty"`
}

// Block is a Block Kit layout block (header, section, actions, context).
type Block struct {
	Type     string    `json:"type"`
	BlockID  string    `json:"block_id,omitempty"`
	Text     *Text     `json:"text,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type  string `json:"type"` // plain_text or mrkdwn
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Element is a button (in actions) or a text (in context).
type Element struct {
	Type     string `json:"type"`
	Text     any    `json:"text,omitempty"` // *Text for buttons, string for context mrkdwn
	URL      string `json:"url,omitempty"`
	ActionID string `json:"action_id,omitempty"`
	Style    string `json:"style,omitempty"`
}

func (s *Notifier) base(text string) Message {
	return Message{Text: text, Channel: s.cfg.Channel, Username: s.cfg.Username, IconEmoji: s.cfg.IconEmoji, IconURL: s.cfg.IconURL}
}

func (s *Notifier) blocks(n *alerting.Notification) (Message, error) {
	m, err := s.opts.Templates.Render(n, alerting.MarkupSlack)
	if err != nil {
		return Message{}, err
	}
	esc := alerting.EscapeSlack
	section := esc(m.Summary)
	if m.Details != "" {
		section += "\n" + m.Details
	}
	msg := s.base(alerting.Truncate(esc(m.Title+" — "+m.Summary), 3000))
	msg.Blocks = []Block{
		{Type: "header", Text: &Text{Type: "plain_text", Text: alerting.Truncate(m.Title, maxHeader), Emoji: true}},
	}
	if n.Drill {
		msg.Blocks = append(msg.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: "*" + esc(m.Labels["drill"]) + "*"}})
	}
	msg.Blocks = append(msg.Blocks, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: alerting.Truncate(section, maxSection)}})
	var buttons []Element
	if okURL(n.ConsoleURL) {
		buttons = append(buttons, Element{Type: "button", Text: &Text{Type: "plain_text", Text: alerting.Truncate(m.Labels["console"], maxButton), Emoji: true}, URL: n.ConsoleURL, ActionID: "vigie_console"})
	}
	if okURL(n.AckURL) && (n.Status == alerting.StatusOpen || n.Status == alerting.StatusUpdate) && n.Kind != alerting.KindDigest {
		buttons = append(buttons, Element{Type: "button", Text: &Text{Type: "plain_text", Text: alerting.Truncate(m.Labels["ack"], maxButton), Emoji: true}, URL: n.AckURL, ActionID: "vigie_ack", Style: "danger"})
	}
	if len(buttons) > 0 {
		msg.Blocks = append(msg.Blocks, Block{Type: "actions", BlockID: "vigie_actions", Elements: buttons})
	}
	footer := esc(m.Footer)
	if n.Drill {
		footer = "*" + esc(m.Labels["drill"]) + "* · " + footer
	}
	msg.Blocks = append(msg.Blocks, Block{Type: "context", Elements: []Element{{Type: "mrkdwn", Text: alerting.Truncate(footer, maxContext)}}})
	return msg, nil
}

func (s *Notifier) mattermost(n *alerting.Notification) (Message, error) {
	m, err := s.opts.Templates.Render(n, alerting.MarkupMarkdown)
	if err != nil {
		return Message{}, err
	}
	return s.base(m.Body), nil
}

func okURL(u string) bool { return u != "" && alerting.CheckURL("url", u) == nil }
