package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/store"
)

// notifier is serve's sender of notifications: every notify.poll, and at
// once after a night, it sends what the outbox has due, on the store
// serve holds, with the config in force (a reload's receivers apply at
// the next pass). It never takes serve's job lock: the outbox's rows are
// its own, and a receiver that is down holds up nothing but itself.
type notifier struct {
	kicks  chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startNotifier starts sending on st until stop.
func startNotifier(ctx context.Context, cfg func() *config.Config, st *store.Store, logger *slog.Logger) *notifier {
	ctx, cancel := context.WithCancel(ctx)
	n := &notifier{kicks: make(chan struct{}, 1), cancel: cancel}
	n.done.Add(1)
	go func() {
		defer n.done.Done()
		for {
			c := cfg()
			poll := c.Notify.Poll.Std()
			if poll <= 0 {
				poll = config.DefaultNotifyPoll
			}
			if len(c.Notify.Receivers) > 0 {
				p := &pipeline.Pipeline{Cfg: c, Store: st, Logger: logger}
				res, err := p.Deliver(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					logger.Error("notify", "err", err)
				case res.Sent+res.Failed+res.GaveUp > 0:
					logger.Info("notifications", "sent", res.Sent, "to_retry", res.Failed, "given_up", res.GaveUp, "resent", res.Resent)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-n.kicks:
			case <-time.After(poll):
			}
		}
	}()
	return n
}

// kick asks for a pass now (after a night recorded its notifications).
func (n *notifier) kick() {
	if n == nil {
		return
	}
	select {
	case n.kicks <- struct{}{}:
	default:
	}
}

// stop ends the sending; a send in flight is cut (it is sent again at the
// next start, marked resent).
func (n *notifier) stop() {
	if n == nil {
		return
	}
	n.cancel()
	n.done.Wait()
}
