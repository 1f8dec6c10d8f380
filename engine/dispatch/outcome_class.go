package dispatch

// Classes of outcome: what a township's verification found, as the
// county counts a warning's yield (rules backtest, statistics).
const (
	ClassEnrolled    = "enrolled"     // 纳入低保、特困、低边、刚性支出困难
	ClassAid         = "aid"          // 给予临时救助、其他救助
	ClassStopped     = "stopped"      // 已停发救助: an integrity (应退尽退) warning confirmed
	ClassNotEligible = "not_eligible" // 不符合条件: the warning was wrong
	ClassUnreachable = "unreachable"  // 无法联系: nothing learnt
)

// OutcomeClass returns the class of an outcome code of DefaultOutcomes,
// or "" for a code it does not know.
func OutcomeClass(code string) string {
	switch code {
	case "dibao", "tekun", "dibian", "rigid":
		return ClassEnrolled
	case "temporary", "other_aid":
		return ClassAid
	case "stopped":
		return ClassStopped
	case "not_eligible":
		return ClassNotEligible
	case "unreachable":
		return ClassUnreachable
	}
	return ""
}

// Confirmed reports whether an outcome class says the warning was right:
// the household was enrolled, given aid, or (an integrity warning) had its
// assistance stopped.
func Confirmed(class string) bool {
	return class == ClassEnrolled || class == ClassAid || class == ClassStopped
}
