package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/mention"
)

// WriterConfig tunes the writer stage.
type WriterConfig struct {
	BatchSize int           `yaml:"batch_size"` // rows per insert at most
	BatchWait time.Duration `yaml:"batch_wait"` // a partial batch is inserted after this long
	// IdleFlushRows: a batch of at least this many rows is inserted as
	// soon as the stream has nothing more to deliver, without waiting for
	// batch_wait (the end of a burst). Default 1000 (ClickHouse's advice:
	// inserts of at least 1,000 rows), at most batch_size; -1 disables.
	IdleFlushRows int           `yaml:"idle_flush_rows"`
	MaxRetryWait  time.Duration `yaml:"max_retry_wait"` // backoff cap while ClickHouse is down
	FlushTimeout  time.Duration `yaml:"flush_timeout"`  // last insert at shutdown
}

// SetDefaults fills what is not set.
func (c *WriterConfig) SetDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 10000
	}
	if c.BatchWait == 0 {
		c.BatchWait = time.Second
	}
	if c.IdleFlushRows == 0 {
		c.IdleFlushRows = min(1000, max(c.BatchSize, 1))
	}
	if c.MaxRetryWait == 0 {
		c.MaxRetryWait = 10 * time.Second
	}
	if c.FlushTimeout == 0 {
		c.FlushTimeout = 15 * time.Second
	}
}

// Validate checks the settings. Errors start with the field name.
func (c *WriterConfig) Validate() error {
	switch {
	case c.BatchSize < 1 || c.BatchSize > 1_000_000:
		return fmt.Errorf("batch_size: must be in 1..1000000, got %d", c.BatchSize)
	case c.BatchWait < 10*time.Millisecond:
		return fmt.Errorf("batch_wait: must be at least 10ms, got %s", c.BatchWait)
	case c.IdleFlushRows < -1 || c.IdleFlushRows > c.BatchSize:
		return fmt.Errorf("idle_flush_rows: must be -1 (off) or in 1..batch_size (%d), got %d", c.BatchSize, c.IdleFlushRows)
	case c.MaxRetryWait < 100*time.Millisecond:
		return fmt.Errorf("max_retry_wait: must be at least 100ms")
	case c.FlushTimeout < time.Second:
		return fmt.Errorf("flush_timeout: must be at least 1s")
	}
	return nil
}

// Sink says what a Writer stores: which messages, into which table.
type Sink struct {
	Name    string   // stage name in metrics and logs
	Stream  string   // stream to consume
	Durable string   // durable consumer
	Filter  []string // subjects (none: the whole stream)
	Insert  string   // INSERT INTO t (columns…)
	// Row turns a message into the table's row; an error dead-letters it.
	Row func(msg jetstream.Msg, storedAt time.Time) ([]any, error)
}

// MentionsSink stores scored mentions, one row per mention and watch.
var MentionsSink = Sink{
	Name: "write", Stream: bus.StreamScored, Durable: bus.ConsumerWrite, Insert: MentionsInsert,
	Row: func(msg jetstream.Msg, now time.Time) ([]any, error) {
		m, err := mention.Unmarshal(msg.Data())
		if err == nil && (m.ID == "" || m.CreatedAt.IsZero()) {
			err = errors.New("mention without id or created_at")
		}
		if err != nil {
			return nil, err
		}
		return Row(m, bus.WatchOf(msg.Subject()), now), nil
	},
}

// Writer is a stage that stores messages in ClickHouse: it consumes its
// sink's stream, batches by size or time, inserts with PrepareBatch and an
// explicit column list, and acknowledges the messages only once the insert
// succeeded. While ClickHouse is down it retries the same batch with
// backoff and leaves the backlog in the stream; MaxAckPending bounds what
// is in flight.
type Writer struct {
	sink    Sink
	b       *bus.Bus
	conn    driver.Conn
	cfg     WriterConfig
	log     *slog.Logger
	m       *bus.Metrics
	batchH  prometheus.Observer
	insertH prometheus.Observer
	// afterInsert, for tests: called after a successful insert, before the
	// acks; an error stops the writer as if killed there.
	afterInsert func() error
}

