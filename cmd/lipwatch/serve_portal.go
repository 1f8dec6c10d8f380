package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/portal"
	"github.com/lipwatch/lipwatch/engine/store"
)

// portalWait bounds how long a portal change waits for serve's running
// job (the nightly run) before it answers "try again later".
const portalWait = 20 * time.Second

// portalServer is the township portal serve runs: its address is bound
// at start, so that a wrong portal.listen stops serve at once; it answers
// 503 until serve holds the store, then serves engine/portal on it. A
// reload swaps in a portal built on the new config and rules.
type portalServer struct {
	cfg    *config.Config // the start's: the address and TLS files
	logger *slog.Logger
	jobs   *jobLock
	ops    http.Handler // /healthz, /readyz, /metrics when ops.listen is empty; else nil
	reload func(ctx context.Context, trigger string) error
	ln     net.Listener
	srv    *http.Server
	ready  atomic.Pointer[portal.Server]
	served chan error
}

// listenPortal binds portal.listen; nil when it is not set. ops, when not
// nil, answers opsPaths on the portal's address.
func listenPortal(cfg *config.Config, logger *slog.Logger, jobs *jobLock, ops http.Handler) (*portalServer, error) {
	pc := cfg.Portal
	if pc.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", pc.Listen)
	if err != nil {
		return nil, fmt.Errorf("portal.listen %s: %w", pc.Listen, err)
	}
	ps := &portalServer{cfg: cfg, logger: logger, jobs: jobs, ops: ops, ln: ln, served: make(chan error, 1)}
	ps.srv = &http.Server{
		Handler:           ps,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if pc.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Resolve(pc.TLSCert), cfg.Resolve(pc.TLSKey))
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("portal.tls_cert/tls_key: %w", err)
		}
		ps.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ps.ln = tls.NewListener(ln, ps.srv.TLSConfig)
	}
	go func() { ps.served <- ps.srv.Serve(ps.ln) }()
	logger.Info("portal listening", "addr", ln.Addr().String(), "tls", pc.TLSCert != "")
	return ps, nil
}

// ServeHTTP serves the portal once it is ready (health and readiness at
// once).
func (ps *portalServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ps.ops != nil && opsPaths[r.URL.Path] {
		ps.ops.ServeHTTP(w, r)
		return
	}
	p := ps.ready.Load()
	if p == nil {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "系统正在启动，请稍后刷新", http.StatusServiceUnavailable)
		return
	}
	p.ServeHTTP(w, r)
}

// start serves the portal on the store serve holds, with cfg, the config
// in force.
func (ps *portalServer) start(st *store.Store, cfg *config.Config) error {
	p, err := pipeline.New(cfg, st, ps.logger)
	if err != nil {
		return err
	}
	srv, err := ps.build(p)
	if err != nil {
		return err
	}
	ps.ready.Store(srv)
	ps.logger.Info("portal serving", "addr", ps.ln.Addr().String())
	return nil
}

// build makes the portal on p, with serve's job lock and reload.
func (ps *portalServer) build(p *pipeline.Pipeline) (*portal.Server, error) {
	var reload func(ctx context.Context) error
	if ps.reload != nil {
		reload = func(ctx context.Context) error {
			// As a change in the portal: a running night is waited for
			// this long, then the admin is told to try again.
			ctx, cancel := context.WithTimeout(ctx, portalWait)
			defer cancel()
			return ps.reload(ctx, "portal")
		}
	}
	return portal.New(portal.Options{
		Pipeline: p,
		Logger:   ps.logger,
		Exclusive: func(ctx context.Context) (func(), error) {
			ctx, cancel := context.WithTimeout(ctx, portalWait)
			defer cancel()
			if err := ps.jobs.lock(ctx, "a change in the portal", nil); err != nil {
				return nil, err
			}
			return ps.jobs.unlock, nil
		},
		Reload: reload,
	})
}

// stop ends the portal within grace: requests in flight finish.
func (ps *portalServer) stop(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := ps.srv.Shutdown(ctx)
	if serr := <-ps.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
