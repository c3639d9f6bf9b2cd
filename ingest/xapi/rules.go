package xapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vigie-project/vigie/ingest/internal/httpsrc"
)

// rule is a filtered-stream rule.
type rule struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// rulesAnswer is the answer of GET and POST /2/tweets/search/stream/rules.
type rulesAnswer struct {
	Data   []rule      `json:"data"`
	Errors []ruleError `json:"errors"`
	Meta   struct {
		Summary struct {
			Created    int `json:"created"`
			NotCreated int `json:"not_created"`
			Deleted    int `json:"deleted"`
			NotDeleted int `json:"not_deleted"`
		} `json:"summary"`
	} `json:"meta"`
}

// ruleError is one rule X did not take: DuplicateRule, Invalid Rule…
type ruleError struct {
	Value   string   `json:"value"`
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Details []string `json:"details"`
}

// maxRulesPerRequest bounds one add or delete request.
const maxRulesPerRequest = 100

// rulePlan is what syncRules changes.
type rulePlan struct {
	add    []rule
	delete []string // ids
	kept   int
}

// planRules compares the rules in place with the wanted ones: vigie's
// rules (tagged RuleTagPrefix…) no watch needs any more are deleted,
// missing ones added, and rules of anyone else kept. Identity is the
// value: a wanted value already in place, whatever its tag, is kept.
func planRules(current, want []rule) rulePlan {
	wanted := make(map[string]bool, len(want))
	for _, r := range want {
		wanted[r.Value] = true
	}
	have := make(map[string]bool, len(current))
	var p rulePlan
	for _, r := range current {
		if strings.HasPrefix(r.Tag, RuleTagPrefix) && !wanted[r.Value] && r.ID != "" {
			p.delete = append(p.delete, r.ID)
			continue
		}
		have[r.Value] = true
		if wanted[r.Value] {
			p.kept++
		}
	}
	for _, r := range want {
		if !have[r.Value] {
			have[r.Value] = true
			p.add = append(p.add, rule{Value: r.Value, Tag: r.Tag})
		}
	}
	return p
}

// syncRules brings the stream's rules in step with the watches. Deletes
// go first, so that an access level's rule cap leaves room for the adds.
// A rule X refuses is logged and skipped: the others still apply.
func (s *Source) syncRules(ctx context.Context) error {
	var cur rulesAnswer
	if err := s.doJSON(ctx, endpointRules, http.MethodGet, pathRules, nil, nil, &cur); err != nil {
		return err
	}
	p := planRules(cur.Data, s.rules)
	for ids := range slices.Chunk(p.delete, maxRulesPerRequest) {
		body, err := json.Marshal(map[string]any{"delete": map[string][]string{"ids": ids}})
		if err != nil {
			return fmt.Errorf("xapi: rules: %w", err)
		}
		var ans rulesAnswer
		if err := s.doJSON(ctx, endpointRules, http.MethodPost, pathRules, nil, body, &ans); err != nil {
			return err
		}
		for _, e := range ans.Errors {
			s.log.Warn("stream_rule_not_deleted", "id", clip(e.ID, 24), "title", clip(e.Title, 100))
		}
	}
	added := 0
	for batch := range slices.Chunk(p.add, maxRulesPerRequest) {
		n, err := s.addRules(ctx, batch)
		if err != nil {
			return err
		}
		added += n
	}
	s.log.Info("stream_rules_synced", "added", added, "deleted", len(p.delete), "kept", p.kept, "wanted", len(s.rules))
	return nil
}

// addRules adds a batch; when X refuses the whole request (a 400), each
// rule is sent alone so that one bad rule costs only itself.
func (s *Source) addRules(ctx context.Context, batch []rule) (int, error) {
	n, err := s.postRules(ctx, batch)
	var he *httpsrc.HTTPError
	if err == nil || len(batch) == 1 || !errors.As(err, &he) || he.Status != http.StatusBadRequest {
		return n, err
	}
	total := 0
	for _, r := range batch {
		n, err := s.postRules(ctx, []rule{r})
		if errors.As(err, &he) && he.Status == http.StatusBadRequest {
			s.m.Rejected.WithLabelValues(Name, "rule").Inc()
			s.log.Error("stream_rule_refused", "value", r.Value, "tag", r.Tag, "error", err)
			continue
		}
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (s *Source) postRules(ctx context.Context, batch []rule) (int, error) {
	body, err := json.Marshal(map[string][]rule{"add": batch})
	if err != nil {
		return 0, fmt.Errorf("xapi: rules: %w", err)
	}
	var ans rulesAnswer
	if err := s.doJSON(ctx, endpointRules, http.MethodPost, pathRules, nil, body, &ans); err != nil {
		return 0, err
	}
	for _, e := range ans.Errors {
		if e.Title == "DuplicateRule" {
			continue // already there: what we wanted
		}
		s.m.Rejected.WithLabelValues(Name, "rule").Inc()
		s.log.Error("stream_rule_refused", "value", clip(e.Value, 600), "title", clip(e.Title, 100),
			"details", clip(strings.Join(e.Details, "; "), 500))
	}
	return ans.Meta.Summary.Created, nil
}
