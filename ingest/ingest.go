// Package ingest runs the collectors: each source turns what it reads into
// mention records and hands them to a Publisher, which puts them on the
// MENTIONS stream. One sub-package per source.
package ingest

import (
	"context"

	"github.com/vigie-project/vigie/mention"
)

// Publisher takes collected mentions to the next durable place (the
// MENTIONS stream). Publish may return before the mention is durable;
// Flush returns once everything published so far is, or with the first
// error. A collector calls Flush before it saves a checkpoint.
type Publisher interface {
	Publish(ctx context.Context, m *mention.Mention) error
	Flush(ctx context.Context) error
}

// Source is one collector. Run blocks until ctx is cancelled or the source
// is exhausted (a replay file at its end), and returns nil in both cases;
// it returns an error only when it cannot go on.
type Source interface {
	Name() string
	Run(ctx context.Context, pub Publisher) error
}
