package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storeCollector is serve's figures read from the store it holds, at
// scrape time (DuckDB serves reads beside the night's writes): the run
// ledger, the load ledger and the cases. It never opens the store: before
// serve holds it, and once serve stops, only lipwatch_store_open is there.
type storeCollector struct{ h *holding }

// scrapeTimeout bounds the store's queries of one scrape.
const scrapeTimeout = 10 * time.Second

var (
	descStoreOpen = prometheus.NewDesc("lipwatch_store_open",
		"1 while serve holds the store and the figures below are read from it, 0 before (another lipwatch process holds it) and while stopping. Boolean; source: serve's process.",
		nil, nil)
	descRuns = prometheus.NewDesc("lipwatch_runs_total",
		"Finished runs in the run ledger (table runs), by kind (run: the nightly job; sync: a source's own schedule; evaluate, dispatch, feedback, link: commands) and status (ok, failed, busy: a try that found the store held, interrupted). Count of ledger rows since the store was made; source: store table runs.",
		[]string{"kind", "status"}, nil)
	descRunning = prometheus.NewDesc("lipwatch_runs_running",
		"Runs of each kind in the run ledger that are running now. Count; source: store table runs (status running).",
		[]string{"kind"}, nil)
	descLastDuration = prometheus.NewDesc("lipwatch_last_run_duration_seconds",
		"How long the newest finished run of each kind took, ok or failed (busy tries left out). Seconds; source: store table runs (finished_at - started_at).",
		[]string{"kind"}, nil)
	descLastSuccess = prometheus.NewDesc("lipwatch_last_run_success_timestamp_seconds",
		"When the newest successful run of each kind finished. Unix seconds; source: store table runs (status ok).",
		[]string{"kind"}, nil)
	descStage = prometheus.NewDesc("lipwatch_last_run_stage_duration_seconds",
		"How long each stage (sync, health, evaluate, dispatch, notify) of the newest finished nightly run took. Seconds; source: store table runs, kind run, summary StageSeconds.",
		[]string{"stage"}, nil)
	descRowsRead = prometheus.NewDesc("lipwatch_source_rows_read_total",
		"Rows read from each source, all syncs (read = loaded + duplicates + quarantined + counted). Rows; source: store table loads (rows_read).",
		[]string{"source"}, nil)
	descRowsLoaded = prometheus.NewDesc("lipwatch_source_rows_loaded_total",
		"Rows of each source loaded into its dataset table, all syncs. Rows; source: store table loads (rows_loaded).",
		[]string{"source"}, nil)
	descRowsQuarantined = prometheus.NewDesc("lipwatch_source_rows_quarantined_total",
		"Rows of each source quarantined (bad rows and key conflicts), all syncs. Rows; source: store table loads (rows_quarantined).",
		[]string{"source"}, nil)
	descLastSync = prometheus.NewDesc("lipwatch_source_last_success_timestamp_seconds",
		"When the newest sync of each source in which no file (stream) failed finished; absent for a source that never had one. Unix seconds; source: store table loads.",
		[]string{"source"}, nil)
	descOpen = prometheus.NewDesc("lipwatch_cases_open",
		"Open cases (new or dispatched, not closed) per township; township is the division code, or county for the county's own queue. Cases; source: store table cases.",
		[]string{"township", "township_name"}, nil)
	descDeliveries = prometheus.NewDesc("lipwatch_notify_deliveries",
		"Notifications per receiver and delivery state: sent, pending (to try, or waiting for a retry), sending (left by a crash: sent again marked resent), failed (given up after notify.max_attempts; lipwatch notify retry). Deliveries; source: store table notify_deliveries.",
		[]string{"receiver", "state"}, nil)
	descResent = prometheus.NewDesc("lipwatch_notify_resent_total",
		"Notifications sent again after a crash in the middle of a send, per receiver (the receiver may have two copies; the second says so). Deliveries; source: store table notify_deliveries.",
		[]string{"receiver"}, nil)
	descOverdue = prometheus.NewDesc("lipwatch_cases_overdue",
		"Open cases whose deadline is before today in the county's time zone, per township (as `lipwatch cases list --overdue`). Cases; source: store table cases.",
		[]string{"township", "township_name"}, nil)
)

