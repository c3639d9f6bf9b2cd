package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// checkpoint is what is saved per search query.
type checkpoint struct {
	SinceID  string    `json:"since_id"`
	NewestAt time.Time `json:"newest_at,omitzero"` // created_at of the post since_id names
	Query    string    `json:"query,omitempty"`    // for humans: what the since_id was for
}

// searchFeed is the running state of one query.
type searchFeed struct {
	searchQuery
	key     string
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
	client := gotwitter.NewClient(s.restClient(ctx))
	feeds := make([]*searchFeed, len(s.searches))
	for i, q := range s.searches {
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
			err := s.poll(ctx, client, pub, f)
			switch {
			case err == nil, ctx.Err() != nil:
			case isHTTP(err) && classify(err) == httpsrc.FailFatal:
				f.dead = true
				s.log.Error("search_query_failed", "feed", f.name(), "query", f.query, "error", err)
				now := s.now()
				s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: f.name(), From: now, To: now, Reason: httpsrc.ReasonRejected})
			default:
				s.log.Warn("search_poll_failed", "feed", f.name(), "error", err)
			}
		}
		if !slices.ContainsFunc(feeds, func(f *searchFeed) bool { return !f.dead }) {
			return errors.New("twitter: search: every query failed, see the log")
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

// poll reads what is new for one query: every page after since_id,
// walking back with max_id (the first time, only the newest page),
// publishes it, flushes, then saves the newest id.
func (s *Source) poll(ctx context.Context, client *gotwitter.Client, pub ingest.Publisher, f *searchFeed) error {
	params := &gotwitter.SearchTweetParams{
		Query: f.query, Count: s.cfg.Search.Count, ResultType: "recent", TweetMode: "extended",
		IncludeEntities: gotwitter.Bool(true), Lang: f.lang,
	}
	if f.since != "" {
		params.SinceID, _ = strconv.ParseInt(f.since, 10, 64)
	}
	newest, newestAt := f.since, f.sinceAt
	var oldestAt time.Time
	for page := 1; ; page++ {
		var res *gotwitter.Search
		err := s.call(ctx, f.name(), endpointSearch, func(context.Context) error {
			r, resp, err := client.Search.Tweets(params)
			s.count(endpointSearch, resp, err)
			e, partial := libError(endpointSearch, resp, err)
			if e != nil && !partial {
				return e
			}
			if partial {
				// Some field had the wrong type: what decoded is kept,
				// convert drops the posts that lack what it needs.
				s.log.Warn("search_page_partly_malformed", "feed", f.name(), "error", e)
			}
			res = r
			return nil
		})
		if err != nil {
			return err
		}
		if res == nil {
			res = &gotwitter.Search{}
		}
		st, err := s.publishTweets(ctx, pub, res.Statuses, feedSearch)
		if err != nil {
			return err
		}
		if newerID(st.newestID, newest) {
			newest = st.newestID
			if !st.newestAt.IsZero() {
				newestAt = st.newestAt
			}
		}
		if !st.oldestAt.IsZero() {
			oldestAt = st.oldestAt
		}
		if f.since == "" || st.minID <= 1 || res.Metadata == nil || res.Metadata.NextResults == "" {
			break
		}
		if page >= s.cfg.Search.MaxPages {
			s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: f.name(), From: f.sinceAt, To: oldestAt, Reason: httpsrc.ReasonPageLimit})
			break
		}
		params.MaxID = st.minID - 1
	}
	if newest == f.since {
		return nil
	}
	if err := pub.Flush(ctx); err != nil {
		return fmt.Errorf("twitter: %s: flush: %w", f.name(), err)
	}
	data, err := json.Marshal(checkpoint{SinceID: newest, NewestAt: newestAt, Query: f.query})
	if err != nil {
		return fmt.Errorf("twitter: %s: checkpoint: %w", f.name(), err)
	}
	f.since, f.sinceAt = newest, newestAt
	if err := s.checkpts.Save(ctx, f.key, data); err != nil {
		return fmt.Errorf("twitter: %s: save checkpoint: %w", f.name(), err)
	}
	return nil
}

// pageStats sums up what publishTweets saw.
type pageStats struct {
	published int
	newestID  string
	newestAt  time.Time
	oldestAt  time.Time
	minID     int64 // smallest id on the page, valid or not: where max_id goes on
}

// publishTweets converts and publishes tweets. A tweet that does not
// convert is counted and skipped; only a publisher error stops it.
func (s *Source) publishTweets(ctx context.Context, pub ingest.Publisher, tweets []gotwitter.Tweet, feed string) (pageStats, error) {
	var st pageStats
	now := s.now()
	for i := range tweets {
		t := &tweets[i]
		if id, err := strconv.ParseInt(tweetID(t.IDStr, t.ID), 10, 64); err == nil && (st.minID == 0 || id < st.minID) {
			st.minID = id
		}
		if id := tweetID(t.IDStr, t.ID); newerID(id, st.newestID) {
			st.newestID = id // skipped posts count too: never fetched again
		}
		m, err := convert(t, now)
		if err != nil {
			s.reject("malformed", clip(t.IDStr, 24), err)
			continue
		}
		if m.ID == IDPrefix+st.newestID {
			st.newestAt = m.CreatedAt
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

// newerID reports whether id a is after id b (decimal, no sign): tweet
// ids grow with time.
func newerID(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
