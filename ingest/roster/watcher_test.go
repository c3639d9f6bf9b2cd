package roster

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

const rosterV1 = "employee_id,name,region,twitter\nE1,Jeanne,Bretagne,jdupont\n"
const rosterV2 = "employee_id,name,region,twitter\nE1,Jeanne,Bretagne,jdupont\nE2,Karim,Normandie,kbenali\n"

// writeAt writes content and sets the modification time, so that a change
// is seen whatever the file system's time resolution.
func writeAt(t *testing.T, path, content string, mod time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log sink safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWatcherReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.csv")
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	writeAt(t, path, rosterV1, t0)

	var logs syncBuffer
	reg := prometheus.NewRegistry()
	w, err := NewWatcher(Config{File: path}, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithRegisterer(reg), WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	first := w.Roster()
	if first.Len() != 1 {
		t.Fatalf("first roster has %d employees", first.Len())
	}

	// Unchanged file: nothing happens.
	if reloaded, err := w.Check(); reloaded || err != nil {
		t.Fatalf("Check on an unchanged file = %v, %v", reloaded, err)
	}

	// A new version.
	writeAt(t, path, rosterV2, t0.Add(time.Minute))
	if reloaded, err := w.Check(); !reloaded || err != nil {
		t.Fatalf("Check after a change = %v, %v", reloaded, err)
	}
	if _, ok := w.Roster().Employee("twitter", "kbenali"); !ok {
		t.Fatal("the new employee is not in the roster in force")
	}
	if _, ok := first.Employee("twitter", "kbenali"); ok {
		t.Fatal("the old roster changed")
	}

	// A broken file keeps the previous roster, is logged once.
	writeAt(t, path, "employee_id,name\nE1,A\nE1,B\n", t0.Add(2*time.Minute))
	for i := 0; i < 3; i++ {
		reloaded, err := w.Check()
		if reloaded {
			t.Fatal("a broken file was installed")
		}
		if i == 0 && (err == nil || !strings.Contains(err.Error(), ":3: employee_id")) {
			t.Fatalf("Check on a broken file: err = %v", err)
		}
	}
	if w.Roster().Len() != 2 {
		t.Fatalf("roster in force has %d employees after a bad file, want 2", w.Roster().Len())
	}
	if n := strings.Count(logs.String(), "roster_reload_failed"); n != 1 {
		t.Errorf("the bad file was logged %d times, want once:\n%s", n, logs.String())
	}
	if v := testutil.ToFloat64(w.stale); v != 1 {
		t.Errorf("stale = %v, want 1", v)
	}

	// The file disappears: the roster stays.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if reloaded, err := w.Check(); reloaded || err == nil {
		t.Fatalf("Check on a missing file = %v, %v", reloaded, err)
	}
	if w.Roster().Len() != 2 {
		t.Fatal("a missing file dropped the roster")
	}

	// Fixed: the new version is taken.
	writeAt(t, path, rosterV1, t0.Add(3*time.Minute))
	if reloaded, err := w.Check(); !reloaded || err != nil {
		t.Fatalf("Check after a fix = %v, %v", reloaded, err)
	}
	if w.Roster().Len() != 1 || testutil.ToFloat64(w.stale) != 0 || testutil.ToFloat64(w.employees) != 1 {
		t.Fatalf("after the fix: %d employees, stale %v", w.Roster().Len(), testutil.ToFloat64(w.stale))
	}
	if got := testutil.ToFloat64(w.reloads.WithLabelValues("ok")); got != 3 {
		t.Errorf("reloads ok = %v, want 3", got)
	}
	if got := testutil.ToFloat64(w.reloads.WithLabelValues("error")); got != 1 {
		t.Errorf("reloads error = %v, want 1", got)
	}
	if got := testutil.ToFloat64(w.lastReload); got != float64(t0.Unix()) {
		t.Errorf("last reload = %v, want %v", got, t0.Unix())
	}
}

func TestWatcherRunOnTicks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.yaml")
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	writeAt(t, path, "employees:\n  - {id: E1, handles: {twitter: a}}\n", t0)

	ticks := make(chan time.Time)
	var gotInterval time.Duration
	stopped := make(chan struct{})
	w, err := NewWatcher(Config{File: path, ReloadInterval: 5 * time.Second},
		WithTicker(func(d time.Duration) (<-chan time.Time, func()) {
			gotInterval = d
			return ticks, func() { close(stopped) }
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	writeAt(t, path, "employees:\n  - {id: E1, handles: {twitter: a}}\n  - {id: E2, handles: {twitter: b}}\n", t0.Add(time.Second))
	ticks <- t0 // Run is now in its loop and has read the tick...
	ticks <- t0 // ...and has finished the Check of the first one.
	if _, ok := w.Roster().Employee("twitter", "b"); !ok {
		t.Fatal("Run did not reload on a tick")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	<-stopped
	if gotInterval != 5*time.Second {
		t.Errorf("ticker interval = %s, want 5s", gotInterval)
	}
}

func TestWatcherConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "file: is required"},
		{Config{File: "r.json"}, "file: \"r.json\" must end in .csv, .yaml or .yml"},
		{Config{File: "r.csv", ReloadInterval: time.Millisecond}, "reload_interval: must be at least 1s"},
	} {
		tc.cfg.SetDefaults()
		if err := tc.cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := NewWatcher(Config{File: filepath.Join(t.TempDir(), "none.csv")}); err == nil {
		t.Error("NewWatcher on a missing file succeeded")
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	writeAt(t, bad, "name\nA\n", time.Now())
	if _, err := NewWatcher(Config{File: bad}); err == nil || !strings.Contains(err.Error(), "employee_id") {
		t.Errorf("NewWatcher on a bad file = %v", err)
	}
}
