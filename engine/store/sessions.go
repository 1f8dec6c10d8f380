package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Sessions keeps the portal's login sessions in the store; it is the
// store github.com/alexedwards/scs/v2 asks for (Find, Commit, Delete and
// their context forms). Tokens are kept hashed. Writes are serialised:
// a browser's parallel requests renew the same session at once, and two
// DuckDB transactions replacing one row conflict.
type Sessions struct {
	s  *Store
	mu sync.Mutex
}

// Sessions returns a session keeper of the store; the portal makes one.
func (s *Store) Sessions() *Sessions { return &Sessions{s: s} }

func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// FindCtx returns a live session's data.
func (ss *Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := ss.s.db.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token = ? AND expiry > ?`,
		tokenKey(token), time.Now().UTC()).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// CommitCtx saves a session until expiry.
func (ss *Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	tx, err := ss.s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	key := tokenKey(token)
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token = ?`, key); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions VALUES (?, ?, ?)`, key, b, expiry.UTC()); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteCtx ends a session.
func (ss *Sessions) DeleteCtx(ctx context.Context, token string) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, err := ss.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token = ?`, tokenKey(token))
	return err
}

// Find, Commit and Delete are the context-free forms scs also requires.
func (ss *Sessions) Find(token string) ([]byte, bool, error) {
	return ss.FindCtx(context.Background(), token)
}

// Commit saves a session until expiry.
func (ss *Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return ss.CommitCtx(context.Background(), token, b, expiry)
}

// Delete ends a session.
func (ss *Sessions) Delete(token string) error { return ss.DeleteCtx(context.Background(), token) }

// DeleteExpired removes sessions past their expiry; it returns how many.
func (ss *Sessions) DeleteExpired(ctx context.Context) (int64, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	res, err := ss.s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= ?`, time.Now().UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
