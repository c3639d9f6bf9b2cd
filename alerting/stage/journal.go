package stage

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/vigie-project/vigie/alerting"
	"github.com/vigie-project/vigie/store"
)

// Journal actions (the alerts table's action column).
const (
	ActionSent         = "sent"
	ActionFailed       = "failed"
	ActionEscalated    = "escalated"
	ActionAcknowledged = "acknowledged"
	ActionResolved     = "resolved"
	ActionDigest       = "digest"
)

const insertAlerts = "INSERT INTO alerts (at, alert_key, kind, watch, severity, receiver, action, actor, detail, drill)"

// Journal bounds: rows are inserted by batchRows or every flushEvery; a
// failed insert is tried insertAttempts times; when ClickHouse is away
// longer, the buffer keeps maxBuffered rows and drops the oldest (counted
// and logged): paging never waits for the journal.
const (
	batchRows      = 500
	flushEvery     = time.Second
	insertAttempts = 3
	insertTimeout  = 15 * time.Second
	maxBuffered    = 20000
)

// row is one line of the alerting journal.
type row struct {
	at       time.Time
	key      string
	kind     string
	watch    string
	severity int
	receiver string
	action   string
	actor    string
	detail   string
	drill    bool
}

func rowFor(n *alerting.Notification, at time.Time, receiver, action, actor, detail string) row {
	return row{at: at, key: n.Key, kind: n.Kind, watch: n.Watch, severity: n.Severity,
		receiver: receiver, action: action, actor: actor, detail: detail, drill: n.Drill}
}

// journal writes rows to the alerts table in batches, off the paging path:
// add never waits for ClickHouse.
type journal struct {
	conn  driver.Conn
	log   *slog.Logger
	m     *metrics
	sleep func(ctx context.Context, d time.Duration) error
	wake  chan struct{}

	mu  sync.Mutex
	buf []row
}

func newJournal(conn driver.Conn, log *slog.Logger, m *metrics) *journal {
	return &journal{conn: conn, log: log, m: m, sleep: sleepCtx, wake: make(chan struct{}, 1)}
}

// add queues rows. When ClickHouse has been away long enough for
// maxBuffered rows to wait, the oldest are dropped, counted and logged.
func (j *journal) add(rows ...row) {
	if len(rows) == 0 {
		return
	}
	j.mu.Lock()
	j.buf = append(j.buf, rows...)
	j.trimLocked()
	full := len(j.buf) >= batchRows
	j.mu.Unlock()
	if full {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
}

func (j *journal) trimLocked() {
	if over := len(j.buf) - maxBuffered; over > 0 {
		j.m.journal.WithLabelValues("dropped").Add(float64(over))
		j.log.Error("journal_rows_dropped", "rows", over, "reason", "clickhouse unavailable, buffer full")
		j.buf = append(j.buf[:0], j.buf[over:]...)
	}
}

// take returns what waits, leaving the buffer empty.
func (j *journal) take() []row {
	j.mu.Lock()
	defer j.mu.Unlock()
	b := j.buf
	j.buf = nil
	return b
}

// putBack returns rows that could not be written in front of the newer ones.
func (j *journal) putBack(rows []row) {
	if len(rows) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(rows, j.buf...)
	j.trimLocked()
}

// run writes until stop is closed, then makes a final flush. An insert
// under way is never cancelled (a cancelled Send may still have inserted,
// and the retry would write the rows twice); a stop only cuts the waits
// between attempts, so a ClickHouse outage holds the shutdown for at most
// one insert timeout before the final flush.
func (j *journal) run(stop <-chan struct{}) {
	waits, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-waits.Done():
		}
	}()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-j.wake:
		case <-t.C:
		case <-stop:
		}
		select {
		case <-stop:
			if left := j.flush(context.Background(), j.take()); len(left) > 0 {
				j.m.journal.WithLabelValues("dropped").Add(float64(len(left)))
				j.log.Error("journal_rows_dropped", "rows", len(left), "reason", "final flush failed")
			}
			return
		default:
		}
		for {
			rows := j.take()
			if len(rows) == 0 {
				break
			}
			if left := j.flush(waits, rows); len(left) > 0 {
				j.putBack(left)
				break
			}
		}
	}
}

// flush inserts buf in batches, trying each a few times (ctx cuts the
// waits between attempts); it returns what is left when ClickHouse keeps
// failing.
func (j *journal) flush(ctx context.Context, buf []row) []row {
	for len(buf) > batchRows {
		if left := j.flush(ctx, buf[:batchRows]); len(left) > 0 {
			return buf
		}
		buf = buf[batchRows:]
	}
	if len(buf) == 0 {
		return nil
	}
	rows := make([][]any, len(buf))
	for i, r := range buf {
		rows[i] = []any{r.at.UTC(), r.key, r.kind, r.watch, uint8(min(max(r.severity, 0), 255)), r.receiver, r.action, r.actor, r.detail, boolByte(r.drill)}
	}
	var err error
	for attempt := 1; attempt <= insertAttempts; attempt++ {
		ictx, cancel := context.WithTimeout(context.Background(), insertTimeout)
		err = store.Insert(ictx, j.conn, insertAlerts, rows)
		cancel()
		if err == nil {
			j.m.journal.WithLabelValues("written").Add(float64(len(buf)))
			return nil
		}
		if attempt < insertAttempts && j.sleep(ctx, time.Duration(attempt)*200*time.Millisecond) != nil {
			break
		}
	}
	j.m.journalFailures.Inc()
	j.log.Warn("journal_insert_failed", "rows", len(buf), "error", err)
	return buf
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
