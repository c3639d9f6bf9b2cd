package stage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-project/vigie/alerting"
)

// Plain NATS request subjects served by the process running the stage
// (queue group "alert"), so that any vigie process serving HTTP can take
// an ack (RemoteHandler) and the stage applies it.
const (
	SubjectCmdAck  = "vigie.cmd.alert.ack"
	SubjectCmdList = "vigie.cmd.alert.list"
	SubjectCmdGet  = "vigie.cmd.alert.get"
	cmdQueue       = "alert"
)

// Alert is one thread as the API shows it.
type Alert struct {
	Key        string    `json:"key"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"` // open, acknowledged or resolved
	Watch      string    `json:"watch,omitempty"`
	WatchName  string    `json:"watch_name,omitempty"`
	Severity   int       `json:"severity"`
	Drill      bool      `json:"drill,omitempty"`
	OpenedAt   time.Time `json:"opened_at"`
	Since      time.Time `json:"since,omitzero"`
	LastAt     time.Time `json:"last_at"`
	Escalation int       `json:"escalation"` // escalation steps taken
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Receivers  []string  `json:"receivers"` // told so far
	Summary    string    `json:"summary,omitempty"`
	SummaryFR  string    `json:"summary_fr,omitempty"`
	ConsoleURL string    `json:"console_url,omitempty"`
	AckURL     string    `json:"ack_url,omitempty"`
}

// AckResult is the answer to an acknowledgement.
type AckResult struct {
	Key      string    `json:"key"`
	Status   string    `json:"status"`
	AckedBy  string    `json:"acked_by"`
	AckedAt  time.Time `json:"acked_at"`
	Notified []string  `json:"notified"` // receivers told of the ack
}

// Ack records that by acknowledged the thread key: escalation stops and
// everyone told gets an "acknowledged" notice; the state is saved before
// it returns. Errors: ErrNotRunning, alerting.ErrUnknownThread,
// ErrAlreadyAcknowledged, alerting.ErrThreadResolved,
// alerting.ErrInvalidNotification (by is empty).
func (s *Stage) Ack(ctx context.Context, key, by string) (AckResult, error) {
	return s.ack(ctx, key, by, "api")
}

