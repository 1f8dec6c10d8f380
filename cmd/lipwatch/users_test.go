package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/auth"
	"github.com/lipwatch/lipwatch/engine/store"
)

var oneTimeLine = regexp.MustCompile(`(?m)^one-time password \(一次性密码, shown only now; the user must change it at the first login\): ([a-km-zA-HJ-NP-Z2-9]{4}(?:-[a-km-zA-HJ-NP-Z2-9]{4}){3})$`)

// oneTime returns the one-time password a command printed, and checks it
// was printed once.
func oneTime(t *testing.T, out string) string {
	t.Helper()
	m := oneTimeLine.FindAllStringSubmatch(out, -1)
	if len(m) != 1 {
		t.Fatalf("want one one-time password line in:\n%s", out)
	}
	return m[0][1]
}

// withStore opens the test's store, runs f, and closes it again (the CLI
// opens it for every command).
func withStore(t *testing.T, f func(st *store.Store)) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f(st)
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("lipwatch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestUsersLifecycle: add accounts of every kind, list them, disable and
// enable one, reset a locked one's password, grant another scope; every
// change audited, no password or hash printed or audited.
func TestUsersLifecycle(t *testing.T) {
	tempStore(t)
	ctx := context.Background()
	out := mustRun(t, "users", "add", "ZhangMin", "--role", "township", "--township", "340799001", "--display-name", "张敏")
	if !strings.Contains(out, "added zhangmin (张敏): township 乡镇经办人, 城关镇 (340799001)\n") {
		t.Errorf("add:\n%s", out)
	}
	pw := oneTime(t, out)
	out = mustRun(t, "users", "add", "li.na", "--role", "村协理员", "--township", "城关镇", "--villages", "340799001001，340799001002")
	if !strings.Contains(out, "added li.na: village 村协理员, 城关镇 (340799001): 育才社区 (340799001001), 花园社区 (340799001002)") {
		t.Errorf("add village assistant:\n%s", out)
	}
	pwLina := oneTime(t, out)
	mustRun(t, "users", "add", "admin", "--role", "admin", "--display-name", "县民政局 王强")
	if pw == pwLina {
		t.Fatal("two accounts got the same one-time password")
	}

	withStore(t, func(st *store.Store) {
		u, err := st.User(ctx, "zhangmin")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := auth.CheckPassword(pw, u.PasswordHash); !ok || err != nil {
			t.Errorf("the printed password does not check against the stored hash: %v %v", ok, err)
		}
		if !u.MustChangePassword || u.DisplayName != "张敏" || u.Role != auth.Township || u.Township != "340799001" {
			t.Errorf("zhangmin stored as %+v", *u)
		}
		// Locked by wrong passwords, for the list and the reset below.
		for range 5 {
			st.RecordLoginFailure(ctx, "zhangmin", "", time.Now(), 5, time.Hour)
		}
	})

	out = mustRun(t, "users", "list")
	for _, want := range []string{
		"USERNAME", "LAST LOGIN",
		"admin     县民政局 王强  admin 县级管理员",
		"county 全县",
		"li.na", "village 村协理员", "育才社区 (340799001001), 花园社区 (340799001002)",
		"zhangmin", "张敏", "township 乡镇经办人", "城关镇 (340799001)", "locked until ", "must change password",
		"never", "3 users",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list: no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "argon2") || strings.Contains(out, pw) || strings.Contains(out, pwLina) {
		t.Errorf("list shows a hash or password:\n%s", out)
	}

	if out = mustRun(t, "users", "disable", "li.na"); out != "disabled li.na\n" {
		t.Errorf("disable: %q", out)
	}
	if out = mustRun(t, "users", "list"); !regexp.MustCompile(`(?m)^li\.na .*disabled, must change password`).MatchString(out) {
		t.Errorf("list after disable:\n%s", out)
	}
	if out = mustRun(t, "users", "enable", "LI.NA"); out != "enabled li.na\n" {
		t.Errorf("enable: %q", out)
	}

	out = mustRun(t, "users", "reset-password", "zhangmin")
	if !strings.Contains(out, "reset the password of zhangmin; the account is unlocked\n") {
		t.Errorf("reset:\n%s", out)
	}
	pw2 := oneTime(t, out)
	if pw2 == pw {
		t.Fatal("reset gave the same password")
	}

	out = mustRun(t, "users", "grant", "zhangmin", "--role", "village", "--township", "340799001", "--villages", "340799001003")
	if !strings.Contains(out, "zhangmin: township 乡镇经办人, 城关镇 (340799001) -> village 村协理员, 城关镇 (340799001): 振兴社区 (340799001003)") {
		t.Errorf("grant:\n%s", out)
	}

	withStore(t, func(st *store.Store) {
		u, err := st.User(ctx, "zhangmin")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := auth.CheckPassword(pw2, u.PasswordHash); !ok {
			t.Error("the reset password does not check")
		}
		if ok, _ := auth.CheckPassword(pw, u.PasswordHash); ok {
			t.Error("the old password still checks after a reset")
		}
		if u.Locked(time.Now()) || u.FailedLogins != 0 || !u.MustChangePassword {
			t.Errorf("after reset: locked %v, failed %d, must change %v", u.Locked(time.Now()), u.FailedLogins, u.MustChangePassword)
		}
		if sc := u.Scope(); sc.Role != auth.Village || !sc.CanSeeCase("340799001", "340799001003") || sc.CanSeeCase("340799001", "340799001001") {
			t.Errorf("after grant: %+v", sc)
		}
		if u, _ := st.User(ctx, "li.na"); u.Disabled {
			t.Error("li.na still disabled")
		}
		rows, err := st.DB().Query(`SELECT actor, action, subject, coalesce(detail, '') FROM audit WHERE action LIKE 'users_%' ORDER BY at_time, rowid`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var actions []string
		for rows.Next() {
			var actor, action, subject, detail string
			if err := rows.Scan(&actor, &action, &subject, &detail); err != nil {
				t.Fatal(err)
			}
			actions = append(actions, action+" "+subject)
			if actor != store.Actor() {
				t.Errorf("%s by %q, want the OS user %q", action, actor, store.Actor())
			}
			for _, secret := range []string{"argon2", pw, pw2, pwLina} {
				if strings.Contains(detail, secret) {
					t.Errorf("%s audit detail holds a hash or password: %s", action, detail)
				}
			}
		}
		want := "users_add zhangmin, users_add li.na, users_add admin, users_disable li.na, users_enable li.na, users_reset_password zhangmin, users_grant zhangmin"
		if got := strings.Join(actions, ", "); got != want {
			t.Errorf("audit:\n got %s\nwant %s", got, want)
		}
	})

	// No password reached the store's files in clear.
	for _, f := range []string{os.Getenv("LIPWATCH_STORE_PATH"), os.Getenv("LIPWATCH_STORE_PATH") + ".wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, secret := range []string{pw, pw2, pwLina} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("a password in clear in %s", filepath.Base(f))
			}
		}
	}
}

