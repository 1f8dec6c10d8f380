package auth

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/lipwatch/lipwatch/engine/redact"
)

func TestHashAndCheck(t *testing.T) {
	const pw = "Chengguan-2026!"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(h, pw) {
		t.Errorf("hash %q: want argon2id with RFC 9106's second recommended parameters, without the password", h)
	}
	if ok, err := CheckPassword(pw, h); !ok || err != nil {
		t.Errorf("the password does not check against its hash: %v, %v", ok, err)
	}
	if !IsHash(h) || IsHash(pw) {
		t.Error("IsHash cannot tell a hash from a password")
	}
	if NeedsRehash(h) {
		t.Error("a hash with HashParams needs no rehash")
	}
	// The wrong passwords, against a hash with OWASP's minimum parameters
	// (a quarter of the work; the comparison is the same code).
	cheap, err := argon2id.CreateHash(pw, &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	if h2, _ := argon2id.CreateHash(pw, &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}); h2 == cheap {
		t.Error("two hashes of one password are equal: no random salt")
	}
	if !NeedsRehash(cheap) {
		t.Error("a hash with other parameters needs no rehash")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{pw, true},
		{"chengguan-2026!", false},
		{pw + " ", false},
		{"", false},
	} {
		ok, err := CheckPassword(tt.pw, cheap)
		if err != nil || ok != tt.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("an empty password was hashed")
	}
}

func TestCheckRefusesBadHashes(t *testing.T) {
	weak, err := argon2id.CreateHash("x", &argon2id.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	salt := "c29tZXNhbHRzb21lc2FsdA" // 16 bytes
	key := "RdescudvJCsgt3ub+b+dWRWJTmaaJObGRdescudvJCs"
	for name, h := range map[string]string{
		"empty":         "",
		"a password":    "Chengguan-2026!",
		"bcrypt":        "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":       "$argon2i$v=19$m=65536,t=3,p=4$" + salt + "$" + key,
		"old version":   "$argon2id$v=16$m=65536,t=3,p=4$" + salt + "$" + key,
		"malformed":     "$argon2id$v=19$m=65536,t=3,p=4$" + salt,
		"bad base64":    "$argon2id$v=19$m=65536,t=3,p=4$!!!$" + key,
		"4 GiB memory":  fmt.Sprintf("$argon2id$v=19$m=%d,t=3,p=4$%s$%s", 4<<20, salt, key),
		"1000 passes":   "$argon2id$v=19$m=65536,t=1000,p=4$" + salt + "$" + key,
		"below minimum": weak,
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := CheckPassword("x", h)
			if ok || !errors.Is(err, ErrBadHash) {
				t.Errorf("CheckPassword = %v, %v; want false, ErrBadHash", ok, err)
			}
			if !NeedsRehash(h) {
				t.Error("a hash not made with HashParams needs no rehash")
			}
		})
	}
}

func TestCheckNoAccount(t *testing.T) {
	if CheckNoAccount("anything") {
		t.Error("CheckNoAccount matched")
	}
	if dummyHash == "" || !IsHash(dummyHash) {
		t.Error("no dummy hash: the time of a real check is not spent")
	}
}

