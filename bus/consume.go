package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Fetch pulls up to limit messages from c, waiting at most wait for them.
// It returns what arrived (possibly nothing), and an error only when the
// consumer cannot be read.
//
// It waits for the server to end the pull (the server's timeout status
// arrives after every message it sent) rather than giving up on a client
// deadline: a pull abandoned by the client leaves the messages already on
// their way delivered but never acknowledged, and they would only come back
// after ack_wait. So ctx is checked before the pull, not during it, and a
// call lasts at most wait plus a round trip.
func Fetch(ctx context.Context, c jetstream.Consumer, limit int, wait time.Duration) ([]jetstream.Msg, error) {
	if ctx.Err() != nil {
		return nil, nil
	}
	wait = max(wait, 10*time.Millisecond)
	batch, err := c.Fetch(limit, jetstream.FetchMaxWait(wait))
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, fmt.Errorf("nats: fetch: %w", err)
	}
	msgs := make([]jetstream.Msg, 0, min(limit, 1024))
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && !quietFetchErr(err) {
		return msgs, fmt.Errorf("nats: fetch: %w", err)
	}
	return msgs, nil
}

func quietFetchErr(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages)
}

// Dead records a message a stage cannot process, with the reason, on
// vigie.dead.<stage> (kept 30 days in the DEAD stream for inspection), and
// terminates it so it is not redelivered. Nothing is dropped silently: the
// caller also logs and counts it.
func (b *Bus) Dead(ctx context.Context, stage string, msg jetstream.Msg, reason error) error {
	dm := nats.NewMsg(SubjectDead + stage)
	dm.Data = msg.Data()
	dm.Header.Set("Vigie-Reason", truncate(reason.Error(), 1024))
	dm.Header.Set("Vigie-Subject", msg.Subject())
	if md, err := msg.Metadata(); err == nil {
		dm.Header.Set("Vigie-Stream-Seq", fmt.Sprint(md.Sequence.Stream))
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := b.JS.PublishMsg(pctx, dm); err != nil {
		return fmt.Errorf("nats: dead-letter: %w", err)
	}
	return msg.Term()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Pending returns how many messages wait for consumer durable on stream,
// not yet delivered plus delivered and not acknowledged.
func (b *Bus) Pending(ctx context.Context, stream, durable string) (uint64, error) {
	c, err := b.JS.Consumer(ctx, stream, durable)
	if err != nil {
		return 0, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}
