package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/alerting/receiver"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/detect"
)

// DrillTimeout bounds a drill when ctx has no deadline.
const DrillTimeout = 2 * time.Minute

// DrillSeverity is the severity of a drill's crisis: the highest, so that
// every crisis route, the on-call pager included, is exercised.
const DrillSeverity = 5

// ErrNoRoute is returned by Drill when the stage routed the drill to no
// receiver.
var ErrNoRoute = errors.New("stage: the drill reached no receiver")

// DrillResult is what a drill measured.
type DrillResult struct {
	Key       string          `json:"key"`
	Watch     string          `json:"watch"`
	Receivers []DrillReceiver `json:"receivers"` // in the order of the outcomes of the open
}

// DrillReceiver is one receiver's part in a drill: the time from the
// publication of the event on NATS to the outcome of its delivery.
type DrillReceiver struct {
	Receiver        string        `json:"receiver"`
	Latency         time.Duration `json:"latency"` // open published → delivered (or failed)
	Sent            bool          `json:"sent"`
	Error           string        `json:"error,omitempty"`
	ResolvedLatency time.Duration `json:"resolved_latency,omitempty"` // resolution published → delivered
	ResolvedSent    bool          `json:"resolved_sent"`
	ResolvedError   string        `json:"resolved_error,omitempty"`
}

// Drill runs a crisis exercise end to end through the running alert stage
// (in this process or another one on the same NATS): it publishes a
// crisis open marked as a drill (EXERCICE / DRILL in every message) on
// vigie.event.crisis.<watch>, waits until the stage has an outcome for
// every receiver it routed the drill to (SubjectDeliveryPlanned,
// SubjectDeliveryResult), then publishes the resolution and waits for its
// outcomes too. progress gets one line per step, in French and English.
func Drill(ctx context.Context, b *bus.Bus, watch string, progress io.Writer) (DrillResult, error) {
	if progress == nil {
		progress = io.Discard
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DrillTimeout)
		defer cancel()
	}
	start := time.Now().UTC().Truncate(time.Second)
	key := watch + "/drill-" + start.Format("20060102T150405Z")
	res := DrillResult{Key: key, Watch: watch}

	obs, err := newObserver(b.NC, key)
	if err != nil {
		return res, err
	}
	defer obs.close()

	open := drillEvent(key, watch, detect.StatusOpen, start)
	fmt.Fprintf(progress, "EXERCICE / DRILL %s: publication de l'ouverture / publishing the open event\n", key)
	openAt, err := publishEvent(ctx, b, open)
	if err != nil {
		return res, err
	}
	outs, err := obs.wait(ctx, detect.StatusOpen, progress)
	if err != nil {
		return res, err
	}
	if len(outs) == 0 {
		return res, fmt.Errorf("%w: no route matches crisis events of watch %q at severity %d", ErrNoRoute, watch, DrillSeverity)
	}
	byReceiver := map[string]int{}
	for _, o := range outs {
		byReceiver[o.out.Receiver] = len(res.Receivers)
		res.Receivers = append(res.Receivers, DrillReceiver{
			Receiver: o.out.Receiver, Latency: o.at.Sub(openAt), Sent: o.out.Action == ActionSent, Error: o.out.Error,
		})
	}

	resolved := drillEvent(key, watch, detect.StatusResolved, start)
	resolved.At = time.Now().UTC()
	fmt.Fprintf(progress, "EXERCICE / DRILL %s: publication de la fin / publishing the resolution\n", key)
	resolvedAt, err := publishEvent(ctx, b, resolved)
	if err != nil {
		return res, err
	}
	outs, err = obs.wait(ctx, detect.StatusResolved, progress)
	if err != nil {
		return res, err
	}
	for _, o := range outs {
		i, ok := byReceiver[o.out.Receiver]
		if !ok {
			continue
		}
		r := &res.Receivers[i]
		r.ResolvedLatency, r.ResolvedSent, r.ResolvedError = o.at.Sub(resolvedAt), o.out.Action == ActionSent, o.out.Error
	}
	for _, r := range res.Receivers {
		if !r.Sent {
			return res, fmt.Errorf("stage: drill %s: receiver %s failed: %s", key, r.Receiver, r.Error)
		}
	}
	return res, nil
}

func drillEvent(key, watch, status string, opened time.Time) *detect.Event {
	return &detect.Event{
		ID: key, Watch: watch, Status: status, Severity: DrillSeverity, PeakSeverity: DrillSeverity,
		OpenedAt: opened, At: opened, Observed: 1240, Expected: 69, Window: time.Hour, Score: 12,
		Signals:  []detect.Signal{{Name: detect.SignalVolume, Observed: 1240, Expected: 69}},
		Mentions: 1240, NegativeShare: 0.7,
		Summary: map[string]string{
			"fr": "[EXERCICE] Crise simulée sur " + watch + " pour tester la chaîne d'alerte : aucune action réelle requise.",
			"en": "[DRILL] Simulated crisis on " + watch + " to test the alerting chain: no real action needed.",
		},
		Drill: true,
	}
}

