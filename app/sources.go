package app

import (
	"context"
	"log/slog"

	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/config"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/replay"
	"github.com/vigie-project/vigie/ingest/simulate"
	"github.com/vigie-project/vigie/mention"
)

func buildSources(cfg *config.Config, log *slog.Logger, m *bus.Metrics) ([]ingest.Source, error) {
	var out []ingest.Source
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
