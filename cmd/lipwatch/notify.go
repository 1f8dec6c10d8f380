package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/notify"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newNotifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Notifications: list the outbox, send what is due, retry failed ones, send a test message",
		Long: `Notifications (通知) go to the receivers of notify.receivers: WeCom and DingTalk group robots,
a JSON webhook, email. Each event is recorded in the store's outbox with the change that causes it
(a dispatch, a run that failed, the night's reminders and escalations); serve sends them within
notify.poll, a command run without serve at its end for at most notify.command_wait. A failed send
is retried with backoff up to notify.max_attempts, then left failed for 'notify retry'.
Messages carry counts, levels, deadlines and a portal link — never a name or an ID number.`,
	}
	cmd.AddCommand(newNotifyListCmd(g), newNotifySendCmd(g), newNotifyRetryCmd(g), newNotifyTestCmd(g))
	return cmd
}

func newNotifyListCmd(g *globals) *cobra.Command {
	var f store.DeliveryFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List notifications and their delivery to each receiver, newest first",
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.State != "" && !slices.Contains([]string{"pending", "sending", "sent", "failed"}, f.State) {
				return &exitError{code: 2, msg: fmt.Sprintf("--state %q: want one of pending, sending, sent, failed", f.State)}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			if _, ok := e.cfg.Notify.Receivers[f.Receiver]; f.Receiver != "" && !ok {
				return &exitError{code: 2, msg: fmt.Sprintf("--receiver %s: no such receiver in notify.receivers", f.Receiver)}
			}
			st, err := e.openStore(cmd.Context(), "lipwatch notify list")
			if err != nil {
				return err
			}
			defer st.Close()
			ds, err := st.Deliveries(cmd.Context(), f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type row struct {
					Event     int64     `json:"event"`
					Key       string    `json:"key"`
					Kind      string    `json:"kind"`
					Receiver  string    `json:"receiver"`
					State     string    `json:"state"`
					Attempts  int       `json:"attempts"`
					Created   time.Time `json:"created"`
					NextAt    time.Time `json:"next_at,omitzero"`
					SentAt    time.Time `json:"sent_at,omitzero"`
					LastError string    `json:"last_error,omitempty"`
					Resent    bool      `json:"resent,omitempty"`
				}
				rows := []row{}
				for _, d := range ds {
					r := row{d.EventID, d.Key, d.Kind, d.Receiver, d.State, d.Attempts, d.Created, time.Time{}, d.SentAt, d.LastError, d.Resent}
					if d.State == "pending" {
						r.NextAt = d.NextAt
					}
					rows = append(rows, r)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			tw := newTable(out)
			fmt.Fprintln(tw, "EVENT\tKIND\tKEY\tRECEIVER\tSTATE\tTRIES\tWHEN (UTC)\tERROR")
			for _, d := range ds {
				when := d.Created
				switch d.State {
				case "sent":
					when = d.SentAt
				case "pending":
					when = d.NextAt
				}
				state := d.State
				if d.Resent {
					state += " (resent)"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.EventID, d.Kind, d.Key, d.Receiver, state, d.Attempts,
					when.UTC().Format("2006-01-02 15:04:05"), firstLine(d.LastError))
			}
			tw.Flush()
			fmt.Fprintf(out, "%d deliveries\n", len(ds))
			return nil
		},
	}
	cmd.Flags().StringVar(&f.Receiver, "receiver", "", "only this receiver")
	cmd.Flags().StringVar(&f.State, "state", "", "only this state: pending, sending, sent or failed")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many, newest first")
	cmd.Flags().BoolVar(&asJSON, "json", false, "JSON instead of a table")
	return cmd
}

// deliverNow sends what is due, for at most wait, and says what it did.
func deliverNow(ctx context.Context, cmd *cobra.Command, p *pipeline.Pipeline, wait time.Duration) (pipeline.DeliverResult, error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	res, err := p.Deliver(ctx)
	if err != nil {
		return res, err
	}
	if res.Sent+res.Failed+res.GaveUp+res.Waiting > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "notifications: %d sent, %d to retry, %d given up, %d waiting\n", res.Sent, res.Failed, res.GaveUp, res.Waiting)
	} else if cmd.Name() == "send" {
		fmt.Fprintln(cmd.OutOrStdout(), "notifications: nothing due")
	}
	return res, nil
}

