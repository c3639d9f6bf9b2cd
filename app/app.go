// Package app wires vigie together: it opens NATS and ClickHouse (running
// the embedded and managed ones when none is configured), starts the roles
// this process runs, serves /healthz and /metrics, and shuts down in order.
// cmd/vigie only parses flags; tests run the same code in process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	alertstage "github.com/vigie-project/vigie/alerting/stage"
	"github.com/vigie-project/vigie/analysis"
	"github.com/vigie-project/vigie/bus"
	"github.com/vigie-project/vigie/config"
	detectstage "github.com/vigie-project/vigie/detect/stage"
	"github.com/vigie-project/vigie/ingest"
	"github.com/vigie-project/vigie/ingest/roster"
	"github.com/vigie-project/vigie/ingest/watch"
	"github.com/vigie-project/vigie/mention"
	"github.com/vigie-project/vigie/store"
)

// App is one vigie process.
type App struct {
	Cfg     *config.Config
	Log     *slog.Logger
	Reg     *prometheus.Registry
	Metrics *bus.Metrics
	Bus     *bus.Bus
	CH      driver.Conn
	Local   *store.LocalServer // the managed ClickHouse, when vigie runs it
	Watches *watch.Matcher

	// Sources are the collectors of the ingest role; Open builds them from
	// the configuration, and callers may add their own before Start.
	Sources []ingest.Source

	// Roster is the employee roster in force (nil without employees:).
	Roster *roster.Watcher

	routes   []route // extra HTTP handlers (webhook ingestion, alert acks)
	alerts   *alertstage.Stage
	httpSrv  *http.Server
	httpAddr string
	mu       sync.Mutex
	roles    map[string]*running
	bg       []*running
}

