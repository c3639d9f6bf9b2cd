// Package stage runs the crisis detector on the pipeline: it consumes
// scored mentions from SCORED, advances the detectors on event time,
// publishes crisis events to EVENTS and keeps its state in a NATS KV
// bucket, acknowledging mentions only once a snapshot that counts them is
// saved.
package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/detect"
	"github.com/vigie-project/vigie/mention"
)

// Config is the detect role's configuration: the detectors' settings and
// how this process runs them.
type Config struct {
	detect.EngineConfig `yaml:",inline"`
	// Partition "i/n" makes this process own the watches whose hash
	// modulo n is i (several detector processes share the watches); empty
	// owns them all.
	Partition string `yaml:"partition"`
	// SnapshotInterval bounds how long mentions wait for their ack: the
	// state is saved, then the mentions it counts are acknowledged.
	SnapshotInterval time.Duration `yaml:"snapshot_interval"`
	// SnapshotEvery saves a snapshot after this many mentions at most.
	SnapshotEvery int `yaml:"snapshot_every"`
	// IdleAdvance: when no mention arrived for this long, the watermark
	// follows the wall clock, so that a quiet watch's minutes close.
	IdleAdvance time.Duration `yaml:"idle_advance"`
	// SeedDays of per-minute history read from ClickHouse to warm up the
	// baselines on a first start (no snapshot); 0 turns it off.
	SeedDays int `yaml:"seed_days"`
}

// SetDefaults fills what is not set.
func (c *Config) SetDefaults() {
	c.Window.SetDefaults()
	c.Detector.SetDefaults()
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = 5 * time.Second
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 20000
	}
	if c.IdleAdvance == 0 {
		c.IdleAdvance = 30 * time.Second
	}
	if c.SeedDays == 0 {
		c.SeedDays = 14
	}
}

// Validate checks the settings. Errors start with the field name.
func (c *Config) Validate() error {
	if _, _, err := parsePartition(c.Partition); err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	switch {
	case c.SnapshotInterval < 100*time.Millisecond:
		return fmt.Errorf("snapshot_interval: must be at least 100ms")
	case c.SnapshotEvery < 1:
		return fmt.Errorf("snapshot_every: must be positive")
	case c.IdleAdvance < time.Second:
		return fmt.Errorf("idle_advance: must be at least 1s")
	case c.SeedDays < 0 || c.SeedDays > 90:
		return fmt.Errorf("seed_days: must be in 0..90")
	}
	return c.EngineConfig.Validate()
}

func parsePartition(p string) (i, n int, err error) {
	if p == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(p, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%q must be i/n with 0 <= i < n", p)
	}
	return i, n, nil
}

// Owns reports whether partition i of n owns watch.
func Owns(watch string, i, n int) bool {
	h := fnv.New32a()
	h.Write([]byte(watch))
	return int(h.Sum32()%uint32(n)) == i
}

// Options are the stage's collaborators.
type Options struct {
	Log        *slog.Logger
	Registerer prometheus.Registerer
	Metrics    *bus.Metrics
	// Now is the wall clock that caps the watermark and closes idle
	// minutes; nil means time.Now. Snapshot and idle timers always run on
	// the real clock.
	Now func() time.Time
}

// Stage is the detect role.
type Stage struct {
	b       *bus.Bus
	conn    driver.Conn // may be nil: no seeding
	cfg     Config
	watches []string // owned
	durable string
	key     string
	eng     *detect.Engine
	log     *slog.Logger
	m       *bus.Metrics
	now     func() time.Time
	events  prometheus.Counter
	late    prometheus.Counter
	early   prometheus.Counter
}

const stageName = "detect"

// fetchWait bounds how long a mention waits in a pull that is not full:
// a crisis should not wait for a batch to fill.
const fetchWait = 250 * time.Millisecond

