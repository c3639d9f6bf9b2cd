package twitter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gotwitter "github.com/dghubble/go-twitter/twitter"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// Stream tuning.
const (
	// stableAfter: a connection that lasted this long resets the backoff.
	stableAfter = time.Minute
	// streamCheckpointEvery: how often the time the stream was last up is
	// saved, so that a restart reports what it missed.
	streamCheckpointEvery = time.Minute
)

var errStalled = errors.New("stream stalled: no data nor keep-alive")

// streamCheckpoint is saved under "twitter/stream".
type streamCheckpoint struct {
	LastAt time.Time `json:"last_at"` // the stream was read up to this time
}

func (s *Source) streamKey() string { return Name + "/" + feedStream }

// runStream resolves the followed accounts, then keeps one statuses/filter
// connection open, reconnecting with backoff. Each disconnection is
// reported as a gap when the stream is back. It returns an error only
// when the stream cannot go on (a 4xx other than 420/429).
func (s *Source) runStream(ctx context.Context, pub ingest.Publisher) error {
	follow := s.resolveFollow(ctx, gotwitter.NewClient(s.restClient(ctx)))
	if ctx.Err() != nil {
		return nil
	}
	if len(s.stream.track) == 0 && len(follow) == 0 {
		return errors.New("twitter: stream: nothing to track and no account found to follow")
	}
	params := &gotwitter.StreamFilterParams{
		Track: s.stream.track, Follow: follow, Language: s.stream.langs, StallWarnings: gotwitter.Bool(true),
	}
	var down httpsrc.Outage
	s.loadStreamCheckpoint(ctx, &down)
	var b httpsrc.Backoff
	for ctx.Err() == nil {
		connectedAt, err := s.streamOnce(ctx, pub, params, &down)
		if ctx.Err() != nil {
			break
		}
		now := s.now()
		if !connectedAt.IsZero() && now.Sub(connectedAt) >= stableAfter {
			b.Reset()
		}
		kind := classify(err)
		if kind == httpsrc.FailFatal {
			s.log.Error("stream_failed", "error", err)
			down.Fail(now, httpsrc.ReasonRejected)
			if g, ok := down.End(now, Name, feedStream); ok {
				s.gaps.Report(ctx, g)
			}
			return fmt.Errorf("twitter: stream: %w", err)
		}
		down.Fail(now, kind.Reason())
		w := b.Next(kind, err, now)
		s.log.Warn("stream_disconnected", "error", err, "retry_in_seconds", w.Seconds())
		s.m.Waited.WithLabelValues(Name, endpointStream, kind.Reason()).Add(w.Seconds())
		s.m.Reconnects.WithLabelValues(Name).Inc()
		if err := s.sleep(ctx, w); err != nil {
			break
		}
	}
	now := s.now()
	if g, ok := down.End(now, Name, feedStream); ok {
		s.gaps.Report(ctx, g)
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	s.saveStreamCheckpoint(fctx, pub, now)
	return nil
}

// resolveFollow turns the watched screen names into the user ids follow
// needs (users/lookup, 100 at a time). Names not found are logged; a
// lookup that fails for good leaves the stream with track only.
func (s *Source) resolveFollow(ctx context.Context, client *gotwitter.Client) []string {
	var ids []string
	for batch := range slices.Chunk(s.stream.handles, maxLookupBatch) {
		var users []gotwitter.User
		err := s.call(ctx, feedStream, endpointLookup, func(context.Context) error {
			u, resp, err := client.Users.Lookup(&gotwitter.UserLookupParams{ScreenName: batch, IncludeEntities: gotwitter.Bool(false)})
			s.count(endpointLookup, resp, err)
			e, partial := libError(endpointLookup, resp, err)
			if e != nil && !partial {
				return e
			}
			users = u
			return nil
		})
		var he *httpsrc.HTTPError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &he) && he.Status == http.StatusNotFound:
			// users/lookup answers 404 when none of the names exists.
		case err != nil:
			s.log.Error("follow_lookup_failed", "handles", strings.Join(batch, ","), "error", err)
			continue
		}
		found := map[string]bool{}
		for _, u := range users {
			if id := tweetID(u.IDStr, u.ID); id != "" && len(ids) < maxFollow {
				ids = append(ids, id)
				found[strings.ToLower(u.ScreenName)] = true
			}
		}
		for _, h := range batch {
			if !found[h] {
				s.log.Warn("follow_account_not_found", "handle", h)
			}
		}
	}
	return ids
}

