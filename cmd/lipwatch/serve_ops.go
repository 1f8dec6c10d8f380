package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/portal"
	"github.com/lipwatch/lipwatch/engine/schedule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// opsPaths are what operators and their monitoring ask serve: is the
// process up (/healthz), can it serve (/readyz), and its figures
// (/metrics, Prometheus's text format).
var opsPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// opsServer answers opsPaths on ops.listen, or through the portal's
// listener when ops.listen is empty; with neither, nothing listens. It
// also keeps the reload counters, which /metrics shows.
type opsServer struct {
	h       *holding
	handler http.Handler
	srv     *http.Server // nil without ops.listen
	served  chan error

	reloads    *prometheus.CounterVec // result: success, failure
	reloadOK   prometheus.Gauge
	reloadedAt prometheus.Gauge
	fallbacks  prometheus.Counter
}

// listenOps builds serve's ops handler and binds ops.listen when set.
func listenOps(h *holding) (*opsServer, error) {
	o := &opsServer{h: h, served: make(chan error, 1)}
	reg := prometheus.NewRegistry()
	o.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lipwatch_config_reloads_total",
		Help: "Reloads of config.yaml and the rule files asked for (SIGHUP or the portal's button) since serve started, by result: success (applied) or failure (a file did not load or check; nothing applied). Count; source: serve's process."},
		[]string{"result"})
	o.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Name: "lipwatch_config_last_reload_successful",
		Help: "1 if the last reload of config and rule files was applied (or none was asked for since start), 0 if it failed and the last good ones stay. Boolean; source: serve's process."})
	o.reloadedAt = prometheus.NewGauge(prometheus.GaugeOpts{Name: "lipwatch_config_last_reload_success_timestamp_seconds",
		Help: "When the config and rules in force were loaded: serve's start or the last successful reload. Unix seconds; source: serve's process."})
	o.fallbacks = prometheus.NewCounter(prometheus.CounterOpts{Name: "lipwatch_rules_fallback_runs_total",
		Help: "Nights since serve started that found the rule files, holiday calendar or divisions file broken and ran on the last good ones (the error is logged). Count; source: serve's process."})
	o.reloads.WithLabelValues("success")
	o.reloads.WithLabelValues("failure")
	o.reloadOK.Set(1)
	o.reloadedAt.Set(float64(time.Now().Unix()))
	reg.MustRegister(o.reloads, o.reloadOK, o.reloadedAt, o.fallbacks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{h: h})

	logger := h.e.logger
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if reason := h.notReady(r.Context()); reason != "" {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", reason)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError, // a query that failed is logged; the other figures are served
		Timeout:       30 * time.Second,
	}))
	o.handler = mux

	addr := h.config().Ops.Listen
	if addr == "" {
		return o, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops.listen %s: %w", addr, err)
	}
	o.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { o.served <- o.srv.Serve(ln) }()
	logger.Info("ops listening: /healthz, /readyz, /metrics", "addr", ln.Addr().String())
	return o, nil
}

// onPortal is the handler the portal's listener gives opsPaths to: the
// ops handler when ops.listen is empty, else none (the portal's address
// then answers them as it answers any unknown path).
func (o *opsServer) onPortal(cfg *config.Config) http.Handler {
	if cfg.Ops.Listen != "" {
		return nil
	}
	return o.handler
}

