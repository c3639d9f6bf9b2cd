package reddit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/ingest"
)

// position is a feed's checkpoint. Newest is the fullname of the newest
// post read (t3_<id>) and NewestAt its creation time; every post up to it
// was read. A catch-up that needed more than MaxPages pages left After
// (the listing's cursor) to resume from, and Head/HeadAt, the newest post
// it saw, which becomes Newest once the catch-up reaches the old Newest.
type position struct {
	Newest   string    `json:"newest,omitempty"`
	NewestAt time.Time `json:"newest_at,omitzero"`
	After    string    `json:"after,omitempty"`
	Head     string    `json:"head,omitempty"`
	HeadAt   time.Time `json:"head_at,omitzero"`
}

// mark is a post's place in a feed: its id and creation time.
type mark struct {
	id string // without t3_
	at time.Time
}

func (m mark) newer(o mark) bool { return o.id == "" || newerID(m.id, o.id) }

// maxRecent bounds the posts a feed remembers within the overlap.
const maxRecent = 5000

// pollFeed reads the feed's posts newer than its checkpoint, newest
// first, page after page (after=<fullname>), until it reaches the
// checkpoint or MaxPages; after each page the publisher is flushed and
// the position saved. Without a checkpoint only the newest page is read.
func (s *Source) pollFeed(ctx context.Context, f *feed, pub ingest.Publisher) error {
	if err := s.loadPosition(ctx, f); err != nil {
		return err
	}
	pos := f.pos
	first := pos.Newest == "" && pos.After == ""
	newest := mark{id: strings.TrimPrefix(pos.Newest, "t3_"), at: pos.NewestAt}
	head := mark{id: strings.TrimPrefix(pos.Head, "t3_"), at: pos.HeadAt}
	after := pos.After
	for page := 0; page < s.cfg.MaxPages; page++ {
		q := url.Values{}
		if f.query != "" {
			q.Set("q", f.query)
			q.Set("sort", "new")
			q.Set("type", "link")
			if s.cfg.IncludeOver18 {
				q.Set("include_over_18", "on")
			}
		}
		q.Set("limit", strconv.Itoa(s.cfg.PageLimit))
		q.Set("raw_json", "1")
		if after != "" {
			q.Set("after", after)
		}
		body, err := s.api.get(ctx, &f.health, f.label, f.endpoint(), f.path, q.Encode())
		if err != nil {
			return err
		}
		l, err := decodeListing(body)
		if err != nil {
			s.met.Rejected.WithLabelValues("malformed").Inc()
			return fmt.Errorf("%s: %w", f.label, err)
		}
		pageNewest, reached, err := s.publishListing(ctx, f, l, newest, pub)
		if err != nil {
			return err
		}
		if pageNewest.id != "" && pageNewest.newer(head) {
			head = pageNewest
		}
		next := ""
		if l.Data.After != nil {
			next = *l.Data.After
		}
		done := first || reached || next == "" || len(l.Data.Children) == 0
		np := position{Newest: pos.Newest, NewestAt: pos.NewestAt, After: next, Head: fullname(head.id), HeadAt: head.at}
		if done {
			np = position{Newest: pos.Newest, NewestAt: pos.NewestAt}
			if head.id != "" && head.newer(newest) {
				np.Newest, np.NewestAt = fullname(head.id), head.at
			}
		}
		if err := s.savePosition(ctx, f, np, pub); err != nil {
			return err
		}
		if done {
			return nil
		}
		after = next
	}
	s.log.Info("backlog_continues", "feed", f.label, "pages", s.cfg.MaxPages)
	return nil
}

func fullname(id string) string {
	if id == "" {
		return ""
	}
	return "t3_" + id
}

// publishListing publishes a page's posts, oldest first: those newer than
// the checkpoint, and those that came late (search indexing lags) within
// the overlap before it that were not published yet. It returns the
// newest post on the page and whether the page reached the checkpoint.
func (s *Source) publishListing(ctx context.Context, f *feed, l *listing, newest mark, pub ingest.Publisher) (pageNewest mark, reached bool, err error) {
	floor := newest.at.Add(-s.cfg.Overlap)
	var posts []*link
	for _, c := range l.Data.Children {
		if c.Kind != "t3" {
			continue
		}
		p, err := decodeLink(c.Data)
		if err != nil {
			s.reject(f.label, "malformed", "", err)
			continue
		}
		m := mark{id: p.ID, at: p.created()}
		if pageNewest.id == "" || m.newer(pageNewest) {
			pageNewest = m
		}
		if newest.id != "" && !m.newer(newest) {
			if newest.at.IsZero() || m.at.Before(floor) {
				reached = true
				continue
			}
			if _, seen := f.recent[p.ID]; seen || p.ID == newest.id {
				continue
			}
		}
		if p.Over18 && !s.cfg.IncludeOver18 {
			s.met.Rejected.WithLabelValues("over_18").Inc()
			f.remember(p.ID, m.at, s.cfg.Overlap)
			continue
		}
		posts = append(posts, p)
	}
	now := s.now()
	for i := len(posts) - 1; i >= 0; i-- {
		if err := s.publish(ctx, pub, f.label, posts[i].toMention(now)); err != nil {
			return pageNewest, reached, err
		}
		f.remember(posts[i].ID, posts[i].created(), s.cfg.Overlap)
	}
	return pageNewest, reached, nil
}

// remember notes a published post; posts older than the overlap behind
// the newest are forgotten.
func (f *feed) remember(id string, at time.Time, overlap time.Duration) {
	if f.recent == nil {
		f.recent = map[string]time.Time{}
	}
	f.recent[id] = at
	if len(f.recent) <= maxRecent {
		return
	}
	var newest time.Time
	for _, t := range f.recent {
		if t.After(newest) {
			newest = t
		}
	}
	for k, t := range f.recent {
		if t.Before(newest.Add(-overlap)) || len(f.recent) > maxRecent {
			delete(f.recent, k)
		}
	}
}

func (s *Source) loadPosition(ctx context.Context, f *feed) error {
	if f.loaded {
		return nil
	}
	v, err := s.deps.Checkpoints.Load(ctx, f.key)
	if err != nil {
		return fmt.Errorf("load checkpoint %s: %w", f.key, err)
	}
	if len(v) > 0 {
		if err := json.Unmarshal(v, &f.pos); err != nil {
			s.log.Warn("checkpoint_unreadable", "feed", f.label, "error", err)
			f.pos = position{}
		}
	}
	f.loaded = true
	return nil
}

// savePosition flushes the publisher, then saves the position.
func (s *Source) savePosition(ctx context.Context, f *feed, pos position, pub ingest.Publisher) error {
	if pos == f.pos {
		return nil
	}
	if err := pub.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	v, err := json.Marshal(pos)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	if err := s.deps.Checkpoints.Save(ctx, f.key, v); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", f.key, err)
	}
	f.pos = pos
	return nil
}
