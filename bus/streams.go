package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream names.
const (
	StreamMentions = "MENTIONS"
	StreamScored   = "SCORED"
	StreamEvents   = "EVENTS"
	StreamDead     = "DEAD"
)

// Subjects. Raw mentions go to SubjectRaw + source, scored mentions to
// SubjectScored + watch (one message per matched watch; Unmatched when none),
// events to SubjectEvents + kind + "." + watch, rejected messages to
// SubjectDead + stage.
const (
	SubjectRaw    = "vigie.mention.raw."
	SubjectScored = "vigie.mention.scored."
	SubjectEvents = "vigie.event."
	SubjectDead   = "vigie.dead."
	// Unmatched is the watch token of a scored mention that matched no watch.
	Unmatched = "_unmatched"
)

// Durable consumer names.
const (
	ConsumerAnalyze = "analyze"
	ConsumerWrite   = "write"
	ConsumerDetect  = "detect"
	ConsumerAlert   = "alert"
)

// KV bucket names.
const (
	BucketCheckpoints = "vigie_checkpoints"
	BucketDetector    = "vigie_detector"
	BucketAlerts      = "vigie_alerts"
)

func (b *Bus) streamConfigs() []jetstream.StreamConfig {
	c := b.cfg
	base := func(name, subj string, maxAge time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:       name,
			Subjects:   []string{subj},
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			Discard:    jetstream.DiscardOld,
			MaxAge:     maxAge,
			MaxBytes:   c.MaxBytes,
			Duplicates: c.DuplicateWindow,
			Replicas:   c.Replicas,
		}
	}
	return []jetstream.StreamConfig{
		base(StreamMentions, SubjectRaw+">", c.MaxAge),
		base(StreamScored, SubjectScored+">", c.MaxAge),
		base(StreamEvents, SubjectEvents+">", 90*24*time.Hour),
		base(StreamDead, SubjectDead+">", 30*24*time.Hour),
	}
}

func (b *Bus) declare(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, sc := range b.streamConfigs() {
		if _, err := b.JS.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("nats: declare stream %s: %w", sc.Name, err)
		}
	}
	for _, kv := range []jetstream.KeyValueConfig{
		{Bucket: BucketCheckpoints, Description: "collector positions", History: 1, Replicas: b.cfg.Replicas},
		{Bucket: BucketDetector, Description: "crisis detector snapshots", History: 1, Replicas: b.cfg.Replicas},
		{Bucket: BucketAlerts, Description: "open alerts, acks, cooldowns", History: 1, Replicas: b.cfg.Replicas},
	} {
		if _, err := b.JS.CreateOrUpdateKeyValue(ctx, kv); err != nil {
			return fmt.Errorf("nats: declare bucket %s: %w", kv.Bucket, err)
		}
	}
	return nil
}

// Consumer declares (or updates) a durable pull consumer on stream and
// returns it. filter restricts it to some subjects (none: the whole stream).
func (b *Bus) Consumer(ctx context.Context, stream, durable string, filter ...string) (jetstream.Consumer, error) {
	cc := jetstream.ConsumerConfig{
		Durable:       durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.cfg.AckWait,
		MaxAckPending: b.cfg.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver:    -1,
		MaxWaiting:    512,
	}
	switch len(filter) {
	case 0:
	case 1:
		cc.FilterSubject = filter[0]
	default:
		cc.FilterSubjects = filter
	}
	c, err := b.JS.CreateOrUpdateConsumer(ctx, stream, cc)
	if err != nil {
		return nil, fmt.Errorf("nats: declare consumer %s on %s: %w", durable, stream, err)
	}
	return c, nil
}

// KV opens one of the declared buckets.
func (b *Bus) KV(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := b.JS.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("nats: bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// StreamMsgs returns how many messages a stream holds now.
func (b *Bus) StreamMsgs(ctx context.Context, stream string) (uint64, error) {
	s, err := b.JS.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("nats: stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("nats: stream %s: %w", stream, err)
	}
	return info.State.Msgs, nil
}
