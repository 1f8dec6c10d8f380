// Package level is the one definition of a warning's level (预警等级):
// its names, its order and its Chinese label, for the rules, the cases,
// the lists and the portal alike.
package level

// The levels, most severe first.
const (
	Red    = "red"    // 红色
	Orange = "orange" // 橙色
	Yellow = "yellow" // 黄色
)

// Rank orders levels by severity: red 3, orange 2, yellow 1; anything
// else 0 (so an unknown level is never the most severe, and sorts last
// in a list ordered most severe first).
func Rank(l string) int {
	switch l {
	case Red:
		return 3
	case Orange:
		return 2
	case Yellow:
		return 1
	}
	return 0
}

// MoreSevere compares for a sort most severe first: negative when a is
// more severe than b.
func MoreSevere(a, b string) int { return Rank(b) - Rank(a) }

// Label is a level as townships read it: 红色, 橙色, 黄色; an unknown
// level as given.
func Label(l string) string {
	switch l {
	case Red:
		return "红色"
	case Orange:
		return "橙色"
	case Yellow:
		return "黄色"
	}
	return l
}
