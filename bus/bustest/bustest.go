// Package bustest starts a real embedded NATS JetStream server for tests:
// random port, store in the test's temp dir, streams declared, stopped at
// the end of the test.
package bustest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vigie-project/vigie/bus"
)

// Options tune the server a test gets.
type Options struct {
	Config  bus.Config // zero value: defaults, in-process only
	DataDir string     // reuse a store (restart tests); empty: a new temp dir
}

// New returns a connected Bus on a fresh embedded server.
func New(t testing.TB) *bus.Bus { return NewWith(t, Options{}) }

// NewWith is New with options.
func NewWith(t testing.TB, o Options) *bus.Bus {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Config.URL == "" && o.Config.Listen == "" {
		o.Config.Listen = "127.0.0.1:0"
	}
	b, err := bus.Open(context.Background(), o.Config, o.DataDir, Logger(t))
	if err != nil {
		t.Fatalf("bustest: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Logger returns a logger that writes to the test log when -v is given.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// WaitFor polls cond every 50 ms until it holds. limit only bounds a
// failing test (it is not a timing assertion): the test fails naming what
// it waited for.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
