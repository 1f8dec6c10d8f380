package gen

import (
	"math/rand/v2"
	"strings"
)

// creditAlphabet is the character set of the 统一社会信用代码 (GB
// 32100-2015): the digits and the capital letters without I, O, S, V, Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights weigh the first 17 characters: 3^i mod 31.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCheck is the check character of a code's first 17 characters, or
// 0 when one of them is not in the alphabet.
func creditCheck(s string) byte {
	if len(s) < 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(creditAlphabet, s[i])
		if v < 0 {
			return 0
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31]
}

// validCreditCode reports whether s is 18 characters with a right check
// character.
func validCreditCode(s string) bool {
	return len(s) == 18 && creditCheck(s) == s[17]
}

// orgCheck is the check character of a 9-character organisation code (GB
// 11714) from its first 8: weights 3 7 9 10 5 8 4 2 mod 11, 10 as X.
func orgCheck(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// creditCode draws a valid code: the registering department (9: market
// regulation), the entity category (1 enterprise, 2 individual, 3
// cooperative), the division code, a subject code of the form newer
// registrations get ("MA" and six characters, GB 11714 check) and the
// check character.
func creditCode(r *rand.Rand, dept, category byte, division string) string {
	b := []byte{dept, category}
	b = append(b, division...)
	body := []byte("MA")
	for len(body) < 8 {
		body = append(body, creditAlphabet[r.IntN(len(creditAlphabet))])
	}
	b = append(b, body...)
	b = append(b, orgCheck(string(body)))
	return string(append(b, creditCheck(string(b))))
}
