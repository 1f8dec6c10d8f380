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

// AuditRow is one row of the audit log.
type AuditRow struct {
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Detail  string // JSON
}

// AuditFilter selects audit rows; empty fields select everything.
type AuditFilter struct {
	Actor    string    // the actor contains it (an account: portal:zhangmin; an OS user)
	Action   string    // exactly
	Subject  string    // exactly (a case id, a file)
	From, To time.Time // at or after From, before To
	Limit    int       // the newest Limit rows; 0 means 1000
}

// AuditRows returns the audit rows f selects, newest first.
func (s *Store) AuditRows(ctx context.Context, f AuditFilter) ([]AuditRow, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	var from, to any
	if !f.From.IsZero() {
		from = f.From.UTC()
	}
	if !f.To.IsZero() {
		to = f.To.UTC()
	}
	rows, err := s.db.QueryContext(ctx, `SELECT at_time, actor, action, coalesce(subject, ''), coalesce(detail, '') FROM audit
		WHERE ($1 = '' OR contains(actor, $1)) AND ($2 = '' OR action = $2) AND ($3 = '' OR subject = $3)
		  AND ($4::TIMESTAMP IS NULL OR at_time >= $4) AND ($5::TIMESTAMP IS NULL OR at_time < $5)
		ORDER BY at_time DESC LIMIT $6`, f.Actor, f.Action, f.Subject, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		var r AuditRow
		if err := rows.Scan(&r.At, &r.Actor, &r.Action, &r.Subject, &r.Detail); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
