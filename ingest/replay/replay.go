// Package replay is the collector that plays back a recorded JSONL file of
// mentions, as fast as possible or at the recorded pace (or N times faster),
// for demos, load tests and reproducing an incident.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/vigie-project/vigie/ingest"
)

// Name is the collector's name, as Source.Name returns it.
const Name = "replay"

// MaxSpeed bounds Config.Speed: beyond it pacing is meaningless and 0
// (no pacing) is the right setting.
const MaxSpeed = 1e6

// maxLoggedRejects is how many rejected lines are logged one by one; the
// rest are only counted (and still reported to OnReject) so that a file of
// garbage cannot flood the log.
const maxLoggedRejects = 100

// flushTimeout bounds the final Flush when Run was cancelled.
const flushTimeout = 30 * time.Second

// Config is the replay collector's configuration.
type Config struct {
	// File is the JSONL file to play: one JSON mention per line.
	File string `yaml:"file"`
	// Speed is the pace: 0 plays as fast as possible, 1 at the recorded
	// pace (gaps between created_at values), N at N times that pace.
	Speed float64 `yaml:"speed"`
	// Progress draws a progress bar (by bytes read) on stderr.
	Progress bool `yaml:"progress"`
}

// Validate reports the first invalid field, named as in the YAML file.
func (c Config) Validate() error {
	if c.File == "" {
		return errors.New("replay.file: is required")
	}
	if !(c.Speed >= 0) || math.IsInf(c.Speed, 0) { // also rejects NaN
		return fmt.Errorf("replay.speed: must be >= 0, got %v", c.Speed)
	}
	if c.Speed > MaxSpeed {
		return fmt.Errorf("replay.speed: must be <= %g (use 0 for no pacing), got %v", float64(MaxSpeed), c.Speed)
	}
	return nil
}

// LineError is why one line of the file was rejected. Run reports it to
// the OnReject callback and the log, and goes on with the next line.
type LineError struct {
	Line int   // 1-based line number in the file
	Err  error // a *mention.FieldError, ErrBadJSON or ErrLineTooLong
}

func (e *LineError) Error() string { return fmt.Sprintf("replay: line %d: %v", e.Line, e.Err) }

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// Option changes how a Source runs.
type Option func(*Source) error

// WithProgressWriter sets where the progress bar is drawn (default
// os.Stderr). It has an effect only when Config.Progress is true.
func WithProgressWriter(w io.Writer) Option {
	return func(s *Source) error {
		if w == nil {
			return errors.New("replay: WithProgressWriter: nil writer")
		}
		s.progress = w
		return nil
	}
}

// WithSleep replaces the pacing sleep, for tests. fn must return early
// with ctx.Err() when ctx is done.
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("replay: WithSleep: nil func")
		}
		s.sleep = fn
		return nil
	}
}

// WithClock replaces the wall clock used for pacing and as "now" when
// validating records, for tests.
func WithClock(now func() time.Time) Option {
	return func(s *Source) error {
		if now == nil {
			return errors.New("replay: WithClock: nil func")
		}
		s.now = now
		return nil
	}
}

// OnReject registers fn to be called for every rejected line (to count it
// in a metric, say). err is a *LineError. fn runs on Run's goroutine.
func OnReject(fn func(line int, err error)) Option {
	return func(s *Source) error {
		if fn == nil {
			return errors.New("replay: OnReject: nil func")
		}
		s.onReject = fn
		return nil
	}
}

// Source plays a JSONL file. It implements ingest.Source.
type Source struct {
	cfg      Config
	log      *slog.Logger
	progress io.Writer
	sleep    func(context.Context, time.Duration) error
	now      func() time.Time
	onReject func(int, error)

	published atomic.Int64
	rejected  atomic.Int64
}

var _ ingest.Source = (*Source)(nil)

// New checks cfg and that the file exists, and returns a Source ready to
// Run. A nil log discards log output.
func New(cfg Config, log *slog.Logger, opts ...Option) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		cfg:      cfg,
		log:      log.With("component", "ingest", "source", Name),
		progress: os.Stderr,
		sleep:    sleepCtx,
		now:      time.Now,
		onReject: func(int, error) {},
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	st, err := os.Stat(cfg.File)
	if err != nil {
		return nil, fmt.Errorf("replay.file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("replay.file: %s is a directory", cfg.File)
	}
	return s, nil
}

// Name returns "replay".
func (s *Source) Name() string { return Name }

