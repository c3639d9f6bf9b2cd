package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
)

// Jetstream: every new post of the network, kept when a watch matches.
const (
	jetstreamKey      = Name + "/jetstream"
	endpointJetstream = "jetstream"
	// jetstreamRewind re-reads this much before the checkpoint on
	// reconnection; the publish dedup window absorbs the overlap.
	jetstreamRewind = 5 * time.Second
	// Commit (flush, save the cursor) after this many published posts or
	// read events, or when the connection has nothing more buffered.
	jetCommitPublished = 100
	jetCommitEvents    = 5000
	// jetMaxJump is how far past the requested cursor the first event may
	// be before the difference is reported as a gap (the relay no longer
	// had those events).
	jetMaxJump = 5 * time.Minute
)

// jetEvent is a Jetstream event (kind commit, identity or account).
type jetEvent struct {
	DID    string `json:"did"`
	TimeUS int64  `json:"time_us"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string          `json:"operation"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	} `json:"commit"`
}

// jetPost decodes a Jetstream event into the mention of the post it
// creates or updates; nil, nil for any other event.
func jetPost(data []byte, now time.Time) (*jetEvent, *mention.Mention, error) {
	var ev jetEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, nil, err
	}
	c := ev.Commit
	if ev.Kind != "commit" || c == nil || c.Collection != postCollection || (c.Operation != "create" && c.Operation != "update") {
		return &ev, nil, nil
	}
	u, ok := parseATURI("at://" + ev.DID + "/" + c.Collection + "/" + c.RKey)
	if !ok {
		return &ev, nil, fmt.Errorf("commit %s/%s: %w", ev.DID, c.RKey, errNotPost)
	}
	var rec postRecord
	if err := json.Unmarshal(c.Record, &rec); err != nil {
		return &ev, nil, fmt.Errorf("commit %s/%s: record: %w", ev.DID, c.RKey, err)
	}
	m := recordMention(u, &rec, now)
	var seen time.Time
	if ev.TimeUS > 0 {
		seen = time.UnixMicro(ev.TimeUS).UTC()
	}
	m.CreatedAt = eventTime(parseTime(rec.CreatedAt), seen)
	return &ev, m, nil
}

// jetstreamLoop follows Jetstream, reconnecting with the saved cursor
// (minus jetstreamRewind) so that a disconnection loses nothing within
// the relay's retention.
func (s *Source) jetstreamLoop(ctx context.Context, pub *lockedPublisher) {
	jc := &client{s: s} // its own rate-limit state: another host than the XRPC service
	var cursor int64
	for attempt := 0; ctx.Err() == nil; {
		v, err := s.deps.Checkpoints.Load(ctx, jetstreamKey)
		if err == nil {
			cursor, _ = strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
			break
		}
		s.log.Error("checkpoint_load_failed", "feed", "jetstream", "error", err)
		if s.sleep(ctx, s.backoff(attempt)) != nil {
			return
		}
		attempt++
	}
	attempt := 0
	for ctx.Err() == nil {
		delivered, err := s.followJetstream(ctx, jc, pub, &cursor)
		if ctx.Err() != nil {
			return
		}
		if delivered {
			attempt = 0
		}
		var rl *httpsrc.RateLimitError
		var se *statusError
		wait := s.backoff(attempt)
		switch {
		case errors.As(err, &rl):
			jc.block(ctx, rl.Until, "jetstream")
			wait = 0
		case errors.As(err, &se):
			s.log.Error("jetstream_refused", "error", err)
			wait = s.cfg.BackoffMax
		default:
			s.log.Warn("jetstream_disconnected", "error", err)
		}
		attempt++
		if wait > 0 {
			s.met.Waited.WithLabelValues(endpointJetstream, "outage").Add(wait.Seconds())
		}
		if wait > 0 && s.sleep(ctx, wait) != nil {
			return
		}
		if jc.waitUnblocked(ctx, endpointJetstream) != nil {
			return
		}
		s.met.Reconnects.Inc()
	}
}

// jetstreamURL is the subscription URL: posts only, from cursor.
func (s *Source) jetstreamURL(cursor int64) string {
	u := s.cfg.Jetstream.URL
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "wantedCollections=" + postCollection
	if cursor > 0 {
		u += "&cursor=" + strconv.FormatInt(max(cursor-jetstreamRewind.Microseconds(), 1), 10)
	}
	return u
}

