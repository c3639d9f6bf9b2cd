// Package alertmanager hands notifications to a Prometheus Alertmanager
// (API v2, POST /api/v2/alerts), so sites that already page through it keep
// their routes, silences and inhibitions for vigie's crises.
package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "alertmanager"

// DefaultFiringTTL is how long Alertmanager keeps an alert firing without
// news from vigie. vigie sends updates and an explicit resolution; the TTL
// only bounds an alert whose resolution was lost.
const DefaultFiringTTL = 24 * time.Hour

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("alertmanager: config")

func defaultSeverities() map[int]string {
	return map[int]string{1: "info", 2: "info", 3: "warning", 4: "critical", 5: "critical"}
}

// Config of one Alertmanager (or one of an HA pair: configure each).
type Config struct {
	URL             string            `yaml:"url" json:"url"` // base URL, e.g. http://alertmanager:9093
	BasicAuth       *BasicAuth        `yaml:"basic_auth,omitempty" json:"basic_auth,omitempty"`
	BearerToken     alerting.Secret   `yaml:"bearer_token,omitempty" json:"bearer_token,omitempty"`
	BearerTokenFile string            `yaml:"bearer_token_file,omitempty" json:"bearer_token_file,omitempty"`
	Labels          map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`                     // static labels added to every alert (env, team)
	Severities      map[int]string    `yaml:"severities,omitempty" json:"severities,omitempty"`             // 1..5 → severity label; default info, info, warning, critical, critical
	FiringTTL       alerting.Duration `yaml:"firing_ttl,omitempty" json:"firing_ttl,omitempty"`             // endsAt of a firing alert; default 24h
	AlertNamePrefix string            `yaml:"alertname_prefix,omitempty" json:"alertname_prefix,omitempty"` // default "Vigie": VigieCrisis, VigieCharter…
}

// BasicAuth is HTTP basic authentication in front of Alertmanager.
type BasicAuth struct {
	Username     string          `yaml:"username" json:"username"`
	Password     alerting.Secret `yaml:"password,omitempty" json:"password,omitempty"`
	PasswordFile string          `yaml:"password_file,omitempty" json:"password_file,omitempty"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.FiringTTL == 0 {
		c.FiringTTL = alerting.Duration(DefaultFiringTTL)
	}
	if c.AlertNamePrefix == "" {
		c.AlertNamePrefix = "Vigie"
	}
	merged := defaultSeverities()
	maps.Copy(merged, c.Severities)
	c.Severities = merged
}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	if err := alerting.CheckURL("url", c.URL); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.BasicAuth != nil {
		if c.BasicAuth.Username == "" {
			return fmt.Errorf("%w: basic_auth.username is required", ErrConfig)
		}
		if err := alerting.ValidateSecret("basic_auth.password", c.BasicAuth.Password, c.BasicAuth.PasswordFile, true); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if c.BearerToken != "" || c.BearerTokenFile != "" {
			return fmt.Errorf("%w: basic_auth and bearer_token are both set; keep one", ErrConfig)
		}
	}
	if err := alerting.ValidateSecret("bearer_token", c.BearerToken, c.BearerTokenFile, false); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for name := range c.Labels {
		if !labelName(name) {
			return fmt.Errorf("%w: labels: %q is not a valid label name", ErrConfig, name)
		}
		switch name {
		case "alertname", "watch", "severity", "kind", "thread", "drill":
			return fmt.Errorf("%w: labels: %q is set by vigie", ErrConfig, name)
		}
	}
	for sev, v := range c.Severities {
		if sev < 1 || sev > 5 || v == "" {
			return fmt.Errorf("%w: severities: %d → %q: keys are 1..5, values not empty", ErrConfig, sev, v)
		}
	}
	if c.FiringTTL.D() < time.Minute {
		return fmt.Errorf("%w: firing_ttl: %s is shorter than a minute", ErrConfig, c.FiringTTL.D())
	}
	if !labelValueName(c.AlertNamePrefix) {
		return fmt.Errorf("%w: alertname_prefix: %q must be letters, digits and _", ErrConfig, c.AlertNamePrefix)
	}
	return nil
}

// Notifier posts to one Alertmanager.
type Notifier struct {
	cfg      Config // secrets scrubbed
	endpoint string
	auth     func(http.Header)
	opts     alerting.Options
	sender   *alerting.Sender
	log      *slog.Logger

	mu   sync.Mutex
	last map[string]map[string]string // labels last sent per thread, to end them when they change
}