// stop ends the ops listener within grace.
func (o *opsServer) stop(grace time.Duration) error {
	if o == nil || o.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := o.srv.Shutdown(ctx)
	if serr := <-o.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// notReady says why serve cannot serve yet, "" when it can: it holds the
// store and the store answers, and the portal (when configured) serves.
func (h *holding) notReady(ctx context.Context) string {
	h.mu.Lock()
	st, stopped, openErr := h.st, h.stopped, h.openErr
	h.mu.Unlock()
	switch {
	case stopped:
		return "serve is stopping"
	case st == nil && openErr != nil:
		return "the store is not open yet: " + openErr.Error()
	case st == nil:
		return "the store is not open yet"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.DB().PingContext(ctx); err != nil {
		return "the store does not answer: " + err.Error()
	}
	if h.portal != nil && h.portal.ready.Load() == nil {
		return "the portal could not start on the store (see the log)"
	}
	return ""
}

// held is the store serve holds, nil before it is open and once serve
// stops: the metrics read it and never open it.
func (h *holding) held() *store.Store {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil
	}
	return h.st
}

// config is the config in force.
func (h *holding) config() *config.Config { return h.cfg.Load() }

// goodRules is a pipeline without a store: the last rules, calendar and
// divisions that loaded, and when.
type goodRules struct {
	p  *pipeline.Pipeline
	at time.Time
}

// keepGood keeps p's rules as the last good ones.
func (h *holding) keepGood(p *pipeline.Pipeline) {
	tmpl := *p
	tmpl.Store = nil
	h.good.Store(&goodRules{p: &tmpl, at: time.Now()})
}

// on returns a pipeline of the last good rules on st, with cfg.
func (g *goodRules) on(cfg *config.Config, st *store.Store, logger *slog.Logger) *pipeline.Pipeline {
	p := *g.p
	p.Cfg, p.Store, p.Logger = cfg, st, logger
	return &p
}

// nightPipeline is the night's pipeline on st: the rule files, calendar
// and divisions read again, or, when one of them no longer loads, the
// last good ones — the night still runs, and the error is logged with
// the file and line and counted (lipwatch_rules_fallback_runs_total).
func (h *holding) nightPipeline(cfg *config.Config, st *store.Store) (*pipeline.Pipeline, error) {
	logger := h.e.logger
	p, err := pipeline.New(cfg, st, logger)
	if err == nil {
		if cfg == h.config() { // not a night of a config since replaced
			h.keepGood(p)
		}
		return p, nil
	}
	good := h.good.Load()
	if good == nil {
		return nil, err
	}
	logger.Error("rule files did not load: tonight runs on the last good rules; fix the file (lipwatch rules check)",
		"err", err, "rules_version", good.p.Pack.Version, "last_good_since", good.at.Format(time.RFC3339))
	h.ops.fallbacks.Inc()
	return good.on(cfg, st, logger), nil
}

// holdHUP catches SIGHUP from serve's start, so that one sent before
// serve can reload is kept for it rather than ending the process.
func holdHUP() chan os.Signal {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
}

// reloadOnHUP reloads on every SIGHUP until ctx is done.
func (h *holding) reloadOnHUP(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = h.reload(ctx, "SIGHUP") // logged and counted
		}
	}
}

// restartOnly are the settings serve reads once, at start: a reload logs a
// change of one as needing a restart and keeps the running value.
var restartOnly = []struct {
	key  string
	get  func(c *config.Config) string
	keep func(next, cur *config.Config)
}{
	{"store.path", func(c *config.Config) string { return c.Resolve(c.Store.Path) }, func(n, c *config.Config) { n.Store.Path = c.Store.Path }},
	{"store.threads", func(c *config.Config) string { return fmt.Sprint(c.Store.Threads) }, func(n, c *config.Config) { n.Store.Threads = c.Store.Threads }},
	{"store.memory_limit", func(c *config.Config) string { return c.Store.MemoryLimit }, func(n, c *config.Config) { n.Store.MemoryLimit = c.Store.MemoryLimit }},
	{"store.temp_directory", func(c *config.Config) string { return c.Store.TempDirectory }, func(n, c *config.Config) { n.Store.TempDirectory = c.Store.TempDirectory }},
	{"store.checkpoint_threshold", func(c *config.Config) string { return c.Store.CheckpointThreshold }, func(n, c *config.Config) { n.Store.CheckpointThreshold = c.Store.CheckpointThreshold }},
	{"portal.listen", func(c *config.Config) string { return c.Portal.Listen }, func(n, c *config.Config) { n.Portal.Listen = c.Portal.Listen }},
	{"portal.tls_cert", func(c *config.Config) string { return resolved(c, c.Portal.TLSCert) }, func(n, c *config.Config) { n.Portal.TLSCert = c.Portal.TLSCert }},
	{"portal.tls_key", func(c *config.Config) string { return resolved(c, c.Portal.TLSKey) }, func(n, c *config.Config) { n.Portal.TLSKey = c.Portal.TLSKey }},
	{"ops.listen", func(c *config.Config) string { return c.Ops.Listen }, func(n, c *config.Config) { n.Ops.Listen = c.Ops.Listen }},
	{"log.level", func(c *config.Config) string { return c.Log.Level }, func(n, c *config.Config) { n.Log.Level = c.Log.Level }},
	{"log.format", func(c *config.Config) string { return c.Log.Format }, func(n, c *config.Config) { n.Log.Format = c.Log.Format }},
	{"schedule.shutdown_grace", func(c *config.Config) string { return c.Schedule.ShutdownGrace.String() }, func(n, c *config.Config) { n.Schedule.ShutdownGrace = c.Schedule.ShutdownGrace }},
	{"schedule.busy_wait", func(c *config.Config) string { return c.Schedule.BusyWait.String() }, func(n, c *config.Config) { n.Schedule.BusyWait = c.Schedule.BusyWait }},
	{"schedule.busy_retry", func(c *config.Config) string { return c.Schedule.BusyRetry.String() }, func(n, c *config.Config) { n.Schedule.BusyRetry = c.Schedule.BusyRetry }},
}