// followJetstream reads one connection until it ends.
func (s *Source) followJetstream(ctx context.Context, jc *client, pub *lockedPublisher, cursor *int64) (delivered bool, err error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conn, resp, err := wsDial(cctx, s.streamHTTP, s.jetstreamURL(*cursor), http.Header{"User-Agent": {s.cfg.UserAgent}})
	if err != nil {
		s.met.Requests.WithLabelValues(endpointJetstream, "error").Inc()
		return false, err
	}
	s.met.Requests.WithLabelValues(endpointJetstream, strconv.Itoa(resp.StatusCode)).Inc()
	if conn == nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := jc.classify(resp, body, s.now()); err != nil {
			return false, err
		}
		return false, &statusError{Code: resp.StatusCode, Msg: "no WebSocket upgrade"}
	}
	msgs := make(chan []byte, 256)
	done := make(chan error, 1)
	go func() {
		defer close(msgs)
		for {
			op, msg, err := conn.next()
			if err != nil {
				done <- err
				return
			}
			if op != opText {
				continue
			}
			select {
			case msgs <- msg:
			case <-cctx.Done():
				done <- cctx.Err()
				return
			}
		}
	}()
	defer func() {
		cancel()
		conn.close()
		for range msgs {
		}
	}()

	idle := time.NewTimer(s.cfg.Jetstream.IdleTimeout)
	defer idle.Stop()
	var events, published int
	last := *cursor
	commit := func() {
		if last == *cursor {
			return
		}
		if err := pub.Flush(ctx); err != nil {
			if ctx.Err() == nil {
				s.log.Error("checkpoint_failed", "feed", "jetstream", "error", err)
			}
			return
		}
		if err := s.deps.Checkpoints.Save(ctx, jetstreamKey, []byte(strconv.FormatInt(last, 10))); err != nil {
			if ctx.Err() == nil {
				s.log.Error("checkpoint_failed", "feed", "jetstream", "error", err)
			}
			return
		}
		*cursor, events, published = last, 0, 0
	}
	var matches []string
	for {
		select {
		case <-ctx.Done():
			return delivered, ctx.Err()
		case <-idle.C:
			commit()
			return delivered, errors.New("jetstream idle: nothing received")
		case msg, ok := <-msgs:
			if !ok {
				commit()
				return delivered, <-done
			}
			idle.Reset(s.cfg.Jetstream.IdleTimeout)
			events++
			ev, m, err := jetPost(msg, s.now())
			if !delivered && ev != nil {
				s.checkResume(ctx, *cursor, ev.TimeUS)
			}
			delivered = true
			switch {
			case err != nil:
				s.reject("jetstream", "malformed", "", err)
			case ev.Kind == "commit" && m != nil:
				s.met.StreamEvents.WithLabelValues("post").Inc()
				doc := watch.DocOf(m)
				if matches = s.deps.Watches.Match(&doc, matches[:0]); len(matches) > 0 {
					if err := s.publish(ctx, pub, "jetstream", m); err != nil {
						return delivered, err
					}
					published++
				}
			default:
				kind := eventKind(ev)
				s.met.StreamEvents.WithLabelValues(kind).Inc()
				if kind == "delete" {
					s.met.Deletions.Inc()
				}
			}
			if ev != nil && ev.TimeUS > last {
				last = ev.TimeUS
			}
			if published >= jetCommitPublished || events >= jetCommitEvents || len(msgs) == 0 {
				commit()
			}
		}
	}
}

// checkResume reports a gap when the first event after a reconnection
// is far past the cursor asked for: the relay no longer kept the events
// in between.
func (s *Source) checkResume(ctx context.Context, cursor, first int64) {
	if cursor <= 0 || first <= 0 {
		return
	}
	from, to := time.UnixMicro(cursor).UTC(), time.UnixMicro(first).UTC()
	if to.Sub(from) <= jetMaxJump {
		return
	}
	s.log.Warn("jetstream_resumed_late", "cursor", from, "first_event", to)
	s.deps.Gaps.Report(ctx, ingest.Gap{Source: Name, Feed: "jetstream", From: from, To: to, Reason: "stream_gap"})
}

func eventKind(ev *jetEvent) string {
	switch ev.Kind {
	case "identity", "account":
		return ev.Kind
	case "commit":
		if ev.Commit != nil && ev.Commit.Operation == "delete" {
			return "delete"
		}
	}
	return "other"
}