// New checks cfg, resolves the credentials and returns a Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	a := &Notifier{
		cfg: cfg, endpoint: strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts", opts: o,
		auth: func(http.Header) {}, last: map[string]map[string]string{},
		log: o.Logger.With("component", "alert_alertmanager", "receiver", o.Name),
	}
	var secrets []alerting.Secret
	switch {
	case cfg.BasicAuth != nil:
		pw, err := alerting.ResolveSecret("basic_auth.password", cfg.BasicAuth.Password, cfg.BasicAuth.PasswordFile, o.Secrets)
		if err != nil {
			return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
		}
		secrets = append(secrets, pw)
		user, sealed := cfg.BasicAuth.Username, alerting.Seal(pw)
		a.auth = func(h http.Header) {
			r := http.Request{Header: h}
			r.SetBasicAuth(user, sealed.Reveal())
		}
	case cfg.BearerToken != "" || cfg.BearerTokenFile != "":
		tok, err := alerting.ResolveSecret("bearer_token", cfg.BearerToken, cfg.BearerTokenFile, o.Secrets)
		if err != nil {
			return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
		}
		secrets = append(secrets, tok)
		sealed := alerting.Seal(tok)
		a.auth = func(h http.Header) { h.Set("Authorization", "Bearer "+sealed.Reveal()) }
	}
	a.sender = alerting.NewSender(Channel, o.Name, o.Client, o.Now, secrets...)
	if cfg.BasicAuth != nil {
		ba := *cfg.BasicAuth // do not touch the caller's config
		ba.Password = ""
		a.cfg.BasicAuth = &ba
	}
	a.cfg.BearerToken = ""
	return a, nil
}

// PostableAlert is Alertmanager API v2's postableAlert.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify posts n as one alert: firing (endsAt in FiringTTL) for open,
// update and acknowledged, ended (endsAt = the resolution time) for
// resolved. When the severity label changed since the last post for the
// thread, the alert with the old labels is ended in the same request.
func (a *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	alert, err := a.alert(n)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, a.opts.Name, err)
	}
	alerts := []PostableAlert{alert}
	a.mu.Lock()
	prev := a.last[n.Key]
	a.mu.Unlock()
	if prev != nil && !maps.Equal(prev, alert.Labels) {
		old := alert
		old.Labels = prev
		old.EndsAt = n.At.UTC().Format(time.RFC3339Nano)
		alerts = append([]PostableAlert{old}, alerts...)
	}
	h := http.Header{}
	a.auth(h)
	retry, err := a.sender.PostJSON(ctx, a.endpoint, h, alerts)
	if err != nil {
		return retry, err
	}
	a.mu.Lock()
	if n.Status == alerting.StatusResolved {
		delete(a.last, n.Key)
	} else {
		a.last[n.Key] = alert.Labels
	}
	a.mu.Unlock()
	a.log.Debug("notified", "key", n.Key, "status", n.Status)
	return false, nil
}

func (a *Notifier) alert(n *alerting.Notification) (PostableAlert, error) {
	m, err := a.opts.Templates.Render(n, alerting.MarkupText)
	if err != nil {
		return PostableAlert{}, err
	}
	labels := maps.Clone(a.cfg.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels["alertname"] = a.cfg.AlertNamePrefix + strings.ToUpper(n.Kind[:1]) + n.Kind[1:]
	labels["kind"] = n.Kind
	labels["severity"] = a.cfg.Severities[n.Severity]
	labels["thread"] = n.Key
	if n.Watch != "" {
		labels["watch"] = n.Watch
	}
	if n.Drill {
		labels["drill"] = "true"
	}
	ann := map[string]string{
		"summary":        m.Subject + " — " + m.Summary,
		"description":    m.Body,
		"severity_level": strconv.Itoa(n.Severity),
		"status":         n.Status,
	}
	if n.WatchName != "" {
		ann["watch_name"] = n.WatchName
	}
	if n.ConsoleURL != "" {
		ann["console_url"] = n.ConsoleURL
	}
	if n.AckURL != "" && n.Status != alerting.StatusResolved {
		ann["ack_url"] = n.AckURL
	}
	if n.AckedBy != "" {
		ann["acked_by"] = n.AckedBy
	}
	if n.Observed > 0 || n.Expected > 0 {
		ann["observed_per_hour"] = strconv.FormatFloat(n.Observed, 'f', -1, 64)
		ann["expected_per_hour"] = strconv.FormatFloat(n.Expected, 'f', -1, 64)
	}
	start := n.Since
	if start.IsZero() {
		start = n.At
	}
	end := a.opts.Now().Add(a.cfg.FiringTTL.D())
	if n.Status == alerting.StatusResolved {
		end = n.At
	}
	pa := PostableAlert{Labels: labels, Annotations: ann, StartsAt: start.UTC().Format(time.RFC3339Nano), EndsAt: end.UTC().Format(time.RFC3339Nano)}
	if n.ConsoleURL != "" && alerting.CheckURL("console_url", n.ConsoleURL) == nil {
		pa.GeneratorURL = n.ConsoleURL
	}
	return pa, nil
}

func labelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func labelValueName(s string) bool { return labelName(s) }
