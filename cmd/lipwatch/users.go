package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/auth"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// newUsersCmd is `lipwatch users`: the portal's accounts, for the county
// admin at the server. Every change is audited with the OS user.
func newUsersCmd(g *globals) *cobra.Command {
	uc := &cobra.Command{
		Use:   "users",
		Short: "Accounts and roles of the portal (账号与角色): add, list, disable, enable, reset-password, grant",
		Long: `Accounts of the township portal and their roles (账号与角色):

  admin     县级管理员  the whole county; accounts, the county queue, extensions
  analyst   县级分析员  reads the whole county; records no outcome
  township  乡镇经办人  one township (--township): its cases, outcomes, extensions, ground reports
  village   村协理员    villages of one township (--township, --villages): views and reports, closes nothing

A new account, and one whose password is reset, gets a random one-time password, printed
once; the user must change it at the first login. Passwords are kept only as Argon2id
hashes. Every change is in the audit log (users_add, users_disable, users_enable,
users_reset_password, users_grant) with the OS user who made it.`,
	}
	var role, township, villages, display string
	scopeFlags := func(c *cobra.Command) {
		f := c.Flags()
		f.StringVar(&role, "role", "", "admin, analyst, township or village (or 县级管理员, 县级分析员, 乡镇经办人, 村协理员)")
		f.StringVar(&township, "township", "", "township and village roles: the 9-digit township code (or its name) of county.townships")
		f.StringVar(&villages, "villages", "", "village role: 12-digit village codes of that township, comma-separated")
	}
	add := &cobra.Command{
		Use:   "add NAME --role ROLE [--township CODE] [--villages CODE,...] [--display-name 张敏]",
		Short: "Add an account; prints its one-time password once",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, name, err := g.loadAccount(args[0])
			if err != nil {
				return err
			}
			dn, err := auth.NormalizeDisplayName(display)
			if err != nil {
				return &exitError{code: 2, msg: "--display-name: " + strings.TrimPrefix(err.Error(), "display name: ")}
			}
			known, err := knownDivisions(e.cfg)
			if err != nil {
				return err
			}
			sc, err := scopeArgs(known, role, township, villages)
			if err != nil {
				return err
			}
			pw, hash, err := oneTimePassword()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch users add")
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.AddUser(cmd.Context(), g.actor(), store.NewUser{Username: name, DisplayName: dn, Scope: sc,
				PasswordHash: hash, MustChangePassword: true}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "added %s%s: %s\n", name, paren(dn), describeScope(known, sc))
			printOneTime(w, pw)
			return nil
		},
	}
	scopeFlags(add)
	add.Flags().StringVar(&display, "display-name", "", "the name shown in the portal (张敏, 城关镇民政办)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts: role, township, villages, disabled or locked, last login (never passwords or hashes)",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			known, err := knownDivisions(e.cfg)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch users list")
			if err != nil {
				return err
			}
			defer st.Close()
			us, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			now, loc := time.Now(), e.cfg.Location()
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tTOWNSHIP\tVILLAGES\tSTATUS\tLAST LOGIN")
			for _, u := range us {
				last := "never"
				if !u.LastLogin.IsZero() {
					last = u.LastLogin.In(loc).Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", u.Username, dash(u.DisplayName), u.Role, u.Role.Chinese(),
					townshipName(known, u.Scope()), villageNames(known, u.Villages), accountStatus(u, now, loc), last)
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d users\n", len(us))
			return nil
		},
	}

	setDisabled := func(disabled bool) *cobra.Command {
		verb, short := "enable", "Enable a disabled account again (a locked one stays locked until its lock ends or a password reset)"
		if disabled {
			verb, short = "disable", "Disable an account: no login until it is enabled again"
		}
		return &cobra.Command{
			Use:   verb + " NAME",
			Short: short,
			Args:  oneName,
			RunE: func(cmd *cobra.Command, args []string) error {
				e, name, err := g.loadAccount(args[0])
				if err != nil {
					return err
				}
				st, err := e.openStore(cmd.Context(), "lipwatch users "+verb)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.SetDisabled(cmd.Context(), g.actor(), name, disabled); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%sd %s\n", verb, name)
				return nil
			},
		}
	}

	reset := &cobra.Command{
		Use:   "reset-password NAME",
		Short: "Give an account a new one-time password (printed once; must be changed at login) and unlock it",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, name, err := g.loadAccount(args[0])
			if err != nil {
				return err
			}
			pw, hash, err := oneTimePassword()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch users reset-password")
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetPassword(cmd.Context(), g.actor(), name, hash, true); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "reset the password of %s; the account is unlocked\n", name)
			printOneTime(w, pw)
			return nil
		},
	}

	grant := &cobra.Command{
		Use:   "grant NAME --role ROLE [--township CODE] [--villages CODE,...]",
		Short: "Give an account a new role and scope (the whole scope is replaced)",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, name, err := g.loadAccount(args[0])
			if err != nil {
				return err
			}
			known, err := knownDivisions(e.cfg)
			if err != nil {
				return err
			}
			sc, err := scopeArgs(known, role, township, villages)
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch users grant")
			if err != nil {
				return err
			}
			defer st.Close()
			before, err := st.User(cmd.Context(), name)
			if err != nil {
				return err
			}
			if err := st.Grant(cmd.Context(), g.actor(), name, sc); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s -> %s\n", name, describeScope(known, before.Scope()), describeScope(known, sc))
			return nil
		},
	}
	scopeFlags(grant)

	uc.AddCommand(add, list, setDisabled(true), setDisabled(false), reset, grant)
	return uc
}

// oneName accepts exactly one argument, the username; otherwise exit 2.
func oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: want one username, got %d arguments; usage: %s", commandKey(cmd), len(args), cmd.UseLine())}
	}
	return nil
}