// New returns the stage for the configured watches (ids) this process owns.
func New(b *bus.Bus, conn driver.Conn, cfg Config, watches []string, o Options) (*Stage, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	i, n, _ := parsePartition(cfg.Partition)
	s := &Stage{b: b, conn: conn, cfg: cfg, log: o.Log, m: o.Metrics, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", stageName)
	if s.m == nil {
		s.m = bus.NewMetrics(nil)
	}
	if s.now == nil {
		s.now = time.Now
	}
	ecfg := cfg.EngineConfig
	ecfg.Watches = map[string]detect.Config{}
	for _, w := range watches {
		if !Owns(w, i, n) {
			continue
		}
		s.watches = append(s.watches, w)
		c, ok := cfg.EngineConfig.Watches[w]
		if !ok {
			c = cfg.Detector
		}
		ecfg.Watches[w] = c
	}
	var err error
	if s.eng, err = detect.NewEngine(ecfg); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	s.durable, s.key = bus.ConsumerDetect, "engine"
	if n > 1 {
		s.durable = fmt.Sprintf("%s-%d-of-%d", bus.ConsumerDetect, i, n)
		s.key = fmt.Sprintf("engine-%d-of-%d", i, n)
	}
	s.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_detect_events_total", Help: "Crisis lifecycle events published."})
	s.late = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_detect_uncounted_total", Help: "Mentions the detector did not count (late, far future, invalid)."})
	s.early = prometheus.NewCounter(prometheus.CounterOpts{Name: "vigie_detect_early_closed_minutes_total",
		Help: "Minutes judged before the lateness ran out because they already opened a crisis (early opening)."})
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.events, s.late, s.early)
	}
	return s, nil
}

// Engine exposes the engine (read-only use between runs, for tests).
func (s *Stage) Engine() *detect.Engine { return s.eng }

