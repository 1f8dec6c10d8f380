package auth

import (
	"github.com/trustelem/zxcvbn"

	"bufio"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy is what a new password must be, read from configuration (keys in
// snake case, e.g. portal.password.min_length); a zero field takes its
// default (DefaultPolicy).
type Policy struct {
	// MinLength is the fewest characters (not bytes) a password may have.
	// Default 10; at least 8 (NIST SP 800-63B's floor for a password a
	// user chose).
	MinLength int `mapstructure:"min_length" yaml:"min_length"`
	// MinClasses is how many of the four kinds of character a password
	// must mix: lower-case letters, upper-case letters, digits, and
	// symbols (anything else: punctuation, spaces, Chinese characters).
	// Default 3, from 1 to 4.
	MinClasses int `mapstructure:"min_classes" yaml:"min_classes"`
	// MaxLength bounds a password (characters), so that a login form
	// cannot be made to hash megabytes. Default 128.
	MaxLength int `mapstructure:"max_length" yaml:"max_length"`
}

// The defaults of Policy.
const (
	DefaultMinLength  = 10
	DefaultMinClasses = 3
	DefaultMaxLength  = 128
	floorMinLength    = 8
)

// DefaultPolicy is the policy with every default: at least 10 characters,
// at most 128, mixing at least 3 of lower case, upper case, digits and
// symbols; never the username; never one of the common passwords.
func DefaultPolicy() Policy {
	return Policy{MinLength: DefaultMinLength, MinClasses: DefaultMinClasses, MaxLength: DefaultMaxLength}
}

// withDefaults fills zero fields.
func (p Policy) withDefaults() Policy {
	if p.MinLength == 0 {
		p.MinLength = DefaultMinLength
	}
	if p.MinClasses == 0 {
		p.MinClasses = DefaultMinClasses
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultMaxLength
	}
	return p
}

// Validate checks the policy's own values, for the config loader: each
// problem names its key.
func (p Policy) Validate() error {
	p = p.withDefaults()
	var errs []error
	if p.MinLength < floorMinLength {
		errs = append(errs, fmt.Errorf("min_length: %d is below %d, the shortest password worth the name (NIST SP 800-63B)", p.MinLength, floorMinLength))
	}
	if p.MinClasses < 1 || p.MinClasses > 4 {
		errs = append(errs, fmt.Errorf("min_classes: %d, want 1 to 4 (lower case, upper case, digits, symbols)", p.MinClasses))
	}
	if p.MaxLength < p.MinLength || p.MaxLength > 1024 {
		errs = append(errs, fmt.Errorf("max_length: %d, want from min_length (%d) to 1024", p.MaxLength, p.MinLength))
	}
	return errors.Join(errs...)
}

// Problem is one way a password breaks the policy: a stable code, the
// message for the user (Chinese) and for logs (English). Neither holds
// the password.
type Problem struct {
	Code string // too_short, too_long, few_classes, is_username, common, control_char, edge_space
	Zh   string // for the user
	En   string // for logs
}

// PolicyError lists the problems of a refused password.
type PolicyError struct{ Problems []Problem }

// Error is the English text, for logs.
func (e *PolicyError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.En
	}
	return "password refused: " + strings.Join(parts, "; ")
}

// Chinese is the text for the user: every problem, in Chinese.
func (e *PolicyError) Chinese() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Zh
	}
	return "密码不符合要求：" + strings.Join(parts, "；") + "。"
}

