// Package store keeps vigie's results in ClickHouse: a managed local server
// when none is configured, embedded idempotent migrations, the batch writer
// stage and the queries the other stages read back.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/vigie-project/vigie/config/secret"
)

// Config says where ClickHouse is.
type Config struct {
	// Addr of the native protocol ("host:9000"; several comma-separated for a
	// cluster). Empty: vigie runs a local server under <data_dir>/clickhouse.
	Addr         string        `yaml:"addr"`
	Database     string        `yaml:"database"`
	Username     string        `yaml:"username"`
	Password     secret.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	// Cluster, when set, adds ON CLUSTER and Replicated engines to migrations.
	Cluster     string        `yaml:"cluster"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// Binary overrides the server binary of the managed local server.
	Binary string `yaml:"binary"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.Database == "" {
		c.Database = "vigie"
	}
	if c.Username == "" {
		c.Username = "default"
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the settings. Errors start with the field name.
func (c *Config) Validate() error {
	if !identRE.MatchString(c.Database) {
		return fmt.Errorf("database: %q is not a valid identifier", c.Database)
	}
	if c.Cluster != "" && !identRE.MatchString(c.Cluster) {
		return fmt.Errorf("cluster: %q is not a valid identifier", c.Cluster)
	}
	for _, a := range c.Addrs() {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("addr: %q: %w", a, err)
		}
	}
	if c.Binary != "" && c.Addr != "" {
		return fmt.Errorf("binary: only for the managed local server; remove it or addr")
	}
	if c.ReadTimeout < time.Second {
		return fmt.Errorf("read_timeout: must be at least 1s")
	}
	return nil
}

// Addrs splits Addr on commas.
func (c *Config) Addrs() []string {
	var out []string
	for _, a := range strings.Split(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Open connects to ClickHouse, creating the database if needed. It does
// not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	pw, err := secret.Resolve("password", cfg.Password, cfg.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	opts := func(db string) *clickhouse.Options {
		return &clickhouse.Options{
			Addr:             cfg.Addrs(),
			Auth:             clickhouse.Auth{Database: db, Username: cfg.Username, Password: pw.Reveal()},
			DialTimeout:      cfg.DialTimeout,
			ReadTimeout:      cfg.ReadTimeout,
			MaxOpenConns:     8,
			MaxIdleConns:     4,
			ConnMaxLifetime:  time.Hour,
			ConnOpenStrategy: clickhouse.ConnOpenRoundRobin,
		}
	}
	boot, err := clickhouse.Open(opts("default"))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	onCluster := ""
	if cfg.Cluster != "" {
		onCluster = " ON CLUSTER " + cfg.Cluster
	}
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+cfg.Database+onCluster)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse: create database %s at %v: %w", cfg.Database, cfg.Addr, err)
	}
	conn, err := clickhouse.Open(opts(cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse: ping %v: %w", cfg.Addr, err)
	}
	return conn, nil
}

func logOrDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
