// Package bus connects vigie to NATS JetStream: it runs the embedded server
// when no external one is configured, declares the streams, consumers and
// KV buckets, and carries mentions and events between the stages.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/config/secret"
)

// Config says where NATS is and how the streams are sized.
type Config struct {
	// URL of an external NATS server or cluster ("nats://a:4222,nats://b:4222").
	// Empty runs the embedded server with its store under the data directory.
	URL       string        `yaml:"url"`
	CredsFile string        `yaml:"creds_file"`
	Token     secret.Secret `yaml:"token"`
	TokenFile string        `yaml:"token_file"`

	// Listen is the embedded server's client address ("127.0.0.1:4222");
	// empty means in-process connections only; port 0 picks a free port.
	Listen string `yaml:"listen"`
	// StoreDir is the embedded JetStream store; empty means <data_dir>/nats.
	StoreDir string `yaml:"store_dir"`

	Replicas        int           `yaml:"replicas"`         // stream replicas on a cluster (1, 3 or 5)
	MaxAge          time.Duration `yaml:"max_age"`          // how long raw and scored mentions stay in the streams
	MaxBytes        int64         `yaml:"max_bytes"`        // per stream; the oldest messages go first
	DuplicateWindow time.Duration `yaml:"duplicate_window"` // publish dedup window on Nats-Msg-Id
	AckWait         time.Duration `yaml:"ack_wait"`         // redelivery after this long without ack
	MaxAckPending   int           `yaml:"max_ack_pending"`  // bound on unacknowledged messages per consumer
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxAge == 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 8 << 30
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 10 * time.Minute
	}
	if c.AckWait == 0 {
		c.AckWait = 60 * time.Second
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = 50000
	}
}

// Validate checks the settings. Errors start with the field name.
func (c *Config) Validate() error {
	switch {
	case c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5:
		return fmt.Errorf("replicas: must be 1, 3 or 5, got %d", c.Replicas)
	case c.DuplicateWindow < 2*time.Minute:
		return fmt.Errorf("duplicate_window: must be at least 2m, got %s", c.DuplicateWindow)
	case c.MaxAge < c.DuplicateWindow:
		return fmt.Errorf("max_age: must be at least duplicate_window (%s)", c.DuplicateWindow)
	case c.MaxBytes < 1<<20:
		return fmt.Errorf("max_bytes: must be at least 1048576")
	case c.AckWait < time.Second:
		return fmt.Errorf("ack_wait: must be at least 1s, got %s", c.AckWait)
	case c.MaxAckPending < 1:
		return fmt.Errorf("max_ack_pending: must be positive")
	case c.URL != "" && c.Listen != "":
		return fmt.Errorf("listen: only for the embedded server; remove it or url")
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	return nil
}

// Bus is a connection to JetStream, and the embedded server when vigie runs one.
type Bus struct {
	NC  *nats.Conn
	JS  jetstream.JetStream
	cfg Config
	srv *server.Server
	log *slog.Logger
}

// Open starts the embedded server when cfg.URL is empty (its store in
// dataDir/nats unless cfg.StoreDir says otherwise), connects, and declares
// the streams and KV buckets.
func Open(ctx context.Context, cfg Config, dataDir string, log *slog.Logger) (*Bus, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	log = log.With("component", "bus")
	b := &Bus{cfg: cfg, log: log}
	opts := []nats.Option{
		nats.Name("vigie"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats_disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats_reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	url := cfg.URL
	if url == "" {
		srv, err := startEmbedded(cfg, dataDir)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
		log.Info("nats_embedded_started", "store", srv.JetStreamConfig().StoreDir, "listen", b.ClientURL())
	} else {
		tok, err := secret.Resolve("token", cfg.Token, cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("nats: %w", err)
		}
		if tok != "" {
			opts = append(opts, nats.Token(tok.Reveal()))
		}
		if cfg.CredsFile != "" {
			opts = append(opts, nats.UserCredentials(cfg.CredsFile))
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	b.NC = nc
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("nats: jetstream: %w", err)
	}
	b.JS = js
	if err := b.declare(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func startEmbedded(cfg Config, dataDir string) (*server.Server, error) {
	store := cfg.StoreDir
	if store == "" {
		store = filepath.Join(dataDir, "nats")
	}
	o := &server.Options{
		ServerName:         "vigie",
		JetStream:          true,
		StoreDir:           store,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         cfg.Listen == "",
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		MaxPayload:         8 << 20,
		JetStreamMaxMemory: 256 << 20,
	}
	if cfg.Listen != "" {
		host, port, _ := net.SplitHostPort(cfg.Listen)
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats: listen: bad port %q", port)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		o.Host, o.Port = host, p
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("nats: embedded server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("nats: embedded server not ready after 30s (is the listen port free? is the store directory writable?)")
	}
	return srv, nil
}

// ClientURL is where other processes reach the embedded server ("" when it
// does not listen, or when NATS is external).
func (b *Bus) ClientURL() string {
	if b.srv == nil || b.cfg.Listen == "" {
		return ""
	}
	return b.srv.ClientURL()
}

// Embedded reports whether this process runs the NATS server.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Config returns the settings in force, defaults applied.
func (b *Bus) Config() Config { return b.cfg }

// Close drains the connection (pending publishes and acks are flushed),
// then stops the embedded server.
func (b *Bus) Close() {
	if b.NC != nil {
		done := make(chan struct{})
		b.NC.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := b.NC.Drain(); err == nil {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				b.log.Warn("nats_drain_timeout")
			}
		}
		b.NC.Close()
	}
	b.shutdownServer()
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
		b.srv = nil
	}
}
