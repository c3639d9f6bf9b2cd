// Package chtest runs a real ClickHouse server for tests: one per test
// package, started on first use on free loopback ports with its files in a
// temp dir, and a fresh migrated database for each test.
//
//	func TestMain(m *testing.M) { os.Exit(chtest.Main(m)) }
//	func TestX(t *testing.T) { db := chtest.New(t); db.Conn.Query(…) }
//
// When no server binary is installed, tests fail with the install command.
package chtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/vigie-project/vigie/store"
)

var (
	once   sync.Once
	shared *store.LocalServer
	dir    string
	err    error
	seq    atomic.Int64
)

// Main runs the package's tests and stops the shared server afterwards.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

// Server returns the package's shared server, starting it if needed.
func Server(t testing.TB) *store.LocalServer {
	t.Helper()
	once.Do(func() {
		dir, err = os.MkdirTemp("", "vigie-chtest-")
		if err != nil {
			return
		}
		shared, err = store.StartLocal(context.Background(), dir, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	})
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	return shared
}

// DB is a fresh, migrated database on the shared server.
type DB struct {
	Conn     driver.Conn
	Config   store.Config
	Database string
}

// New returns a fresh database with every migration applied; it is
// dropped at the end of the test.
func New(t testing.TB) *DB {
	t.Helper()
	srv := Server(t)
	return NewOn(t, srv.Addr())
}

// NewOn is New against a server of the caller's (a test that stops and
// restarts ClickHouse runs its own).
func NewOn(t testing.TB, addr string) *DB {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	cfg := store.Config{Addr: addr, Database: name}
	conn, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	if _, err := store.Migrate(ctx, conn, store.RenderOptions{Database: name}, nil); err != nil {
		conn.Close()
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		conn.Close()
	})
	cfg.SetDefaults()
	return &DB{Conn: conn, Config: cfg, Database: name}
}

// Count runs a query returning one number.
func (db *DB) Count(t testing.TB, query string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := db.Conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("chtest: %s: %v", query, err)
	}
	return n
}
