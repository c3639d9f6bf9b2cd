package xapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// Stream tuning.
const (
	// maxStreamLine bounds one stream message (a long post with its
	// includes is a few tens of KiB).
	maxStreamLine = 4 << 20
	// stableAfter: a connection that lasted this long resets the backoff.
	stableAfter = time.Minute
	// streamCheckpointEvery: how often the time the stream was last up is
	// saved, so that a restart reports what it missed.
	streamCheckpointEvery = time.Minute
)

var (
	errStreamEnded = errors.New("stream closed by the server")
	errStalled     = errors.New("stream stalled: no data nor keep-alive")
)

// streamMessage is one line of the filtered stream: a post with its
// includes and the rules it matched, or error objects (an operational
// disconnect is announced this way before the connection closes).
type streamMessage struct {
	Data          json.RawMessage `json:"data"`
	Includes      includes        `json:"includes"`
	Errors        []streamError   `json:"errors"`
	MatchingRules []struct {
		ID  string `json:"id"`
		Tag string `json:"tag"`
	} `json:"matching_rules"`
}

type streamError struct {
	Title           string `json:"title"`
	Detail          string `json:"detail"`
	Type            string `json:"type"`
	DisconnectType  string `json:"disconnect_type"`
	ConnectionIssue string `json:"connection_issue"`
}

// streamCheckpoint is saved under "xapi/stream".
type streamCheckpoint struct {
	LastAt time.Time `json:"last_at"` // the stream was read up to this time
}

func (s *Source) streamKey() string { return Name + "/" + feedStream }

