package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// meta reads one value of store_meta.
func (s *Store) meta(ctx context.Context, key string) (string, error) {
	var v string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM store_meta WHERE key = ?`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("store meta %s: %w", key, err)
	}
	return v, nil
}

// ID is the store's identity: 32 hex digits made when the store was
// created, written into every list it sends.
func (s *Store) ID(ctx context.Context) (string, error) { return s.meta(ctx, "store_id") }

// SignList is the signature of a list's mark (the batch and township it
// was sent for, and this store's id): the first 16 bytes of
// HMAC-SHA256 under the store's own key, in hex. Only this store can
// make it, so an edited mark does not verify.
func (s *Store) SignList(ctx context.Context, batch, township, storeID string) (string, error) {
	key, err := s.meta(ctx, "list_key")
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(mac, "lipwatch-list-v1|%s|%s|%s", batch, township, storeID)
	return hex.EncodeToString(mac.Sum(nil)[:16]), nil
}

// VerifyList reports whether sig is this store's signature of the mark.
func (s *Store) VerifyList(ctx context.Context, batch, township, storeID, sig string) (bool, error) {
	want, err := s.SignList(ctx, batch, township, storeID)
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(want), []byte(sig)), nil
}
