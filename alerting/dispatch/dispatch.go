// Package dispatch delivers the Engine's deliveries: one worker and one
// bounded queue per receiver, bounded retries with backoff and Retry-After,
// so a failing or slow receiver never holds up the others.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-project/vigie/alerting"
)

// Errors callers test.
var (
	ErrUnknownReceiver = errors.New("dispatch: unknown receiver")
	ErrInvalidOption   = errors.New("dispatch: invalid option")
	ErrPanic           = errors.New("dispatch: notifier panicked")
)

// Config bounds retries and queues. Zero fields take the defaults.
type Config struct {
	MaxAttempts    int           // attempts per delivery; default 5
	InitialBackoff time.Duration // first wait after a failure; default 1s, doubled each time
	MaxBackoff     time.Duration // longest wait between attempts; default 1m
	MaxRetryAfter  time.Duration // longest Retry-After honoured within one delivery; default 5m
	AttemptTimeout time.Duration // bound of one Notify call; default 15s
	QueueSize      int           // deliveries waiting per receiver; default 256
}

func (c *Config) setDefaults() {
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Minute
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = 5 * time.Minute
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = 15 * time.Second
	}
	if c.QueueSize == 0 {
		c.QueueSize = 256
	}
}

func (c *Config) validate() error {
	switch {
	case c.MaxAttempts < 1:
		return fmt.Errorf("%w: max_attempts %d must be at least 1", ErrInvalidOption, c.MaxAttempts)
	case c.InitialBackoff < 0 || c.MaxBackoff < c.InitialBackoff:
		return fmt.Errorf("%w: backoff: initial %s must be positive and at most max %s", ErrInvalidOption, c.InitialBackoff, c.MaxBackoff)
	case c.MaxRetryAfter < 0:
		return fmt.Errorf("%w: max_retry_after must not be negative", ErrInvalidOption)
	case c.AttemptTimeout < 0:
		return fmt.Errorf("%w: attempt_timeout must not be negative", ErrInvalidOption)
	case c.QueueSize < 1:
		return fmt.Errorf("%w: queue_size %d must be at least 1", ErrInvalidOption, c.QueueSize)
	}
	return nil
}

// Result is the outcome of one delivery.
type Result struct {
	Delivery  alerting.Delivery
	Attempts  int
	Err       error // nil when delivered
	Retryable bool  // the last failure is worth retrying later: keep the delivery in the outbox
}

// Option configures a Dispatcher.
type Option func(*Dispatcher) error

// WithConfig sets retry and queue bounds.
func WithConfig(c Config) Option {
	return func(d *Dispatcher) error {
		c.setDefaults()
		if err := c.validate(); err != nil {
			return err
		}
		d.cfg = c
		return nil
	}
}

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option {
	return func(d *Dispatcher) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		d.log = l.With("component", "alert_dispatch")
		return nil
	}
}

// WithResults sets the function told of every outcome (from the receiver's
// worker goroutine): settle the Engine's outbox there.
func WithResults(f func(Result)) Option {
	return func(d *Dispatcher) error {
		if f == nil {
			return fmt.Errorf("%w: nil result function", ErrInvalidOption)
		}
		d.onResult = f
		return nil
	}
}

// WithSleep replaces the wait between attempts (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(d *Dispatcher) error {
		if f == nil {
			return fmt.Errorf("%w: nil sleep function", ErrInvalidOption)
		}
		d.sleep = f
		return nil
	}
}

// Dispatcher runs Notify for each receiver concurrently.
type Dispatcher struct {
	cfg       Config
	log       *slog.Logger
	onResult  func(Result)
	sleep     func(ctx context.Context, d time.Duration) error
	notifiers map[string]alerting.Notifier
	queues    map[string]chan queued
	m         metrics

	runMu   sync.Mutex
	running bool
}

type queued struct {
	d  alerting.Delivery
	at time.Time
}