// TestUsersBadArguments: every bad argument exits 2 with a message naming
// it, before the store is opened (none is created).
func TestUsersBadArguments(t *testing.T) {
	tempStore(t)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"add", "张敏", "--role", "township", "--township", "340799001"}, "NAME: username \"张敏\": only ASCII"},
		{[]string{"add", "zm", "--role", "admin"}, "NAME: username \"zm\": want 3 to 32 characters"},
		{[]string{"add", "zhangmin"}, "--role is required"},
		{[]string{"add", "zhangmin", "--role", "root"}, "--role: unknown role \"root\""},
		{[]string{"add", "zhangmin", "--role", "township"}, "--township: required for the township role"},
		{[]string{"add", "zhangmin", "--role", "township", "--township", "340799099"}, "--township: 340799099 is not a configured township"},
		{[]string{"add", "zhangmin", "--role", "township", "--township", "340800001"}, "--township: township 340800001 is not in county 340799"},
		{[]string{"add", "zhangmin", "--role", "township", "--township", "3407990"}, "--township: \"3407990\" is not a 9-digit township code"},
		{[]string{"add", "zhangmin", "--role", "township", "--township", "不存在镇"}, "--township 不存在镇: no township of that name"},
		{[]string{"add", "zhangmin", "--role", "township", "--township", "340799001", "--villages", "340799001001"}, "--villages: only the village role"},
		{[]string{"add", "zhangmin", "--role", "village", "--township", "340799001"}, "--villages: required for the village role"},
		{[]string{"add", "zhangmin", "--role", "village", "--villages", "340799001001"}, "--township: required for the village role"},
		{[]string{"add", "zhangmin", "--role", "village", "--township", "340799001", "--villages", "340799002001"}, "--villages: village 340799002001 is not in township 340799001"},
		{[]string{"add", "zhangmin", "--role", "village", "--township", "340799001", "--villages", "340799001999"}, "--villages: village 340799001999 is not in the divisions file"},
		{[]string{"add", "zhangmin", "--role", "village", "--township", "340799001", "--villages", "340799001001,340799001001"}, "--villages: village 340799001001 is listed twice"},
		{[]string{"add", "zhangmin", "--role", "admin", "--township", "340799001"}, "--township: a county role (admin, 县级管理员) has no township"},
		{[]string{"add", "zhangmin", "--role", "analyst", "--villages", "340799001001"}, "--villages: a county role (analyst, 县级分析员) has no villages"},
		{[]string{"add", "zhangmin", "--role", "admin", "--display-name", "张\n敏"}, "--display-name: holds a control character"},
		{[]string{"add"}, "users add: want one username, got 0 arguments; usage: lipwatch users add NAME --role ROLE"},
		{[]string{"add", "a1", "b1", "--role", "admin"}, "want one username, got 2 arguments"},
		{[]string{"grant", "zhangmin"}, "--role is required"},
		{[]string{"grant", "zhangmin", "--role", "township", "--township", "340799099"}, "--township: 340799099 is not a configured township"},
		{[]string{"disable"}, "want one username"},
		{[]string{"reset-password", "-x"}, "unknown shorthand flag"},
		{[]string{"reset-password", "a@b"}, "NAME: username \"a@b\": only ASCII"},
		{[]string{"list", "extra"}, `users list takes no arguments, got "extra"; usage: lipwatch users list`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := runCLI(t, append([]string{"users"}, tt.args...)...)
			var ex *exitError
			if !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, tt.msg) {
				t.Fatalf("want exit 2 with %q, got %v\n%s", tt.msg, err, out)
			}
			if strings.Contains(out, "one-time password") {
				t.Errorf("a password was printed:\n%s", out)
			}
		})
	}
	if _, err := os.Stat(os.Getenv("LIPWATCH_STORE_PATH")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad arguments created the store: %v", err)
	}
}

