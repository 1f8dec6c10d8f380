package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Health of a source, for the rules that read its dataset.
const (
	HealthOK       = "ok"
	HealthDegraded = "degraded" // loaded, but part of the data is missing
	HealthFailed   = "failed"   // its last sync failed: what it holds may be stale or incomplete
	HealthNever    = "never"    // it has never loaded a row
)

// SourceHealth says whether a source's data can be trusted tonight. It is
// computed from the data as it is now, not only from the last sync: a file
// whose rows were mostly quarantined stays degraded on the nights it is
// skipped as unchanged, and stops being degraded once a quarantine retry
// has loaded its rows.
type SourceHealth struct {
	Source  string
	Dataset string
	Status  string   // one of the Health* constants
	Reasons []string // plain words, never personal data; empty when ok
	// Causes are the Reasons as data, one for one, for a page to put in
	// its own words.
	Causes []HealthCause
	Rows   int64 // rows of the source in its dataset table
}

// HealthCause is one reason a source is not ok.
type HealthCause struct {
	// Kind is never_synced, failed (Err says why), empty (a file without
	// data rows), quarantine (Bad of Read rows; Counted of them only
	// counted, being copies of one row past 100) or none_loaded.
	Kind               string
	Stream             string // the file or stream; "" for the source as a whole
	Bad, Read, Counted int64
	// Unresolved of the Bad rows were loaded with an unusable ID number
	// (id_number "?…", waiting for identity resolution) rather than
	// quarantined: until linked they join no person, as if missing.
	Unresolved int64
	Err        string // failed: the first line of the error
}

// UnresolvedWords is the part of a degraded stream's reason that says how
// many of its bad rows are not in quarantine but kept with an unusable ID
// number: " or kept unresolved (N of them: …)"; "" when there are none.
func UnresolvedWords(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" or kept with an unusable ID number (%d of them, waiting for identity resolution: 身份证号无法使用，待身份识别)", n)
}

func (h *SourceHealth) add(c HealthCause, reason string) {
	h.Causes = append(h.Causes, c)
	h.Reasons = append(h.Reasons, reason)
}

// SourceSpec names a configured source and the dataset it feeds.
type SourceSpec struct {
	Name, Dataset string
}

// SourceHealths judges each source. A stream counts as degraded when more
// than quarantineShare (0..1) of its rows are in quarantine, or when a
// file had no data rows at all. The last sync decides which streams are
// current: a failed stream (or a source that failed as a whole) makes the
// source failed when nothing of that sync loaded, degraded otherwise.
func (s *Store) SourceHealths(ctx context.Context, sources []SourceSpec, quarantineShare float64) (map[string]SourceHealth, error) {
	names := make([]string, len(sources))
	for i, src := range sources {
		names[i] = src.Name
	}
	streams, err := s.currentStreams(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("health of the sources: %w", err)
	}
	out := map[string]SourceHealth{}
	for _, src := range sources {
		h, err := s.sourceHealth(ctx, src, quarantineShare, streams[src.Name])
		if err != nil {
			return nil, fmt.Errorf("health of source %s: %w", src.Name, err)
		}
		out[src.Name] = h
	}
	return out, nil
}

// currentStream is one stream of a source's last sync, resolved: an
// unchanged stream stands for the load it is unchanged from.
type currentStream struct {
	stream, status, errText string
	read, bad               int64 // of the version loaded, blank rows aside; bad rows later fixed by a retry taken off
	counted                 int64 // of the bad or blank rows, copies only counted, not in quarantine
	// unresolved rows were loaded with an unusable ID (id_number "?…"):
	// until linked they join no person, so they count with the bad (those
	// linked since do not).
	unresolved int64
	file       bool // a content hash: a file (or another stream read whole)
}