// New returns a Dispatcher for the named notifiers; metrics are registered
// on reg (nil: not registered).
func New(notifiers map[string]alerting.Notifier, reg prometheus.Registerer, opts ...Option) (*Dispatcher, error) {
	d := &Dispatcher{
		log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		onResult:  func(Result) {},
		sleep:     sleepCtx,
		notifiers: map[string]alerting.Notifier{},
		queues:    map[string]chan queued{},
	}
	d.cfg.setDefaults()
	for _, opt := range opts {
		if err := opt(d); err != nil {
			return nil, err
		}
	}
	if len(notifiers) == 0 {
		return nil, fmt.Errorf("%w: no notifiers", ErrInvalidOption)
	}
	for name, n := range notifiers {
		if n == nil {
			return nil, fmt.Errorf("%w: receiver %q has a nil notifier", ErrInvalidOption, name)
		}
		d.notifiers[name] = n
		d.queues[name] = make(chan queued, d.cfg.QueueSize)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	d.m = m
	return d, nil
}

// Enqueue queues deliveries on their receivers' queues; it waits while a
// queue is full, until ctx is done. A delivery for an unknown receiver is
// an error and is not queued (the others are).
func (d *Dispatcher) Enqueue(ctx context.Context, ds ...alerting.Delivery) error {
	var errs []error
	for _, del := range ds {
		q, ok := d.queues[del.Receiver]
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %q (delivery %s)", ErrUnknownReceiver, del.Receiver, del.ID))
			continue
		}
		select {
		case q <- queued{d: del, at: time.Now()}:
			d.m.queue.WithLabelValues(del.Receiver).Inc()
		case <-ctx.Done():
			return fmt.Errorf("dispatch: enqueue %s: %w", del.ID, ctx.Err())
		}
	}
	return errors.Join(errs...)
}

// Run starts one worker per receiver and blocks until ctx is done and the
// workers have stopped. Deliveries still queued then are reported as
// retryable failures (they stay in the Engine's outbox), never dropped
// silently.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.runMu.Lock()
	if d.running {
		d.runMu.Unlock()
		return errors.New("dispatch: Run called twice")
	}
	d.running = true
	d.runMu.Unlock()

	names := make([]string, 0, len(d.queues))
	for name := range d.queues {
		names = append(names, name)
	}
	sort.Strings(names)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() { d.worker(ctx, name, d.queues[name]) })
	}
	wg.Wait()
	return nil
}

func (d *Dispatcher) worker(ctx context.Context, name string, q chan queued) {
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case it := <-q:
					d.m.queue.WithLabelValues(name).Dec()
					d.onResult(Result{Delivery: it.d, Err: fmt.Errorf("dispatch: not delivered: %w", ctx.Err()), Retryable: true})
				default:
					return
				}
			}
		case it := <-q:
			d.m.queue.WithLabelValues(name).Dec()
			res := d.Deliver(ctx, it.d)
			d.m.delivery.WithLabelValues(name).Observe(time.Since(it.at).Seconds())
			d.onResult(res)
		}
	}
}

// Deliver runs one delivery to the end: Notify, then retries with backoff
// (or the delay the service asked for) while the failure is retryable and
// attempts remain.
func (d *Dispatcher) Deliver(ctx context.Context, del alerting.Delivery) Result {
	n, ok := d.notifiers[del.Receiver]
	if !ok {
		return Result{Delivery: del, Err: fmt.Errorf("%w: %q", ErrUnknownReceiver, del.Receiver)}
	}
	log := d.log.With("receiver", del.Receiver, "delivery", del.ID)
	res := Result{Delivery: del}
	for {
		res.Attempts++
		start := time.Now()
		retry, err := d.attempt(ctx, n, &del.Notification)
		d.m.notify.WithLabelValues(del.Receiver).Observe(time.Since(start).Seconds())
		if err == nil {
			d.m.sent.WithLabelValues(del.Receiver).Inc()
			res.Err, res.Retryable = nil, false
			return res
		}
		res.Err, res.Retryable = err, retry
		if !retry || res.Attempts >= d.cfg.MaxAttempts || ctx.Err() != nil {
			break
		}
		wait := d.backoff(res.Attempts)
		if ra, ok := alerting.RetryDelay(err); ok {
			if ra > d.cfg.MaxRetryAfter {
				log.Warn("retry_after_too_long", "retry_after", ra, "error", err)
				break
			}
			wait = ra
		}
		log.Info("notify_retry", "attempt", res.Attempts, "wait", wait, "error", err)
		d.m.retries.WithLabelValues(del.Receiver).Inc()
		if err := d.sleep(ctx, wait); err != nil {
			break
		}
	}
	d.m.failed.WithLabelValues(del.Receiver).Inc()
	log.Error("notify_failed", "attempts", res.Attempts, "retryable", res.Retryable, "error", res.Err)
	return res
}

func (d *Dispatcher) attempt(ctx context.Context, n alerting.Notifier, note *alerting.Notification) (retry bool, err error) {
	if d.cfg.AttemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.cfg.AttemptTimeout)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			retry, err = false, fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return n.Notify(ctx, note.Clone())
}

// backoff is the wait after the attempt-th failure: doubling from
// InitialBackoff up to MaxBackoff, with ±20 % jitter.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	w := d.cfg.InitialBackoff
	for i := 1; i < attempt && w < d.cfg.MaxBackoff; i++ {
		w *= 2
	}
	w = min(w, d.cfg.MaxBackoff)
	return time.Duration(float64(w) * (0.8 + 0.4*rand.Float64()))
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