type route struct {
	pattern string
	handler http.Handler
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Open connects to (or starts) NATS and ClickHouse, applies migrations and
// builds the configured sources. Close undoes it.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *App, err error) {
	a := &App{Cfg: cfg, Log: log, Reg: prometheus.NewRegistry(), roles: map[string]*running{}}
	a.Reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Metrics = bus.NewMetrics(a.Reg)
	defer func() {
		if err != nil {
			// Stop what was started: the embedded NATS, the managed ClickHouse.
			a.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	if a.Watches, err = watch.Compile(cfg.Watches); err != nil {
		return nil, err
	}
	if a.Bus, err = bus.Open(ctx, cfg.NATS, cfg.DataDir, log); err != nil {
		return nil, err
	}
	chCfg := cfg.ClickHouse
	if chCfg.Addr == "" {
		a.Local, err = store.StartLocal(ctx, filepath.Join(cfg.DataDir, "clickhouse"), chCfg.Binary, log)
		if err != nil {
			return nil, err
		}
		chCfg.Addr = a.Local.Addr()
		log.Info("clickhouse_managed_started", "addr", chCfg.Addr)
	}
	if a.CH, err = store.Open(ctx, chCfg); err != nil {
		return nil, err
	}
	n, err := store.Migrate(ctx, a.CH, store.RenderOptions{Database: chCfg.Database, Cluster: chCfg.Cluster},
		func(m store.Migration) { log.Info("migration_applying", "version", m.Version, "name", m.Name) })
	if err != nil {
		return nil, err
	}
	if n > 0 {
		log.Info("migrations_applied", "count", n)
	}
	if cfg.Employees != nil {
		if a.Roster, err = roster.NewWatcher(*cfg.Employees, roster.WithLogger(log), roster.WithRegisterer(a.Reg)); err != nil {
			return nil, fmt.Errorf("employees: %w", err)
		}
	}
	if a.Sources, err = a.buildSources(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// ClickHouseAddr is the native address in use.
func (a *App) ClickHouseAddr() string {
	if a.Local != nil {
		return a.Local.Addr()
	}
	return a.Cfg.ClickHouse.Addr
}

// HTTPAddr is the address the HTTP server listens on, once started.
func (a *App) HTTPAddr() string { return a.httpAddr }

// Start runs the HTTP server and the configured roles in the background.
func (a *App) Start(ctx context.Context) error {
	if err := a.prepareAlerting(); err != nil {
		return err
	}
	if err := a.startHTTP(); err != nil {
		return err
	}
	a.startBackground(ctx, a.watchLag)
	if a.Roster != nil {
		a.startBackground(ctx, func(ctx context.Context) { _ = a.Roster.Run(ctx) })
	}
	// Writers first, collectors last, so nothing waits at start.
	for _, role := range []string{config.RoleWrite, config.RoleAlert, config.RoleDetect, config.RoleAnalyze, config.RoleIngest} {
		if !a.Cfg.Has(role) {
			continue
		}
		run, err := a.roleFunc(role)
		if err != nil {
			return err
		}
		a.startRole(ctx, role, run)
	}
	return nil
}

func (a *App) roleFunc(role string) (func(context.Context) error, error) {
	switch role {
	case config.RoleWrite:
		wm := store.NewWriterMetrics(a.Reg)
		w, err := store.NewWriter(a.Bus, a.CH, a.Cfg.Writer, a.Log, a.Metrics, wm)
		if err != nil {
			return nil, err
		}
		cw, err := store.NewSinkWriter(store.CrisesSink, a.Bus, a.CH, a.Cfg.Writer, a.Log, a.Metrics, wm)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); _ = cw.Run(ctx) }()
			err := w.Run(ctx)
			wg.Wait()
			return err
		}, nil
	case config.RoleDetect:
		ids := make([]string, len(a.Cfg.Watches))
		for i, w := range a.Cfg.Watches {
			ids[i] = w.ID
		}
		d, err := detectstage.New(a.Bus, a.CH, a.Cfg.Detect, ids,
			detectstage.Options{Log: a.Log, Registerer: a.Reg, Metrics: a.Metrics})
		if err != nil {
			return nil, err
		}
		return d.Run, nil
	case config.RoleAnalyze:
		fn, err := a.AnalysisFunc()
		if err != nil {
			return nil, err
		}
		s, err := analysis.NewStage(a.Bus, a.Cfg.Analyzer, fn, a.Log, a.Metrics)
		if err != nil {
			return nil, err
		}
		return s.Run, nil
	case config.RoleIngest:
		return a.runSources, nil
	case config.RoleAlert:
		if a.alerts == nil {
			return func(ctx context.Context) error {
				a.Log.Info("alert_role_idle", "reason", "no alerting section in the configuration")
				<-ctx.Done()
				return nil
			}, nil
		}
		return a.alerts.Run, nil
	}
	return nil, fmt.Errorf("unknown role %q", role)
}

// AnalysisFunc builds the analysis the configuration asks for.
func (a *App) AnalysisFunc() (analysis.Func, error) {
	return NewAnalysisFunc(a.Cfg, a.Watches, a.Roster)
}

// rosterOf adapts the roster watcher to the analyzer: the roster in force
// at each mention, so a reload applies at once.
type rosterOf struct{ w *roster.Watcher }

func (r rosterOf) Apply(m *mention.Mention) { roster.Apply(r.w.Roster(), m) }

// NewAnalysisFunc builds the configured analysis without an App (for
// `vigie score`); rw may be nil.
func NewAnalysisFunc(cfg *config.Config, w *watch.Matcher, rw *roster.Watcher) (analysis.Func, error) {
	if cfg.Analyzer.Mode == analysis.ModePassThrough {
		return analysis.PassThrough(w), nil
	}
	var rf func() analysis.Roster
	if rw != nil {
		rf = func() analysis.Roster { return rosterOf{rw} }
	}
	an, err := analysis.NewAnalyzer(w, cfg.Analyzer.Entities, cfg.Analyzer.Charter, rf)
	if err != nil {
		return nil, err
	}
	return an.Func(), nil
}

// runSources runs every source; one failing never stops the others.
func (a *App) runSources(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, src := range a.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			log := a.Log.With("component", "ingest", "source", src.Name())
			pub := a.Bus.NewMentionPublisher()
			pub.P.Retried = func() { a.Metrics.Retries.WithLabelValues("ingest").Inc() }
			if err := src.Run(ctx, countingPublisher{pub, a.Metrics}); err != nil && ctx.Err() == nil {
				log.Error("source_failed", "error", err)
				return
			}
			log.Info("source_finished")
		}()
	}
	wg.Wait()
	return nil
}

func (a *App) startRole(ctx context.Context, role string, run func(context.Context) error) {
	r := a.startBackground(ctx, func(ctx context.Context) {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("role_failed", "role", role, "error", err)
		}
	})
	a.mu.Lock()
	a.roles[role] = r
	a.mu.Unlock()
}

func (a *App) startBackground(ctx context.Context, fn func(context.Context)) *running {
	rctx, cancel := context.WithCancel(ctx)
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		fn(rctx)
	}()
	a.mu.Lock()
	a.bg = append(a.bg, r)
	a.mu.Unlock()
	return r
}