// Stats returns how many records were published and how many lines were
// rejected so far. It is safe to call while Run runs.
func (s *Source) Stats() (published, rejected int64) {
	return s.published.Load(), s.rejected.Load()
}

// Run plays the file once into pub. Malformed lines are logged, counted
// and skipped. It returns nil at the end of the file or when ctx is
// cancelled (after a final Flush with a fresh, bounded context), and an
// error when the file cannot be read or pub fails.
func (s *Source) Run(ctx context.Context, pub ingest.Publisher) error {
	f, err := os.Open(s.cfg.File)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()

	var in io.Reader = f
	var bar *progressbar.ProgressBar
	if s.cfg.Progress {
		bar = s.newBar(f)
		in = io.TeeReader(f, bar)
	}
	started := s.now()
	s.log.Info("replay starting", "file", s.cfg.File, "speed", s.cfg.Speed)

	stopped, err := s.play(ctx, newLineReader(in, MaxLineBytes), pub)
	if bar != nil {
		if err == nil && !stopped {
			_ = bar.Finish()
		} else {
			_ = bar.Exit()
		}
	}
	if err != nil {
		return err
	}

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := pub.Flush(flushCtx); err != nil {
		return fmt.Errorf("replay: flush: %w", err)
	}
	published, rejected := s.Stats()
	msg := "replay finished"
	if stopped {
		msg = "replay stopped"
	}
	s.log.Info(msg, "file", s.cfg.File, "published", published, "rejected", rejected,
		"elapsed_seconds", s.now().Sub(started).Seconds())
	return nil
}

// play reads, paces and publishes until the end of the input. stopped is
// true when ctx ended the play early.
func (s *Source) play(ctx context.Context, lr *lineReader, pub ingest.Publisher) (stopped bool, err error) {
	var p pacer
	p.speed = s.cfg.Speed
	for {
		if ctx.Err() != nil {
			return true, nil
		}
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("replay: %s: line %d: %w", s.cfg.File, lr.n, err)
		}
		if tooLong {
			s.reject(lr.n, ErrLineTooLong)
			continue
		}
		if isBlank(line) {
			continue
		}
		m, err := decodeLine(line, s.now())
		if err != nil {
			s.reject(lr.n, err)
			continue
		}
		if d := p.wait(m.CreatedAt, s.now()); d > 0 {
			if err := s.sleep(ctx, d); err != nil {
				return true, nil
			}
		}
		if err := pub.Publish(ctx, m); err != nil {
			if ctx.Err() != nil {
				return true, nil
			}
			return false, fmt.Errorf("replay: line %d: publish %s: %w", lr.n, m.ID, err)
		}
		s.published.Add(1)
	}
}

func (s *Source) reject(line int, reason error) {
	err := &LineError{Line: line, Err: reason}
	n := s.rejected.Add(1)
	switch {
	case n <= maxLoggedRejects:
		s.log.Warn("rejected line", "file", s.cfg.File, "line", line, "error", err)
	case n == maxLoggedRejects+1:
		s.log.Warn("too many rejected lines, further ones are only counted", "file", s.cfg.File, "logged", maxLoggedRejects)
	}
	s.onReject(line, err)
}

func (s *Source) newBar(f *os.File) *progressbar.ProgressBar {
	size := int64(-1) // unknown: a spinner with a byte count
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	w := s.progress
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("replay"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		// No ticker goroutine: the bar is redrawn as bytes are read.
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// pacer turns event times into waits. It anchors the first record's
// created_at to the wall clock and schedules every later record at
// anchor + (created_at - first)/speed, so time spent publishing does not
// accumulate as drift. A record not newer than the newest seen so far is
// due at once: out-of-order records never stall the replay nor slow its
// overall pace.
type pacer struct {
	speed      float64
	event0     time.Time // created_at of the first record
	wall0      time.Time // wall clock when it was published
	newest     time.Time // newest created_at seen
	hasAnchors bool
}

// wait returns how long to wait before publishing a record created at
// event, now being the wall clock.
func (p *pacer) wait(event, now time.Time) time.Duration {
	if p.speed <= 0 {
		return 0
	}
	if !p.hasAnchors {
		p.event0, p.wall0, p.newest, p.hasAnchors = event, now, event, true
		return 0
	}
	if !event.After(p.newest) {
		return 0
	}
	p.newest = event
	due := p.wall0.Add(scale(event.Sub(p.event0), p.speed))
	return due.Sub(now)
}

// scale returns d/speed, saturating instead of overflowing.
func scale(d time.Duration, speed float64) time.Duration {
	f := float64(d) / speed
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f)
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
