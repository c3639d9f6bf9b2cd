// Package email mails notifications over SMTP (STARTTLS or implicit TLS,
// AUTH PLAIN or LOGIN) as multipart/alternative plain text and HTML, in
// French or English, one mail thread per crisis.
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/vigie-project/vigie/alerting"
)

// Channel is the channel's name in errors and logs.
const Channel = "email"

// TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587)
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: local relays only, and no AUTH
)

// ErrConfig is wrapped by Validate errors.
var ErrConfig = errors.New("email: config")

// Config of one email receiver.
type Config struct {
	Host               string            `yaml:"host" json:"host"`
	Port               int               `yaml:"port,omitempty" json:"port,omitempty"` // default 587, 465 with implicit TLS, 25 with none
	TLS                string            `yaml:"tls,omitempty" json:"tls,omitempty"`   // starttls (default), implicit or none
	ServerName         string            `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	CAFile             string            `yaml:"ca_file,omitempty" json:"ca_file,omitempty"` // PEM roots instead of the system's
	InsecureSkipVerify bool              `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	Username           string            `yaml:"username,omitempty" json:"username,omitempty"`
	Password           alerting.Secret   `yaml:"password,omitempty" json:"password,omitempty"` // literal or "${ENV_VAR}"
	PasswordFile       string            `yaml:"password_file,omitempty" json:"password_file,omitempty"`
	Auth               string            `yaml:"auth,omitempty" json:"auth,omitempty"` // plain (default) or login
	Hello              string            `yaml:"hello,omitempty" json:"hello,omitempty"`
	From               string            `yaml:"from" json:"from"` // "vigie <vigie@example.com>"
	To                 []string          `yaml:"to" json:"to"`
	Timeout            alerting.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"` // whole exchange; default 30s
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Auth == "" && c.Username != "" {
		c.Auth = "plain"
	}
	if c.Hello == "" {
		c.Hello = "localhost"
	}
	if c.Timeout == 0 {
		c.Timeout = alerting.Duration(30 * time.Second)
	}
}

// Validate checks the config; errors name the key, never a secret.
func (c *Config) Validate() error {
	switch {
	case c.Host == "":
		return fmt.Errorf("%w: host is required", ErrConfig)
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("%w: port %d is not a TCP port", ErrConfig, c.Port)
	case c.TLS != TLSStartTLS && c.TLS != TLSImplicit && c.TLS != TLSNone:
		return fmt.Errorf("%w: tls: %q is not starttls, implicit or none", ErrConfig, c.TLS)
	case c.Username != "" && c.TLS == TLSNone:
		return fmt.Errorf("%w: username: AUTH needs tls starttls or implicit (the password would travel in clear)", ErrConfig)
	case c.Username != "" && c.Auth != "plain" && c.Auth != "login":
		return fmt.Errorf("%w: auth: %q is not plain or login", ErrConfig, c.Auth)
	case strings.ContainsAny(c.Hello, " \r\n"):
		return fmt.Errorf("%w: hello: %q is not a host name", ErrConfig, c.Hello)
	case c.Timeout.D() <= 0:
		return fmt.Errorf("%w: timeout must be positive", ErrConfig)
	}
	if err := alerting.ValidateSecret("password", c.Password, c.PasswordFile, c.Username != ""); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Username == "" && (c.Password != "" || c.PasswordFile != "") {
		return fmt.Errorf("%w: password is set without username", ErrConfig)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("%w: from: %q is not an address like \"vigie <vigie@example.com>\"", ErrConfig, c.From)
	}
	if len(c.To) == 0 {
		return fmt.Errorf("%w: to: at least one address is needed", ErrConfig)
	}
	for i, to := range c.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fmt.Errorf("%w: to[%d]: %q is not an address", ErrConfig, i, to)
		}
	}
	return nil
}

// Notifier mails one list of recipients.
type Notifier struct {
	cfg      Config          // secrets scrubbed
	password alerting.Sealed // resolved password
	tls      *tls.Config
	from     *mail.Address
	to       []*mail.Address
	opts     alerting.Options
	log      *slog.Logger
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New checks cfg, resolves the password, loads the CA file and returns a
// Notifier.
func New(cfg Config, opts ...alerting.Option) (*Notifier, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := alerting.NewOptions(opts...)
	if err != nil {
		return nil, err
	}
	e := &Notifier{cfg: cfg, opts: o, log: o.Logger.With("component", "alert_email", "receiver", o.Name)}
	if cfg.Username != "" {
		pw, err := alerting.ResolveSecret("password", cfg.Password, cfg.PasswordFile, o.Secrets)
		if err != nil {
			return nil, fmt.Errorf("%w: receiver %q: %w", ErrConfig, o.Name, err)
		}
		e.password = alerting.Seal(pw)
		e.cfg.Password = ""
	}
	e.from, _ = mail.ParseAddress(cfg.From)
	for _, to := range cfg.To {
		a, _ := mail.ParseAddress(to)
		e.to = append(e.to, a)
	}
	serverName := cfg.ServerName
	if serverName == "" {
		serverName = cfg.Host
	}
	e.tls = &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: receiver %q: ca_file: %w", ErrConfig, o.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: receiver %q: ca_file %q holds no PEM certificate", ErrConfig, o.Name, cfg.CAFile)
		}
		e.tls.RootCAs = pool
	}
	d := &net.Dialer{}
	e.dial = d.DialContext
	return e, nil
}

// Notify mails n. SMTP 4xx replies and network failures are worth a retry;
// 5xx replies (unknown recipient, authentication refused) are not.
func (e *Notifier) Notify(ctx context.Context, n *alerting.Notification) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	msg, err := e.message(n)
	if err != nil {
		return false, fmt.Errorf("%s receiver %q: render: %w", Channel, e.opts.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout.D())
	defer cancel()
	if err := e.send(ctx, msg); err != nil {
		return retryable(err), alerting.NewSendError(Channel, e.opts.Name, err, e.password.Secret())
	}
	e.log.Debug("notified", "key", n.Key, "status", n.Status, "to", len(e.to))
	return false, nil
}

func (e *Notifier) send(ctx context.Context, msg []byte) error {
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	conn, err := e.dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() }) // unblocks any read or write
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var c *smtp.Client
	switch e.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return fmt.Errorf("tls: %w", err)
		}
		c = smtp.NewClient(tc)
	case TLSStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, e.tls); err != nil {
			_ = conn.Close()
			return fmt.Errorf("starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello(e.cfg.Hello); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if e.cfg.Username != "" {
		var a sasl.Client
		if e.cfg.Auth == "login" {
			a = sasl.NewLoginClient(e.cfg.Username, e.password.Reveal())
		} else {
			a = sasl.NewPlainClient("", e.cfg.Username, e.password.Reveal())
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("auth %s: %w", e.cfg.Auth, err)
		}
	}
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.Address
	}
	if err := c.SendMail(e.from.Address, to, strings.NewReader(string(msg))); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := c.Quit(); err != nil {
		e.log.Debug("quit_failed", "error", err) // the mail was accepted
	}
	return nil
}

func retryable(err error) bool {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 == 4
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return false // a configuration problem: retrying will not help
	}
	return true
}
