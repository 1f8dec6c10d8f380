package store

import (
	"context"
	"fmt"
)

// LinkProgress is how far the analysts are through the clerical review
// queue: of the links the linker left for review (band review), how many
// an analyst confirmed or rejected, and how many still wait (status
// pending). A link that left the queue without an analyst — linked
// automatically or found unmatched when the registry changed — is in
// neither count: it is no longer the analysts' work. A link the linker
// decided itself (linked, unmatched) and an analyst then corrected is not
// queue work either.
type LinkProgress struct {
	Confirmed, Rejected, Pending int
}

// Decided is the queue's links an analyst confirmed or rejected.
func (p LinkProgress) Decided() int { return p.Confirmed + p.Rejected }

// Total is the queue's links decided or waiting: the denominator of "3 of
// 17 decided".
func (p LinkProgress) Total() int { return p.Decided() + p.Pending }

// LinkProgress counts the review queue's progress (see LinkProgress) over
// every dataset, or over dataset alone when it is not "".
func (s *Store) LinkProgress(ctx context.Context, dataset string) (LinkProgress, error) {
	var p LinkProgress
	err := s.db.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE status = ? AND band = 'review'),
			count(*) FILTER (WHERE status = ? AND band = 'review'),
			count(*) FILTER (WHERE status = ?)
		FROM links WHERE ? = '' OR dataset = ?`, LinkConfirmed, LinkRejected, LinkPending, dataset, dataset).
		Scan(&p.Confirmed, &p.Rejected, &p.Pending)
	if err != nil {
		return LinkProgress{}, fmt.Errorf("links: progress: %w", err)
	}
	return p, nil
}
