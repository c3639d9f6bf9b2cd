package bluesky

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// Profile lookups: getProfiles takes up to 25 actors; the cache holds at
// most maxProfiles follower counts.
const (
	profilesPerCall = 25
	maxProfiles     = 50000
)

// profileCache keeps authors' follower counts, which search results do
// not carry (profileViewBasic has none), for Mention.Author.Followers.
type profileCache struct {
	s       *Source
	enabled bool
	health  httpsrc.Health

	mu      sync.Mutex
	entries map[string]profileEntry // by DID
}

type profileEntry struct {
	followers int64
	at        time.Time
}

// followers returns the follower counts of the posts' authors, looking
// up those not cached (or stale) with app.bsky.actor.getProfiles. A
// failed lookup leaves counts unknown (0): it never holds posts back.
func (pc *profileCache) followers(ctx context.Context, posts []*postView) map[string]int64 {
	out := make(map[string]int64, len(posts))
	if !pc.enabled || len(posts) == 0 {
		return out
	}
	now := pc.s.now()
	var missing []string
	pc.mu.Lock()
	for _, p := range posts {
		did := p.Author.DID
		if _, done := out[did]; done || did == "" {
			continue
		}
		if e, ok := pc.entries[did]; ok && now.Sub(e.at) < pc.s.cfg.ProfileTTL {
			out[did] = e.followers
			continue
		}
		out[did] = 0
		missing = append(missing, did)
	}
	pc.mu.Unlock()

	for len(missing) > 0 {
		batch := missing[:min(len(missing), profilesPerCall)]
		missing = missing[len(batch):]
		q := url.Values{}
		for _, did := range batch {
			q.Add("actors", did)
		}
		body, err := pc.s.xrpc.get(ctx, &pc.health, "profiles", "app.bsky.actor.getProfiles", q.Encode())
		if err != nil {
			pc.s.log.Warn("profiles_lookup_failed", "error", err, "actors", len(batch))
			continue
		}
		var resp struct {
			Profiles []profileView `json:"profiles"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			pc.s.log.Warn("profiles_lookup_failed", "error", err, "actors", len(batch))
			continue
		}
		pc.mu.Lock()
		if len(pc.entries) > maxProfiles {
			clear(pc.entries)
		}
		for _, p := range resp.Profiles {
			if p.DID == "" || p.FollowersCount < 0 {
				continue
			}
			pc.entries[p.DID] = profileEntry{followers: p.FollowersCount, at: now}
			if _, want := out[p.DID]; want {
				out[p.DID] = p.FollowersCount
			}
		}
		pc.mu.Unlock()
	}
	return out
}
