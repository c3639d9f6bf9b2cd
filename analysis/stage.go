// Package analysis scores mentions: language, sentiment, watches, charter
// risks, employee signals. Stage is the pipeline stage that takes raw
// mentions from MENTIONS, enriches them and publishes them to SCORED, one
// message per matched watch. Sub-packages hold each analysis.
package analysis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/mention"
)

// Config tunes the analyzer stage.
type Config struct {
	Workers      int `yaml:"workers"`        // goroutines analysing each batch in parallel
	Batch        int `yaml:"batch"`          // messages fetched at once per worker
	MaxTextBytes int `yaml:"max_text_bytes"` // longer texts are rejected (dead-lettered)
	// Mode is "full" (language, sentiment, watches, charter, signals) or
	// "pass-through" (watches only: for measuring the pipeline itself).
	Mode     string        `yaml:"mode"`
	Charter  CharterConfig `yaml:"charter"`
	Entities []Entity      `yaml:"entities"`
}

// Analyzer modes.
const (
	ModeFull        = "full"
	ModePassThrough = "pass-through"
)

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.Batch == 0 {
		c.Batch = 1000
	}
	if c.MaxTextBytes == 0 {
		c.MaxTextBytes = mention.DefaultMaxTextBytes
	}
	if c.Mode == "" {
		c.Mode = ModeFull
	}
}

// Validate checks the settings. Errors start with the field name.
func (c *Config) Validate() error {
	switch {
	case c.Workers < 1 || c.Workers > 256:
		return fmt.Errorf("workers: must be in 1..256, got %d", c.Workers)
	case c.Batch < 1 || c.Batch > 10000:
		return fmt.Errorf("batch: must be in 1..10000, got %d", c.Batch)
	case c.MaxTextBytes < 280:
		return fmt.Errorf("max_text_bytes: must be at least 280, got %d", c.MaxTextBytes)
	case c.Mode != ModeFull && c.Mode != ModePassThrough:
		return fmt.Errorf("mode: must be %s or %s, got %q", ModeFull, ModePassThrough, c.Mode)
	}
	for i, e := range c.Entities {
		if e.Name == "" {
			return fmt.Errorf("entities[%d].name: is required", i)
		}
	}
	return nil
}

// Func enriches a mention in place: sets Lang, Sentiment, Watches, Charter…
// It must be safe for concurrent use and must not fail: bad text gets a
// neutral result, never an error.
type Func func(m *mention.Mention)

// Stage is the analyzer stage. Any number of processes may run it: they
// share the durable `analyze` consumer as a work queue.
type Stage struct {
	b   *bus.Bus
	cfg Config
	fn  Func
	log *slog.Logger
	m   *bus.Metrics
	now func() time.Time
}

// NewStage returns the stage; fn does the analysis.
func NewStage(b *bus.Bus, cfg Config, fn Func, log *slog.Logger, m *bus.Metrics) (*Stage, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("analyzer: %w", err)
	}
	if m == nil {
		m = bus.NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stage{b: b, cfg: cfg, fn: fn, log: log.With("component", "analyze"), m: m, now: time.Now}, nil
}

const stageAnalyze = "analyze"

// Run processes mentions until ctx is cancelled. A batch is acknowledged
// only after every scored message derived from it is stored in SCORED.
//
// A fetcher keeps the next batch ready; each batch is analysed by Workers
// goroutines in parallel, then published in the order it was fetched, so
// that SCORED keeps the order of MENTIONS: the detector reads event time
// from it, and interleaving batches would make whole hours of a backfill
// look late.
//
// Waiting for SCORED to confirm a batch, and acknowledging it, overlap with
// the next batch: two slots, each with its own publisher, take turns. The
// loop sends batch N+1 only after every message of batch N was sent on the
// same connection, so the order holds; a slot is reused only once its last
// batch is settled, so at most two batches are in flight.
func (s *Stage) Run(ctx context.Context) error {
	cons, err := s.b.Consumer(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
	if err != nil {
		return err
	}
	var slots [2]slot
	for i := range slots {
		slots[i].pub = s.b.NewPublisher(4 * s.cfg.Batch)
		slots[i].pub.Retried = func() { s.m.Retries.WithLabelValues(stageAnalyze).Inc() }
		slots[i].res = make([]result, s.cfg.Batch)
	}
	defer func() {
		for i := range slots {
			slots[i].wait()
		}
	}()
	batches := s.fetch(ctx, cons)
	for k := 0; ; {
		msgs, more := <-batches
		if !more {
			break
		}
		sl := &slots[k]
		k = 1 - k
		sl.wait()
		res := sl.res[:len(msgs)]
		s.analyzeAll(msgs, res)
		// Publishing continues after ctx is cancelled so that a batch
		// taken is a batch finished; it is bounded by its own timeout.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		ok := s.publishInOrder(pctx, sl.pub, msgs, res)
		sl.done = make(chan struct{})
		go func() {
			defer close(sl.done)
			defer cancel()
			s.settle(pctx, sl.pub, ok, msgs, res)
		}()
	}
	return nil
}

// fetch pulls batches into the returned channel, one ahead of the batch
// being analysed, until ctx is cancelled; then it closes the channel.
func (s *Stage) fetch(ctx context.Context, cons jetstream.Consumer) <-chan []jetstream.Msg {
	out := make(chan []jetstream.Msg)
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			msgs, err := bus.Fetch(ctx, cons, s.cfg.Batch, time.Second)
			if err != nil {
				s.log.Warn("fetch_failed", "error", err)
				sleep(ctx, time.Second)
				continue
			}
			if len(msgs) == 0 {
				continue
			}
			s.m.In.WithLabelValues(stageAnalyze).Add(float64(len(msgs)))
			// A batch fetched is a batch processed, even when ctx ends
			// now: the loop drains the channel.
			out <- msgs
		}
	}()
	return out
}

