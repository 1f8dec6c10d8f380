package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/auth"
)

// User is one account of the portal as the store keeps it. PasswordHash
// is for checking a login (auth.CheckPassword); it is never printed, and
// String leaves it out.
type User struct {
	Username           string // lower case (auth.NormalizeUsername)
	DisplayName        string
	Role               auth.Role
	Township           string   // 9-digit code; "" for county roles
	Villages           []string // village role: 12-digit codes
	PasswordHash       string
	MustChangePassword bool
	Disabled           bool
	FailedLogins       int
	LockedUntil        time.Time // zero: not locked
	LastLogin          time.Time // zero: never
	PasswordChangedAt  time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Scope is what the account may see and do: the one check the portal
// makes for every request (auth.Scope).
func (u *User) Scope() auth.Scope {
	return auth.Scope{Role: u.Role, Township: u.Township, Villages: u.Villages}
}

// Locked reports whether the account is locked at now (too many wrong
// passwords; see RecordLoginFailure).
func (u *User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// String names the account and its scope, never its hash, so that a
// *User printed or logged by mistake shows nothing secret.
func (u *User) String() string { return "user " + u.Username + " (" + u.Scope().String() + ")" }

// NewUser is an account to add.
type NewUser struct {
	Username    string // checked and lower-cased (auth.NormalizeUsername)
	DisplayName string
	Scope       auth.Scope // checked with Scope.Validate
	// PasswordHash is auth.HashPassword's hash of the initial password;
	// anything else (a password by mistake) is refused.
	PasswordHash       string
	MustChangePassword bool
}

// ErrNoUser reports an unknown username; ErrUserExists one taken.
var (
	ErrNoUser     = errors.New("no such user")
	ErrUserExists = errors.New("user already exists")
)

// userCols are the columns loadUsers reads, in its order.
const userCols = `username, display_name, role, township_code, villages, password_hash, must_change_password,
	disabled, failed_logins, locked_until, last_login, password_changed_at, created_at, updated_at`

// AddUser adds an account and its users_add audit row (by actor) in one
// transaction. A taken username is ErrUserExists.
func (s *Store) AddUser(ctx context.Context, actor string, nu NewUser) error {
	name, err := auth.NormalizeUsername(nu.Username)
	if err != nil {
		return fmt.Errorf("add user: %w", err)
	}
	display, err := auth.NormalizeDisplayName(nu.DisplayName)
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	if err := nu.Scope.Validate(); err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	if !auth.IsHash(nu.PasswordHash) {
		return fmt.Errorf("add user %s: the password must be given as an argon2id hash (auth.HashPassword)", name)
	}
	villages, err := villagesJSON(nu.Scope)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE username = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	if n > 0 {
		return fmt.Errorf("add user %s: %w", name, ErrUserExists)
	}
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (username, display_name, role, township_code, villages, password_hash,
		must_change_password, disabled, failed_logins, password_changed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, false, 0, ?, ?, ?)`,
		name, display, string(nu.Scope.Role), nu.Scope.Township, villages, nu.PasswordHash,
		nu.MustChangePassword, now, now, now); err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	if err := audit(ctx, tx, actor, "users_add", name, map[string]any{
		"role": nu.Scope.Role, "township": nu.Scope.Township, "villages": nu.Scope.Villages,
		"must_change_password": nu.MustChangePassword}); err != nil {
		return err
	}
	return tx.Commit()
}

// User loads one account by username (any case); ErrNoUser if unknown.
func (s *Store) User(ctx context.Context, username string) (*User, error) {
	name := normalName(username)
	us, err := loadUsers(ctx, s.db, `WHERE username = ?`, name)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("user %s: %w", name, ErrNoUser)
	}
	return us[0], nil
}

// Users lists every account by username.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	return loadUsers(ctx, s.db, `ORDER BY username`)
}

// SetPassword replaces an account's password hash. With mustChange it is
// an admin's reset to a one-time password (audited users_reset_password);
// without, the user's own change (users_change_password). Either way the
// account is unlocked and its failed logins forgotten.
func (s *Store) SetPassword(ctx context.Context, actor, username, hash string, mustChange bool) error {
	name := normalName(username)
	if !auth.IsHash(hash) {
		return fmt.Errorf("set password of %s: the password must be given as an argon2id hash (auth.HashPassword)", name)
	}
	action := "users_change_password"
	if mustChange {
		action = "users_reset_password"
	}
	return s.changeUser(ctx, name, func(tx *sql.Tx, u *User, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, failed_logins = 0,
			locked_until = NULL, password_changed_at = ?, updated_at = ? WHERE username = ?`,
			hash, mustChange, now, now, name); err != nil {
			return err
		}
		return audit(ctx, tx, actor, action, name, map[string]any{
			"must_change_password": mustChange, "was_locked": u.Locked(now), "failed_logins": u.FailedLogins})
	})
}