// currentStreams reads the streams of each named source's last sync, by
// source and in stream order, in one query for all the sources: a query
// each took 20-30 ms of planning over a loads table of a few dozen rows,
// 0.4 s of a night's health check with fifteen sources (issue 14).
func (s *Store) currentStreams(ctx context.Context, sources []string) (map[string][]currentStream, error) {
	list, err := json.Marshal(sources)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
		WITH src AS (SELECT unnest(from_json($1::VARCHAR, '["VARCHAR"]')) AS source),
		last AS (SELECT source, max(sync_id) AS sync_id FROM loads
		         WHERE source IN (SELECT source FROM src) AND coalesce(origin, 'sync') = 'sync' GROUP BY source),
		cur AS (SELECT l.* FROM loads l JOIN last USING (source) WHERE l.sync_id = last.sync_id),
		res AS (
		    SELECT cur.source, cur.stream, cur.content_hash,
		           CASE WHEN cur.status = 'unchanged' THEN coalesce(prev.status, 'ok') ELSE cur.status END AS status,
		           coalesce(CASE WHEN cur.status = 'unchanged' THEN prev.error ELSE cur.error END, '') AS error,
		           coalesce(CASE WHEN cur.status = 'unchanged' THEN prev.rows_read - prev.rows_blank
		                         ELSE cur.rows_read - cur.rows_blank END, 0) AS rows_read,
		           coalesce(CASE WHEN cur.status = 'unchanged' THEN prev.rows_bad ELSE cur.rows_bad END, 0) AS rows_bad,
		           coalesce(CASE WHEN cur.status = 'unchanged' THEN prev.rows_counted ELSE cur.rows_counted END, 0) AS rows_counted,
		           coalesce(CASE WHEN cur.status = 'unchanged' THEN prev.rows_unresolved ELSE cur.rows_unresolved END, 0) AS rows_unresolved,
		           CASE WHEN cur.status = 'unchanged' THEN prev.load_id ELSE cur.load_id END AS load_id
		    FROM cur LEFT JOIN LATERAL (
		        SELECT p.status, p.error, p.rows_read, p.rows_bad, p.rows_blank, p.rows_counted, p.rows_unresolved, p.load_id FROM loads p
		        WHERE p.source = cur.source AND p.stream = cur.stream AND p.content_hash = cur.content_hash
		          AND p.status IN ('ok', 'degraded') AND coalesce(p.origin, 'sync') = 'sync'
		        ORDER BY p.load_id DESC LIMIT 1) prev ON true)
		SELECT res.source, res.stream, res.status, res.error, res.rows_read,
		       greatest(res.rows_bad - coalesce((
		           SELECT sum(r.rows_read - r.rows_bad - r.rows_blank) FROM loads r
		           WHERE r.source = res.source AND r.stream = res.stream AND r.origin = 'retry'
		             AND r.status IN ('ok', 'degraded') AND r.load_id > res.load_id), 0), 0)::BIGINT,
		       coalesce(res.content_hash, '') <> '', res.rows_counted, res.rows_unresolved
		FROM res ORDER BY res.source, res.stream`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]currentStream{}
	for rows.Next() {
		var source string
		var c currentStream
		if err := rows.Scan(&source, &c.stream, &c.status, &c.errText, &c.read, &c.bad, &c.file, &c.counted, &c.unresolved); err != nil {
			return nil, err
		}
		out[source] = append(out[source], c)
	}
	return out, rows.Err()
}

// sourceHealth judges one source from the streams of its last sync.
func (s *Store) sourceHealth(ctx context.Context, src SourceSpec, share float64, streams []currentStream) (SourceHealth, error) {
	h := SourceHealth{Source: src.Name, Dataset: src.Dataset, Status: HealthOK}
	var err error
	// A row kept unresolved and linked since (by the linker or an
	// analyst) names its person: it no longer counts against the source.
	// One read of the dataset for all the source's streams (a county's
	// monthly files are a dozen streams of one table). Every row's _key is
	// read: a linked row's _load_id is not always identity resolution's
	// (a file sent again gives its repeated rows the new load's id, and
	// they keep the person the link gave them), so no load narrows it.
	if slices.ContainsFunc(streams, func(c currentStream) bool { return c.unresolved > 0 }) {
		linked := map[string]int64{}
		lr, err := s.db.QueryContext(ctx, `SELECT d._stream, count(*) FROM links l JOIN main.`+quoteIdent(src.Dataset)+` d ON d._key = l.row_key
			WHERE l.dataset = $1 AND d._source = $2 AND l.status IN ('linked', 'confirmed')
			  AND starts_with(l.raw_id, '`+dataset.UnresolvedPrefix+`') GROUP BY d._stream`, src.Dataset, src.Name)
		if err != nil {
			return h, err
		}
		for lr.Next() {
			var stream string
			var n int64
			if err := lr.Scan(&stream, &n); err != nil {
				lr.Close()
				return h, err
			}
			linked[stream] = n
		}
		lr.Close()
		if err := lr.Err(); err != nil {
			return h, err
		}
		for i, c := range streams {
			streams[i].unresolved = max(c.unresolved-linked[c.stream], 0)
		}
	}
	if h.Rows, err = s.CountRows(ctx, src.Dataset, src.Name); err != nil {
		return h, err
	}
	if len(streams) == 0 {
		h.Status = HealthNever
		h.add(HealthCause{Kind: "never_synced"}, "never synced")
		return h, nil
	}
	var failed, good int
	for _, c := range streams {
		switch {
		case c.status == StatusFailed:
			failed++
			name := c.stream
			if name == "" {
				name = "the source"
			}
			msg := firstLine(c.errText)
			if !strings.HasPrefix(msg, c.stream+":") || c.stream == "" {
				msg = name + " failed: " + msg
			}
			h.add(HealthCause{Kind: "failed", Stream: c.stream, Err: firstLine(c.errText)}, msg)
			continue
		case c.file && c.read == 0:
			h.add(HealthCause{Kind: "empty", Stream: c.stream}, fmt.Sprintf("%s has no data rows", c.stream))
		case c.bad+c.unresolved > 0 && float64(c.bad+c.unresolved) > share*float64(c.read) && c.counted > 0:
			h.add(HealthCause{Kind: "quarantine", Stream: c.stream, Bad: c.bad + c.unresolved, Read: c.read, Counted: c.counted, Unresolved: c.unresolved},
				fmt.Sprintf("%s: %d of %d rows are bad (in quarantine; %d copies of rows repeated more than 100 times only counted)%s",
					c.stream, c.bad+c.unresolved, c.read, c.counted, UnresolvedWords(c.unresolved)))
		case c.bad+c.unresolved > 0 && float64(c.bad+c.unresolved) > share*float64(c.read):
			h.add(HealthCause{Kind: "quarantine", Stream: c.stream, Bad: c.bad + c.unresolved, Read: c.read, Unresolved: c.unresolved},
				fmt.Sprintf("%s: %d of %d rows are in quarantine%s", c.stream, c.bad+c.unresolved, c.read, UnresolvedWords(c.unresolved)))
		}
		good++
	}
	switch {
	case failed > 0 && good == 0:
		h.Status = HealthFailed
	case len(h.Reasons) > 0:
		h.Status = HealthDegraded
	}
	if h.Rows == 0 && h.Status == HealthOK {
		// Rows read that were all duplicates (the same file under another
		// source) are in the store: the data is there, under the other.
		var read int64
		err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(rows_read - coalesce(rows_blank, 0)), 0) FROM loads
			WHERE source = $1 AND status IN ('ok', 'degraded')`, src.Name).Scan(&read)
		if err != nil {
			return h, err
		}
		if read == 0 {
			h.Status = HealthNever
			h.add(HealthCause{Kind: "none_loaded"}, "no row has ever loaded")
		}
	}
	return h, nil
}