// runStream syncs the rules, then keeps one connection to the filtered
// stream open, reconnecting with backoff. Each disconnection is reported
// as a gap when the stream is back (minus what backfill_minutes replays).
// It returns an error only when the stream cannot go on (a 4xx).
func (s *Source) runStream(ctx context.Context, pub ingest.Publisher) error {
	if err := s.call(ctx, feedStream, endpointRules, s.syncRules); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		s.log.Error("stream_rules_failed", "error", err)
		now := s.now()
		s.gaps.Report(ctx, ingest.Gap{Source: Name, Feed: feedStream, From: now, To: now, Reason: httpsrc.ReasonRejected})
		return fmt.Errorf("xapi: stream: %w", err)
	}
	var down httpsrc.Outage
	s.loadStreamCheckpoint(ctx, &down)
	var b httpsrc.Backoff
	for ctx.Err() == nil {
		connectedAt, err := s.streamOnce(ctx, pub, &down)
		if ctx.Err() != nil {
			break
		}
		now := s.now()
		if !connectedAt.IsZero() && now.Sub(connectedAt) >= stableAfter {
			b.Reset()
		}
		kind := httpsrc.Classify(err)
		if kind == httpsrc.FailFatal {
			s.log.Error("stream_failed", "error", err)
			down.Fail(now, httpsrc.ReasonRejected)
			if g, ok := down.End(now, Name, feedStream); ok {
				s.gaps.Report(ctx, g)
			}
			return fmt.Errorf("xapi: stream: %w", err)
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

// streamOnce opens one connection and reads it until it ends. It returns
// when the connection was established (zero if it never was) and why it
// ended.
func (s *Source) streamOnce(ctx context.Context, pub ingest.Publisher, down *httpsrc.Outage) (time.Time, error) {
	q := url.Values{"expansions": {expansions}, "tweet.fields": {tweetFields}, "user.fields": {userFields}}
	backfill := time.Duration(0)
	if n := s.cfg.Stream.BackfillMinutes; n > 0 && !down.Since().IsZero() {
		q.Set("backfill_minutes", strconv.Itoa(n))
		backfill = time.Duration(n) * time.Minute
	}
	if w := s.rate.Wait(endpointStream, s.now()); w > 0 {
		s.m.Waited.WithLabelValues(Name, endpointStream, httpsrc.ReasonRateLimited).Add(w.Seconds())
		if err := s.sleep(ctx, w); err != nil {
			return time.Time{}, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The stall timer runs from the request on: a server that never
	// answers is a stall too.
	var stalled atomic.Bool
	stall := s.cfg.Stream.StallTimeout
	timer := time.AfterFunc(stall, func() { stalled.Store(true); cancel() })
	defer timer.Stop()
	req, err := s.newRequest(cctx, http.MethodGet, pathStream, q, nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := s.streamHTTP.Do(req)
	if err != nil {
		s.m.Requests.WithLabelValues(Name, endpointStream, "error").Inc()
		if stalled.Load() && ctx.Err() == nil {
			return time.Time{}, fmt.Errorf("x api: %s: no answer in %s: %w", endpointStream, stall, errStalled)
		}
		return time.Time{}, fmt.Errorf("x api: %s: %w", endpointStream, err)
	}
	defer resp.Body.Close()
	s.m.Requests.WithLabelValues(Name, endpointStream, strconv.Itoa(resp.StatusCode)).Inc()
	s.rate.Update(endpointStream, resp.Header)
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return time.Time{}, newHTTPError(endpointStream, resp, data)
	}
	connectedAt := s.now()
	if g, ok := down.End(connectedAt, Name, feedStream); ok {
		if backfill > 0 {
			// X replays the last minutes: only what is older is lost.
			g.To = g.To.Add(-backfill)
		}
		if g.To.After(g.From) {
			s.gaps.Report(ctx, g)
		} else {
			s.log.Info("stream_gap_backfilled", "from", g.From, "to", connectedAt)
		}
	}
	s.log.Info("stream_connected")
	timer.Reset(stall)
	br := bufio.NewReaderSize(&activityReader{r: resp.Body, timer: timer, d: stall}, 64<<10)
	err = s.readStream(ctx, pub, br)
	if stalled.Load() && ctx.Err() == nil {
		err = errStalled
	}
	return connectedAt, err
}

// activityReader pushes the stall timer back at every byte received
// (posts and keep-alives alike).
type activityReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.timer.Reset(a.d)
	}
	return n, err
}

// readStream handles messages until the connection ends. Messages are
// "\r\n"-terminated; blank lines are keep-alives.
func (s *Source) readStream(ctx context.Context, pub ingest.Publisher, br *bufio.Reader) error {
	lastSave := s.now()
	for {
		line, tooLong, err := readLine(br, maxStreamLine)
		if errors.Is(err, io.EOF) {
			return errStreamEnded
		}
		if err != nil {
			return fmt.Errorf("x api: %s: read: %w", endpointStream, err)
		}
		if tooLong {
			s.reject("malformed", "", fmt.Errorf("stream message over %d bytes", maxStreamLine))
			continue
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			if err := s.handleStreamLine(ctx, pub, line); err != nil {
				return err
			}
		}
		if now := s.now(); now.Sub(lastSave) >= streamCheckpointEvery {
			s.saveStreamCheckpoint(ctx, pub, now)
			lastSave = now
		}
	}
}

// handleStreamLine publishes the post of one message. A message that does
// not decode is counted and skipped; only a publisher error is returned.
func (s *Source) handleStreamLine(ctx context.Context, pub ingest.Publisher, line []byte) error {
	var msg streamMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		s.reject("malformed", "", err)
		return nil
	}
	for _, e := range msg.Errors {
		s.log.Warn("stream_error_message", "title", clip(e.Title, 100), "detail", clip(e.Detail, 300),
			"disconnect_type", clip(e.DisconnectType, 100), "connection_issue", clip(e.ConnectionIssue, 100))
	}
	if len(msg.Data) == 0 || bytes.Equal(msg.Data, []byte("null")) {
		if len(msg.Errors) == 0 {
			s.log.Debug("stream_message_ignored", "bytes", len(line))
		}
		return nil
	}
	_, err := s.publishTweets(ctx, pub, []json.RawMessage{msg.Data}, msg.Includes, feedStream)
	return err
}

// readLine returns the next line, with its end of line. A line longer
// than max is read to its end and reported as tooLong. A last line
// without "\n" is incomplete (the connection dropped) and returns the
// read error.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	frag, err := br.ReadSlice('\n')
	if err == nil {
		if len(frag) > max {
			return nil, true, nil
		}
		return frag, false, nil
	}
	var buf []byte
	for errors.Is(err, bufio.ErrBufferFull) {
		if !tooLong {
			if len(buf)+len(frag) > max {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, frag...)
			}
		}
		frag, err = br.ReadSlice('\n')
	}
	if err != nil {
		return nil, false, err
	}
	if tooLong || len(buf)+len(frag) > max {
		return nil, true, nil
	}
	return append(buf, frag...), false, nil
}