// Run detects until ctx is cancelled, then saves a last snapshot and
// acknowledges what it counts.
func (s *Stage) Run(ctx context.Context) error {
	if len(s.watches) == 0 {
		s.log.Warn("no_watch_owned", "partition", s.cfg.Partition)
		<-ctx.Done()
		return nil
	}
	kv, err := s.b.NewKVStore(ctx, bus.BucketDetector)
	if err != nil {
		return err
	}
	if err := s.restore(ctx, kv); err != nil {
		return err
	}
	filters := make([]string, len(s.watches))
	for i, w := range s.watches {
		filters[i] = bus.SubjectScored + w
	}
	cons, err := s.b.Consumer(ctx, bus.StreamScored, s.durable, filters...)
	if err != nil {
		return err
	}
	var (
		held     []jetstream.Msg
		lastSave = time.Now()
		lastMsg  = time.Now()
		early    = s.eng.Stats().EarlyClosed
	)
	save := func(ctx context.Context) error {
		snap, err := s.eng.Snapshot()
		if err != nil {
			return fmt.Errorf("detect: snapshot: %w", err)
		}
		if err := kv.Save(ctx, s.key, snap); err != nil {
			return err
		}
		for _, m := range held {
			_ = m.Ack()
		}
		held, lastSave = held[:0], time.Now()
		return nil
	}
	for ctx.Err() == nil {
		msgs, err := bus.Fetch(ctx, cons, 1000, fetchWait)
		if err != nil {
			s.log.Warn("fetch_failed", "error", err)
			continue
		}
		now, tick := s.now(), time.Now()
		for _, msg := range msgs {
			s.m.In.WithLabelValues(stageName).Inc()
			m, err := mention.Unmarshal(msg.Data())
			if err != nil {
				s.m.Rejected.WithLabelValues(stageName, "decode").Inc()
				s.log.Error("message_rejected", "subject", msg.Subject(), "error", err)
				if derr := s.b.Dead(ctx, stageName, msg, err); derr != nil {
					s.log.Error("dead_letter_failed", "error", derr)
				}
				continue
			}
			// Event time drives the watermark, never past the wall clock.
			if t := m.CreatedAt; t.After(s.eng.Watermark()) && !t.After(now) {
				s.publish(ctx, s.eng.AdvanceAt(t, now))
			}
			if err := s.eng.Add(bus.WatchOf(msg.Subject()), m); err != nil {
				s.late.Inc()
			}
			held = append(held, msg)
		}
		if len(msgs) > 0 {
			lastMsg = tick
		} else if tick.Sub(lastMsg) >= s.cfg.IdleAdvance && now.After(s.eng.Watermark()) {
			s.publish(ctx, s.eng.AdvanceAt(now, now))
		}
		if n := s.eng.Stats().EarlyClosed; n > early {
			s.early.Add(float64(n - early))
			early = n
		}
		if len(held) >= s.cfg.SnapshotEvery || (len(held) > 0 && tick.Sub(lastSave) >= s.cfg.SnapshotInterval) ||
			(len(held) == 0 && tick.Sub(lastSave) >= 12*s.cfg.SnapshotInterval) {
			if err := save(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("snapshot_failed", "error", err, "note", "mentions stay unacknowledged and are redelivered")
			}
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := save(sctx); err != nil {
		s.log.Error("final_snapshot_failed", "error", err)
	}
	return nil
}

func (s *Stage) restore(ctx context.Context, kv *bus.KVStore) error {
	snap, err := kv.Load(ctx, s.key)
	if err != nil {
		return err
	}
	if snap != nil {
		if err := s.eng.Restore(snap); err != nil {
			// A snapshot from an incompatible version: start afresh,
			// warmed up from history, rather than refuse to run.
			s.log.Error("snapshot_unreadable_starting_fresh", "error", err)
		} else {
			s.log.Info("snapshot_restored", "bytes", len(snap), "open_crises", len(s.eng.Open()))
			return nil
		}
	}
	if s.conn != nil && s.cfg.SeedDays > 0 {
		n, err := s.seed(ctx)
		if err != nil {
			s.log.Warn("seed_failed", "error", err)
		} else {
			s.log.Info("seeded_from_clickhouse", "minutes", n, "days", s.cfg.SeedDays)
		}
	}
	return nil
}

// publish sends crisis events to EVENTS, synchronously: they are rare and
// must not be lost. The message id makes a republish after a restart a
// duplicate the stream drops.
func (s *Stage) publish(ctx context.Context, events []detect.Event) {
	for _, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			s.log.Error("event_encode_failed", "error", err)
			continue
		}
		msg := nats.NewMsg(bus.SubjectEvents + "crisis." + ev.Watch)
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s/%s/%d", ev.ID, ev.Status, ev.At.Unix()))
		msg.Data = data
		for attempt := 0; ; attempt++ {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_, err = s.b.JS.PublishMsg(pctx, msg)
			cancel()
			if err == nil || attempt == 5 {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			s.log.Error("event_publish_failed", "crisis", ev.ID, "status", ev.Status, "error", err)
			continue
		}
		s.events.Inc()
		s.log.Info("crisis_event", "crisis", ev.ID, "watch", ev.Watch, "status", ev.Status, "severity", ev.Severity,
			"observed", ev.Observed, "expected", ev.Expected)
	}
}

// seed warms the owned watches up from mention_minutes: per watch, every
// minute of the last SeedDays, empty minutes as zeros. Distinct authors
// are not in the rollup; the volume stands in for them.
func (s *Stage) seed(ctx context.Context) (int, error) {
	end := s.now().UTC().Truncate(time.Minute)
	start := end.Add(-time.Duration(s.cfg.SeedDays) * 24 * time.Hour)
	rows, err := s.conn.Query(ctx, `SELECT watch, minute, toFloat64(sum(mentions)), toFloat64(sum(negatives)),
		toFloat64(sum(reach)), toFloat64(sum(employee_posts))
		FROM mention_minutes WHERE minute >= ? AND minute < ? AND has(?, watch)
		GROUP BY watch, minute ORDER BY watch, minute`, start, end, s.watches)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	byWatch := map[string][]detect.Minute{}
	for rows.Next() {
		var w string
		var m detect.Minute
		if err := rows.Scan(&w, &m.Start, &m.Volume, &m.Negatives, &m.Reach, &m.Employees); err != nil {
			return 0, err
		}
		m.Authors = m.Volume
		byWatch[w] = append(byWatch[w], m)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	total := 0
	for w, ms := range byWatch {
		filled := fillMinutes(ms, end)
		if err := s.eng.Seed(w, filled); err != nil {
			return total, err
		}
		total += len(filled)
	}
	return total, nil
}

// fillMinutes returns the minutes from the first of ms to end, with the
// missing ones as zeros.
func fillMinutes(ms []detect.Minute, end time.Time) []detect.Minute {
	if len(ms) == 0 {
		return nil
	}
	out := make([]detect.Minute, 0, int(end.Sub(ms[0].Start)/time.Minute)+1)
	i := 0
	for t := ms[0].Start.UTC(); t.Before(end); t = t.Add(time.Minute) {
		if i < len(ms) && ms[i].Start.Equal(t) {
			out = append(out, ms[i])
			i++
			continue
		}
		out = append(out, detect.Minute{Start: t})
	}
	return out
}