// usernameArg checks the NAME argument and returns its stored form.
func usernameArg(s string) (string, error) {
	name, err := auth.NormalizeUsername(s)
	if err != nil {
		return "", &exitError{code: 2, msg: "NAME: " + err.Error() + " (" + auth.UsernameRuleZh + ")"}
	}
	return name, nil
}

// knownDivisions is what the config knows of the county's townships and
// villages: county.townships and the divisions file, as routing has them.
func knownDivisions(cfg *config.Config) (auth.Known, error) {
	k := auth.Known{County: cfg.County.Code, Townships: map[string]string{}, Villages: map[string]string{}}
	if cfg.County.Divisions != "" {
		d, err := route.LoadDivisions(cfg.Resolve(cfg.County.Divisions))
		if err != nil {
			return k, &exitError{code: 2, msg: "county.divisions: " + err.Error()}
		}
		k.Townships, k.Villages = d.Townships, d.Villages
	}
	for code, name := range cfg.County.Townships {
		k.Townships[code] = name
	}
	return k, nil
}

// scopeArgs reads --role, --township and --villages into a scope checked
// against the county's divisions; errors name the flag (exit 2).
func scopeArgs(k auth.Known, role, township, villages string) (auth.Scope, error) {
	if strings.TrimSpace(role) == "" {
		return auth.Scope{}, &exitError{code: 2, msg: "--role is required: admin (县级管理员), analyst (县级分析员), township (乡镇经办人) or village (村协理员)"}
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return auth.Scope{}, &exitError{code: 2, msg: "--role: " + err.Error()}
	}
	sc := auth.Scope{Role: r, Township: strings.TrimSpace(township)}
	if sc.Township != "" && !allDigits(sc.Township) { // a township's name
		var codes []string
		for code, name := range k.Townships {
			if name == sc.Township {
				codes = append(codes, code)
			}
		}
		switch len(codes) {
		case 0:
			return auth.Scope{}, &exitError{code: 2, msg: fmt.Sprintf("--township %s: no township of that name; give its 9-digit code", sc.Township)}
		case 1:
			sc.Township = codes[0]
		default:
			slices.Sort(codes)
			return auth.Scope{}, &exitError{code: 2, msg: fmt.Sprintf("--township %s: several townships have that name (%s); give the code", sc.Township, strings.Join(codes, ", "))}
		}
	}
	for _, v := range strings.FieldsFunc(villages, func(r rune) bool { return r == ',' || r == '，' || r == ' ' }) {
		sc.Villages = append(sc.Villages, v)
	}
	if err := sc.Check(k); err != nil {
		var se *auth.ScopeError
		if errors.As(err, &se) {
			return auth.Scope{}, &exitError{code: 2, msg: "--" + string(se.Field) + ": " + se.Msg}
		}
		return auth.Scope{}, &exitError{code: 2, msg: err.Error()}
	}
	return sc, nil
}

// oneTimePassword draws a one-time password meeting the default policy
// and hashes it.
func oneTimePassword() (pw, hash string, err error) {
	if pw, err = auth.DefaultPolicy().Generate(); err != nil {
		return "", "", err
	}
	if hash, err = auth.HashPassword(pw); err != nil {
		return "", "", err
	}
	return pw, hash, nil
}

// printOneTime prints a one-time password: the only time it is shown.
func printOneTime(w io.Writer, pw string) {
	fmt.Fprintf(w, "one-time password (一次性密码, shown only now; the user must change it at the first login): %s\n", pw)
}

// describeScope says a scope for people: "township 乡镇经办人, 城关镇 (340799001)".
func describeScope(k auth.Known, sc auth.Scope) string {
	s := string(sc.Role) + " " + sc.Role.Chinese()
	switch sc.Role {
	case auth.Township:
		s += ", " + townshipName(k, sc)
	case auth.Village:
		s += ", " + townshipName(k, sc) + ": " + villageNames(k, sc.Villages)
	default:
		s += ", the whole county"
	}
	return s
}

func townshipName(k auth.Known, sc auth.Scope) string {
	if sc.Role.County() {
		return "county 全县"
	}
	if sc.Township == "" {
		return "-"
	}
	if n, ok := k.Townships[sc.Township]; ok {
		return n + " (" + sc.Township + ")"
	}
	return sc.Township
}

func villageNames(k auth.Known, codes []string) string {
	if len(codes) == 0 {
		return "-"
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c
		if n, ok := k.Villages[c]; ok {
			out[i] = n + " (" + c + ")"
		}
	}
	return strings.Join(out, ", ")
}

// accountStatus is an account's state for the list: active, disabled, locked,
// waiting for its first password change, failed logins.
func accountStatus(u *store.User, now time.Time, loc *time.Location) string {
	var s []string
	if u.Disabled {
		s = append(s, "disabled")
	}
	if u.Locked(now) {
		s = append(s, "locked until "+u.LockedUntil.In(loc).Format("2006-01-02 15:04"))
	}
	if len(s) == 0 {
		s = append(s, "active")
	}
	if u.MustChangePassword {
		s = append(s, "must change password")
	}
	if u.FailedLogins > 0 {
		s = append(s, fmt.Sprintf("%d failed logins", u.FailedLogins))
	}
	return strings.Join(s, ", ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// loadAccount loads the config and checks the account name argument: the
// start of every users command about one account (a bad name exits 2
// before the store is opened).
func (g *globals) loadAccount(arg string) (*env, string, error) {
	e, err := g.load()
	if err != nil {
		return nil, "", err
	}
	name, err := usernameArg(arg)
	if err != nil {
		return nil, "", err
	}
	return e, name, nil
}
