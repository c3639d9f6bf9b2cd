// Package receiver reads the alerting section of vigie.yaml — the policy
// plus one channel config per named receiver — and builds the Notifier of
// each receiver for the dispatcher.
package receiver

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/alertmanager"
	"github.com/vigie-project/vigie/alerting/email"
	"github.com/vigie-project/vigie/alerting/pagerduty"
	"github.com/vigie-project/vigie/alerting/slack"
	"github.com/vigie-project/vigie/alerting/teams"
	"github.com/vigie-project/vigie/alerting/telegram"
	"github.com/vigie-project/vigie/alerting/webhook"
)

// Config is one named receiver: its language and rate cap, and exactly one
// channel.
type Config struct {
	alerting.ReceiverSettings `yaml:",inline"`

	Slack        *slack.Config        `yaml:"slack,omitempty" json:"slack,omitempty"` // also Mattermost (mattermost: true)
	Teams        *teams.Config        `yaml:"teams,omitempty" json:"teams,omitempty"`
	Telegram     *telegram.Config     `yaml:"telegram,omitempty" json:"telegram,omitempty"`
	Email        *email.Config        `yaml:"email,omitempty" json:"email,omitempty"`
	PagerDuty    *pagerduty.Config    `yaml:"pagerduty,omitempty" json:"pagerduty,omitempty"`
	Alertmanager *alertmanager.Config `yaml:"alertmanager,omitempty" json:"alertmanager,omitempty"`
	Webhook      *webhook.Config      `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

// File is the alerting section of vigie.yaml.
type File struct {
	alerting.Config `yaml:",inline"`
	Receivers       []Config `yaml:"receivers" json:"receivers"`
}

// Load decodes the alerting section strictly (unknown keys are errors
// naming their line), applies the defaults and validates everything.
func Load(r io.Reader) (*File, error) {
	var f File
	if err := alerting.DecodeYAML(r, &f); err != nil {
		return nil, err
	}
	f.SetDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// LoadBytes is Load on a byte slice.
func LoadBytes(b []byte) (*File, error) { return Load(bytes.NewReader(b)) }

// SetDefaults fills what is not set, in the policy and in every channel.
func (f *File) SetDefaults() {
	f.Config.SetDefaults()
	for i := range f.Receivers {
		for _, ch := range f.Receivers[i].channels() {
			ch.cfg.SetDefaults()
		}
	}
}

// Validate checks every receiver (errors start with "receivers[i].<channel>")
// and the policy against the receivers' names.
func (f *File) Validate() error {
	for i := range f.Receivers {
		r := &f.Receivers[i]
		chans := r.channels()
		switch len(chans) {
		case 0:
			return fmt.Errorf("%w: receivers[%d] (%q): no channel; set one of slack, teams, telegram, email, pagerduty, alertmanager, webhook", alerting.ErrConfig, i, r.Name)
		case 1:
		default:
			return fmt.Errorf("%w: receivers[%d] (%q): %s and %s are both set; one channel per receiver", alerting.ErrConfig, i, r.Name, chans[0].name, chans[1].name)
		}
		if err := chans[0].cfg.Validate(); err != nil {
			return fmt.Errorf("%w: receivers[%d].%s (%q): %w", alerting.ErrConfig, i, chans[0].name, r.Name, err)
		}
	}
	return f.Config.Validate(f.Settings())
}

// Settings returns what the Engine needs of each receiver.
func (f *File) Settings() []alerting.ReceiverSettings {
	out := make([]alerting.ReceiverSettings, len(f.Receivers))
	for i, r := range f.Receivers {
		out[i] = r.ReceiverSettings
	}
	return out
}

// Templates returns the message templates the file asks for.
func (f *File) Templates() (*alerting.Templates, error) {
	return alerting.NewTemplates(alerting.TemplateConfig{Dir: f.TemplatesDir, Location: f.Location, DefaultLang: f.DefaultLang})
}

// Build makes the Notifier of every receiver. opts apply to all (HTTP
// client, logger, clock); the receiver's name and the file's templates are
// added.
func Build(f *File, opts ...alerting.Option) (map[string]alerting.Notifier, error) {
	tpl, err := f.Templates()
	if err != nil {
		return nil, err
	}
	out := make(map[string]alerting.Notifier, len(f.Receivers))
	var errs []error
	for i, r := range f.Receivers {
		o := append([]alerting.Option{alerting.WithTemplates(tpl)}, opts...)
		o = append(o, alerting.WithName(r.Name))
		n, err := r.build(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("receivers[%d] (%q): %w", i, r.Name, err))
			continue
		}
		out[r.Name] = n
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (r *Config) build(o []alerting.Option) (alerting.Notifier, error) {
	switch {
	case r.Slack != nil:
		return slack.New(*r.Slack, o...)
	case r.Teams != nil:
		return teams.New(*r.Teams, o...)
	case r.Telegram != nil:
		return telegram.New(*r.Telegram, o...)
	case r.Email != nil:
		return email.New(*r.Email, o...)
	case r.PagerDuty != nil:
		return pagerduty.New(*r.PagerDuty, o...)
	case r.Alertmanager != nil:
		return alertmanager.New(*r.Alertmanager, o...)
	case r.Webhook != nil:
		return webhook.New(*r.Webhook, o...)
	}
	return nil, fmt.Errorf("%w: no channel", alerting.ErrConfig)
}

type channelConfig interface {
	SetDefaults()
	Validate() error
}

type namedChannel struct {
	name string
	cfg  channelConfig
}

func (r *Config) channels() []namedChannel {
	var out []namedChannel
	add := func(name string, set bool, c channelConfig) {
		if set {
			out = append(out, namedChannel{name, c})
		}
	}
	add("slack", r.Slack != nil, r.Slack)
	add("teams", r.Teams != nil, r.Teams)
	add("telegram", r.Telegram != nil, r.Telegram)
	add("email", r.Email != nil, r.Email)
	add("pagerduty", r.PagerDuty != nil, r.PagerDuty)
	add("alertmanager", r.Alertmanager != nil, r.Alertmanager)
	add("webhook", r.Webhook != nil, r.Webhook)
	return out
}
