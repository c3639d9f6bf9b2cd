// Package telegram sends notifications to a Telegram chat (a vigilance
// cell's group, a channel, a forum topic) with the Bot API sendMessage
// method, formatted with parse_mode HTML.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "telegram"

// DefaultBaseURL is the Bot API server.
const DefaultBaseURL = "https://api.telegram.org"

// maxText is sendMessage's limit on text, in characters.
const maxText = 4096

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("telegram: config")

// Config of one Telegram receiver.
type Config struct {
	BotToken        alerting.Secret `yaml:"bot_token,omitempty" json:"bot_token,omitempty"`           // literal or "${ENV_VAR}"
	BotTokenFile    string          `yaml:"bot_token_file,omitempty" json:"bot_token_file,omitempty"` // or read from this file
	ChatID          string          `yaml:"chat_id" json:"chat_id"`                                   // "-1001234567890" or "@channelusername"
	MessageThreadID int64           `yaml:"message_thread_id,omitempty" json:"message_thread_id,omitempty"`
	BaseURL         string          `yaml:"base_url,omitempty" json:"base_url,omitempty"`         // default https://api.telegram.org
	SilentBelow     int             `yaml:"silent_below,omitempty" json:"silent_below,omitempty"` // no sound below this severity (1..5); 0: always sound
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.ValidateSecret("bot_token", c.BotToken, c.BotTokenFile, true); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.ChatID == "" {
		return fmt.Errorf("%w: chat_id is required (a numeric id like -1001234567890 or @channelusername)", ErrConfig)
	}
	if _, err := strconv.ParseInt(c.ChatID, 10, 64); err != nil && (!strings.HasPrefix(c.ChatID, "@") || len(c.ChatID) < 2) {
		return fmt.Errorf("%w: chat_id: %q is neither a numeric id nor @channelusername", ErrConfig, c.ChatID)
	}
	if c.MessageThreadID < 0 {
		return fmt.Errorf("%w: message_thread_id must not be negative", ErrConfig)
	}
	if err := alerting.CheckURL("base_url", c.BaseURL); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.SilentBelow < 0 || c.SilentBelow > 5 {
		return fmt.Errorf("%w: silent_below: %d is not between 0 and 5", ErrConfig, c.SilentBelow)
	}
	return nil
}

// Notifier sends to one chat.
type Notifier struct {
	cfg      Config          // secrets scrubbed
	endpoint alerting.Sealed // base URL + /bot<token>/sendMessage
	opts     alerting.Options
	sender   *alerting.Sender
	log      *slog.Logger
}

// New checks cfg, resolves the bot token and returns a Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	tok, err := alerting.ResolveSecret("bot_token", cfg.BotToken, cfg.BotTokenFile, o.Secrets)
	if err != nil {
		return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
	}
	if strings.ContainsAny(tok.Reveal(), "/?# ") {
		return nil, fmt.Errorf("%w: receiver %q: bot_token has characters a token never has", ErrConfig, o.Name)
	}
	endpoint := alerting.Secret(strings.TrimRight(cfg.BaseURL, "/") + "/bot" + tok.Reveal() + "/sendMessage")
	cfg.BotToken = ""
	return &Notifier{
		cfg: cfg, endpoint: alerting.Seal(endpoint), opts: o,
		sender: alerting.NewSender(Channel, o.Name, o.Client, o.Now, endpoint, tok),
		log:    o.Logger.With("component", "alert_telegram", "receiver", o.Name),
	}, nil
}

// SendMessage is the sendMessage request.
type SendMessage struct {
	ChatID              any                 `json:"chat_id"` // integer or "@channelusername"
	MessageThreadID     int64               `json:"message_thread_id,omitempty"`
	Text                string              `json:"text"`
	ParseMode           string              `json:"parse_mode"`
	LinkPreviewOptions  *LinkPreviewOptions `json:"link_preview_options,omitempty"`
	DisableNotification bool                `json:"disable_notification,omitempty"`
}

// LinkPreviewOptions turns link previews off: the message stays compact.
type LinkPreviewOptions struct {
	IsDisabled bool `json:"is_disabled"`
}

// apiResponse is the Bot API's answer.
type apiResponse struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// Notify sends n. Telegram's flood control answers 429 with
// parameters.retry_after, reported as the retry delay.
func (t *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	text, err := t.text(n)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, t.opts.Name, err)
	}
	msg := SendMessage{
		ChatID: chatID(t.cfg.ChatID), MessageThreadID: t.cfg.MessageThreadID, Text: text, ParseMode: "HTML",
		LinkPreviewOptions:  &LinkPreviewOptions{IsDisabled: true},
		DisableNotification: t.cfg.SilentBelow > 0 && n.Severity < t.cfg.SilentBelow,
	}
	body, err := alerting.MarshalJSON(msg)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: encode: %w", Channel, t.opts.Name, err)
	}
	resp, err := t.sender.Post(ctx, t.endpoint.Reveal(), http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		return true, err
	}
	var ar apiResponse
	_ = json.Unmarshal(resp.Body, &ar) // a proxy may answer something else
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && (ar.OK || len(resp.Body) == 0) {
		t.log.Debug("notified", "key", n.Key, "status", n.Status)
		return false, nil
	}
	if resp.StatusCode < 300 && ar.ErrorCode >= 400 {
		resp.StatusCode = ar.ErrorCode
	}
	he := t.sender.HTTPError(resp)
	if ar.Description != "" {
		he.Detail = t.sender.Redact(ar.Description)
	}
	if ar.Parameters != nil && ar.Parameters.RetryAfter > 0 && he.RetryAfter == 0 {
		he.RetryAfter = time.Duration(ar.Parameters.RetryAfter) * time.Second
	}
	return he.Retryable(), he
}

// text renders the HTML message within Telegram's 4096 characters: with
// fewer sample posts if needed, and as a bare title, summary and links as
// the last resort.
func (t *Notifier) text(n *alerting.Notification) (string, error) {
	c := n.Clone()
	for {
		m, err := t.opts.Templates.Render(c, alerting.MarkupTelegram)
		if err != nil {
			return "", err
		}
		if utf8.RuneCountInString(m.Body) <= maxText {
			return m.Body, nil
		}
		switch {
		case len(c.SamplePosts) > 0:
			c.SamplePosts = c.SamplePosts[:len(c.SamplePosts)-1]
		case len(c.TopSpreaders) > 0:
			c.TopSpreaders = nil
		case len(c.Digest) > 0:
			c.Digest = c.Digest[:len(c.Digest)/2]
		default:
			// Entities count as one character: this stays under the limit.
			s := "<b>" + alerting.EscapeTelegram(alerting.Truncate(m.Title, 300)) + "</b>\n" +
				alerting.EscapeTelegram(alerting.Truncate(m.Summary, 1000))
			if c.ConsoleURL != "" && len(c.ConsoleURL) < 2000 {
				s += "\n" + alerting.EscapeTelegram(c.ConsoleURL)
			}
			return s, nil
		}
	}
}

func chatID(s string) any {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return id
	}
	return s
}
