package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// KVStore is a key-value view of one bucket: collectors' checkpoints,
// detector snapshots, alert state. Keys may contain any of [-_=.a-zA-Z0-9/];
// other characters are escaped.
type KVStore struct{ kv jetstream.KeyValue }

// NewKVStore opens bucket (one of Bucket*).
func (b *Bus) NewKVStore(ctx context.Context, bucket string) (*KVStore, error) {
	kv, err := b.KV(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return &KVStore{kv: kv}, nil
}

// Load returns the value under key, or nil when there is none.
func (s *KVStore) Load(ctx context.Context, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, kvKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("nats: kv get %s: %w", key, err)
	}
	return e.Value(), nil
}

// Save stores value under key.
func (s *KVStore) Save(ctx context.Context, key string, value []byte) error {
	if _, err := s.kv.Put(ctx, kvKey(key), value); err != nil {
		return fmt.Errorf("nats: kv put %s: %w", key, err)
	}
	return nil
}

// kvKey escapes what a NATS KV key cannot hold.
func kvKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '/', c == '=':
			b.WriteByte(c)
		case c == '.' && i > 0 && i < len(key)-1 && key[i-1] != '.':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	if b.Len() == 0 {
		return "=00"
	}
	return b.String()
}