// Has reports whether the error holds a problem with code.
func (e *PolicyError) Has(code string) bool {
	for _, p := range e.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

// Check returns nil when password may be set for username, else a
// *PolicyError listing every problem (so a form can show them at once).
func (p Policy) Check(username, password string) error {
	p = p.withDefaults()
	var probs []Problem
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		probs = append(probs, Problem{"too_short",
			fmt.Sprintf("至少 %d 个字符（现为 %d 个）", p.MinLength, n),
			fmt.Sprintf("shorter than %d characters (%d)", p.MinLength, n)})
	}
	if n > p.MaxLength {
		probs = append(probs, Problem{"too_long",
			fmt.Sprintf("最多 %d 个字符（现为 %d 个）", p.MaxLength, n),
			fmt.Sprintf("longer than %d characters (%d)", p.MaxLength, n)})
	}
	var lower, upper, digit, symbol, control bool
	for _, r := range password {
		switch {
		case r == utf8.RuneError || unicode.IsControl(r):
			control = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	if control {
		probs = append(probs, Problem{"control_char",
			"不能含有控制字符（如换行、制表符）",
			"holds a control character or invalid UTF-8"})
	}
	if strings.TrimSpace(password) != password {
		probs = append(probs, Problem{"edge_space",
			"首尾不能是空格",
			"starts or ends with white space"})
	}
	if classes := count(lower, upper, digit, symbol); classes < p.MinClasses {
		probs = append(probs, Problem{"few_classes",
			fmt.Sprintf("须包含小写字母、大写字母、数字、符号中的至少 %d 类（现为 %d 类）", p.MinClasses, classes),
			fmt.Sprintf("mixes %d of lower case, upper case, digits and symbols, want %d", classes, p.MinClasses)})
	}
	if u := strings.ToLower(strings.TrimSpace(username)); u != "" && strings.Contains(strings.ToLower(password), u) {
		// Admin1admin1 for admin1: a guesser tries the name first.
		probs = append(probs, Problem{"is_username",
			"不能包含用户名",
			"contains the username"})
	}
	if IsCommon(password) {
		probs = append(probs, Problem{"common",
			"这是常见密码，很容易被猜中，请换一个",
			"is a common password"})
	} else if len(probs) == 0 && zxcvbn.PasswordStrength(password, []string{username, "lipwatch", "minzheng", "jiuzhu"}).Score < MinStrength {
		// Keyboard runs, repeats, a word and a year (Qwer1234qwer,
		// Admin@123abc, aaaaaaaaA1): zxcvbn's estimate of the guesses
		// needed, as Dropbox published it.
		probs = append(probs, Problem{"guessable",
			"太容易被猜中（如键盘顺序、重复字符、常见单词加数字），请换一个更长、更不规则的密码",
			"is easy to guess (zxcvbn score below 3)"})
	}
	if len(probs) == 0 {
		return nil
	}
	return &PolicyError{Problems: probs}
}

// MinStrength is the least zxcvbn score (0–4) a password must reach: 3
// is "safely unguessable" (about 10^10 guesses) in zxcvbn's scale.
const MinStrength = 3

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// commonText is the list of common passwords a user may not choose, one a
// line: the most frequent in leaked Chinese and international password
// lists (123456, a123456, woaini1314, 88888888, qwer1234, …) and the
// variants that pass the character classes (Admin@123, P@ssw0rd, …).
//
//go:embed common_passwords.txt
var commonText string

var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// IsCommon reports whether password is one of the common passwords, in
// any case, also with symbols added before or after it (Woaini1314!,
// .Qq123456): such a password is guessed in the first tries.
func IsCommon(password string) bool {
	p := strings.ToLower(password)
	if common[p] {
		return true
	}
	core := strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return core != "" && common[core]
}

// CommonCount is how many common passwords the policy refuses.
func CommonCount() int { return len(common) }

// Username rules: ASCII letters, digits, '.', '_' and '-', from 3 to 32
// characters, starting with a letter or digit. Usernames are not case
// sensitive: NormalizeUsername gives the stored (lower-case) form.
const (
	UsernameMin = 3
	UsernameMax = 32
)

// NormalizeUsername checks a username and returns its stored form (lower
// case, surrounding spaces removed). The error says, in English, what is
// wrong; UsernameRuleZh says the rule in Chinese.
func NormalizeUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	for i := 0; i < len(u); i++ {
		c := u[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return "", fmt.Errorf("username %q: only ASCII letters, digits, '.', '_' and '-' are allowed", s)
		}
		if i == 0 && (c == '.' || c == '_' || c == '-') {
			return "", fmt.Errorf("username %q: must start with a letter or digit", s)
		}
	}
	if n := len(u); n < UsernameMin || n > UsernameMax {
		return "", fmt.Errorf("username %q: want %d to %d characters, has %d", s, UsernameMin, UsernameMax, n)
	}
	return u, nil
}

// UsernameRuleZh is the username rule for users.
const UsernameRuleZh = "用户名为 3–32 位英文字母、数字或 . _ -，以字母或数字开头，不区分大小写"

// genAlphabet is what one-time passwords are made of: letters and digits
// without the ones people misread (0 O o, 1 l I).
const genAlphabet = "abcdefghijkmnpqrstuvwxyz" + "ABCDEFGHJKLMNPQRSTUVWXYZ" + "23456789"

// Generate returns a random one-time password from crypto/rand that meets
// the policy: groups of 4 characters from genAlphabet joined by '-'
// (abcd-EFGH-2j3k-Mn4p: 4 groups, 16 random characters, about 93 bits),
// more groups when MinLength asks for more. Every group holds a letter,
// so no group runs into a number the output masking would hide.
func (p Policy) Generate() (string, error) {
	p = p.withDefaults()
	groups := 4
	for groups*5-1 < p.MinLength {
		groups++
	}
	for range 1000 {
		var b strings.Builder
		ok := true
		for g := range groups {
			if g > 0 {
				b.WriteByte('-')
			}
			grp, err := randomString(4)
			if err != nil {
				return "", err
			}
			if strings.Trim(grp, "23456789") == "" {
				ok = false
			}
			b.WriteString(grp)
		}
		if pw := b.String(); ok && p.Check("", pw) == nil && utf8.RuneCountInString(pw) <= p.MaxLength {
			return pw, nil
		}
	}
	return "", errors.New("generate password: no candidate met the policy") // not with a valid policy
}

// randomString draws n characters of genAlphabet from crypto/rand.
func randomString(n int) (string, error) {
	size := big.NewInt(int64(len(genAlphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		b[i] = genAlphabet[k.Int64()]
	}
	return string(b), nil
}

// DisplayNameMax bounds an account's display name (characters).
const DisplayNameMax = 64

// NormalizeDisplayName checks an account's display name (张敏, 城关镇民政办):
// surrounding spaces removed, at most DisplayNameMax characters, no control
// characters. Empty is allowed.
func NormalizeDisplayName(s string) (string, error) {
	d := strings.TrimSpace(s)
	if !utf8.ValidString(d) || strings.IndexFunc(d, unicode.IsControl) >= 0 {
		return "", errors.New("display name: holds a control character or invalid UTF-8")
	}
	if n := utf8.RuneCountInString(d); n > DisplayNameMax {
		return "", fmt.Errorf("display name: %d characters, at most %d", n, DisplayNameMax)
	}
	return d, nil
}
