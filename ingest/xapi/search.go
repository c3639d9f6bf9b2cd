package xapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// searchPage is a GET /2/tweets/search/recent answer.
type searchPage struct {
	Data     []json.RawMessage `json:"data"`
	Includes includes          `json:"includes"`
	Errors   []partialError    `json:"errors"`
	Meta     struct {
		NewestID    string `json:"newest_id"`
		OldestID    string `json:"oldest_id"`
		ResultCount int    `json:"result_count"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

// checkpoint is what is saved per search query.
type checkpoint struct {
	SinceID  string    `json:"since_id"`
	NewestAt time.Time `json:"newest_at,omitzero"` // created_at of the post since_id names
	Query    string    `json:"query,omitempty"`    // for humans: what the since_id was for
}

// searchFeed is the running state of one query.
type searchFeed struct {
	searchQuery
	key     string // checkpoint key
	loaded  bool
	since   string
	sinceAt time.Time
	dead    bool
}

func (f *searchFeed) name() string { return feedSearch + ":" + f.watch + "/" + strconv.Itoa(f.n) }

// runSearch polls every query, one after the other (they share the
// endpoint's rate limit), every Interval. It returns an error only when
// every query has failed for good.
func (s *Source) runSearch(ctx context.Context, pub ingest.Publisher) error {
	feeds := make([]*searchFeed, len(s.queries))
	for i, q := range s.queries {
		feeds[i] = &searchFeed{searchQuery: q, key: Name + "/search/" + q.watch + "/" + strconv.Itoa(q.n)}
	}
	for {
		for _, f := range feeds {
			if f.dead {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			if !f.loaded {
				if err := s.loadCheckpoint(ctx, f); err != nil {
					s.log.Warn("checkpoint_load_failed", "feed", f.name(), "error", err)
					continue
				}
			}
			err := s.poll(ctx, pub, f)
			switch {
			case err == nil, ctx.Err() != nil:
			case httpsrc.Classify(err) == httpsrc.FailFatal && isHTTP(err):
				f.dead = true
				s.log.Error("search_query_failed", "feed", f.name(), "query", f.query, "error", err)
				now := s.now()
				s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: f.name(), From: now, To: now, Reason: httpsrc.ReasonRejected})
			default:
				s.log.Warn("search_poll_failed", "feed", f.name(), "error", err)
			}
		}
		if !slices.ContainsFunc(feeds, func(f *searchFeed) bool { return !f.dead }) {
			return errors.New("xapi: search: every query failed, see the log")
		}
		if err := s.sleep(ctx, s.cfg.Search.Interval); err != nil {
			return nil
		}
	}
}

func isHTTP(err error) bool {
	var he *httpsrc.HTTPError
	return errors.As(err, &he)
}

func (s *Source) loadCheckpoint(ctx context.Context, f *searchFeed) error {
	data, err := s.checkpts.Load(ctx, f.key)
	if err != nil {
		return err
	}
	f.loaded = true
	if data == nil {
		return nil
	}
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil || !isID(cp.SinceID) {
		s.log.Warn("checkpoint_ignored", "feed", f.name(), "reason", "unreadable")
		return nil
	}
	f.since, f.sinceAt = cp.SinceID, cp.NewestAt
	if cp.Query != f.query {
		s.log.Info("search_query_changed", "feed", f.name(), "since_id", cp.SinceID)
	}
	return nil
}

// poll reads what is new for one query: every page after since_id (the
// first time, only the newest page), publishes it, flushes, then saves
// the newest id.
func (s *Source) poll(ctx context.Context, pub ingest.Publisher, f *searchFeed) error {
	q := url.Values{
		"query":        {f.query},
		"max_results":  {strconv.Itoa(s.cfg.Search.MaxResults)},
		"expansions":   {expansions},
		"tweet.fields": {tweetFields},
		"user.fields":  {userFields},
	}
	if f.since != "" {
		q.Set("since_id", f.since)
	}
	newest, newestAt := f.since, f.sinceAt
	var oldestAt time.Time
	for page := 1; ; page++ {
		var resp searchPage
		err := s.call(ctx, f.name(), endpointSearch, func(ctx context.Context) error {
			resp = searchPage{}
			return s.doJSON(ctx, endpointSearch, http.MethodGet, pathSearch, q, nil, &resp)
		})
		if err != nil {
			if f.since != "" && isParamError(err, "since_id") {
				// Recent search goes back 7 days: an older since_id is
				// refused. Start again from the newest posts.
				s.log.Warn("search_checkpoint_expired", "feed", f.name(), "since_id", f.since, "error", err)
				now := s.now()
				s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: f.name(), From: f.sinceAt, To: now, Reason: reasonExpired})
				f.since, f.sinceAt = "", time.Time{}
				return nil
			}
			return err
		}
		for _, pe := range resp.Errors {
			s.log.Debug("search_partial_error", "feed", f.name(), "title", clip(pe.Title, 100), "resource_type", pe.ResourceType, "resource_id", clip(pe.ResourceID, 40))
		}
		st, err := s.publishTweets(ctx, pub, resp.Data, resp.Includes, feedSearch)
		if err != nil {
			return err
		}
		// meta.newest_id also covers posts that were skipped, so that a
		// malformed post is not fetched again at every poll.
		cand, candAt := st.newestID, st.newestAt
		if isID(resp.Meta.NewestID) && newerID(resp.Meta.NewestID, cand) {
			cand = resp.Meta.NewestID
		}
		if newerID(cand, newest) {
			newest = cand
			if !candAt.IsZero() {
				newestAt = candAt
			}
		}
		if !st.oldestAt.IsZero() {
			oldestAt = st.oldestAt
		}
		if resp.Meta.NextToken == "" || f.since == "" {
			break
		}
		if page >= s.cfg.Search.MaxPages {
			// More is waiting than one poll reads: what lies between the
			// checkpoint and the oldest post read is skipped.
			s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: f.name(), From: f.sinceAt, To: oldestAt, Reason: httpsrc.ReasonPageLimit})
			break
		}
		q.Set("pagination_token", resp.Meta.NextToken)
	}
	if newest == f.since {
		return nil
	}
	if err := pub.Flush(ctx); err != nil {
		return fmt.Errorf("xapi: %s: flush: %w", f.name(), err)
	}
	data, err := json.Marshal(checkpoint{SinceID: newest, NewestAt: newestAt, Query: f.query})
	if err != nil {
		return fmt.Errorf("xapi: %s: checkpoint: %w", f.name(), err)
	}
	f.since, f.sinceAt = newest, newestAt
	if err := s.checkpts.Save(ctx, f.key, data); err != nil {
		return fmt.Errorf("xapi: %s: save checkpoint: %w", f.name(), err)
	}
	return nil
}

// pageStats sums up what publishTweets saw.
type pageStats struct {
	published int
	newestID  string
	newestAt  time.Time
	oldestAt  time.Time
}

// publishTweets converts and publishes the tweets of one answer. Objects
// that do not decode or convert are counted and skipped; only a
// publisher error stops it.
func (s *Source) publishTweets(ctx context.Context, pub ingest.Publisher, data []json.RawMessage, inc includes, feed string) (pageStats, error) {
	var st pageStats
	if len(data) == 0 {
		return st, nil
	}
	l := newLookup(inc)
	if l.bad > 0 {
		s.m.Rejected.WithLabelValues(Name, "malformed").Add(float64(l.bad))
	}
	now := s.now()
	for _, raw := range data {
		t, err := decodeTweet(raw)
		if err != nil {
			s.reject("malformed", "", err)
			continue
		}
		m, err := convert(t, l, now)
		if err != nil {
			s.reject("malformed", clip(t.ID, 24), err)
			continue
		}
		if newerID(t.ID, st.newestID) {
			st.newestID, st.newestAt = t.ID, m.CreatedAt
		}
		if st.oldestAt.IsZero() || m.CreatedAt.Before(st.oldestAt) {
			st.oldestAt = m.CreatedAt
		}
		if err := s.publish(ctx, pub, m, feed); err != nil {
			return st, err
		}
		st.published++
	}
	return st, nil
}
