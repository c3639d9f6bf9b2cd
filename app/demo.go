package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigie-project/vigie/bus"
)

// Counts are what the demo reports, read back from NATS and ClickHouse
// (never from the generator's own counters).
type Counts struct {
	Generated uint64 // messages in the MENTIONS stream
	Stored    uint64 // distinct mentions in ClickHouse
	Crises    uint64 // distinct crises opened
	Alerts    uint64 // distinct alerts sent
}

// ReadCounts reads the counts.
func (a *App) ReadCounts(ctx context.Context) (Counts, error) {
	var c Counts
	var err error
	if c.Generated, err = a.Bus.StreamMsgs(ctx, bus.StreamMentions); err != nil {
		return c, err
	}
	for _, q := range []struct {
		dst *uint64
		sql string
	}{
		{&c.Stored, "SELECT uniqExact(id) FROM mentions"},
		{&c.Crises, "SELECT uniqExact(id) FROM crises WHERE status = 'open'"},
		{&c.Alerts, "SELECT uniqExact(alert_key) FROM alerts WHERE action = 'sent'"},
	} {
		if err := a.CH.QueryRow(ctx, q.sql).Scan(q.dst); err != nil {
			return c, fmt.Errorf("clickhouse: %s: %w", q.sql, err)
		}
	}
	return c, nil
}

// DemoOptions tune RunDemo.
type DemoOptions struct {
	For   time.Duration // stop by itself after this long; 0: until ctx ends
	Every time.Duration // summary line period (default 5s)
	Out   io.Writer
}

// RunDemo starts everything, prints where to look and a live summary,
// and at the end (ctx cancelled or For elapsed) drains the pipeline and
// prints the closing line "demo: generated=N stored=M crises=K alerts=A".
func (a *App) RunDemo(ctx context.Context, o DemoOptions) (Counts, error) {
	if o.Every <= 0 {
		o.Every = 5 * time.Second
	}
	a.routes = append(a.routes, route{"POST " + InboxPath, a.demoInbox(o.Out)})
	if err := a.Start(ctx); err != nil {
		a.Shutdown()
		return Counts{}, err
	}
	w := o.Out
	fmt.Fprintf(w, "vigie demo: a simulated bad buzz, history first, then the crisis accelerated\n")
	fmt.Fprintf(w, "vigie démo : un bad buzz simulé, l'historique d'abord, puis la crise en accéléré\n\n")
	fmt.Fprintf(w, "  health      http://%s/healthz\n", a.HTTPAddr())
	fmt.Fprintf(w, "  metrics     http://%s/metrics\n", a.HTTPAddr())
	if u := a.Bus.ClientURL(); u != "" {
		fmt.Fprintf(w, "  NATS        %s   (nats --server %s stream ls)\n", u, u)
	}
	fmt.Fprintf(w, "  ClickHouse  %s   try:\n", a.ClickHouseAddr())
	fmt.Fprintf(w, "    clickhouse-client --host %s --port %d --database %s --query \\\n", "127.0.0.1", a.chPort(), a.Cfg.ClickHouse.Database)
	fmt.Fprintf(w, "      \"SELECT watch, toStartOfHour(minute) AS h, sum(mentions) AS n, sum(negatives) AS neg FROM mention_minutes GROUP BY watch, h ORDER BY h DESC, watch LIMIT 12\"\n\n")

	stop := ctx.Done()
	if o.For > 0 {
		t := time.NewTimer(o.For)
		defer t.Stop()
		c2, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-t.C:
				cancel()
			case <-c2.Done():
			}
		}()
		stop = c2.Done()
	}
	start := time.Now()
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	var last Counts
	lastAt := start
loop:
	for {
		select {
		case <-stop:
			break loop
		case now := <-tick.C:
			qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			c, err := a.ReadCounts(qctx)
			cancel()
			if err != nil {
				fmt.Fprintf(w, "[%s] counts unavailable: %v\n", clock(now.Sub(start)), err)
				continue
			}
			rate := float64(c.Stored-min(c.Stored, last.Stored)) / now.Sub(lastAt).Seconds()
			fmt.Fprintf(w, "[%s] generated=%d stored=%d (%.0f mentions/s) crises=%d alerts=%d\n",
				clock(now.Sub(start)), c.Generated, c.Stored, rate, c.Crises, c.Alerts)
			last, lastAt = c, now
		}
	}
	// Stop collecting, let the analyzers and writers finish, then count.
	fmt.Fprintln(w, "stopping: draining the pipeline / arrêt : vidage du pipeline")
	a.StopRole("ingest")
	dctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := a.Drain(dctx); err != nil {
		fmt.Fprintf(w, "drain: %v (what is left stays in NATS and is stored at the next start)\n", err)
	}
	a.Shutdown()
	c, err := a.ReadCounts(dctx)
	if err != nil {
		return c, err
	}
	fmt.Fprintf(w, "demo: generated=%d stored=%d crises=%d alerts=%d\n", c.Generated, c.Stored, c.Crises, c.Alerts)
	return c, nil
}

func (a *App) chPort() int {
	if a.Local != nil {
		return a.Local.TCPPort
	}
	return 9000
}

func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