// TestUsersFailures: an unknown account and a taken username are
// failures (exit 1) naming the account; nothing is printed or changed.
func TestUsersFailures(t *testing.T) {
	tempStore(t)
	mustRun(t, "users", "add", "zhangmin", "--role", "township", "--township", "340799001")
	for _, args := range [][]string{
		{"add", "ZhangMin", "--role", "admin"},
		{"disable", "nobody"},
		{"enable", "nobody"},
		{"reset-password", "nobody"},
		{"grant", "nobody", "--role", "admin"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := runCLI(t, append([]string{"users"}, args...)...)
			if code := exitCode(err, io.Discard); code != 1 {
				t.Fatalf("exit %d, want 1: %v\n%s", code, err, out)
			}
			if want := map[bool]string{true: "user zhangmin: user already exists", false: "user nobody: no such user"}[args[0] == "add"]; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want %q", err, want)
			}
			if strings.Contains(out, "one-time password") {
				t.Errorf("a password was printed for nothing:\n%s", out)
			}
		})
	}
	withStore(t, func(st *store.Store) {
		var n int
		st.DB().QueryRow(`SELECT count(*) FROM audit WHERE action LIKE 'users_%'`).Scan(&n)
		if n != 1 {
			t.Errorf("%d users_ audit rows, want the one add", n)
		}
	})
}
