package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/alexedwards/argon2id"
)

// HashParams are the Argon2id parameters of every new password hash:
// the "SECOND RECOMMENDED" option of RFC 9106 (Argon2, section 4), for
// when the first (2 GiB of memory) is too much for a server: t=3 passes
// over m=64 MiB of memory in p=4 lanes, a 128-bit random salt and a
// 256-bit tag. They are above the minimum of OWASP's Password Storage
// Cheat Sheet (Argon2id with m=19 MiB, t=2, p=1). On an ordinary server
// one hash takes about a tenth of a second and 64 MiB, once per login:
// the portal's login rate limit keeps concurrent hashes few.
//
// The parameters are written into each hash (PHC string format,
// $argon2id$v=19$m=65536,t=3,p=4$salt$tag), so raising them later keeps
// old hashes checkable; NeedsRehash tells the portal to re-hash a password
// at its next successful login.
var HashParams = argon2id.Params{
	Memory:      64 * 1024, // KiB: 64 MiB
	Iterations:  3,
	Parallelism: 4,
	SaltLength:  16, // bytes: 128 bits
	KeyLength:   32, // bytes: 256 bits
}

// Bounds on the parameters of a stored hash: CheckPassword refuses a hash
// asking for more (a damaged or planted row must not make one login
// allocate gigabytes) or for less than OWASP's minimum.
const (
	maxMemoryKiB   = 1024 * 1024 // 1 GiB
	maxIterations  = 16
	maxParallelism = 16
	minMemoryKiB   = 19 * 1024 // OWASP's minimum with t=2
)

// ErrBadHash reports a stored hash that is not an Argon2id hash lipwatch
// would check: malformed, another algorithm, or parameters out of bounds.
var ErrBadHash = errors.New("not a usable argon2id password hash")

// MaxConcurrentHashes bounds the Argon2id computations running at once in
// the process: each takes HashParams.Memory (64 MiB), so thirty logins
// at the same moment would take 1.9 GB; past the bound they wait their
// turn (a login takes some 100 ms).
const MaxConcurrentHashes = 4

var hashSlots = make(chan struct{}, MaxConcurrentHashes)

func hashSlot() func() {
	hashSlots <- struct{}{}
	return func() { <-hashSlots }
}

// HashPassword hashes password with Argon2id and HashParams and a fresh
// random salt, for the store. The password itself is never kept. An
// empty password is refused; the policy (Policy.Check) is the caller's.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("hash password: empty password")
	}
	p := HashParams
	defer hashSlot()()
	h, err := argon2id.CreateHash(password, &p)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// CheckPassword reports whether password matches hash, in constant time
// (the library's comparison of the derived keys). A hash that cannot be
// checked is an error wrapping ErrBadHash, never a match.
func CheckPassword(password, hash string) (bool, error) {
	if err := usableHash(hash); err != nil {
		return false, err
	}
	release := hashSlot()
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	release()
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrBadHash, err)
	}
	return ok, nil
}

// IsHash reports whether s looks like a password hash CheckPassword can
// check (and so not, by mistake, a password): the store refuses anything
// else in its password column.
func IsHash(s string) bool { return usableHash(s) == nil }

// NeedsRehash reports whether hash was made with parameters other than
// HashParams: the portal re-hashes the password after a successful login.
func NeedsRehash(hash string) bool {
	p, _, _, err := argon2id.DecodeHash(hash)
	return err != nil || *p != HashParams
}

func usableHash(hash string) error {
	if !strings.HasPrefix(hash, "$argon2id$") {
		return fmt.Errorf("%w: not an argon2id hash", ErrBadHash)
	}
	p, _, _, err := argon2id.DecodeHash(hash)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHash, err)
	}
	switch {
	case p.Memory > maxMemoryKiB || p.Iterations > maxIterations || p.Parallelism > maxParallelism:
		return fmt.Errorf("%w: parameters m=%d,t=%d,p=%d above the bounds lipwatch checks", ErrBadHash, p.Memory, p.Iterations, p.Parallelism)
	case p.Memory < minMemoryKiB || p.Iterations < 1 || p.Parallelism < 1 || p.SaltLength < 16 || p.KeyLength < 16:
		return fmt.Errorf("%w: parameters m=%d,t=%d,p=%d, salt %d, key %d below the minimum", ErrBadHash, p.Memory, p.Iterations, p.Parallelism, p.SaltLength, p.KeyLength)
	}
	return nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// CheckNoAccount spends the time of one CheckPassword and reports false:
// the portal calls it when the username names no account (or a disabled
// one), so that the answer's timing does not tell which usernames exist.
func CheckNoAccount(password string) bool {
	dummyOnce.Do(func() {
		// A hash of a random password nobody knows, with HashParams.
		pw, err := randomString(24)
		if err == nil {
			dummyHash, _ = HashPassword(pw)
		}
	})
	if dummyHash != "" {
		_, _ = CheckPassword(password, dummyHash)
	}
	return false
}
