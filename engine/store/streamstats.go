package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StatFingerprint returns the content hash recorded for a source's stream
// when the file last stat'ed as stat (migration 0028), or "" when it
// stats otherwise now or was never recorded.
func (s *Store) StatFingerprint(ctx context.Context, source, stream, stat string) (string, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT content_hash FROM stream_stats WHERE source = $1 AND stream = $2 AND stat = $3`,
		source, stream, stat).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("stream stats: %w", err)
	}
	return hash, nil
}

// KeepStatFingerprint records that a source's stream stat'ed as stat when
// its content hashed to hash. Best effort, as a cache: a store opened for
// reading only, or a failed write, leaves the next sync to hash the file.
func (s *Store) KeepStatFingerprint(ctx context.Context, source, stream, stat, hash string) {
	_, _ = s.db.ExecContext(ctx, `INSERT OR REPLACE INTO stream_stats VALUES ($1, $2, $3, $4, $5)`,
		source, stream, stat, hash, time.Now().UTC())
}
