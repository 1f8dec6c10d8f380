package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/auth"
)

var (
	hashOnce     sync.Once
	hashA, hashB string
)

// testHashes are two real argon2id hashes (of passwords the tests never
// need), made once: hashing is slow on purpose.
func testHashes(t *testing.T) (string, string) {
	t.Helper()
	hashOnce.Do(func() {
		hashA, _ = auth.HashPassword("Chengguan-2026")
		hashB, _ = auth.HashPassword("Chengdong-2027")
	})
	if hashA == "" || hashB == "" {
		t.Fatal("hash password failed")
	}
	return hashA, hashB
}

type auditRow struct{ actor, action, subject, detail string }

func auditRows(t *testing.T, s *Store, action string) []auditRow {
	t.Helper()
	rows, err := s.DB().Query(`SELECT actor, action, coalesce(subject, ''), coalesce(detail, '') FROM audit
		WHERE action LIKE ? ORDER BY at_time, rowid`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.actor, &r.action, &r.subject, &r.detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

var (
	officer   = auth.Scope{Role: auth.Township, Township: "340799001"}
	assistant = auth.Scope{Role: auth.Village, Township: "340799001", Villages: []string{"340799001001", "340799001002"}}
)

func TestUsersAddAndRead(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	h, _ := testHashes(t)
	before := time.Now().UTC().Add(-time.Second)
	for _, nu := range []NewUser{
		{Username: "ZhangMin", DisplayName: " 张敏 ", Scope: officer, PasswordHash: h, MustChangePassword: true},
		{Username: "admin", Scope: auth.Scope{Role: auth.Admin}, PasswordHash: h},
		{Username: "li.na", DisplayName: "李娜", Scope: assistant, PasswordHash: h, MustChangePassword: true},
	} {
		if err := s.AddUser(ctx, "op@host", nu); err != nil {
			t.Fatal(err)
		}
	}
	us, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range us {
		names = append(names, u.Username)
	}
	if strings.Join(names, " ") != "admin li.na zhangmin" {
		t.Fatalf("users %v, want by username, lower case", names)
	}
	u, err := s.User(ctx, "ZHANGMIN")
	if err != nil {
		t.Fatal(err)
	}
	if u.DisplayName != "张敏" || u.Role != auth.Township || u.Township != "340799001" || u.Villages != nil ||
		u.PasswordHash != h || !u.MustChangePassword || u.Disabled || u.FailedLogins != 0 ||
		!u.LockedUntil.IsZero() || !u.LastLogin.IsZero() || u.CreatedAt.Before(before) ||
		u.PasswordChangedAt.IsZero() || u.UpdatedAt.IsZero() {
		t.Errorf("zhangmin read back as %+v", *u)
	}
	if strings.Contains(u.String(), "argon2") || u.String() != "user zhangmin (township 340799001)" {
		t.Errorf("String() = %q", u.String())
	}
	v, err := s.User(ctx, "li.na")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Scope(); got.Role != auth.Village || got.Township != "340799001" || strings.Join(got.Villages, ",") != "340799001001,340799001002" ||
		!got.CanSeeCase("340799001", "340799001002") || got.CanSeeCase("340799001", "340799001003") {
		t.Errorf("li.na's scope %+v", got)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	err = s.AddUser(ctx, "op@host", NewUser{Username: "zhangMIN", Scope: officer, PasswordHash: h})
	if !errors.Is(err, ErrUserExists) {
		t.Errorf("a taken username in another case: %v", err)
	}
	adds := auditRows(t, s, "users_add")
	if len(adds) != 3 || adds[0].actor != "op@host" || adds[0].subject != "zhangmin" ||
		adds[0].detail != `{"must_change_password":true,"role":"township","township":"340799001","villages":null}` {
		t.Errorf("users_add audit rows: %+v", adds)
	}
	for _, r := range auditRows(t, s, "%") {
		if strings.Contains(r.detail, "argon2") || strings.Contains(r.detail, "Chengguan") {
			t.Errorf("a hash or password in the audit: %+v", r)
		}
	}
}

func TestAddUserRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	h, _ := testHashes(t)
	tests := []struct {
		name string
		nu   NewUser
		msg  string
	}{
		{"bad username", NewUser{Username: "张敏", Scope: officer, PasswordHash: h}, "only ASCII"},
		{"short username", NewUser{Username: "zm", Scope: officer, PasswordHash: h}, "3 to 32"},
		{"no role", NewUser{Username: "zhangmin", PasswordHash: h}, "role: unknown role"},
		{"officer without township", NewUser{Username: "zhangmin", Scope: auth.Scope{Role: auth.Township}, PasswordHash: h}, "township: required"},
		{"a password, not a hash", NewUser{Username: "zhangmin", Scope: officer, PasswordHash: "Chengguan-2026"}, "argon2id hash"},
		{"no password", NewUser{Username: "zhangmin", Scope: officer}, "argon2id hash"},
		{"display name with a newline", NewUser{Username: "zhangmin", DisplayName: "张\n敏", Scope: officer, PasswordHash: h}, "control"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AddUser(ctx, "op@host", tt.nu)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "Chengguan") {
				t.Errorf("the password is in the error: %v", err)
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM users`); n != 0 {
		t.Errorf("%d users written", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit`); n != 0 {
		t.Errorf("%d audit rows written", n)
	}
}

func TestSetPasswordDisableGrant(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	h, h2 := testHashes(t)
	if err := s.AddUser(ctx, "op@host", NewUser{Username: "zhangmin", Scope: officer, PasswordHash: h, MustChangePassword: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for range 5 {
		s.RecordLoginFailure(ctx, "zhangmin", "", now, 5, time.Hour)
	}
	if u, _ := s.User(ctx, "zhangmin"); !u.Locked(now) {
		t.Fatal("five failures did not lock")
	}

	// An admin's reset: a one-time password that unlocks.
	if err := s.SetPassword(ctx, "op@host", "zhangmin", h2, true); err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(ctx, "zhangmin")
	if u.PasswordHash != h2 || !u.MustChangePassword || u.Locked(now) || !u.LockedUntil.IsZero() || u.FailedLogins != 0 {
		t.Errorf("after reset: %+v", *u)
	}
	// The user's own change.
	if err := s.SetPassword(ctx, "zhangmin", "zhangmin", h, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "zhangmin"); u.PasswordHash != h || u.MustChangePassword {
		t.Errorf("after change: %+v", *u)
	}
	if err := s.SetPassword(ctx, "op@host", "zhangmin", "Chengguan-2026", true); err == nil || strings.Contains(err.Error(), "Chengguan") {
		t.Errorf("a plain password was stored, or is in the error: %v", err)
	}
	resets, changes := auditRows(t, s, "users_reset_password"), auditRows(t, s, "users_change_password")
	if len(resets) != 1 || resets[0].detail != `{"failed_logins":0,"must_change_password":true,"was_locked":true}` ||
		len(changes) != 1 || changes[0].actor != "zhangmin" {
		t.Errorf("password audit: resets %+v changes %+v", resets, changes)
	}

	if err := s.SetDisabled(ctx, "op@host", "ZhangMin", true); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "zhangmin"); !u.Disabled {
		t.Error("not disabled")
	}
	if err := s.SetDisabled(ctx, "op@host", "zhangmin", false); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "zhangmin"); u.Disabled {
		t.Error("not enabled")
	}
	if d, e := auditRows(t, s, "users_disable"), auditRows(t, s, "users_enable"); len(d) != 1 || len(e) != 1 ||
		d[0].detail != `{"was_disabled":false}` || e[0].detail != `{"was_disabled":true}` {
		t.Errorf("disable/enable audit: %+v %+v", d, e)
	}

	if err := s.Grant(ctx, "op@host", "zhangmin", assistant); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "zhangmin"); u.Role != auth.Village || strings.Join(u.Villages, ",") != "340799001001,340799001002" {
		t.Errorf("after grant: %+v", *u)
	}
	bad := auth.Scope{Role: auth.Village, Township: "340799001", Villages: []string{"340799002001"}}
	if err := s.Grant(ctx, "op@host", "zhangmin", bad); err == nil || !strings.Contains(err.Error(), "villages: village 340799002001 is not in township") {
		t.Errorf("a village of another township granted: %v", err)
	}
	if err := s.Grant(ctx, "op@host", "zhangmin", auth.Scope{Role: auth.Analyst}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "zhangmin"); u.Role != auth.Analyst || u.Township != "" || u.Villages != nil || !u.Scope().IsCounty() {
		t.Errorf("after grant of analyst: %+v", *u)
	}
	grants := auditRows(t, s, "users_grant")
	if len(grants) != 2 || grants[0].detail != `{"from":{"role":"township","township":"340799001","villages":null},"to":{"role":"village","township":"340799001","villages":["340799001001","340799001002"]}}` {
		t.Errorf("grant audit: %+v", grants)
	}

	for name, err := range map[string]error{
		"password": s.SetPassword(ctx, "op@host", "nobody", h, true),
		"disable":  s.SetDisabled(ctx, "op@host", "nobody", true),
		"grant":    s.Grant(ctx, "op@host", "nobody", officer),
	} {
		if !errors.Is(err, ErrNoUser) {
			t.Errorf("%s of an unknown user: %v", name, err)
		}
	}
}

func TestLoginFailuresLock(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	h, _ := testHashes(t)
	for _, name := range []string{"zhangmin", "lina"} {
		if err := s.AddUser(ctx, "op@host", NewUser{Username: name, Scope: officer, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	const maxFail, lockFor = 3, 15 * time.Minute
	steps := []struct {
		at                time.Duration // after t0
		wantLocked        bool
		wantFailed        int
		wantLockedUntilAt time.Duration // -1: none
	}{
		{0, false, 1, -1},
		{time.Minute, false, 2, -1},
		{2 * time.Minute, true, 0, 2*time.Minute + lockFor}, // the third locks and starts the count again
		{3 * time.Minute, true, 0, 2*time.Minute + lockFor}, // while locked: nothing changes
		{20 * time.Minute, false, 1, -1},                    // the lock is over and cleared
	}
	for i, st := range steps {
		locked, err := s.RecordLoginFailure(ctx, "ZhangMin", "10.0.0.7", t0.Add(st.at), maxFail, lockFor)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := s.User(ctx, "zhangmin")
		wantUntil := time.Time{}
		if st.wantLockedUntilAt >= 0 {
			wantUntil = t0.Add(st.wantLockedUntilAt)
		}
		if locked != st.wantLocked || u.FailedLogins != st.wantFailed || !u.LockedUntil.Equal(wantUntil) ||
			u.Locked(t0.Add(st.at)) != st.wantLocked {
			t.Errorf("step %d: locked %v, failed %d, until %v; want %v, %d, %v", i, locked, u.FailedLogins, u.LockedUntil, st.wantLocked, st.wantFailed, wantUntil)
		}
	}
	if err := s.RecordLoginSuccess(ctx, "zhangmin", "10.0.0.7", t0.Add(21*time.Minute)); err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(ctx, "zhangmin")
	if u.FailedLogins != 0 || !u.LockedUntil.IsZero() || !u.LastLogin.Equal(t0.Add(21*time.Minute)) {
		t.Errorf("after a login: %+v", *u)
	}
	fails := auditRows(t, s, "login_failed")
	if len(fails) != 5 || fails[0].actor != "portal:zhangmin" || fails[0].detail != `{"failed_logins":1,"from":"10.0.0.7"}` ||
		fails[2].detail != `{"failed_logins":3,"from":"10.0.0.7","locked_until":"2026-11-28T02:17:00Z"}` ||
		fails[3].detail != `{"from":"10.0.0.7","locked_until":"2026-11-28T02:17:00Z","while_locked":true}` {
		t.Errorf("login_failed audit: %+v", fails)
	}
	if ok := auditRows(t, s, "login"); len(ok) != 1 || ok[0].detail != `{"failed_logins_before":1,"from":"10.0.0.7"}` {
		t.Errorf("login audit: %+v", ok)
	}

	// maxFailures 0 never locks.
	for i := range 10 {
		if locked, err := s.RecordLoginFailure(ctx, "lina", "", t0.Add(time.Duration(i)*time.Second), 0, 0); err != nil || locked {
			t.Fatalf("failure %d with no limit: locked %v, %v", i, locked, err)
		}
	}
	if u, _ := s.User(ctx, "lina"); u.FailedLogins != 10 || !u.LockedUntil.IsZero() {
		t.Errorf("lina after 10 failures without a limit: %+v", *u)
	}
	if _, err := s.RecordLoginFailure(ctx, "lina", "", t0, 3, 0); err == nil {
		t.Error("a limit without a lock time was accepted")
	}
	n := len(auditRows(t, s, "login%"))
	if _, err := s.RecordLoginFailure(ctx, "nobody", "", t0, maxFail, lockFor); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	if err := s.RecordLoginSuccess(ctx, "nobody", "", t0); !errors.Is(err, ErrNoUser) {
		t.Errorf("unknown user: %v", err)
	}
	if len(auditRows(t, s, "login%")) != n {
		t.Error("an attempt on an unknown user was audited with the name typed")
	}
}