// streamState is what one connection keeps between messages.
type streamState struct {
	connectedAt time.Time
	limitTrack  int64     // the last limit notice's count (cumulative per connection)
	limitAt     time.Time // when it came
	end         error     // why the library stopped
	pubErr      error
	lastSave    time.Time
}

// streamOnce opens one connection through go-twitter and reads it until
// it ends. It returns when the connection was established (zero if it
// never was) and why it ended.
func (s *Source) streamOnce(ctx context.Context, pub ingest.Publisher, params *gotwitter.StreamFilterParams, down *httpsrc.Outage) (time.Time, error) {
	if w := s.rate.Wait(endpointStream, s.now()); w > 0 {
		s.m.Waited.WithLabelValues(Name, endpointStream, httpsrc.ReasonRateLimited).Add(w.Seconds())
		if err := s.sleep(ctx, w); err != nil {
			return time.Time{}, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	stall := s.cfg.Stream.StallTimeout
	timer := time.AfterFunc(stall, func() { stalled.Store(true); cancel() })
	defer timer.Stop()
	conn := &streamConn{next: &observe{next: s.chain, s: s}, ctx: cctx, timer: timer, stall: stall, up: make(chan struct{})}
	hc := *s.client
	hc.Timeout, hc.Transport = 0, conn
	stream, err := gotwitter.NewClient(&hc).Streams.Filter(params)
	if err != nil {
		return time.Time{}, fmt.Errorf("twitter api: %s: %w", endpointStream, err)
	}
	st := streamState{lastSave: s.now()}
	up := conn.up
	markUp := func() {
		up = nil
		st.connectedAt = s.now()
		if g, ok := down.End(st.connectedAt, Name, feedStream); ok {
			s.gaps.Report(ctx, g)
		}
		s.log.Info("stream_connected", "track", len(params.Track), "follow", len(params.Follow))
	}
loop:
	for {
		select {
		case <-up:
			markUp()
		case msg, ok := <-stream.Messages:
			if !ok {
				break loop
			}
			if up != nil {
				select {
				case <-up:
					markUp()
				default:
				}
			}
			if ctx.Err() != nil || st.pubErr != nil {
				continue // drain until the library stops
			}
			if err := s.handle(ctx, pub, msg, &st); err != nil {
				st.pubErr = err
				cancel()
			}
		}
	}
	stream.Stop()
	switch {
	case st.pubErr != nil:
		return st.connectedAt, st.pubErr
	case stalled.Load() && ctx.Err() == nil:
		return st.connectedAt, errStalled
	case st.end == nil:
		return st.connectedAt, errStreamEnded
	}
	var he *httpsrc.HTTPError
	if errors.As(st.end, &he) {
		return st.connectedAt, he
	}
	return st.connectedAt, st.end
}

// handle acts on one message of go-twitter's demuxer. Only a publisher
// error is returned.
func (s *Source) handle(ctx context.Context, pub ingest.Publisher, msg any, st *streamState) error {
	now := s.now()
	switch m := msg.(type) {
	case *gotwitter.Tweet:
		if m == nil {
			return nil
		}
		mm, err := convert(m, now)
		if err != nil {
			s.reject("malformed", clip(m.IDStr, 24), err)
			return nil
		}
		if err := s.publish(ctx, pub, mm, feedStream); err != nil {
			return err
		}
	case *gotwitter.StatusDeletion:
		s.m.Deletions.WithLabelValues(Name).Inc()
		if m != nil {
			if id := tweetID(m.IDStr, m.ID); id != "" {
				s.onDelete(ctx, IDPrefix+id)
			}
		}
	case *gotwitter.StreamLimit:
		// The count is of every post not delivered since the connection
		// opened: what is new since the last notice was missed now.
		if m != nil && m.Track > st.limitTrack {
			from := st.limitAt
			if from.IsZero() {
				from = st.connectedAt
			}
			s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: feedStream, From: from, To: now, Missed: m.Track - st.limitTrack, Reason: reasonStreamLimit})
			st.limitTrack, st.limitAt = m.Track, now
		}
	case *gotwitter.StreamDisconnect:
		if m != nil {
			s.log.Warn("stream_disconnect_notice", "code", m.Code, "reason", clip(m.Reason, 200))
		}
	case *gotwitter.StallWarning:
		if m != nil {
			s.log.Warn("stream_stall_warning", "code", clip(m.Code, 40), "percent_full", m.PercentFull)
		}
	case error:
		var ue *url.Error
		if errors.As(m, &ue) {
			st.end = ue.Err // the transport's: the connection is over
			return nil
		}
		s.reject("malformed", "", m) // a line that is not a JSON object
	case map[string]any:
		// go-twitter takes an object for a tweet only when it has a
		// retweet_count key; a v1.1-compatible endpoint may leave it out.
		t, ok := looseTweet(m)
		if !ok {
			s.log.Debug("stream_message_ignored", "keys", clip(strings.Join(slices.Sorted(maps.Keys(m)), ","), 200))
			break
		}
		return s.handle(ctx, pub, t, st)
	default:
		s.log.Debug("stream_message_ignored", "type", fmt.Sprintf("%T", msg))
	}
	if now.Sub(st.lastSave) >= streamCheckpointEvery {
		s.saveStreamCheckpoint(ctx, pub, now)
		st.lastSave = now
	}
	return nil
}