// SetDisabled disables an account (no login; its sessions end when the
// portal next checks it) or enables it again, audited users_disable or
// users_enable. Enabling does not unlock a locked account: a password
// reset does.
func (s *Store) SetDisabled(ctx context.Context, actor, username string, disabled bool) error {
	name := normalName(username)
	action := "users_enable"
	if disabled {
		action = "users_disable"
	}
	return s.changeUser(ctx, name, func(tx *sql.Tx, u *User, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?`,
			disabled, now, name); err != nil {
			return err
		}
		return audit(ctx, tx, actor, action, name, map[string]any{"was_disabled": u.Disabled})
	})
}

// Grant gives an account a new role and scope (checked with
// Scope.Validate; the caller checks it against the county's divisions
// with Scope.Check), audited users_grant with the scope before and after.
func (s *Store) Grant(ctx context.Context, actor, username string, sc auth.Scope) error {
	name := normalName(username)
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("grant %s: %w", name, err)
	}
	villages, err := villagesJSON(sc)
	if err != nil {
		return err
	}
	return s.changeUser(ctx, name, func(tx *sql.Tx, u *User, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, township_code = ?, villages = ?, updated_at = ? WHERE username = ?`,
			string(sc.Role), sc.Township, villages, now, name); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "users_grant", name, map[string]any{
			"from": scopeDetail(u.Scope()), "to": scopeDetail(sc)})
	})
}

// RecordLoginFailure counts a wrong password for username at now, from
// the client address from ("" when unknown), audited login_failed with
// the account as actor (portal:NAME, as every portal action). The maxFailures-th failure in a row locks the
// account until now+lockFor and starts the count again; a failure while
// locked changes nothing but is audited. It reports whether the account
// is locked after it. maxFailures <= 0 never locks. An unknown username
// is ErrNoUser and nothing is written: the portal audits such an attempt
// itself, without the name typed (it may be a password typed in the
// wrong field).
func (s *Store) RecordLoginFailure(ctx context.Context, username, from string, now time.Time, maxFailures int, lockFor time.Duration) (bool, error) {
	name := normalName(username)
	if maxFailures > 0 && lockFor <= 0 {
		return false, fmt.Errorf("record login failure of %s: lock time %v, want more than 0", name, lockFor)
	}
	now = now.UTC()
	var locked bool
	err := s.changeUser(ctx, name, func(tx *sql.Tx, u *User, _ time.Time) error {
		detail := map[string]any{"from": from}
		if u.Locked(now) {
			locked = true
			detail["locked_until"] = u.LockedUntil.UTC().Format(time.RFC3339)
			detail["while_locked"] = true
			return audit(ctx, tx, "portal:"+name, "login_failed", name, detail)
		}
		n := u.FailedLogins + 1
		var until any // NULL: an expired lock is cleared
		if maxFailures > 0 && n >= maxFailures {
			t := now.Add(lockFor)
			until, locked, n = t, true, 0
			detail["locked_until"] = t.Format(time.RFC3339)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = ?, locked_until = ?, updated_at = ? WHERE username = ?`,
			n, until, now, name); err != nil {
			return err
		}
		detail["failed_logins"] = u.FailedLogins + 1
		return audit(ctx, tx, "portal:"+name, "login_failed", name, detail)
	})
	return locked, err
}

// RecordLoginSuccess records a login at now from the client address from:
// the last login, failed logins forgotten, any lock cleared; audited
// login with the account as actor. Whether the login may happen at all
// (disabled, locked, the password) is the caller's check before.
func (s *Store) RecordLoginSuccess(ctx context.Context, username, from string, now time.Time) error {
	name := normalName(username)
	now = now.UTC()
	return s.changeUser(ctx, name, func(tx *sql.Tx, u *User, _ time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ?, updated_at = ?
			WHERE username = ?`, now, now, name); err != nil {
			return err
		}
		return audit(ctx, tx, "portal:"+name, "login", name, map[string]any{"from": from, "failed_logins_before": u.FailedLogins})
	})
}

// changeUser runs change on the account name in a transaction, with the
// account as it was; ErrNoUser when there is none.
func (s *Store) changeUser(ctx context.Context, name string, change func(tx *sql.Tx, u *User, now time.Time) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	us, err := loadUsers(ctx, tx, `WHERE username = ?`, name)
	if err != nil {
		return err
	}
	if len(us) == 0 {
		return fmt.Errorf("user %s: %w", name, ErrNoUser)
	}
	if err := change(tx, us[0], time.Now().UTC()); err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	return tx.Commit()
}

// querier is what both *sql.DB and *sql.Tx offer for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func loadUsers(ctx context.Context, db querier, tail string, args ...any) ([]*User, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+userCols+` FROM users `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u := &User{}
		var role, villages string
		var locked, last sql.NullTime
		if err := rows.Scan(&u.Username, &u.DisplayName, &role, &u.Township, &villages, &u.PasswordHash,
			&u.MustChangePassword, &u.Disabled, &u.FailedLogins, &locked, &last, &u.PasswordChangedAt,
			&u.CreatedAt, &u.UpdatedAt); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		u.Role = auth.Role(role)
		if err := json.Unmarshal([]byte(villages), &u.Villages); err != nil {
			return nil, fmt.Errorf("user %s: villages: %w", u.Username, err)
		}
		if len(u.Villages) == 0 {
			u.Villages = nil
		}
		if locked.Valid {
			u.LockedUntil = locked.Time.UTC()
		}
		if last.Valid {
			u.LastLogin = last.Time.UTC()
		}
		u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt = u.PasswordChangedAt.UTC(), u.CreatedAt.UTC(), u.UpdatedAt.UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// normalName is the stored form of a username given by a caller; one
// that is not valid matches no account.
func normalName(username string) string {
	if n, err := auth.NormalizeUsername(username); err == nil {
		return n
	}
	return username
}

func villagesJSON(sc auth.Scope) (string, error) {
	v := sc.Villages
	if v == nil {
		v = []string{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("villages: %w", err)
	}
	return string(b), nil
}

// scopeDetail is a scope in an audit row.
func scopeDetail(sc auth.Scope) map[string]any {
	return map[string]any{"role": sc.Role, "township": sc.Township, "villages": sc.Villages}
}
