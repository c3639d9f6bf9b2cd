package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// fakePub is an in-memory ingest.Publisher.
type fakePub struct {
	mu        sync.Mutex
	got       []*mention.Mention
	flushes   int
	flushErr  error // the flush context's error, to check it was fresh
	onPublish func(m *mention.Mention) error
}

func (p *fakePub) Publish(ctx context.Context, m *mention.Mention) error {
	if p.onPublish != nil {
		if err := p.onPublish(m); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, m)
	return nil
}

func (p *fakePub) Flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushes++
	p.flushErr = ctx.Err()
	return nil
}

func (p *fakePub) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for _, m := range p.got {
		ids = append(ids, m.ID)
	}
	return ids
}

// fakeClock is a wall clock that only moves when sleep is called (or
// advance). It records every sleep.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

var t0 = time.Date(2026, 10, 5, 7, 30, 0, 0, time.UTC)

func record(t testing.TB, id string, at time.Time) string {
	t.Helper()
	b, err := mention.Marshal(&mention.Mention{
		ID: id, Source: "simulate", CreatedAt: at, CollectedAt: at.Add(time.Second),
		Text: "Merci @airfrance pour ce vol 😊", Lang: "fr",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mentions.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"ok", Config{File: "x.jsonl"}, ""},
		{"ok paced", Config{File: "x.jsonl", Speed: 60, Progress: true}, ""},
		{"no file", Config{Speed: 1}, "replay.file: is required"},
		{"negative speed", Config{File: "x", Speed: -1}, "replay.speed: must be >= 0"},
		{"NaN speed", Config{File: "x", Speed: nan()}, "replay.speed: must be >= 0"},
		{"huge speed", Config{File: "x", Speed: 2e6}, "replay.speed: must be <="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func nan() float64 { zero := 0.0; return zero / zero }

func TestRunRejectsMalformedLinesAndGoesOn(t *testing.T) {
	long := `{"id":"replay:long","text":"` + strings.Repeat("a", MaxLineBytes) + `"}`
	lines := []string{
		record(t, "simulate:a", t0),               // 1
		`{"id": "simulate:x", `,                   // 2: truncated JSON
		`{"id":"simulate:y","source":"simulate"}`, // 3: no created_at
		``,     // 4: blank
		"  \t", // 5: blank
		long,   // 6: over 1 MiB
		record(t, "simulate:c", t0.Add(time.Minute)) + "\r", // 7: CRLF
		`[1,2,3]`, // 8: not an object
		record(t, "simulate:d", t0.Add(2*time.Minute)), // 9: no final newline
	}
	path := writeFile(t, strings.Join(lines, "\n"))

	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	type reject struct {
		line int
		err  error
	}
	var rejects []reject
	clock := newFakeClock()
	src, err := New(Config{File: path}, log, WithClock(clock.now), WithSleep(clock.sleep),
		OnReject(func(line int, err error) { rejects = append(rejects, reject{line, err}) }))
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{}
	if err := src.Run(context.Background(), pub); err != nil {
		t.Fatalf("Run() = %v", err)
	}

	if got, want := pub.ids(), []string{"simulate:a", "simulate:c", "simulate:d"}; !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	published, rejected := src.Stats()
	if published != 3 || rejected != 4 {
		t.Errorf("Stats() = %d, %d, want 3, 4", published, rejected)
	}
	wantRejects := []struct {
		line   int
		is     error
		prefix string
	}{
		{2, ErrBadJSON, "replay: line 2: invalid JSON: "},
		{3, mention.ErrInvalid, "replay: line 3: mention: field created_at: is required"},
		{6, ErrLineTooLong, "replay: line 6: line longer than 1048576 bytes"},
		{8, ErrBadJSON, "replay: line 8: invalid JSON: "},
	}
	if len(rejects) != len(wantRejects) {
		t.Fatalf("OnReject called %d times (%v), want %d", len(rejects), rejects, len(wantRejects))
	}
	for i, w := range wantRejects {
		r := rejects[i]
		var le *LineError
		if r.line != w.line || !errors.As(r.err, &le) || le.Line != w.line || !errors.Is(r.err, w.is) ||
			!strings.HasPrefix(r.err.Error(), w.prefix) {
			t.Errorf("reject %d = line %d, %v; want line %d, %v, prefix %q", i, r.line, r.err, w.line, w.is, w.prefix)
		}
		if !strings.Contains(logBuf.String(), fmt.Sprintf("line=%d", w.line)) {
			t.Errorf("log does not name line %d:\n%s", w.line, logBuf.String())
		}
	}
	if !strings.Contains(logBuf.String(), `"replay: line 3: mention: field created_at: is required"`) {
		t.Errorf("log lacks the reason of line 3:\n%s", logBuf.String())
	}
	if pub.flushes != 1 {
		t.Errorf("Flush called %d times, want 1", pub.flushes)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("speed 0 slept %v", clock.sleeps)
	}
}

func TestRunPacing(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	file := []time.Time{
		at(0),
		at(10 * time.Second),
		at(4 * time.Second), // older than the previous: at once
		at(30 * time.Second),
		at(30 * time.Second), // same time: at once
		at(time.Hour),
	}
	for _, tc := range []struct {
		name      string
		speed     float64
		publishes time.Duration // fake time each Publish takes
		want      []time.Duration
	}{
		{"as fast as possible", 0, 0, nil},
		{"recorded pace", 1, 0, []time.Duration{10 * time.Second, 20 * time.Second, time.Hour - 30*time.Second}},
		{"twice as fast", 2, 0, []time.Duration{5 * time.Second, 10 * time.Second, 1785 * time.Second}},
		{"60 times", 60, 0, []time.Duration{166666666, 333333334, 59500 * time.Millisecond}},
		// Publishing takes 3 s each: the waits shrink so the pace does not drift.
		{"slow publisher", 1, 3 * time.Second, []time.Duration{7 * time.Second, 14 * time.Second, time.Hour - 36*time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			for i, ts := range file {
				lines = append(lines, record(t, fmt.Sprintf("simulate:%d", i), ts))
			}
			path := writeFile(t, strings.Join(lines, "\n")+"\n")
			clock := newFakeClock()
			src, err := New(Config{File: path, Speed: tc.speed}, nil, WithClock(clock.now), WithSleep(clock.sleep))
			if err != nil {
				t.Fatal(err)
			}
			pub := &fakePub{onPublish: func(*mention.Mention) error { clock.advance(tc.publishes); return nil }}
			if err := src.Run(context.Background(), pub); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(clock.sleeps, tc.want) {
				t.Errorf("sleeps = %v, want %v", clock.sleeps, tc.want)
			}
			if got := len(pub.ids()); got != len(file) {
				t.Errorf("published %d, want %d", got, len(file))
			}
			for i, m := range pub.got {
				if !m.CreatedAt.Equal(file[i]) {
					t.Errorf("record %d created_at = %v, want it kept as %v", i, m.CreatedAt, file[i])
				}
			}
		})
	}
}

func TestRunCancelledWhileSleeping(t *testing.T) {
	path := writeFile(t, record(t, "simulate:1", t0)+"\n"+record(t, "simulate:2", t0.Add(time.Hour))+"\n")
	for _, tc := range []struct {
		name  string
		sleep func(context.Context, time.Duration) error // nil = the real sleep
	}{
		{"fake sleep", func(ctx context.Context, _ time.Duration) error { <-ctx.Done(); return ctx.Err() }},
		{"real sleep", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := []Option{}
			if tc.sleep != nil {
				opts = append(opts, WithSleep(tc.sleep))
			}
			src, err := New(Config{File: path, Speed: 1}, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			// Cancel once the first record is out; the second is due in an hour.
			pub := &fakePub{onPublish: func(*mention.Mention) error { cancel(); return nil }}
			if err := src.Run(ctx, pub); err != nil {
				t.Fatalf("Run() = %v, want nil on cancellation", err)
			}
			if got := pub.ids(); !slices.Equal(got, []string{"simulate:1"}) {
				t.Errorf("published %v, want only the first record", got)
			}
			if pub.flushes != 1 || pub.flushErr != nil {
				t.Errorf("flushes = %d with ctx error %v, want 1 flush with a live context", pub.flushes, pub.flushErr)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.jsonl")
	_, err := New(Config{File: path}, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New() = %v, want a not-exist error naming %s", err, path)
	}

	// The file goes away between New and Run.
	path = writeFile(t, record(t, "simulate:1", t0))
	src, err := New(Config{File: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), &fakePub{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Run() = %v, want an error naming %s", err, path)
	}

	if _, err := New(Config{File: t.TempDir()}, nil); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("New(dir) = %v, want a directory error", err)
	}
}

func TestRunPublishError(t *testing.T) {
	path := writeFile(t, record(t, "simulate:1", t0)+"\n"+record(t, "simulate:2", t0)+"\n")
	boom := errors.New("stream full")
	n := 0
	pub := &fakePub{onPublish: func(*mention.Mention) error {
		if n++; n == 2 {
			return boom
		}
		return nil
	}}
	src, err := New(Config{File: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = src.Run(context.Background(), pub)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "simulate:2") {
		t.Fatalf("Run() = %v, want the publish error naming line 2 and the id", err)
	}
}

func TestProgressBar(t *testing.T) {
	var lines []string
	for i := range 100 {
		lines = append(lines, record(t, fmt.Sprintf("simulate:%d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	path := writeFile(t, strings.Join(lines, "\n")+"\n")
	var out bytes.Buffer
	src, err := New(Config{File: path, Progress: true}, nil, WithProgressWriter(&out))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background(), &fakePub{}); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "replay") || !strings.Contains(s, "100%") {
		t.Errorf("progress output = %q, want the description and 100%%", s)
	}

	// Without Progress nothing is drawn.
	out.Reset()
	src, err = New(Config{File: path}, nil, WithProgressWriter(&out))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Run(context.Background(), &fakePub{}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("progress drawn without Progress: %q", out.String())
	}
}

func TestOptionsRejectNil(t *testing.T) {
	path := writeFile(t, "")
	for name, o := range map[string]Option{
		"writer": WithProgressWriter(nil), "sleep": WithSleep(nil), "clock": WithClock(nil), "reject": OnReject(nil),
	} {
		if _, err := New(Config{File: path}, nil, o); err == nil {
			t.Errorf("%s: New accepted a nil option", name)
		}
	}
}

// TestReplayDemoFile plays the recorded demo crisis: every line must be a
// valid mention.
func TestReplayDemoFile(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "demo", "crisis.jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{File: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{}
	if err := src.Run(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	published, rejected := src.Stats()
	if lines := int64(bytes.Count(data, []byte("\n"))); rejected != 0 || published != lines || lines < 3000 {
		t.Errorf("published %d, rejected %d of %d lines; want all of at least 3000", published, rejected, lines)
	}
	for i := 1; i < len(pub.got); i++ {
		if pub.got[i].CreatedAt.Before(pub.got[i-1].CreatedAt) {
			t.Fatalf("record %d (%s) is older than the one before it: the file should be in event-time order", i, pub.got[i].ID)
		}
	}
}

func BenchmarkRun(b *testing.B) {
	var sb strings.Builder
	const n = 10000
	for i := range n {
		sb.WriteString(record(b, fmt.Sprintf("simulate:%d", i), t0.Add(time.Duration(i)*time.Second)))
		sb.WriteByte('\n')
	}
	path := writeFile(b, sb.String())
	pub := discardPub{}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		src, err := New(Config{File: path}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Run(context.Background(), pub); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

type discardPub struct{}

func (discardPub) Publish(context.Context, *mention.Mention) error { return nil }
func (discardPub) Flush(context.Context) error                     { return nil }