func newNotifySendCmd(g *globals) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send the notifications that are due now (serve does this by itself)",
		Long: `Sends every notification due now, each receiver on its own and within its rate, for at most
--wait; what is not sent stays pending. Exit status 1 when a send failed (it is retried later).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, _, err := g.openPipeline(cmd, "lipwatch notify send")
			if err != nil {
				return err
			}
			defer p.Close()
			res, err := deliverNow(cmd.Context(), cmd, p, wait)
			if err != nil {
				return err
			}
			if res.Failed+res.GaveUp > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d notifications could not be sent; see lipwatch notify list --state pending", res.Failed+res.GaveUp)}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 2*time.Minute, "send for at most this long")
	return cmd
}

func newNotifyRetryCmd(g *globals) *cobra.Command {
	var receiver string
	cmd := &cobra.Command{
		Use:   "retry [EVENT...]",
		Short: "Try failed notifications again now (of a receiver, or the events given), and send them",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int64
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 64)
				if err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("%q: want an event number as notify list shows it", a)}
				}
				ids = append(ids, id)
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch notify retry")
			if err != nil {
				return err
			}
			defer p.Close()
			if receiver != "" {
				if _, ok := e.cfg.Notify.Receivers[receiver]; !ok {
					return &exitError{code: 2, msg: fmt.Sprintf("--receiver %s: no such receiver in notify.receivers", receiver)}
				}
			}
			n, err := p.Store.RetryDeliveries(cmd.Context(), receiver, ids)
			if err != nil {
				return err
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "notify_retry", receiver, map[string]any{"events": ids, "deliveries": n}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d deliveries to try again\n", n)
			res, err := deliverNow(cmd.Context(), cmd, p, e.cfg.Notify.CommandWait.Std())
			if err != nil {
				return err
			}
			if res.Failed+res.GaveUp > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d notifications could not be sent", res.Failed+res.GaveUp)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&receiver, "receiver", "", "only this receiver's")
	return cmd
}

func newNotifyTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test RECEIVER",
		Short: "Send a test message to a receiver now and say whether it arrived",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			rc, ok := e.cfg.Notify.Receivers[args[0]]
			if !ok {
				var names []string
				for n := range e.cfg.Notify.Receivers {
					names = append(names, n)
				}
				slices.Sort(names)
				return &exitError{code: 2, msg: fmt.Sprintf("no receiver %q in notify.receivers (have %v)", args[0], names)}
			}
			p := &pipeline.Pipeline{Cfg: e.cfg, Logger: e.logger}
			rs, err := p.Receivers()
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			m := notify.Message{Event: "test:" + args[0] + ":" + time.Now().UTC().Format("20060102T150405"), Kind: "test",
				Title: "测试消息：" + e.cfg.County.Name + "低收入人口动态监测预警通知", At: time.Now().UTC(),
				Lines: []string{"这是一条测试消息，收到说明本群（邮箱）已能接收预警通知。", "接收范围：" + hears(rc.County, rc.Ops, rc.Townships)}}
			if err := notify.Send(cmd.Context(), nil, rs[args[0]], m); err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "test message sent to %s (%s)\n", args[0], rc.Kind)
			return nil
		},
	}
}

func hears(county, ops bool, towns []string) string {
	var out []string
	switch {
	case slices.Contains(towns, "all"):
		out = append(out, "各乡镇")
	case len(towns) > 0:
		out = append(out, "乡镇 "+strings.Join(towns, "、"))
	}
	if county {
		out = append(out, "县级")
	}
	if ops {
		out = append(out, "系统运维")
	}
	return strings.Join(out, "、")
}