// WriterMetrics are the writer's own histograms.
type WriterMetrics struct {
	BatchRows     prometheus.Histogram
	InsertSeconds prometheus.Histogram
}

// NewWriterMetrics registers the writer histograms on reg.
func NewWriterMetrics(reg prometheus.Registerer) *WriterMetrics {
	wm := &WriterMetrics{
		BatchRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigie_writer_batch_rows", Help: "Rows per ClickHouse insert.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		InsertSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "vigie_writer_insert_seconds", Help: "Duration of successful ClickHouse inserts.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14),
		}),
	}
	if reg != nil {
		reg.MustRegister(wm.BatchRows, wm.InsertSeconds)
	}
	return wm
}

// NewWriter returns the writer stage of scored mentions. wm may be nil.
func NewWriter(b *bus.Bus, conn driver.Conn, cfg WriterConfig, log *slog.Logger, m *bus.Metrics, wm *WriterMetrics) (*Writer, error) {
	return NewSinkWriter(MentionsSink, b, conn, cfg, log, m, wm)
}

// NewSinkWriter returns a writer of sink. wm may be nil.
func NewSinkWriter(sink Sink, b *bus.Bus, conn driver.Conn, cfg WriterConfig, log *slog.Logger, m *bus.Metrics, wm *WriterMetrics) (*Writer, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	if m == nil {
		m = bus.NewMetrics(nil)
	}
	if wm == nil {
		wm = NewWriterMetrics(nil)
	}
	return &Writer{sink: sink, b: b, conn: conn, cfg: cfg, log: logOrDiscard(log).With("component", sink.Name), m: m,
		batchH: wm.BatchRows, insertH: wm.InsertSeconds}, nil
}

// Run consumes until ctx is cancelled, then inserts what it holds with a
// fresh bounded context and returns.
//
// Inserting and fetching overlap: while one batch is being inserted (and
// then acknowledged) the next one is fetched and decoded. At most one
// insert is in flight, so at most two batches are held.
func (w *Writer) Run(ctx context.Context) error {
	cons, err := w.b.Consumer(ctx, w.sink.Stream, w.sink.Durable, w.sink.Filter...)
	if err != nil {
		return err
	}
	var (
		cur      batch
		deadline time.Time
		inflight chan error // the insert in flight, nil when none
	)
	// wait waits for the insert in flight, if any.
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}
	// flush hands the current batch to an insert of its own once the
	// previous one is done.
	flush := func(ctx context.Context) error {
		if err := wait(); err != nil {
			return err
		}
		if len(cur.msgs) == 0 {
			return nil
		}
		b := cur
		cur, deadline = batch{}, time.Time{}
		inflight = make(chan error, 1)
		go func(done chan<- error) { done <- w.store(ctx, b) }(inflight)
		return nil
	}
	idle := false // the last fetch waited idlePoll for nothing
	for ctx.Err() == nil {
		wait := w.cfg.BatchWait
		if len(cur.msgs) > 0 {
			wait = time.Until(deadline)
		}
		early := w.cfg.IdleFlushRows > 0 && len(cur.msgs) >= w.cfg.IdleFlushRows
		if len(cur.msgs) >= w.cfg.BatchSize || wait <= 0 || (early && idle) {
			idle = false
			if err := flush(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				return err
			}
			continue
		}
		if early || len(cur.msgs) == 0 {
			// Holding nothing, or enough to insert: look briefly, so that
			// a batch starts its clock when its first message arrives and
			// is inserted as soon as nothing more is waiting.
			wait = min(wait, idlePoll)
		}
		limit := w.cfg.BatchSize - len(cur.msgs)
		got, err := bus.Fetch(ctx, cons, limit, wait)
		if err != nil {
			w.log.Warn("fetch_failed", "error", err)
			sleep(ctx, time.Second)
			continue
		}
		now := time.Now().UTC()
		for _, msg := range got {
			w.m.In.WithLabelValues(w.sink.Name).Inc()
			row, err := w.sink.Row(msg, now)
			if err != nil {
				w.reject(ctx, msg, err)
				continue
			}
			cur.msgs = append(cur.msgs, msg)
			cur.rows = append(cur.rows, row)
		}
		if len(cur.msgs) > 0 && deadline.IsZero() {
			deadline = time.Now().Add(w.cfg.BatchWait)
		}
		idle = len(got) == 0
	}
	// Shutdown: store what we hold, with a fresh bounded context.
	fctx, cancel := context.WithTimeout(context.Background(), w.cfg.FlushTimeout)
	defer cancel()
	held := len(cur.msgs)
	err = flush(fctx)
	if err == nil {
		err = wait()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		w.log.Warn("final_flush_failed", "rows", held, "error", err,
			"note", "not acknowledged: they stay in the stream and are stored at next start")
	}
	return nil
}

