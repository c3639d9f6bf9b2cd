package alerting

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// DefaultHTTPTimeout bounds one HTTP request of a channel when the caller's
// context has no earlier deadline.
const DefaultHTTPTimeout = 10 * time.Second

// ErrInvalidOption is wrapped by options given bad values.
var ErrInvalidOption = errors.New("alerting: invalid option")

// Options is what every channel's New accepts besides its Config. Build it
// with NewOptions; the zero value is not ready to use.
type Options struct {
	Name      string       // receiver name, used in errors and logs
	Client    *http.Client // HTTP channels
	Logger    *slog.Logger
	Templates *Templates
	Now       func() time.Time
	Secrets   SecretSource
}

// Option sets one field of Options and checks it.
type Option func(*Options) error

// NewOptions applies opts over the defaults: an HTTP client with a 10 s
// timeout, a discarding logger, the embedded templates, time.Now and the real
// environment and file system for secrets.
func NewOptions(opts ...Option) (Options, error) {
	o := Options{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return Options{}, err
		}
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Templates == nil {
		t, err := DefaultTemplates()
		if err != nil {
			return Options{}, err
		}
		o.Templates = t
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Secrets.LookupEnv == nil {
		o.Secrets.LookupEnv = os.LookupEnv
	}
	if o.Secrets.ReadFile == nil {
		o.Secrets.ReadFile = os.ReadFile
	}
	return o, nil
}

// WithName names the receiver in errors and logs.
func WithName(name string) Option {
	return func(o *Options) error {
		if name == "" {
			return fmt.Errorf("%w: WithName: empty name", ErrInvalidOption)
		}
		o.Name = name
		return nil
	}
}

// WithHTTPClient sets the HTTP client (proxies, TLS, test servers).
func WithHTTPClient(c *http.Client) Option {
	return func(o *Options) error {
		if c == nil {
			return fmt.Errorf("%w: WithHTTPClient: nil client", ErrInvalidOption)
		}
		o.Client = c
		return nil
	}
}

// WithLogger sets the logger; channels scope it with component and receiver.
func WithLogger(l *slog.Logger) Option {
	return func(o *Options) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
		}
		o.Logger = l
		return nil
	}
}

// WithTemplates sets the message templates (LoadTemplates for operators'
// overrides).
func WithTemplates(t *Templates) Option {
	return func(o *Options) error {
		if t == nil {
			return fmt.Errorf("%w: WithTemplates: nil templates", ErrInvalidOption)
		}
		o.Templates = t
		return nil
	}
}

// WithClock sets the clock used for message dates and signatures.
func WithClock(now func() time.Time) Option {
	return func(o *Options) error {
		if now == nil {
			return fmt.Errorf("%w: WithClock: nil clock", ErrInvalidOption)
		}
		o.Now = now
		return nil
	}
}

// WithSecretSource sets where "${VAR}" and "*_file" secrets are read from.
func WithSecretSource(src SecretSource) Option {
	return func(o *Options) error {
		o.Secrets = src
		return nil
	}
}
