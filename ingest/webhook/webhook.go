// Package webhook is the HTTP push collector: advocacy platforms, social
// exports and in-house tools POST JSON or NDJSON mentions, authenticated by
// bearer token or HMAC signature; a batch is published whole or not at all.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vigie-project/vigie/config/secret"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/mention"
)

// Name is the collector's name, as Source.Name returns it.
const Name = "webhook"

// Path is where the lead HTTP server mounts Handler.
const Path = "/ingest/v1/mentions"

// Defaults.
const (
	DefaultMaxBodyBytes       = 8 << 20
	DefaultMaxRecords         = 10000
	DefaultTimestampTolerance = 5 * time.Minute
	DefaultPublishTimeout     = 30 * time.Second
)

// minSecretBytes is the shortest token or HMAC key accepted.
const minSecretBytes = 16

// Config is the webhook collector's configuration.
type Config struct {
	// Clients are who may push; each authenticates with a bearer token or
	// an HMAC key.
	Clients []Client `yaml:"clients"`
	// MaxBodyBytes bounds a request body (default 8 MiB); larger gets 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxRecords bounds the records of one request (default 10000).
	MaxRecords int `yaml:"max_records"`
	// MaxTextBytes bounds a record's text (default mention.DefaultMaxTextBytes).
	MaxTextBytes int `yaml:"max_text_bytes"`
	// TimestampTolerance is how far X-Vigie-Timestamp may be from the
	// clock for a signed request (default 5m). Keep it under the stream's
	// duplicate window, which absorbs a replay inside the tolerance.
	TimestampTolerance time.Duration `yaml:"timestamp_tolerance"`
	// PublishTimeout bounds publishing and flushing a batch (default 30s);
	// past it the request gets 503 and the client retries.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
}