// observe counts the stream's connection attempts and reads their
// rate-limit headers.
type observe struct {
	next http.RoundTripper
	s    *Source
}

func (o *observe) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	if err != nil {
		o.s.m.Requests.WithLabelValues(Name, endpointStream, "error").Inc()
		return nil, err
	}
	o.s.m.Requests.WithLabelValues(Name, endpointStream, strconv.Itoa(resp.StatusCode)).Inc()
	o.s.rate.Update(endpointStream, resp.Header)
	return resp, nil
}

// loadStreamCheckpoint opens an outage from the time the stream was last
// read by an earlier run: it is reported once the stream is back.
func (s *Source) loadStreamCheckpoint(ctx context.Context, down *httpsrc.Outage) {
	if s.checkpts == nil {
		return
	}
	data, err := s.checkpts.Load(ctx, s.streamKey())
	if err != nil {
		s.log.Warn("checkpoint_load_failed", "feed", feedStream, "error", err)
		return
	}
	var cp streamCheckpoint
	if data == nil || json.Unmarshal(data, &cp) != nil || cp.LastAt.IsZero() || cp.LastAt.After(s.now()) {
		return
	}
	down.Fail(cp.LastAt, httpsrc.ReasonRestart)
}

// saveStreamCheckpoint flushes, then records that the stream was read up
// to at.
func (s *Source) saveStreamCheckpoint(ctx context.Context, pub ingest.Publisher, at time.Time) {
	if s.checkpts == nil {
		return
	}
	if err := pub.Flush(ctx); err != nil {
		s.log.Warn("stream_flush_failed", "error", err)
		return
	}
	data, _ := json.Marshal(streamCheckpoint{LastAt: at.UTC()})
	if err := s.checkpts.Save(ctx, s.streamKey(), data); err != nil {
		s.log.Warn("checkpoint_save_failed", "feed", feedStream, "error", err)
	}
}

// looseTweet decodes an object the demuxer did not recognise as a tweet
// when it has what a tweet needs: an id, created_at and a user.
func looseTweet(m map[string]any) (*gotwitter.Tweet, bool) {
	_, hasID := m["id_str"]
	_, hasCreated := m["created_at"]
	_, hasUser := m["user"]
	if !hasID || !hasCreated || !hasUser {
		return nil, false
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	t := new(gotwitter.Tweet)
	if err := json.Unmarshal(data, t); err != nil {
		return nil, false
	}
	return t, true
}