func publishEvent(ctx context.Context, b *bus.Bus, e *detect.Event) (time.Time, error) {
	msg, err := CrisisMsg(e)
	if err != nil {
		return time.Time{}, err
	}
	at := time.Now()
	if _, err := b.JS.PublishMsg(ctx, msg); err != nil {
		return time.Time{}, fmt.Errorf("stage: drill: publish %s: %w", msg.Subject, err)
	}
	return at, nil
}

// observer collects what the stage announces about one thread.
type observer struct {
	key  string
	sub  *nats.Subscription
	msgs chan *nats.Msg
}

type timedOutcome struct {
	out Outcome
	at  time.Time
}

func newObserver(nc *nats.Conn, key string) (*observer, error) {
	o := &observer{key: key, msgs: make(chan *nats.Msg, 256)}
	sub, err := nc.ChanSubscribe("vigie.alert.delivery.>", o.msgs)
	if err != nil {
		return nil, fmt.Errorf("stage: drill: subscribe: %w", err)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("stage: drill: subscribe: %w", err)
	}
	o.sub = sub
	return o, nil
}

func (o *observer) close() { _ = o.sub.Unsubscribe() }

// wait returns one outcome per delivery the stage planned for the event of
// this status, in the order they came.
func (o *observer) wait(ctx context.Context, status string, progress io.Writer) ([]timedOutcome, error) {
	var (
		planned map[string]string // delivery id → receiver; nil until the plan is seen
		results = map[string]timedOutcome{}
		order   []string
	)
	for {
		if planned != nil {
			done := true
			for id := range planned {
				if _, ok := results[id]; !ok {
					done = false
				}
			}
			if done {
				out := make([]timedOutcome, 0, len(planned))
				for _, id := range order {
					if _, ok := planned[id]; ok {
						out = append(out, results[id])
					}
				}
				return out, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, o.timeout(ctx, status, planned, results)
		case m := <-o.msgs:
			now := time.Now()
			switch m.Subject {
			case SubjectDeliveryPlanned:
				var p Planned
				if json.Unmarshal(m.Data, &p) != nil || p.Key != o.key || p.Cause != CauseEvent || p.Status != status {
					continue
				}
				planned = map[string]string{}
				var names []string
				for _, d := range p.Deliveries {
					planned[d.ID] = d.Receiver
					names = append(names, d.Receiver)
				}
				sort.Strings(names)
				fmt.Fprintf(progress, "  routée vers / routed to: %s\n", strings.Join(names, ", "))
			case SubjectDeliveryResult:
				var r Outcome
				if json.Unmarshal(m.Data, &r) != nil || r.Key != o.key || r.Status != status {
					continue
				}
				if _, seen := results[r.ID]; seen {
					continue
				}
				results[r.ID] = timedOutcome{out: r, at: now}
				order = append(order, r.ID)
				word := "envoyé / sent"
				if r.Action != ActionSent {
					word = "échec / failed: " + r.Error
				}
				fmt.Fprintf(progress, "  %s: %s\n", r.Receiver, word)
			}
		}
	}
}

func (o *observer) timeout(ctx context.Context, status string, planned map[string]string, results map[string]timedOutcome) error {
	if planned == nil {
		return fmt.Errorf("stage: drill %s (%s): the alert stage did not take the event (is a process running the alert role on this NATS?): %w", o.key, status, ctx.Err())
	}
	var missing []string
	for id, r := range planned {
		if _, ok := results[id]; !ok {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	return fmt.Errorf("stage: drill %s (%s): no outcome from %s: %w", o.key, status, strings.Join(missing, ", "), ctx.Err())
}

// Test sends a test notification (kind test) straight through the named
// receiver, in lang ("fr", "en", or "" for the receiver's language, else
// the default), once, without the engine: `vigie alert test --receiver`.
func Test(ctx context.Context, cfg Config, receiverName string, lang string) error {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	rc, err := cfg.receiverConfig(receiverName)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = rc.Lang
	}
	if lang == "" {
		lang = cfg.DefaultLang
	}
	if lang != alerting.LangFrench && lang != alerting.LangEnglish {
		return fmt.Errorf("%w: lang %q is not fr or en", alerting.ErrInvalidNotification, lang)
	}
	one := cfg.File
	one.Receivers = []receiver.Config{rc}
	notifiers, err := receiver.Build(&one)
	if err != nil {
		return fmt.Errorf("stage: test %s: %w", receiverName, err)
	}
	now := time.Now().UTC()
	n := &alerting.Notification{
		Key: "test/" + receiverName + "/" + now.Format("20060102T150405Z"), Kind: alerting.KindTest,
		Status: alerting.StatusOpen, Watch: "test", WatchName: "vigie", Severity: 1, Lang: lang, Since: now, At: now,
	}
	if _, err := notifiers[receiverName].Notify(ctx, n); err != nil {
		return fmt.Errorf("stage: test %s: %w", receiverName, err)
	}
	return nil
}
