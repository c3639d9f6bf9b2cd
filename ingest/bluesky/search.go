package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// maxRecent bounds the ids a feed remembers to skip re-reads within the
// overlap.
const maxRecent = 20000

// position is a search feed's checkpoint. Everything up to Newest (a
// sortAt time) was read. A catch-up that needed more than MaxPages pages
// left Cursor to resume from, and Head, the newest post it saw, which
// becomes Newest once the catch-up reaches the old Newest.
type position struct {
	Newest time.Time `json:"newest,omitzero"`
	Cursor string    `json:"cursor,omitempty"`
	Head   time.Time `json:"head,omitzero"`
}

// searchPage is app.bsky.feed.searchPosts' output.
type searchPage struct {
	Cursor string            `json:"cursor"`
	Posts  []json.RawMessage `json:"posts"`
}

func decodeSearchPage(body []byte) (*searchPage, error) {
	var p searchPage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("searchPosts: %w", err)
	}
	return &p, nil
}

// pollSearch reads the posts of one query that are new since its
// checkpoint: newest first (sort=latest, since the checkpoint minus the
// overlap), page after page with the cursor, until it reaches the
// checkpoint or MaxPages. After each page the publisher is flushed and
// the position saved. Without a checkpoint only the newest page is read.
func (s *Source) pollSearch(ctx context.Context, f *feed, pub *lockedPublisher) error {
	if err := s.loadPosition(ctx, f); err != nil {
		return err
	}
	pos := f.pos
	first := pos.Newest.IsZero() && pos.Cursor == ""
	var floor time.Time
	if !pos.Newest.IsZero() {
		floor = pos.Newest.Add(-s.cfg.Overlap)
	}
	cursor, head := pos.Cursor, pos.Head
	for page := 0; page < s.cfg.MaxPages; page++ {
		q := url.Values{}
		q.Set("q", f.query.Q)
		q.Set("sort", "latest")
		q.Set("limit", strconv.Itoa(s.cfg.PageLimit))
		if f.query.Lang != "" {
			q.Set("lang", f.query.Lang)
		}
		if !floor.IsZero() {
			q.Set("since", floor.Format(time.RFC3339))
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, err := s.xrpc.get(ctx, &f.health, f.label, "app.bsky.feed.searchPosts", q.Encode())
		if err != nil {
			if cursor != "" && isBadCursor(err) {
				// The cursor expired: start again from the newest post;
				// what was read is skipped, nothing older is lost.
				s.log.Warn("cursor_rejected_restarting", "feed", f.label, "error", err)
				f.pos.Cursor, f.pos.Head, cursor = "", time.Time{}, ""
				continue
			}
			return err
		}
		sp, err := decodeSearchPage(body)
		if err != nil {
			s.met.Rejected.WithLabelValues("malformed").Inc()
			return fmt.Errorf("%s: %w", f.label, err)
		}
		newest, reached, err := s.publishPosts(ctx, f, sp.Posts, floor, pub)
		if err != nil {
			return err
		}
		if newest.After(head) {
			head = newest
		}
		done := first || reached || sp.Cursor == "" || len(sp.Posts) == 0
		next := position{Newest: pos.Newest, Cursor: sp.Cursor, Head: head}
		if done {
			next = position{Newest: maxTime(pos.Newest, head)}
		}
		if err := s.savePosition(ctx, f, next, pub); err != nil {
			return err
		}
		if done {
			return nil
		}
		cursor = sp.Cursor
	}
	s.log.Info("backlog_continues", "feed", f.label, "pages", s.cfg.MaxPages)
	return nil
}

// publishPosts publishes the posts of a page that are not older than
// floor and were not published in the overlap already. It returns the
// newest sortAt seen and whether the page reached floor.
func (s *Source) publishPosts(ctx context.Context, f *feed, raws []json.RawMessage, floor time.Time, pub *lockedPublisher) (newest time.Time, reached bool, err error) {
	var posts []*postView
	for _, raw := range raws {
		p, err := decodePost(raw)
		if err != nil {
			s.reject(f.label, "malformed", "", err)
			continue
		}
		t := p.sortAt()
		if t.After(newest) {
			newest = t
		}
		if !floor.IsZero() && t.Before(floor) {
			reached = true
			continue
		}
		if _, seen := f.recent[p.URI]; seen {
			continue
		}
		posts = append(posts, p)
	}
	followers := s.profiles.followers(ctx, posts)
	now := s.now()
	// Oldest first, as they were written.
	for i := len(posts) - 1; i >= 0; i-- {
		p := posts[i]
		if err := s.publish(ctx, pub, f.label, p.toMention(now, followers[p.Author.DID])); err != nil {
			return newest, reached, err
		}
		f.remember(p.URI, p.sortAt())
	}
	return newest, reached, nil
}

// remember notes a published post, forgetting those older than the
// overlap behind the newest.
func (f *feed) remember(uri string, t time.Time) {
	if f.recent == nil {
		f.recent = map[string]time.Time{}
	}
	f.recent[uri] = t
	if len(f.recent) <= maxRecent {
		return
	}
	var newest time.Time
	for _, v := range f.recent {
		newest = maxTime(newest, v)
	}
	cut := newest.Add(-f.overlap)
	for k, v := range f.recent {
		if v.Before(cut) {
			delete(f.recent, k)
		}
	}
	for k := range f.recent { // still too many within the overlap
		if len(f.recent) <= maxRecent/2 {
			break
		}
		delete(f.recent, k)
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
			// A checkpoint from another version: start from the newest.
			s.log.Warn("checkpoint_unreadable", "feed", f.label, "error", err)
			f.pos = position{}
		}
	}
	f.loaded = true
	return nil
}

// savePosition flushes the publisher, then saves the position.
func (s *Source) savePosition(ctx context.Context, f *feed, pos position, pub *lockedPublisher) error {
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

// isBadCursor reports a 400 that may come from an expired cursor.
func isBadCursor(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.Code == 400 && (se.Name == "InvalidRequest" || se.Name == "BadQueryString")
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