func TestPolicyCheck(t *testing.T) {
	def := DefaultPolicy()
	tests := []struct {
		name, user, pw string
		p              Policy
		codes          []string // none: accepted
	}{
		{"good", "zhangmin", "Chengguan-2026", def, nil},
		{"three classes without symbols", "zhangmin", "Chengguan2026", def, nil},
		{"lower, digits, symbols", "zhangmin", "chengguan.2026", def, nil},
		{"Chinese characters count as symbols", "zhangmin", "城关镇chengguan2026", def, nil},
		{"contains the username", "zhangmin", "Zhangmin-2026!", def, []string{"is_username"}},
		{"inner spaces", "zhangmin", "correct Horse 9 battery", def, nil},
		{"zero policy takes the defaults", "zhangmin", "Chengguan-2026", Policy{}, nil},
		{"too short", "zhangmin", "Cg-2026x", def, []string{"too_short"}},
		{"nine characters", "zhangmin", "Cg-2026xy", def, []string{"too_short"}},
		{"too long", "zhangmin", "Aa1-" + strings.Repeat("x", 125), def, []string{"too_long"}},
		{"two classes", "zhangmin", "chengguan2026", def, []string{"few_classes"}},
		{"letters only", "zhangmin", "Chengguanzhen", def, []string{"few_classes"}},
		{"four classes asked", "zhangmin", "Chengguan2026", Policy{MinClasses: 4}, []string{"few_classes"}},
		{"longer asked", "zhangmin", "Chengguan-2026", Policy{MinLength: 16}, []string{"too_short"}},
		{"the username", "ZhangMin2026", "zhangmin2026", def, []string{"is_username", "few_classes"}},
		{"the username, classes met", "Zhang.Min01", "zhang.Min01", def, []string{"is_username"}},
		{"common", "zhangmin", "Admin@123456", def, []string{"common"}},
		{"common, case and symbol added", "zhangmin", "Woaini1314!", def, []string{"common"}},
		{"common, symbols before", "zhangmin", "..Qwer1234", def, []string{"common"}},
		{"common and short", "zhangmin", "123456", def, []string{"too_short", "few_classes", "common"}},
		{"a123456", "zhangmin", "a123456", def, []string{"too_short", "few_classes", "common"}},
		{"88888888", "zhangmin", "88888888", def, []string{"too_short", "few_classes", "common"}},
		{"P@ssw0rd!", "zhangmin", "P@ssw0rd!", def, []string{"too_short", "common"}},
		{"newline", "zhangmin", "Chengguan-\n2026", def, []string{"control_char"}},
		{"invalid UTF-8", "zhangmin", "Chengguan-2026\xff", def, []string{"control_char"}},
		{"edge space", "zhangmin", " Chengguan-2026", def, []string{"edge_space"}},
		// Past the classes and the list, still guessable (zxcvbn).
		{"keyboard run", "zhangmin", "Qwer1234qwer", def, []string{"guessable"}},
		{"repeats", "zhangmin", "aaaaaaaaA1", def, []string{"guessable"}},
		{"sequence", "zhangmin", "Abcdefg123", def, []string{"guessable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Check(tt.user, tt.pw)
			if tt.codes == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("want a *PolicyError with %v, got %v", tt.codes, err)
			}
			if len(pe.Problems) != len(tt.codes) {
				t.Errorf("problems %v, want %v", pe.Problems, tt.codes)
			}
			for _, c := range tt.codes {
				if !pe.Has(c) {
					t.Errorf("no %s in %v", c, pe.Problems)
				}
			}
			if en, zh := pe.Error(), pe.Chinese(); strings.Contains(en, tt.pw) || strings.Contains(zh, tt.pw) ||
				!strings.HasPrefix(zh, "密码不符合要求：") || !strings.HasPrefix(en, "password refused: ") {
				t.Errorf("messages %q / %q: want English and Chinese, without the password", en, zh)
			}
		})
	}
}

func TestPolicyMessages(t *testing.T) {
	err := DefaultPolicy().Check("", "abc").(*PolicyError)
	if got := err.Chinese(); got != "密码不符合要求：至少 10 个字符（现为 3 个）；须包含小写字母、大写字母、数字、符号中的至少 3 类（现为 1 类）。" {
		t.Errorf("Chinese: %s", got)
	}
	if got := err.Error(); got != "password refused: shorter than 10 characters (3); mixes 1 of lower case, upper case, digits and symbols, want 3" {
		t.Errorf("English: %s", got)
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		p   Policy
		msg string
	}{
		{Policy{}, ""},
		{DefaultPolicy(), ""},
		{Policy{MinLength: 8, MinClasses: 4, MaxLength: 64}, ""},
		{Policy{MinLength: 6}, "min_length: 6 is below 8"},
		{Policy{MinClasses: 5}, "min_classes: 5"},
		{Policy{MinClasses: -1}, "min_classes: -1"},
		{Policy{MinLength: 20, MaxLength: 12}, "max_length: 12"},
		{Policy{MaxLength: 5000}, "max_length: 5000"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != (tt.msg == "") || err != nil && !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%+v: %v, want %q", tt.p, err, tt.msg)
		}
	}
}

