package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"time"
)

// Actor names who is running this process, for the audit log.
func Actor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// Audit records that actor did action on subject. Viewing or exporting
// personal data is always audited; a failure to record it is an error, so
// nothing is shown or written unrecorded.
func (s *Store) Audit(ctx context.Context, actor, action, subject string, detail any) error {
	return audit(ctx, s.db, actor, action, subject, detail)
}

// execer is what both *sql.DB and *sql.Tx offer, so that an audit row can
// go into the transaction of the change it records.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// audit writes one audit row through db.
func audit(ctx context.Context, db execer, actor, action, subject string, detail any) error {
	var d any
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		d = string(b)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO audit VALUES (?, ?, ?, ?, ?)`,
		time.Now().UTC(), actor, action, nullable(subject), d); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