// idlePoll is how long a writer holding a batch big enough to insert
// waits for more: a stream silent that long is taken as the end of a
// burst. Shorter, and the pauses between the analyzer's batches in a
// steady flow would cut it into small inserts, each a part for ClickHouse
// to merge (measured: 3,500-row inserts and twice ClickHouse's CPU).
const idlePoll = 100 * time.Millisecond

// batch is what one insert stores: the messages and their rows.
type batch struct {
	msgs []jetstream.Msg
	rows [][]any
}

// store inserts b, retrying, then acknowledges its messages.
func (w *Writer) store(ctx context.Context, b batch) error {
	if err := w.insertRetrying(ctx, b.msgs, b.rows); err != nil {
		return err
	}
	if w.afterInsert != nil {
		if err := w.afterInsert(); err != nil {
			return err
		}
	}
	for _, m := range b.msgs {
		if err := m.Ack(); err != nil {
			// Redelivered later; the table absorbs the duplicate.
			w.log.Warn("ack_failed", "error", err)
		}
	}
	w.m.Out.WithLabelValues(w.sink.Name).Add(float64(len(b.msgs)))
	return nil
}

func (w *Writer) reject(ctx context.Context, msg jetstream.Msg, err error) {
	w.m.Rejected.WithLabelValues(w.sink.Name, "decode").Inc()
	w.log.Error("message_rejected", "subject", msg.Subject(), "error", err)
	if derr := w.b.Dead(ctx, w.sink.Name, msg, err); derr != nil {
		w.log.Error("dead_letter_failed", "error", derr)
	}
}

// insertRetrying inserts rows until it succeeds or ctx ends. While it
// waits it tells NATS the messages are in progress so they are not
// redelivered to another writer.
func (w *Writer) insertRetrying(ctx context.Context, msgs []jetstream.Msg, rows [][]any) error {
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		start := time.Now()
		// An attempt runs to its end even when the stage is stopping: the
		// rows are then stored and acknowledged rather than sent again.
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.FlushTimeout)
		err := Insert(ictx, w.conn, w.sink.Insert, rows)
		cancel()
		if err == nil {
			w.insertH.Observe(time.Since(start).Seconds())
			w.batchH.Observe(float64(len(rows)))
			if attempt > 1 {
				w.log.Info("insert_recovered", "attempts", attempt, "rows", len(rows))
			}
			return nil
		}
		w.m.Retries.WithLabelValues(w.sink.Name).Inc()
		w.log.Warn("insert_failed", "attempt", attempt, "rows", len(rows), "retry_in", backoff, "error", err)
		for _, m := range msgs {
			_ = m.InProgress()
		}
		if !sleep(ctx, backoff) {
			return fmt.Errorf("insert %d rows: %w (last error: %v)", len(rows), ctx.Err(), err)
		}
		backoff = min(backoff*2, w.cfg.MaxRetryWait)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Insert sends rows with PrepareBatch on an INSERT that lists its columns
// (the only insert path that works against ClickHouse 18.16: see
// PLATFORM.md), and aborts the batch when an append fails.
func Insert(ctx context.Context, conn driver.Conn, insert string, rows [][]any) error {
	b, err := conn.PrepareBatch(ctx, insert)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	for i, r := range rows {
		if err := b.Append(r...); err != nil {
			_ = b.Abort()
			return fmt.Errorf("append row %d: %w", i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}