// quoteIdent quotes a table name for SQL.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	const max = 300
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// SortedHealth lists the healths by source name.
func SortedHealth(m map[string]SourceHealth) []SourceHealth {
	out := make([]SourceHealth, 0, len(m))
	for _, h := range m {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out
}

// Gap is a person ("P:" + ID number) or household ("H:" + 户号) with a row
// of a dataset in quarantine, first read by load LoadID.
type Gap struct {
	Dataset string
	Key     string
	LoadID  int64
}

// UnresolvedGaps lists, for a source of a linkable dataset, the households
// ("H:" + 户号) named by its rows kept with an unusable ID number: until
// such a row is linked it clears no one (a 低保 roster row whose ID was
// mistyped still says the household is covered), so its household has a
// gap as if the row were in quarantine. LoadID is the row's load.
func (s *Store) UnresolvedGaps(ctx context.Context, src SourceSpec) ([]Gap, error) {
	ds, ok := dataset.Lookup(src.Dataset)
	if !ok || !ds.Linkable() {
		return nil, nil
	}
	if _, ok := ds.Field("household_id"); !ok {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT household_id, max(_load_id) FROM `+quoteIdent(src.Dataset)+`
		WHERE _source = $1 AND `+dataset.UnresolvedSQL("id_number")+` AND coalesce(household_id, '') <> ''
		GROUP BY household_id ORDER BY household_id`, src.Name)
	if err != nil {
		return nil, fmt.Errorf("unresolved rows of %s: %w", src.Name, err)
	}
	defer rows.Close()
	var out []Gap
	for rows.Next() {
		g := Gap{Dataset: src.Dataset}
		if err := rows.Scan(&g.Key, &g.LoadID); err != nil {
			return nil, err
		}
		g.Key = "H:" + g.Key
		out = append(out, g)
	}
	return out, rows.Err()
}

// OpenGaps keeps the gaps that no later load has closed: the dataset has
// no row of that person (or household) loaded after the quarantined one's
// load, so what the dataset says of them tonight is missing that row.
func (s *Store) OpenGaps(ctx context.Context, gaps []Gap) ([]Gap, error) {
	type group struct{ dataset, col string }
	byGroup := map[group][]Gap{}
	for _, g := range gaps {
		col := "id_number"
		if strings.HasPrefix(g.Key, "H:") {
			col = "household_id"
		}
		byGroup[group{g.Dataset, col}] = append(byGroup[group{g.Dataset, col}], g)
	}
	var out []Gap
	for grp, list := range byGroup {
		// One query a group, the gaps as one JSON parameter: batches of
		// 500 literals scanned the registry once a batch, 0.25 s of a
		// night's health at a million people with 3,182 registry rows in
		// quarantine (issue 14).
		type row struct {
			I int    `json:"i"`
			K string `json:"k"`
			L int64  `json:"l"`
		}
		rs := make([]row, len(list))
		for i, g := range list {
			rs[i] = row{i, g.Key[2:], g.LoadID}
		}
		param, err := json.Marshal(rs)
		if err != nil {
			return nil, err
		}
		// A row kept with an unusable ID number names nobody: it
		// does not close a gap.
		resolved := ""
		if ds, ok := dataset.Lookup(grp.dataset); ok && ds.Linkable() {
			resolved = " AND " + dataset.ResolvedSQL("d.id_number")
		}
		rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`WITH g AS (SELECT unnest(from_json($1::VARCHAR, '[{"i": "BIGINT", "k": "VARCHAR", "l": "BIGINT"}]'), recursive := true))
			SELECT g.i FROM g WHERE NOT EXISTS (SELECT 1 FROM %s d WHERE d.%s = g.k AND d._load_id > g.l%s) ORDER BY g.i`,
			quoteIdent(grp.dataset), grp.col, resolved), string(param))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var i int
			if err := rows.Scan(&i); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, list[i])
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
