package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/mention"
)

// BenchResult is the end-to-end throughput of the pipeline.
type BenchResult struct {
	Mentions       int
	Rows           uint64 // mentions rows (one per mention and watch)
	PublishSeconds float64
	TotalSeconds   float64 // first publish to last mention stored
	// CPU used during the run: vigie (publisher, embedded NATS, analyzer,
	// writer) and the managed ClickHouse server (0 when external).
	VigieCPU, ClickHouseCPU time.Duration
	// ClickHouse inserts made by the writer, and the time they took.
	Inserts       uint64
	InsertSeconds float64
}

// CPUPerMention is the CPU the whole pipeline spent per mention.
func (r BenchResult) CPUPerMention() time.Duration {
	return (r.VigieCPU + r.ClickHouseCPU) / time.Duration(max(r.Mentions, 1))
}

// Rate is mentions per second from publish to stored row.
func (r BenchResult) Rate() float64 { return float64(r.Mentions) / r.TotalSeconds }

var errEnough = errors.New("enough")

// BenchMentions generates n realistic mentions with the simulator, from
// the brands of cfg, ending now.
func BenchMentions(cfg simulate.Config, n int) ([]*mention.Mention, error) {
	cfg.Crisis = nil
	cfg.SetDefaults()
	out := make([]*mention.Mention, 0, n)
	to := time.Now().UTC()
	from := to.Add(-30 * 24 * time.Hour)
	err := simulate.Generate(cfg, from, to, func(m *mention.Mention) error {
		out = append(out, m)
		if len(out) >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	if len(out) < n {
		return nil, fmt.Errorf("bench: the simulator made only %d mentions in 30 days; raise base_per_minute", len(out))
	}
	return out, nil
}

// RunBench starts the analyze and write roles, publishes the mentions as
// fast as NATS takes them, and waits until every one is stored.
func (a *App) RunBench(ctx context.Context, ms []*mention.Mention, progress io.Writer) (BenchResult, error) {
	r := BenchResult{Mentions: len(ms)}
	if err := a.Start(ctx); err != nil {
		return r, err
	}
	defer a.Shutdown()
	pub := a.Bus.NewMentionPublisher()
	chPID := 0
	if a.Local != nil {
		chPID = a.Local.PID()
	}
	cpu0 := cpuSelf()
	ch0, _ := cpuOf(chPID)
	start := time.Now()
	for _, m := range ms {
		if err := pub.Publish(ctx, m); err != nil {
			return r, err
		}
	}
	if err := pub.Flush(ctx); err != nil {
		return r, err
	}
	r.PublishSeconds = time.Since(start).Seconds()
	var lastProgress time.Time
	for {
		var n uint64
		if err := a.CH.QueryRow(ctx, "SELECT uniqExact(id) FROM mentions").Scan(&n); err != nil {
			return r, err
		}
		if n >= uint64(len(ms)) {
			r.TotalSeconds = time.Since(start).Seconds()
			r.VigieCPU = cpuSelf() - cpu0
			if chPID > 0 {
				if ch1, err := cpuOf(chPID); err == nil {
					r.ClickHouseCPU = ch1 - ch0
				}
			}
			break
		}
		if progress != nil && time.Since(lastProgress) >= time.Second {
			pa, _ := a.Bus.Pending(ctx, bus.StreamMentions, bus.ConsumerAnalyze)
			pw, _ := a.Bus.Pending(ctx, bus.StreamScored, bus.ConsumerWrite)
			fmt.Fprintf(progress, "%5.1fs stored %d / %d (waiting: analyze %d, write %d)\n", time.Since(start).Seconds(), n, len(ms), pa, pw)
			lastProgress = time.Now()
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.Inserts, r.InsertSeconds = a.insertStats()
	err := a.CH.QueryRow(ctx, "SELECT count() FROM mentions").Scan(&r.Rows)
	return r, err
}

// insertStats reads the writer's insert histogram from the registry.
func (a *App) insertStats() (n uint64, seconds float64) {
	mfs, err := a.Reg.Gather()
	if err != nil {
		return 0, 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "vigie_writer_insert_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			n += m.GetHistogram().GetSampleCount()
			seconds += m.GetHistogram().GetSampleSum()
		}
	}
	return n, seconds
}