func TestCommonList(t *testing.T) {
	if CommonCount() < 100 {
		t.Errorf("%d common passwords: the list did not load", CommonCount())
	}
	for _, pw := range []string{"123456", "a123456", "woaini1314", "88888888", "qwer1234", "Admin@123", "P@ssw0rd", "1qaz@WSX"} {
		if !IsCommon(pw) {
			t.Errorf("%s is not common", pw)
		}
	}
	for _, pw := range []string{"Chengguan-2026", "", "!!!", "woaini1314x"} {
		if IsCommon(pw) {
			t.Errorf("%q is common", pw)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct{ in, want, msg string }{
		{"zhangmin", "zhangmin", ""},
		{" ZhangMin ", "zhangmin", ""},
		{"zhang.min_01-a", "zhang.min_01-a", ""},
		{"abc", "abc", ""},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), ""},
		{"007", "007", ""},
		{"ab", "", "3 to 32"},
		{strings.Repeat("a", 33), "", "3 to 32"},
		{"", "", "3 to 32"},
		{"张敏", "", "only ASCII"},
		{"张敏zhang", "", "only ASCII"},
		{"zhang min", "", "only ASCII"},
		{"zhang@min", "", "only ASCII"},
		{"-zhang", "", "start with a letter or digit"},
		{".zhang", "", "start with a letter or digit"},
	}
	for _, tt := range tests {
		got, err := NormalizeUsername(tt.in)
		if got != tt.want || (err == nil) != (tt.msg == "") || err != nil && !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.msg)
		}
	}
}

var oneTime = regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{4}(-[a-km-zA-HJ-NP-Z2-9]{4}){3}$`)

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		pw, err := DefaultPolicy().Generate()
		if err != nil {
			t.Fatal(err)
		}
		if !oneTime.MatchString(pw) || strings.ContainsAny(pw, "0Oo1lI") {
			t.Fatalf("%q: want 4 groups of 4 without 0 O o 1 l I", pw)
		}
		if err := DefaultPolicy().Check("zhangmin", pw); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		if redact.Mask(pw) != pw {
			t.Fatalf("%q would be masked on stdout: %q", pw, redact.Mask(pw))
		}
		if seen[pw] {
			t.Fatalf("%q drawn twice", pw)
		}
		seen[pw] = true
	}
	long, err := Policy{MinLength: 22, MinClasses: 4}.Generate()
	if err != nil || len(long) < 22 || (Policy{MinLength: 22, MinClasses: 4}).Check("", long) != nil {
		t.Errorf("policy asking 22 characters and 4 classes: %q, %v", long, err)
	}
}

func TestNormalizeDisplayName(t *testing.T) {
	tests := []struct{ in, want, msg string }{
		{" 张敏 ", "张敏", ""},
		{"", "", ""},
		{"城关镇民政办 张敏", "城关镇民政办 张敏", ""},
		{strings.Repeat("张", 64), strings.Repeat("张", 64), ""},
		{strings.Repeat("张", 65), "", "65 characters"},
		{"张\n敏", "", "control"},
		{"张\xff", "", "invalid UTF-8"},
	}
	for _, tt := range tests {
		got, err := NormalizeDisplayName(tt.in)
		if got != tt.want || (err == nil) != (tt.msg == "") || err != nil && !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("NormalizeDisplayName(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.msg)
		}
	}
}

// At most MaxConcurrentHashes Argon2id computations run at once: with
// every slot taken, a check waits until one is given back.
func TestHashesBounded(t *testing.T) {
	h, err := HashPassword("Xiangzhen-Desk-88")
	if err != nil {
		t.Fatal(err)
	}
	for range MaxConcurrentHashes {
		hashSlots <- struct{}{}
	}
	done := make(chan bool)
	go func() {
		ok, _ := CheckPassword("Xiangzhen-Desk-88", h)
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("a check ran with every slot taken")
	case <-time.After(300 * time.Millisecond):
	}
	<-hashSlots
	if ok := <-done; !ok {
		t.Error("the check, once a slot was free, did not match")
	}
	for range MaxConcurrentHashes - 1 {
		<-hashSlots
	}
}
