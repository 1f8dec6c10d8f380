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
// 503 until serve holds the store, then serves engine/portal on it.
type portalServer struct {
	cfg    *config.Config
	logger *slog.Logger
	jobs   *jobLock
	ln     net.Listener
	srv    *http.Server
	ready  atomic.Pointer[portal.Server]
	served chan error
}

// listenPortal binds portal.listen; nil when it is not set.
func listenPortal(cfg *config.Config, logger *slog.Logger, jobs *jobLock) (*portalServer, error) {
	pc := cfg.Portal
	if pc.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", pc.Listen)
	if err != nil {
		return nil, fmt.Errorf("portal.listen %s: %w", pc.Listen, err)
	}
	ps := &portalServer{cfg: cfg, logger: logger, jobs: jobs, ln: ln, served: make(chan error, 1)}
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

// ServeHTTP serves the portal once it is ready.
func (ps *portalServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := ps.ready.Load()
	if p == nil {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "系统正在启动，请稍后刷新", http.StatusServiceUnavailable)
		return
	}
	p.ServeHTTP(w, r)
}

// start serves the portal on the store serve holds.
func (ps *portalServer) start(st *store.Store) error {
	p, err := pipeline.New(ps.cfg, st, ps.logger)
	if err != nil {
		return err
	}
	srv, err := portal.New(portal.Options{
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
	})
	if err != nil {
		return err
	}
	ps.ready.Store(srv)
	ps.logger.Info("portal serving", "addr", ps.ln.Addr().String())
	return nil
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
