package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Retry validates a source's quarantined rows again with its current
// mapping (after an analyst fixed a column name or added a value alias):
// rows that now pass are loaded (or found already loaded) and leave
// quarantine; rows still bad stay, with their current reason. One
// transaction for the source, like a sync.
func (s *Syncer) Retry(ctx context.Context, src Source) Result {
	start := time.Now()
	res := Result{Source: src.Name, Dataset: src.Dataset.Name}
	err := s.retry(ctx, src, &res)
	res.Elapsed = time.Since(start)
	if err != nil {
		res.Err = fmt.Errorf("retry quarantine of %s: %w", src.Name, err)
		res.Loads = nil
	}
	return res
}

func (s *Syncer) retry(ctx context.Context, src Source, res *Result) error {
	all, err := s.Store.QuarantineRows(ctx, src.Name, "", 0)
	if err != nil {
		return err
	}
	// Key conflicts are not a mapping problem: the row was valid and its key
	// is loaded with other values. They wait for an analyst, not a retry.
	var rows []store.Quarantined
	for _, q := range all {
		if q.Code != store.KeyConflict {
			rows = append(rows, q)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	syncID, err := s.Store.NewSyncID(ctx)
	if err != nil {
		return err
	}
	load, err := s.Store.BeginLoad(ctx, src.Name, syncID, src.Dataset)
	if err != nil {
		return err
	}
	defer load.Rollback(ctx)
	load.MarkRetry()
	if src.Replace {
		load.ReplaceConflicts()
	}
	reasons := map[[2]string]int64{}
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].Stream == rows[start].Stream {
			end++
		}
		ld, err := retryStream(ctx, load, src, rows[start:end])
		if err != nil {
			return err
		}
		res.Loads = append(res.Loads, ld)
		for _, rc := range ld.Reasons {
			reasons[[2]string{rc.Code, rc.Column}] += rc.Count
		}
		start = end
	}
	if err := load.Commit(ctx); err != nil {
		return err
	}
	for k, n := range reasons {
		res.Reasons = append(res.Reasons, ReasonCount{Code: k[0], Column: k[1], Count: n})
	}
	return nil
}

// retryStream re-validates one stream's quarantined rows.
func retryStream(ctx context.Context, load *store.SourceLoad, src Source, rows []store.Quarantined) (store.Load, error) {
	sl, err := load.Stream(ctx, rows[0].Stream, "")
	if err != nil {
		return store.Load{}, err
	}
	mappers := map[string]*dataset.Mapper{}
	out := make([]any, len(src.Dataset.Fields))
	for _, q := range rows {
		header, values, kinds, err := ParseRaw(q.Raw)
		if err != nil {
			sl.Abort()
			return store.Load{}, fmt.Errorf("%s:%d: quarantined row: %w", q.Stream, q.Position, err)
		}
		hk := strings.Join(header, "\x1f")
		m, ok := mappers[hk]
		if !ok {
			m, err = dataset.NewMapper(src.Dataset, header, src.Mapping)
			if err != nil {
				m = nil // the row's columns still do not match the mapping
			}
			mappers[hk] = m
		}
		sl.Resolve(q.Position, q.Raw)
		if m == nil {
			err = sl.Quarantine(q.Position, q.Raw, &dataset.Problem{Code: q.Code, Field: q.Field, Column: q.Column, Reason: q.Reason})
		} else if key, prob := m.MapRow(values, kinds, out); prob != nil {
			err = sl.Quarantine(q.Position, q.Raw, prob)
		} else if err = sl.Append(out, key, q.Position); err == nil {
			sl.KeepOrder(q.Position, key, q.LoadID)
		}
		if err != nil {
			sl.Abort()
			return store.Load{}, err
		}
	}
	return sl.Finish(ctx, int64(len(rows)))
}

// ParseRaw reads a quarantined row back (RawJSON's output): the header in
// the source's column order ("" for cells past it: "_extra_N" keys), the
// values and their kinds (nil when every cell was text).
func ParseRaw(raw string) (header, values []string, kinds []connectors.CellKind, err error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, nil, fmt.Errorf("raw row is not a JSON object")
	}
	var typed map[string]string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, nil, nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, err
		}
		if k == kindsKey && len(raw) > 0 && raw[0] == '{' {
			if err := json.Unmarshal(raw, &typed); err != nil {
				return nil, nil, nil, fmt.Errorf("raw row: %s: %w", kindsKey, err)
			}
			continue
		}
		var v string
		switch {
		case len(raw) > 0 && raw[0] == '"':
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, nil, nil, err
			}
		case string(raw) == "null":
		default: // a number or boolean, as key-conflict rows record them
			v = string(raw)
		}
		name := k.(string)
		if strings.HasPrefix(name, "_extra_") {
			name = ""
		}
		header = append(header, name)
		values = append(values, v)
	}
	if len(typed) > 0 {
		kinds = make([]connectors.CellKind, len(values))
		for pos, k := range typed {
			if i, err := strconv.Atoi(pos); err == nil && i >= 1 && i <= len(values) {
				kinds[i-1] = connectors.ParseCellKind(k)
			}
		}
	}
	return header, values, kinds, nil
}