func resolved(c *config.Config, path string) string {
	if path == "" {
		return ""
	}
	return c.Resolve(path)
}

// reload reads config.yaml and the rule files (with the holiday calendar
// and the divisions file) again and applies them — or, when one does not
// load or check, applies nothing: the last good config and rules stay, and
// the error, which names the file and line as the loaders do, is logged,
// counted and returned. Applied, the scheduler's jobs follow the new
// schedules and sources, the portal is rebuilt on the new config and
// rules, and later nights use them; settings read only at start
// (restartOnly) keep their running values and are logged as needing a
// restart. The swap waits for serve's running job (the nightly run, a
// sync, a command that writes) until ctx is done.
func (h *holding) reload(ctx context.Context, trigger string) (err error) {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	cur := h.config()
	logger := h.e.logger.With("trigger", trigger, "config", cur.Path)
	defer func() {
		if err != nil {
			h.ops.reloads.WithLabelValues("failure").Inc()
			h.ops.reloadOK.Set(0)
			logger.Error("reload failed: the last good config and rules stay", "err", err)
			return
		}
		h.ops.reloads.WithLabelValues("success").Inc()
		h.ops.reloadOK.Set(1)
		h.ops.reloadedAt.Set(float64(time.Now().Unix()))
	}()
	logger.Info("reloading config and rules")
	next, err := config.Load(cur.Path)
	if err != nil {
		return err
	}
	if next.County.Timezone != cur.County.Timezone {
		return fmt.Errorf("county.timezone changed from %s to %s: dates and schedules are read in it, so it needs a restart; nothing was reloaded",
			cur.County.Timezone, next.County.Timezone)
	}
	for _, k := range restartOnly {
		if was, now := k.get(cur), k.get(next); was != now {
			logger.Warn("config change needs a restart: the running value is kept", "key", k.key, "running", was, "new", now)
			k.keep(next, cur)
		}
	}
	// Rules, calendar and divisions, checked as a night would load them.
	good, err := pipeline.New(next, nil, h.e.logger)
	if err != nil {
		return err
	}
	jobs := h.scheduled(next)

	// The swap, between serve's jobs: never in the middle of a night.
	if err := h.jobs.lock(ctx, "the reload of config and rules", func(holder string, since time.Time) {
		logger.Info("reload waits for serve's running job", "job", holder, "since", since.Format(time.RFC3339))
	}); err != nil {
		return fmt.Errorf("reload: waiting for serve's running job: %w; nothing was reloaded, try again", err)
	}
	defer h.jobs.unlock()
	var ps *portal.Server
	if st := h.held(); st != nil && h.portal != nil {
		if ps, err = h.portal.build((&goodRules{p: good}).on(next, st, h.e.logger)); err != nil {
			return fmt.Errorf("portal: %w", err)
		}
	}
	if err := h.sched.Replace(jobs); err != nil {
		return err
	}
	h.cfg.Store(next)
	h.keepGood(good)
	if ps != nil {
		h.portal.ready.Store(ps)
	}
	nextRun, _ := schedule.Next(next.Schedule.Nightly, next.Location(), time.Now())
	logger.Info("reloaded config and rules", "rules_version", good.Pack.Version, "nightly", next.Schedule.Nightly,
		"next_run", nextRun.Format(time.RFC3339), "jobs", len(jobs))
	return nil
}
