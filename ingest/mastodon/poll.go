package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// pollFeed reads what is new on one timeline since its checkpoint, page
// by page and oldest page first (min_id paging), saving the checkpoint
// after each page once the publisher has flushed it. Without a
// checkpoint it starts from the newest page: no history is backfilled.
func (s *Source) pollFeed(ctx context.Context, in *instance, f *feed, pub *lockedPublisher) error {
	if err := s.loadCheckpoint(ctx, f); err != nil {
		return err
	}
	path, err := s.timelinePath(ctx, in, f)
	if err != nil {
		return err
	}
	for page := 0; page < s.cfg.MaxPages; page++ {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(s.cfg.PageLimit))
		if f.kind == "tag" && in.cfg.LocalOnly {
			q.Set("local", "true")
		}
		first := f.minID == ""
		if !first {
			q.Set("min_id", f.minID)
		}
		body, hdr, err := in.rest.get(ctx, &f.health, f.label, endpointOf(f), path, q.Encode())
		if err != nil {
			return err
		}
		n, newest, err := s.publishPage(ctx, in, f, body, pub)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if prev := linkParam(hdr.Get("Link"), "prev", "min_id"); prev != "" && newerID(prev, newest) {
			newest = prev
		}
		if err := s.commit(ctx, f, newest, pub); err != nil {
			return err
		}
		if first || n < s.cfg.PageLimit {
			return nil
		}
	}
	s.log.Info("backlog_continues", "feed", f.label, "pages", s.cfg.MaxPages)
	return nil
}

// loadCheckpoint reads the feed's position once.
func (s *Source) loadCheckpoint(ctx context.Context, f *feed) error {
	if f.loaded {
		return nil
	}
	v, err := s.deps.Checkpoints.Load(ctx, f.key)
	if err != nil {
		return fmt.Errorf("load checkpoint %s: %w", f.key, err)
	}
	f.minID, f.loaded = strings.TrimSpace(string(v)), true
	return nil
}

// commit flushes the publisher, then saves newest as the checkpoint.
func (s *Source) commit(ctx context.Context, f *feed, newest string, pub *lockedPublisher) error {
	if newest == "" || (f.minID != "" && !newerID(newest, f.minID)) {
		return nil
	}
	if err := pub.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if err := s.deps.Checkpoints.Save(ctx, f.key, []byte(newest)); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", f.key, err)
	}
	f.minID = newest
	return nil
}

// timelinePath returns the REST path of the feed, looking an account's
// id up by its acct the first time.
func (s *Source) timelinePath(ctx context.Context, in *instance, f *feed) (string, error) {
	if f.kind == "tag" {
		return "/api/v1/timelines/tag/" + url.PathEscape(f.name), nil
	}
	if f.accountID == "" {
		body, _, err := in.rest.get(ctx, &f.health, f.label, "accounts_lookup", "/api/v1/accounts/lookup", "acct="+url.QueryEscape(f.name))
		if err != nil {
			return "", fmt.Errorf("look up account %s: %w", f.name, err)
		}
		var a account
		if err := unmarshalJSON(body, &a); err != nil || a.ID == "" {
			return "", fmt.Errorf("look up account %s: no account id in the response", f.name)
		}
		f.accountID = string(a.ID)
	}
	return "/api/v1/accounts/" + url.PathEscape(f.accountID) + "/statuses", nil
}

// publishPage publishes a page of statuses (newest first, as the API
// sends them) oldest first. It returns the number of elements in the page
// and the newest status id in it; malformed statuses are skipped and
// counted.
func (s *Source) publishPage(ctx context.Context, in *instance, f *feed, body []byte, pub *lockedPublisher) (int, string, error) {
	page, err := decodePage(body)
	if err != nil {
		s.met.Rejected.WithLabelValues("malformed").Inc()
		return 0, "", fmt.Errorf("%s: %w", f.label, err)
	}
	conv := converter{host: in.host, now: s.now()}
	newest := ""
	for i := len(page) - 1; i >= 0; i-- {
		raw := page[i]
		if id := peekID(raw); id != "" && (newest == "" || newerID(id, newest)) {
			newest = id
		}
		st, err := decodeStatus(raw)
		if err != nil {
			s.reject(f.label, "malformed", peekID(raw), err)
			continue
		}
		if !public(st) {
			s.met.Rejected.WithLabelValues("not_public").Inc()
			continue
		}
		if err := s.publish(ctx, pub, f.label, conv.mentions(st)); err != nil {
			return 0, "", err
		}
	}
	return len(page), newest, nil
}

// endpointOf names a feed's REST endpoint in metrics.
func endpointOf(f *feed) string {
	if f.kind == "tag" {
		return "timelines_tag"
	}
	return "accounts_statuses"
}

// peekID reads the id of a status that may not decode as a whole, so that
// a malformed status does not hold the checkpoint back.
func peekID(raw json.RawMessage) string {
	var v struct {
		ID flexID `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return string(v.ID)
}

// linkParam returns query parameter param of the link with relation rel
// in an HTTP Link header (RFC 8288), e.g. the min_id of rel="prev" in
// `<https://h/api/v1/timelines/tag/x?min_id=9>; rel="prev"`.
func linkParam(header, rel, param string) string {
	for header != "" {
		header = strings.TrimLeft(header, " \t,")
		if !strings.HasPrefix(header, "<") {
			return ""
		}
		end := strings.IndexByte(header, '>')
		if end < 0 {
			return ""
		}
		target := header[1:end]
		header = header[end+1:]
		// Parameters run to the next link, i.e. up to a comma outside quotes.
		params, rest := splitLinkParams(header)
		header = rest
		if !linkHasRel(params, rel) {
			continue
		}
		u, err := url.Parse(target)
		if err != nil {
			return ""
		}
		return u.Query().Get(param)
	}
	return ""
}

func splitLinkParams(s string) (params, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

func linkHasRel(params, rel string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
			if strings.EqualFold(r, rel) {
				return true
			}
		}
	}
	return false
}