// slot is one batch in flight: its publisher, its results, and a channel
// closed once the batch is acknowledged (or sent back).
type slot struct {
	pub  *bus.Publisher
	res  []result
	done chan struct{}
}

func (sl *slot) wait() {
	if sl.done != nil {
		<-sl.done
		sl.done = nil
	}
}

// result is one message analysed: the scored mention encoded, its watches,
// or why it was rejected.
type result struct {
	id      string
	data    []byte
	watches []string
	err     error
}

func (s *Stage) analyzeAll(msgs []jetstream.Msg, out []result) {
	lim := mention.Limits{MaxTextBytes: s.cfg.MaxTextBytes}
	now := s.now()
	var wg sync.WaitGroup
	chunk := (len(msgs) + s.cfg.Workers - 1) / s.cfg.Workers
	for lo := 0; lo < len(msgs); lo += chunk {
		hi := min(lo+chunk, len(msgs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = s.analyzeOne(msgs[i].Data(), lim, now)
			}
		}()
	}
	wg.Wait()
}

func (s *Stage) analyzeOne(data []byte, lim mention.Limits, now time.Time) result {
	m, err := mention.Unmarshal(data)
	if err == nil {
		err = mention.Normalize(m, lim, now)
	}
	if err != nil {
		return result{err: err}
	}
	s.fn(m)
	m.AnalyzedAt = now.UTC()
	b, err := mention.Marshal(m)
	if err != nil {
		return result{err: err}
	}
	return result{id: m.ID, data: b, watches: m.Watches}
}

// publishInOrder sends the scored messages of a batch, in order, and
// dead-letters what could not be analysed. It reports whether every
// message was sent.
func (s *Stage) publishInOrder(ctx context.Context, pub *bus.Publisher, msgs []jetstream.Msg, res []result) bool {
	for i, r := range res {
		if r.err != nil {
			s.reject(ctx, msgs[i], r.err)
			continue
		}
		watches := r.watches
		if len(watches) == 0 {
			watches = []string{""}
		}
		for _, w := range watches {
			if err := pub.PublishMsg(ctx, bus.ScoredMsg(w, r.id, r.data)); err != nil {
				return false
			}
			s.m.Out.WithLabelValues(stageAnalyze).Inc()
		}
	}
	return true
}

// settle waits until SCORED has stored what a batch published, then
// acknowledges the batch; if anything failed, the batch is sent back to be
// redelivered (the dedup window absorbs what was published twice).
func (s *Stage) settle(ctx context.Context, pub *bus.Publisher, ok bool, msgs []jetstream.Msg, res []result) {
	if ok {
		ok = pub.Flush(ctx) == nil
	}
	if !ok {
		s.log.Warn("publish_failed_batch_not_acked", "messages", len(msgs))
		for i, m := range msgs {
			if res[i].err == nil {
				_ = m.NakWithDelay(5 * time.Second)
			}
		}
		return
	}
	for i, m := range msgs {
		if res[i].err != nil {
			continue // terminated by the dead-letter
		}
		if err := m.Ack(); err != nil {
			s.log.Warn("ack_failed", "error", err)
		}
	}
}

func (s *Stage) reject(ctx context.Context, msg jetstream.Msg, err error) {
	s.m.Rejected.WithLabelValues(stageAnalyze, "invalid").Inc()
	s.log.Error("message_rejected", "subject", msg.Subject(), "error", err)
	if derr := s.b.Dead(ctx, stageAnalyze, msg, err); derr != nil {
		s.log.Error("dead_letter_failed", "error", derr)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