// Describe sends the descriptions of every figure.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStoreOpen, descRuns, descRunning, descLastDuration, descLastSuccess, descStage,
		descRowsRead, descRowsLoaded, descRowsQuarantined, descLastSync, descOpen, descOverdue, descDeliveries, descResent} {
		ch <- d
	}
}

// Collect reads the figures from the store serve holds. A query that
// fails makes its figures invalid (logged by the handler); the others are
// still sent.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.h.held()
	if st == nil {
		ch <- prometheus.MustNewConstMetric(descStoreOpen, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descStoreOpen, prometheus.GaugeValue, 1)
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	db := st.DB()
	for _, q := range []struct {
		desc    *prometheus.Desc
		collect func(context.Context, *sql.DB, chan<- prometheus.Metric) error
	}{
		{descRuns, collectRuns},
		{descStage, collectStages},
		{descRowsRead, collectSources},
		{descOpen, c.collectCases},
		{descDeliveries, c.collectNotify},
	} {
		if err := q.collect(ctx, db, ch); err != nil {
			ch <- prometheus.NewInvalidMetric(q.desc, err)
		}
	}
}

// collectRuns: runs by kind and status, the running ones, and the newest
// finished and successful run of each kind.
func collectRuns(ctx context.Context, db *sql.DB, ch chan<- prometheus.Metric) error {
	rows, err := db.QueryContext(ctx, `SELECT kind, status, count(*) FROM runs GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	running := map[string]float64{}
	for rows.Next() {
		var kind, status string
		var n float64
		if err := rows.Scan(&kind, &status, &n); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		if _, ok := running[kind]; !ok {
			running[kind] = 0
		}
		if status == "running" {
			running[kind] = n
			continue
		}
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, n, kind, status)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	for kind, n := range running {
		ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, n, kind)
	}
	last, err := db.QueryContext(ctx, `SELECT kind,
			arg_max(date_diff('millisecond', started_at, finished_at), run_id) FILTER (WHERE status IN ('ok', 'failed') AND finished_at IS NOT NULL),
			max(finished_at) FILTER (WHERE status = 'ok')
		FROM runs GROUP BY kind ORDER BY kind`)
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	defer last.Close()
	for last.Next() {
		var kind string
		var ms sql.NullInt64
		var ok sql.NullTime
		if err := last.Scan(&kind, &ms, &ok); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		if ms.Valid {
			ch <- prometheus.MustNewConstMetric(descLastDuration, prometheus.GaugeValue, float64(ms.Int64)/1000, kind)
		}
		if ok.Valid {
			ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, unixSeconds(ok.Time), kind)
		}
	}
	return last.Err()
}

// collectStages: the stage timings of the newest finished nightly run
// that recorded them.
func collectStages(ctx context.Context, db *sql.DB, ch chan<- prometheus.Metric) error {
	var summary sql.NullString
	err := db.QueryRowContext(ctx, `SELECT summary FROM runs WHERE kind = 'run' AND status IN ('ok', 'failed')
		AND summary LIKE '%"StageSeconds"%' ORDER BY run_id DESC LIMIT 1`).Scan(&summary)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run stages: %w", err)
	}
	var s struct{ StageSeconds map[string]float64 }
	if err := json.Unmarshal([]byte(summary.String), &s); err != nil {
		return fmt.Errorf("run stages: %w", err)
	}
	for stage, sec := range s.StageSeconds {
		ch <- prometheus.MustNewConstMetric(descStage, prometheus.GaugeValue, sec, stage)
	}
	return nil
}

// collectSources: rows per source from the load ledger, and each source's
// newest sync in which no file failed.
func collectSources(ctx context.Context, db *sql.DB, ch chan<- prometheus.Metric) error {
	rows, err := db.QueryContext(ctx, `WITH syncs AS (
			SELECT source, sync_id, max(finished_at) AS finished, bool_or(status = 'failed') AS failed,
			       sum(rows_read) AS r, sum(rows_loaded) AS l, sum(rows_quarantined) AS q
			FROM loads GROUP BY source, sync_id)
		SELECT source, sum(r), sum(l), sum(q), max(finished) FILTER (WHERE NOT failed)
		FROM syncs GROUP BY source ORDER BY source`)
	if err != nil {
		return fmt.Errorf("loads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source string
		var read, loaded, quarantined float64
		var ok sql.NullTime
		if err := rows.Scan(&source, &read, &loaded, &quarantined, &ok); err != nil {
			return fmt.Errorf("loads: %w", err)
		}
		ch <- prometheus.MustNewConstMetric(descRowsRead, prometheus.CounterValue, read, source)
		ch <- prometheus.MustNewConstMetric(descRowsLoaded, prometheus.CounterValue, loaded, source)
		ch <- prometheus.MustNewConstMetric(descRowsQuarantined, prometheus.CounterValue, quarantined, source)
		if ok.Valid {
			ch <- prometheus.MustNewConstMetric(descLastSync, prometheus.GaugeValue, unixSeconds(ok.Time), source)
		}
	}
	return rows.Err()
}

// collectCases: open and overdue cases per township, every township the
// county's divisions name (0 for one with none) and the county's queue.
func (c *storeCollector) collectCases(ctx context.Context, db *sql.DB, ch chan<- prometheus.Metric) error {
	cfg := c.h.config()
	today := dayOf(time.Now(), cfg.Location())
	rows, err := db.QueryContext(ctx, `SELECT township_code, count(*), count(*) FILTER (WHERE deadline < ?)
		FROM cases WHERE state <> 'closed' GROUP BY township_code`, today)
	if err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	defer rows.Close()
	type counts struct{ open, overdue float64 }
	by := map[string]counts{"": {}}
	names := map[string]string{"": cfg.County.Name}
	if g := c.h.good.Load(); g != nil && g.p.Router != nil {
		for code, name := range g.p.Router.Townships {
			by[code], names[code] = counts{}, name
		}
	}
	for rows.Next() {
		var code string
		var n counts
		if err := rows.Scan(&code, &n.open, &n.overdue); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		by[code] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	codes := make([]string, 0, len(by))
	for code := range by {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		label := code
		if code == "" {
			label = "county"
		}
		name := names[code]
		if name == "" {
			name = code
		}
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, by[code].open, label, name)
		ch <- prometheus.MustNewConstMetric(descOverdue, prometheus.GaugeValue, by[code].overdue, label, name)
	}
	return nil
}

// unixSeconds reads a TIMESTAMP of the ledger, which the store writes in
// UTC, as Unix seconds.
func unixSeconds(t time.Time) float64 {
	return float64(time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixNano()) / 1e9
}

// collectNotify: deliveries per receiver and state, every configured
// receiver and state reported (0 included), and resends.
func (c *storeCollector) collectNotify(ctx context.Context, db *sql.DB, ch chan<- prometheus.Metric) error {
	rows, err := db.QueryContext(ctx, `SELECT receiver, state, count(*), count(*) FILTER (WHERE resent) FROM notify_deliveries GROUP BY ALL`)
	if err != nil {
		return fmt.Errorf("notify deliveries: %w", err)
	}
	defer rows.Close()
	counts := map[string]map[string]float64{}
	resent := map[string]float64{}
	for name := range c.h.config().Notify.Receivers {
		counts[name] = map[string]float64{}
		resent[name] = 0
	}
	for rows.Next() {
		var r, st string
		var n, re float64
		if err := rows.Scan(&r, &st, &n, &re); err != nil {
			return fmt.Errorf("notify deliveries: %w", err)
		}
		if counts[r] == nil {
			counts[r] = map[string]float64{}
		}
		counts[r][st] = n
		resent[r] += re
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for r, by := range counts {
		for _, st := range []string{"sent", "pending", "sending", "failed"} {
			ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.GaugeValue, by[st], r, st)
		}
		ch <- prometheus.MustNewConstMetric(descResent, prometheus.CounterValue, resent[r], r)
	}
	return nil
}
