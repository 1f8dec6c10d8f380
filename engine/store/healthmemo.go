package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HealthInputs is the signature of every table a health check of the
// sources reads (pipeline.CheckHealth: SourceHealths, the quarantined and
// unresolved people's gaps, the quality guards), as one string:
//   - each dataset's rows (DatasetsSignatureSQL: count, load ids, positions);
//   - the load ledger, the links (identity resolution's decisions) and the
//     quarantine (its raw rows, from which the gaps are read): each its
//     row count and the sum of its whole rows' hashes, so that a column a
//     later migration adds is covered too; of the ledger, the rows of
//     streams skipped as unchanged aside;
//   - each source's last sync: the streams it names, their content and
//     whether they failed.
//
// Any load, retry, link decision or quarantine prune changes it.
// It costs one scan of each dataset's load-id and position columns (0.1 s
// warm, 0.4 s cold at ten million people) and of the three small tables.
func (s *Store) HealthInputs(ctx context.Context) (string, error) {
	parts := []string{`SELECT 'datasets=' || ` + DatasetsSignatureSQL() + ` AS s`}
	for _, t := range []string{"loads", "links", "quarantine"} {
		where := ""
		if t == "loads" {
			where = ` WHERE status <> 'unchanged'` // the streams skipped tonight: below
		}
		parts = append(parts, fmt.Sprintf(`SELECT '%s=' || count(*) || ':' || coalesce(sum(hash(t)::HUGEINT), 0) AS s FROM main.%s t%s`, t, t, where))
	}
	// Each source's last sync, the streams it names: a stream skipped as
	// unchanged stands for the newest load of its content, as one loaded
	// ok or degraded does (SourceHealths), so both count alike and a night
	// that skips every file keeps the signature of the night that loaded.
	parts = append(parts, `SELECT 'last=' || count(*) || ':' || coalesce(sum(hash(source, stream, coalesce(content_hash, ''),
		CASE WHEN status IN ('ok', 'degraded', 'unchanged') THEN '' ELSE status || load_id END)::HUGEINT), 0) AS s
		FROM main.loads l WHERE coalesce(origin, 'sync') = 'sync'
		  AND sync_id = (SELECT max(sync_id) FROM main.loads m WHERE m.source = l.source AND coalesce(m.origin, 'sync') = 'sync')`)
	var sig string
	err := s.db.QueryRowContext(ctx, `SELECT string_agg(s, ' ' ORDER BY s) FROM (`+strings.Join(parts, " UNION ALL ")+`)`).Scan(&sig)
	if err != nil {
		return "", fmt.Errorf("health inputs: %w", err)
	}
	return sig, nil
}

// HealthMemo returns the health check kept under key (JSON), or nil when
// the kept one is of other inputs or there is none.
func (s *Store) HealthMemo(ctx context.Context, key string) ([]byte, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT health FROM health_memo WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("health memo: %w", err)
	}
	return []byte(v), nil
}

// KeepHealthMemo replaces the kept health check by v under key. It is best
// effort, as the quality cache is: a store opened for reading only, or a
// write that fails, leaves the next check to compute again.
func (s *Store) KeepHealthMemo(ctx context.Context, key string, v []byte) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM health_memo`); err != nil {
		return
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO health_memo VALUES ($1, $2, $3)`, key, string(v), time.Now().UTC()); err != nil {
		return
	}
	_ = tx.Commit()
}