// Client is one system allowed to push.
type Client struct {
	// Name identifies the client in logs and metrics.
	Name string `yaml:"name"`
	// Token is a bearer token ("Authorization: Bearer <token>").
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`
	// HMACKey signs requests: X-Vigie-Signature: sha256=<hex of
	// HMAC-SHA256(key, "<X-Vigie-Timestamp>.<raw body>")>.
	HMACKey     secret.Secret `yaml:"hmac_key"`
	HMACKeyFile string        `yaml:"hmac_key_file"`
	// Source is given to records that have none (e.g. "linkedin").
	Source string `yaml:"source"`
	// AllowedSources, when set, are the only sources the client's records
	// may carry.
	AllowedSources []string `yaml:"allowed_sources"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.MaxTextBytes == 0 {
		c.MaxTextBytes = mention.DefaultMaxTextBytes
	}
	if c.TimestampTolerance == 0 {
		c.TimestampTolerance = DefaultTimestampTolerance
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
}

// Validate checks the settings; call SetDefaults first. Errors start with
// the field name. Secrets are checked by New, once resolved.
func (c *Config) Validate() error {
	if len(c.Clients) == 0 {
		return errors.New("clients: at least one client is required")
	}
	names := map[string]int{}
	for i, cl := range c.Clients {
		if err := cl.validate(); err != nil {
			return fmt.Errorf("clients[%d].%w", i, err)
		}
		if j, dup := names[cl.Name]; dup {
			return fmt.Errorf("clients[%d].name: %q is already the name of clients[%d]", i, cl.Name, j)
		}
		names[cl.Name] = i
	}
	switch {
	case c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<30:
		return fmt.Errorf("max_body_bytes: must be between 1024 and %d, got %d", 1<<30, c.MaxBodyBytes)
	case c.MaxRecords < 1 || c.MaxRecords > 1000000:
		return fmt.Errorf("max_records: must be between 1 and 1000000, got %d", c.MaxRecords)
	case c.MaxTextBytes < 280:
		return fmt.Errorf("max_text_bytes: must be at least 280, got %d", c.MaxTextBytes)
	case c.TimestampTolerance < 10*time.Second || c.TimestampTolerance > time.Hour:
		return fmt.Errorf("timestamp_tolerance: must be between 10s and 1h, got %s", c.TimestampTolerance)
	case c.PublishTimeout < time.Second || c.PublishTimeout > 5*time.Minute:
		return fmt.Errorf("publish_timeout: must be between 1s and 5m, got %s", c.PublishTimeout)
	}
	return nil
}

func (cl Client) validate() error {
	if !mention.ValidToken(cl.Name) {
		return fmt.Errorf("name: %q must be 1-64 lower-case letters, digits, '-' or '_'", cl.Name)
	}
	token := cl.Token != "" || cl.TokenFile != ""
	hmacKey := cl.HMACKey != "" || cl.HMACKeyFile != ""
	switch {
	case token && hmacKey:
		return errors.New("token: set a token or an hmac_key, not both")
	case !token && !hmacKey:
		return errors.New("token: set token, token_file, hmac_key or hmac_key_file")
	case cl.Token != "" && cl.TokenFile != "":
		return errors.New("token: set either token or token_file, not both")
	case cl.HMACKey != "" && cl.HMACKeyFile != "":
		return errors.New("hmac_key: set either hmac_key or hmac_key_file, not both")
	}
	if cl.Source != "" && !mention.ValidToken(cl.Source) {
		return fmt.Errorf("source: %q must be 1-64 lower-case letters, digits, '-' or '_'", cl.Source)
	}
	for i, s := range cl.AllowedSources {
		if !mention.ValidToken(s) {
			return fmt.Errorf("allowed_sources[%d]: %q must be 1-64 lower-case letters, digits, '-' or '_'", i, s)
		}
	}
	if cl.Source != "" && len(cl.AllowedSources) > 0 && !contains(cl.AllowedSources, cl.Source) {
		return fmt.Errorf("source: %q is not in allowed_sources", cl.Source)
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Source is the webhook collector. It implements ingest.Source; its
// Handler serves the HTTP endpoint while Run runs.
type Source struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	auth    authenticator
	metrics *metrics

	mu       sync.Mutex
	pub      ingest.Publisher // set while Run runs
	inflight sync.WaitGroup   // requests publishing to pub
	slot     chan struct{}    // one batch publishes and flushes at a time
}

var _ ingest.Source = (*Source)(nil)

// New applies defaults to cfg, validates it, resolves the clients'
// secrets (from *_file or ${ENV}) and returns the Source.
func New(cfg Config, deps ingest.Deps) (*Source, error) {
	cfg.Clients = append([]Client(nil), cfg.Clients...)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	auth, err := newAuthenticator(cfg.Clients)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(deps.Registerer)
	if err != nil {
		return nil, err
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{
		cfg:     cfg,
		log:     log.With("component", "ingest", "source", Name),
		now:     deps.Clock(),
		auth:    auth,
		metrics: m,
		slot:    make(chan struct{}, 1),
	}, nil
}

// Name returns "webhook".
func (s *Source) Name() string { return Name }

// Run makes the endpoint publish to pub, and blocks until ctx is
// cancelled. Requests that arrive while Run is not running get 503. When
// ctx ends, Run waits for the batches being published to be flushed (at
// most PublishTimeout) and returns nil.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	if pub == nil {
		return errors.New("webhook: Run: nil publisher")
	}
	s.mu.Lock()
	if s.pub != nil {
		s.mu.Unlock()
		return errors.New("webhook: Run: already running")
	}
	s.pub = pub
	s.mu.Unlock()
	s.log.Info("webhook_ready", "path", Path, "clients", len(s.cfg.Clients))

	<-ctx.Done()

	s.mu.Lock()
	s.pub = nil
	s.mu.Unlock()
	s.inflight.Wait()
	s.log.Info("webhook_stopped")
	return nil
}

// publisher returns the publisher and registers an in-flight batch, or
// false when Run is not running. Call done when the batch is flushed.
func (s *Source) publisher() (pub ingest.Publisher, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pub == nil {
		return nil, false
	}
	s.inflight.Add(1)
	return s.pub, true
}

func (s *Source) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pub != nil
}

// Handler returns the endpoint. Mount it at Path.
func (s *Source) Handler() http.Handler { return http.HandlerFunc(s.serve) }
