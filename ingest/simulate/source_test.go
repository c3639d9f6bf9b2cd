package simulate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigie-project/vigie/mention"
)

// fakePub is an in-memory ingest.Publisher that also notes the (fake)
// wall clock at each Publish.
type fakePub struct {
	mu        sync.Mutex
	got       []*mention.Mention
	walls     []time.Time
	flushes   int
	flushErr  error
	clock     *fakeClock
	onPublish func(n int) error
}

func (p *fakePub) Publish(ctx context.Context, m *mention.Mention) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.onPublish != nil {
		if err := p.onPublish(len(p.got)); err != nil {
			return err
		}
	}
	p.got = append(p.got, m)
	if p.clock != nil {
		p.walls = append(p.walls, p.clock.now())
	}
	return nil
}

func (p *fakePub) Flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushes++
	p.flushErr = ctx.Err()
	return nil
}

// fakeClock only moves when slept on.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps int
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleeps++
	return nil
}

// smallDemo is the demo with six hours of history, so runs stay short.
func smallDemo() Config {
	cfg := Demo()
	cfg.History = 6 * time.Hour
	return cfg
}

func TestRunPacesPhasesAndMatchesGenerate(t *testing.T) {
	cfg := smallDemo()
	clock := &fakeClock{t: monday}
	end := monday.Add(20 * time.Minute)
	src, err := New(cfg, nil, WithClock(clock.now, clock.sleep), WithEnd(end))
	if err != nil {
		t.Fatal(err)
	}
	if !src.Onset().IsZero() {
		t.Errorf("Onset() = %s before Run, want zero", src.Onset())
	}
	pub := &fakePub{clock: clock}
	if err := src.Run(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	onset := monday.Add(-90 * time.Minute)
	if !src.Onset().Equal(onset) {
		t.Errorf("Onset() = %s, want %s", src.Onset(), onset)
	}
	if got := src.Stats(); got != int64(len(pub.got)) || pub.flushes != 1 {
		t.Errorf("Stats() = %d for %d published, %d flushes", got, len(pub.got), pub.flushes)
	}

	// The same posts as Generate from start-History, but collected now.
	var want []*mention.Mention
	if err := Generate(cfg, monday.Add(-cfg.History), end, func(m *mention.Mention) error {
		want = append(want, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(pub.got) != len(want) {
		t.Fatalf("Run published %d posts, Generate gives %d", len(pub.got), len(want))
	}
	for i, m := range pub.got {
		if m.ID != want[i].ID || m.Text != want[i].Text || !m.CreatedAt.Equal(want[i].CreatedAt) {
			t.Fatalf("post %d: Run %s %q, Generate %s %q", i, m.ID, m.Text, want[i].ID, want[i].Text)
		}
	}

	// Pacing, checked against the fake wall clock at each Publish.
	accel := onset.Add(-30 * time.Minute)
	catchUp := monday.Add(time.Duration(float64(monday.Sub(accel)) / 59)) // speed 60
	var history, accelerated, live int
	for i, m := range pub.got {
		e, wall := m.CreatedAt, pub.walls[i]
		if !m.CollectedAt.Equal(wall) && !m.CollectedAt.Equal(e) {
			t.Fatalf("post %d collected at %s, wall clock %s", i, m.CollectedAt, wall)
		}
		switch {
		case e.Before(accel): // history: published at once
			history++
			if !wall.Equal(monday) {
				t.Fatalf("history post %d (%s) waited until %s", i, e, wall)
			}
		case e.Before(catchUp): // 60 times faster, never ahead of the wall clock
			accelerated++
			due := monday.Add(e.Sub(accel) / 60)
			if d := wall.Sub(due); d < 0 || d > time.Millisecond {
				t.Fatalf("accelerated post %d (%s) at %s, due %s", i, e, wall, due)
			}
			if e.After(wall) {
				t.Fatalf("post %d created at %s, ahead of the wall clock %s", i, e, wall)
			}
		default: // live
			live++
			if d := wall.Sub(e); d < 0 || d > time.Millisecond {
				t.Fatalf("live post %d created at %s published at %s", i, e, wall)
			}
		}
	}
	if history == 0 || accelerated == 0 || live == 0 {
		t.Errorf("history %d, accelerated %d, live %d posts: want all three phases", history, accelerated, live)
	}
}

func TestRunWithoutCrisisBackfillsThenGoesLive(t *testing.T) {
	cfg := smallDemo()
	cfg.Crisis = nil
	cfg.LiveSpeed = 10
	clock := &fakeClock{t: monday}
	src, err := New(cfg, nil, WithClock(clock.now, clock.sleep), WithEnd(monday.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{clock: clock}
	if err := src.Run(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	if !src.Onset().IsZero() {
		t.Errorf("Onset() = %s without crisis", src.Onset())
	}
	var live int
	for i, m := range pub.got {
		want := monday
		if !m.CreatedAt.Before(monday) {
			live++
			want = monday.Add(m.CreatedAt.Sub(monday) / 10)
		}
		if d := pub.walls[i].Sub(want); d < 0 || d > time.Millisecond {
			t.Fatalf("post %d created %s published at %s, want %s", i, m.CreatedAt, pub.walls[i], want)
		}
		if m.CollectedAt.Before(m.CreatedAt) {
			t.Fatalf("post %d collected before it was created (live speed 10)", i)
		}
	}
	if live == 0 {
		t.Error("no live post")
	}
}

func TestRunMaxCount(t *testing.T) {
	clock := &fakeClock{t: monday}
	src, err := New(smallDemo(), nil, WithClock(clock.now, clock.sleep), WithMaxCount(250))
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{}
	if err := src.Run(context.Background(), pub); err != nil {
		t.Fatal(err)
	}
	if len(pub.got) != 250 || src.Stats() != 250 || pub.flushes != 1 {
		t.Errorf("published %d, Stats %d, flushes %d; want 250, 250, 1", len(pub.got), src.Stats(), pub.flushes)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &fakeClock{t: monday}
	// The first sleep is where the accelerated phase begins: cancel there.
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return clock.sleep(ctx, d)
	}
	src, err := New(smallDemo(), nil, WithClock(clock.now, sleep))
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{}
	if err := src.Run(ctx, pub); err != nil {
		t.Fatalf("Run() = %v, want nil on cancellation", err)
	}
	if len(pub.got) == 0 || clock.sleeps != 0 {
		t.Errorf("published %d, slept %d times: want the history, then a stop", len(pub.got), clock.sleeps)
	}
	for _, m := range pub.got {
		if !m.CreatedAt.Before(monday.Add(-2 * time.Hour)) {
			t.Fatalf("post of %s published after the cancellation", m.CreatedAt)
		}
	}
	if pub.flushes != 1 || pub.flushErr != nil {
		t.Errorf("flushes %d with ctx error %v, want one flush with a live context", pub.flushes, pub.flushErr)
	}
}

func TestSleepHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With a broken sleepCtx this blocks for an hour and the test times out.
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("sleepCtx = %v, want context.Canceled", err)
	}
	if err := sleepCtx(context.Background(), time.Microsecond); err != nil {
		t.Fatalf("sleepCtx = %v", err)
	}
}

func TestRunPublishError(t *testing.T) {
	boom := errors.New("stream full")
	clock := &fakeClock{t: monday}
	src, err := New(smallDemo(), nil, WithClock(clock.now, clock.sleep))
	if err != nil {
		t.Fatal(err)
	}
	pub := &fakePub{onPublish: func(n int) error {
		if n == 10 {
			return boom
		}
		return nil
	}}
	err = src.Run(context.Background(), pub)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "simulate:") {
		t.Fatalf("Run() = %v, want the publish error", err)
	}
	if src.Stats() != 10 {
		t.Errorf("Stats() = %d, want 10", src.Stats())
	}
}

func TestNewRejects(t *testing.T) {
	for name, c := range map[string]struct {
		cfg Config
		opt Option
	}{
		"invalid config": {Config{}, nil},
		"nil clock":      {Demo(), WithClock(nil, sleepCtx)},
		"nil sleep":      {Demo(), WithClock(time.Now, nil)},
		"zero end":       {Demo(), WithEnd(time.Time{})},
		"zero count":     {Demo(), WithMaxCount(0)},
	} {
		var opts []Option
		if c.opt != nil {
			opts = append(opts, c.opt)
		}
		if _, err := New(c.cfg, nil, opts...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if src, err := New(Demo(), nil); err != nil || src.Name() != "simulate" {
		t.Errorf("New(Demo()) = %v, %v", src, err)
	}
}