// prepareAlerting builds the alert stage when this process runs the
// alert role, and mounts the alerts API: served by the stage here, or
// forwarded over NATS to the process that runs it.
func (a *App) prepareAlerting() error {
	var h http.Handler
	if a.Cfg.Has(config.RoleAlert) && a.Cfg.Alerting != nil {
		names := map[string]string{}
		for _, w := range a.Cfg.Watches {
			names[w.ID] = w.Name
		}
		s, err := alertstage.New(a.Bus, a.CH, *a.Cfg.Alerting, alertstage.Options{
			Log: a.Log, Registerer: a.Reg, PublicURL: a.Cfg.HTTP.PublicURL, Metrics: a.Metrics,
			WatchName: func(id string) string { return names[id] },
		})
		if err != nil {
			return fmt.Errorf("alerting: %w", err)
		}
		a.alerts, h = s, s.Handler()
	} else {
		h = alertstage.RemoteHandler(a.Bus, a.Log)
	}
	a.routes = append(a.routes, route{"/api/v1/alerts", h}, route{"/api/v1/alerts/", h})
	return nil
}

// StopRole stops one role and waits until it has finished.
func (a *App) StopRole(role string) {
	a.mu.Lock()
	r := a.roles[role]
	delete(a.roles, role)
	a.mu.Unlock()
	if r != nil {
		r.cancel()
		<-r.done
	}
}

// Drain waits until the analyze and write consumers have nothing pending,
// or ctx ends.
func (a *App) Drain(ctx context.Context) error {
	for {
		idle := true
		for _, c := range [][2]string{{bus.StreamMentions, bus.ConsumerAnalyze}, {bus.StreamScored, bus.ConsumerWrite}} {
			n, err := a.Bus.Pending(ctx, c[0], c[1])
			if err != nil || n > 0 {
				idle = false
			}
		}
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Shutdown stops the roles in order — collectors, analyzers, writers (which
// flush what they hold) — then the HTTP server.
func (a *App) Shutdown() {
	for _, role := range []string{config.RoleIngest, config.RoleAnalyze, config.RoleDetect, config.RoleAlert, config.RoleWrite} {
		a.StopRole(role)
	}
	a.mu.Lock()
	bg := a.bg
	a.bg = nil
	a.mu.Unlock()
	for _, r := range bg {
		r.cancel()
		<-r.done
	}
	if a.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.httpSrv.Shutdown(ctx)
		cancel()
	}
}

// Close releases NATS (drained) and ClickHouse (stopping the managed one).
func (a *App) Close() {
	if a.CH != nil {
		a.CH.Close()
	}
	if a.Bus != nil {
		a.Bus.Close()
	}
	if a.Local != nil {
		a.Local.Stop()
	}
}

// Run is Start, then Shutdown when ctx ends.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		a.Shutdown()
		return err
	}
	<-ctx.Done()
	a.Shutdown()
	return nil
}

func (a *App) startHTTP() error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Reg, promhttp.HandlerOpts{Registry: a.Reg}))
	mux.HandleFunc("GET /healthz", a.healthz)
	for _, r := range a.routes {
		mux.Handle(r.pattern, r.handler)
	}
	ln, err := net.Listen("tcp", a.Cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: %w", err)
	}
	a.httpAddr = ln.Addr().String()
	a.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := a.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http_server_failed", "error", err)
		}
	}()
	a.Log.Info("http_listening", "addr", a.httpAddr)
	return nil
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var problems []string
	if !a.Bus.NC.IsConnected() {
		problems = append(problems, "nats: not connected")
	}
	if err := a.CH.Ping(ctx); err != nil {
		problems = append(problems, "clickhouse: "+err.Error())
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		return
	}
	fmt.Fprintln(w, "ok")
}

// watchLag publishes consumer lag as a gauge every 5 seconds.
func (a *App) watchLag(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		for _, c := range [][2]string{{bus.StreamMentions, bus.ConsumerAnalyze}, {bus.StreamScored, bus.ConsumerWrite},
			{bus.StreamScored, bus.ConsumerDetect}, {bus.StreamEvents, bus.ConsumerAlert}} {
			if n, err := a.Bus.Pending(ctx, c[0], c[1]); err == nil {
				a.Metrics.Pending.WithLabelValues(c[1]).Set(float64(n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