func (s *Stage) ack(ctx context.Context, key, by, via string) (AckResult, error) {
	by = strings.TrimSpace(by)
	if by == "" {
		return AckResult{}, fmt.Errorf("%w: say who acknowledges (by)", alerting.ErrInvalidNotification)
	}
	if len(by) > 200 {
		return AckResult{}, fmt.Errorf("%w: by is longer than 200 bytes", alerting.ErrInvalidNotification)
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready.Load() || s.stopping {
		return AckResult{}, ErrNotRunning
	}
	th, ok := s.eng.Thread(key)
	switch {
	case !ok:
		return AckResult{}, fmt.Errorf("%w: %q", alerting.ErrUnknownThread, key)
	case th.Status == alerting.StatusAcknowledged:
		return AckResult{Key: key, Status: th.Status, AckedBy: th.AckedBy, AckedAt: th.AckedAt},
			fmt.Errorf("%w: %q by %s", ErrAlreadyAcknowledged, key, th.AckedBy)
	}
	ds, err := s.eng.Ack(key, by)
	if err != nil {
		return AckResult{}, err
	}
	now := s.clock.Now()
	if err := s.persistLocked(ctx); err != nil {
		s.log.Error("alert_state_save_failed", "error", err, "ack", key)
	}
	s.enqueueLocked(ds)
	s.jrn.add(rowFor(&th.Last, now, "", ActionAcknowledged, by, "via "+via))
	s.publish(SubjectDeliveryPlanned, newPlanned(key, "", CauseAck, now, ds))
	s.m.acks.WithLabelValues(via).Inc()
	s.log.Info("alert_acknowledged", "key", key, "by", by, "via", via)
	res := AckResult{Key: key, Status: alerting.StatusAcknowledged, AckedBy: by, AckedAt: now, Notified: []string{}}
	for _, d := range ds {
		res.Notified = append(res.Notified, d.Receiver)
	}
	return res, nil
}

// Alerts returns the threads not resolved, newest first.
func (s *Stage) Alerts(context.Context) ([]Alert, error) {
	if !s.ready.Load() {
		return nil, ErrNotRunning
	}
	st, err := s.state()
	if err != nil {
		return nil, fmt.Errorf("stage: %w", err)
	}
	out := []Alert{}
	for _, th := range st.Threads {
		if th.Status != alerting.StatusResolved {
			out = append(out, alertOf(th))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].OpenedAt.Equal(out[j].OpenedAt) {
			return out[i].OpenedAt.After(out[j].OpenedAt)
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// Alert returns one thread, resolved ones included while remembered.
func (s *Stage) Alert(_ context.Context, key string) (Alert, error) {
	if !s.ready.Load() {
		return Alert{}, ErrNotRunning
	}
	th, ok := s.eng.Thread(key)
	if !ok {
		return Alert{}, fmt.Errorf("%w: %q", alerting.ErrUnknownThread, key)
	}
	return alertOf(&th), nil
}

func alertOf(th *alerting.Thread) Alert {
	l := &th.Last
	a := Alert{
		Key: th.Key, Kind: l.Kind, Status: th.Status, Watch: l.Watch, WatchName: l.WatchName, Severity: l.Severity,
		Drill: l.Drill, OpenedAt: th.OpenedAt, Since: l.Since, LastAt: l.At, Escalation: th.Level,
		AckedBy: th.AckedBy, AckedAt: th.AckedAt, ResolvedAt: th.ResolvedAt,
		Receivers: append([]string{}, th.Members...), ConsoleURL: l.ConsoleURL, AckURL: l.AckURL,
		Summary: l.Extra[extraSummaryEN], SummaryFR: l.Extra[extraSummaryFR],
	}
	if th.Status == alerting.StatusResolved {
		a.AckURL = ""
	}
	return a
}

// backend is what the HTTP API needs: the stage in this process, or the
// stage in another one reached over NATS.
type backend interface {
	ack(ctx context.Context, key, by, via string) (AckResult, error)
	list(ctx context.Context) ([]Alert, error)
	get(ctx context.Context, key string) (Alert, error)
}

type localBackend struct{ s *Stage }

func (l localBackend) ack(ctx context.Context, key, by, via string) (AckResult, error) {
	return l.s.ack(ctx, key, by, via)
}
func (l localBackend) list(ctx context.Context) ([]Alert, error) { return l.s.Alerts(ctx) }
func (l localBackend) get(ctx context.Context, key string) (Alert, error) {
	return l.s.Alert(ctx, key)
}

// cmdRequest and cmdReply are the NATS command wire format.
type cmdRequest struct {
	Key string `json:"key,omitempty"`
	By  string `json:"by,omitempty"`
	Via string `json:"via,omitempty"`
}

type cmdReply struct {
	Ack    *AckResult `json:"ack,omitempty"`
	Alert  *Alert     `json:"alert,omitempty"`
	Alerts []Alert    `json:"alerts,omitempty"`
	Error  string     `json:"error,omitempty"`
	Code   string     `json:"code,omitempty"` // see errorCode
}

// Error codes shared by the NATS commands and the HTTP API.
const (
	codeUnknown      = "unknown_alert"
	codeAcknowledged = "already_acknowledged"
	codeResolved     = "already_resolved"
	codeInvalid      = "invalid"
	codeNotRunning   = "not_running"
	codeInternal     = "internal"
)

func errorCode(err error) string {
	switch {
	case errors.Is(err, alerting.ErrUnknownThread):
		return codeUnknown
	case errors.Is(err, ErrAlreadyAcknowledged):
		return codeAcknowledged
	case errors.Is(err, alerting.ErrThreadResolved):
		return codeResolved
	case errors.Is(err, alerting.ErrInvalidNotification):
		return codeInvalid
	case errors.Is(err, ErrNotRunning):
		return codeNotRunning
	}
	return codeInternal
}

func errorOfCode(code, msg string) error {
	var base error
	switch code {
	case codeUnknown:
		base = alerting.ErrUnknownThread
	case codeAcknowledged:
		base = ErrAlreadyAcknowledged
	case codeResolved:
		base = alerting.ErrThreadResolved
	case codeInvalid:
		base = alerting.ErrInvalidNotification
	case codeNotRunning:
		base = ErrNotRunning
	default:
		return fmt.Errorf("stage: remote: %s", msg)
	}
	return fmt.Errorf("%w (remote: %s)", base, msg)
}

// serveCommands answers the NATS commands of other processes.
func (s *Stage) serveCommands() ([]*nats.Subscription, error) {
	handle := func(subject string, fn func(ctx context.Context, req cmdRequest) cmdReply) (*nats.Subscription, error) {
		return s.b.NC.QueueSubscribe(subject, cmdQueue, func(m *nats.Msg) {
			var req cmdRequest
			var rep cmdReply
			if err := json.Unmarshal(m.Data, &req); err != nil {
				rep = cmdReply{Error: "bad request: " + err.Error(), Code: codeInvalid}
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
				rep = fn(ctx, req)
				cancel()
			}
			data, _ := json.Marshal(rep)
			if err := m.Respond(data); err != nil {
				s.log.Warn("alert_command_reply_failed", "subject", subject, "error", err)
			}
		})
	}
	fail := func(err error) cmdReply { return cmdReply{Error: err.Error(), Code: errorCode(err)} }
	var subs []*nats.Subscription
	for subject, fn := range map[string]func(ctx context.Context, req cmdRequest) cmdReply{
		SubjectCmdAck: func(ctx context.Context, req cmdRequest) cmdReply {
			via := "nats"
			if req.Via != "" {
				via = req.Via
			}
			res, err := s.ack(ctx, req.Key, req.By, via)
			if err != nil {
				r := fail(err)
				if errors.Is(err, ErrAlreadyAcknowledged) {
					r.Ack = &res
				}
				return r
			}
			return cmdReply{Ack: &res}
		},
		SubjectCmdList: func(ctx context.Context, _ cmdRequest) cmdReply {
			as, err := s.Alerts(ctx)
			if err != nil {
				return fail(err)
			}
			return cmdReply{Alerts: as}
		},
		SubjectCmdGet: func(ctx context.Context, req cmdRequest) cmdReply {
			a, err := s.Alert(ctx, req.Key)
			if err != nil {
				return fail(err)
			}
			return cmdReply{Alert: &a}
		},
	} {
		sub, err := handle(subject, fn)
		if err != nil {
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			return nil, fmt.Errorf("stage: subscribe %s: %w", subject, err)
		}
		subs = append(subs, sub)
	}
	return subs, nil
}

// remoteBackend reaches the stage of another process over NATS.
type remoteBackend struct {
	nc      *nats.Conn
	timeout time.Duration
}

func (r remoteBackend) call(ctx context.Context, subject string, req cmdRequest) (cmdReply, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return cmdReply{}, fmt.Errorf("stage: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	msg, err := r.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return cmdReply{}, fmt.Errorf("%w: no process answers %s", ErrNotRunning, subject)
		}
		return cmdReply{}, fmt.Errorf("stage: %s: %w", subject, err)
	}
	var rep cmdReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return cmdReply{}, fmt.Errorf("stage: %s: bad reply: %w", subject, err)
	}
	if rep.Code != "" || rep.Error != "" {
		return rep, errorOfCode(rep.Code, rep.Error)
	}
	return rep, nil
}

func (r remoteBackend) ack(ctx context.Context, key, by, via string) (AckResult, error) {
	rep, err := r.call(ctx, SubjectCmdAck, cmdRequest{Key: key, By: by, Via: via})
	var res AckResult
	if rep.Ack != nil {
		res = *rep.Ack
	}
	return res, err
}

func (r remoteBackend) list(ctx context.Context) ([]Alert, error) {
	rep, err := r.call(ctx, SubjectCmdList, cmdRequest{})
	if err != nil {
		return nil, err
	}
	if rep.Alerts == nil {
		rep.Alerts = []Alert{}
	}
	return rep.Alerts, nil
}

func (r remoteBackend) get(ctx context.Context, key string) (Alert, error) {
	rep, err := r.call(ctx, SubjectCmdGet, cmdRequest{Key: key})
	if err != nil {
		return Alert{}, err
	}
	if rep.Alert == nil {
		return Alert{}, fmt.Errorf("stage: %s: empty reply", SubjectCmdGet)
	}
	return *rep.Alert, nil
}
