package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/bluesky"
	"github.com/vigie-project/vigie/ingest/mastodon"
	"github.com/vigie-project/vigie/ingest/reddit"
	"github.com/vigie-project/vigie/ingest/replay"
	"github.com/vigie-project/vigie/ingest/rss"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/ingest/twitter"
	"github.com/vigie-project/vigie/ingest/webhook"
	"github.com/vigie-project/vigie/ingest/xapi"
	"github.com/vigie-project/vigie/mention"
)

func (a *App) buildSources(ctx context.Context) ([]ingest.Source, error) {
	cfg, log, m := a.Cfg, a.Log, a.Metrics
	var out []ingest.Source
	cp, err := a.Bus.NewKVStore(ctx, bus.BucketCheckpoints)
	if err != nil {
		return nil, err
	}
	deps := ingest.Deps{
		Log:         log,
		Checkpoints: cp,
		Gaps:        a.Bus.NewGapReporter(log, a.Reg),
		HTTP:        &http.Client{Timeout: 60 * time.Second},
		Watches:     a.Watches,
		Registerer:  a.Reg,
	}
	add := func(s ingest.Source, err error) error {
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	}
	if c := cfg.Sources.Mastodon; c != nil {
		if err := add(mastodon.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.mastodon: %w", err)
		}
	}
	if c := cfg.Sources.Bluesky; c != nil {
		if err := add(bluesky.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.bluesky: %w", err)
		}
	}
	if c := cfg.Sources.Reddit; c != nil {
		if err := add(reddit.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.reddit: %w", err)
		}
	}
	if c := cfg.Sources.Twitter; c != nil {
		if err := add(twitter.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.twitter: %w", err)
		}
	}
	if c := cfg.Sources.X; c != nil {
		if err := add(xapi.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.x: %w", err)
		}
	}
	if c := cfg.Sources.RSS; c != nil {
		if err := add(rss.New(*c, deps)); err != nil {
			return nil, fmt.Errorf("sources.rss: %w", err)
		}
	}
	if c := cfg.Sources.Webhook; c != nil {
		w, err := webhook.New(*c, deps)
		if err != nil {
			return nil, fmt.Errorf("sources.webhook: %w", err)
		}
		out = append(out, w)
		a.routes = append(a.routes, route{"POST " + webhook.Path, w.Handler()})
	}
	if c := cfg.Sources.Simulate; c != nil {
		s, err := simulate.New(*c, log)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if c := cfg.Sources.Replay; c != nil {
		rejected := m.Rejected.WithLabelValues("ingest", "replay_line")
		s, err := replay.New(*c, log, replay.OnReject(func(int, error) { rejected.Inc() }))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// countingPublisher counts what collectors publish.
type countingPublisher struct {
	p *bus.MentionPublisher
	m *bus.Metrics
}

func (c countingPublisher) Publish(ctx context.Context, m *mention.Mention) error {
	if err := c.p.Publish(ctx, m); err != nil {
		return err
	}
	c.m.Out.WithLabelValues("ingest").Inc()
	return nil
}

func (c countingPublisher) Flush(ctx context.Context) error { return c.p.Flush(ctx) }
