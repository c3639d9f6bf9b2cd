package bus

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-project/vigie/mention"
)

// DefaultWindow bounds how many publishes a Publisher keeps in flight.
const DefaultWindow = 2048

// Publisher publishes to JetStream asynchronously with a bounded window of
// unacknowledged publishes. A publish whose ack fails or times out is sent
// again, synchronously, until it is stored or ctx ends: the stream's dedup
// window (Nats-Msg-Id) absorbs the duplicates that retries may create.
// Safe for concurrent use.
type Publisher struct {
	js      jetstream.JetStream
	window  int
	mu      sync.Mutex
	pending []jetstream.PubAckFuture
	// Retried, when set, is called once per publish that had to be sent again.
	Retried func()
}

// NewPublisher returns a Publisher with window publishes in flight at most
// (DefaultWindow when window <= 0).
func (b *Bus) NewPublisher(window int) *Publisher {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Publisher{js: b.JS, window: window}
}

// PublishMsg sends msg; it blocks while the window is full.
func (p *Publisher) PublishMsg(ctx context.Context, msg *nats.Msg) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.pending) >= p.window {
		if err := p.settle(ctx, p.pending[0]); err != nil {
			return err
		}
		p.pending = p.pending[1:]
	}
	f, err := p.js.PublishMsgAsync(msg)
	if err != nil {
		// The connection refused it outright (reconnecting, stalled):
		// send it synchronously instead.
		return p.resend(ctx, msg)
	}
	p.pending = append(p.pending, f)
	return nil
}

// Flush waits until every publish so far is stored.
func (p *Publisher) Flush(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.pending) > 0 {
		if err := p.settle(ctx, p.pending[0]); err != nil {
			return err
		}
		p.pending = p.pending[1:]
	}
	return nil
}

func (p *Publisher) settle(ctx context.Context, f jetstream.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case <-f.Err():
		return p.resend(ctx, f.Msg())
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Publisher) resend(ctx context.Context, msg *nats.Msg) error {
	if p.Retried != nil {
		p.Retried()
	}
	wait := 100 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := p.js.PublishMsg(pctx, msg)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nats: publish %s: %w (last error: %v)", msg.Subject, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// MentionPublisher publishes collected mentions to the MENTIONS stream,
// with the mention id as Nats-Msg-Id. It implements ingest.Publisher.
type MentionPublisher struct {
	P *Publisher
}

// NewMentionPublisher returns a publisher for raw mentions.
func (b *Bus) NewMentionPublisher() *MentionPublisher {
	return &MentionPublisher{P: b.NewPublisher(0)}
}

// Publish sends m to vigie.mention.raw.<source>.
func (mp *MentionPublisher) Publish(ctx context.Context, m *mention.Mention) error {
	data, err := mention.Marshal(m)
	if err != nil {
		return fmt.Errorf("bus: encode mention %s: %w", m.ID, err)
	}
	return mp.P.PublishMsg(ctx, RawMsg(m.Source, m.ID, data))
}

// Flush waits until every mention published so far is stored.
func (mp *MentionPublisher) Flush(ctx context.Context) error { return mp.P.Flush(ctx) }

// RawMsg builds the message of a raw mention.
func RawMsg(source, id string, data []byte) *nats.Msg {
	msg := nats.NewMsg(SubjectRaw + source)
	msg.Header.Set(jetstream.MsgIDHeader, id)
	msg.Data = data
	return msg
}

// ScoredMsg builds the message of a scored mention for one watch.
func ScoredMsg(watch, id string, data []byte) *nats.Msg {
	if watch == "" {
		watch = Unmatched
	}
	msg := nats.NewMsg(SubjectScored + watch)
	msg.Header.Set(jetstream.MsgIDHeader, id+"/"+watch)
	msg.Data = data
	return msg
}

// WatchOf returns the watch token of a scored-mention subject ("" for
// Unmatched or another subject).
func WatchOf(subject string) string {
	if len(subject) <= len(SubjectScored) || subject[:len(SubjectScored)] != SubjectScored {
		return ""
	}
	w := subject[len(SubjectScored):]
	if w == Unmatched {
		return ""
	}
	return w
}
