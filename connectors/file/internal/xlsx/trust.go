package xlsx

import (
	"strings"

	"github.com/xuri/efp"
)

// trustedFunctions are the worksheet functions whose excelize results were
// checked against Excel's for the formulas department workbooks hold
// (sums and roundings of a row's cells, lookups, dates, text pieces). A
// formula using any other function is left uncomputed, with a reason that
// says to open and save the file in Excel/WPS: excelize answers some of
// them wrongly without an error (SUMIF and COUNTIF over number-like text
// keys give 0, SUMPRODUCT of a comparison takes its first element), and a
// wrong income loaded as data would raise a false warning. Volatile
// functions (TODAY, NOW, RAND) are left out too: they would be computed on
// the day of the sync, not as the file was.
//
// A second review took some out again: AVERAGE counts a text cell that
// Excel skips, PRODUCT of an empty range is 1 where Excel's is 0, and LEFT,
// RIGHT, MID and LEN of a number cell work on its scientific notation.
var trustedFunctions = map[string]bool{
	"SUM": true, "MIN": true, "MAX": true, "COUNT": true, "COUNTA": true,
	"ROUND": true, "ROUNDUP": true, "ROUNDDOWN": true, "INT": true, "ABS": true, "MOD": true,
	"IF": true, "IFERROR": true, "IFNA": true, "AND": true, "OR": true, "NOT": true,
	"VLOOKUP": true, "HLOOKUP": true, "INDEX": true, "MATCH": true,
	"DATE": true, "EDATE": true, "EOMONTH": true, "YEAR": true, "MONTH": true, "DAY": true,
	"TRIM": true, "UPPER": true, "LOWER": true, "CONCATENATE": true, "VALUE": true,
}

// trusted reports whether lipwatch may take excelize's result for formula:
// every function in it is trusted; no range is an operand of an operator
// (A2:A9=A2, B2:B9*C2:C9: array arithmetic, which excelize evaluates
// differently from Excel); no prefix operator (--D1 of a text cell gives 0
// where Excel gives the number); and no comparison with the empty text ""
// (excelize takes an empty cell = "" as false). A range may only be a
// function's argument (SUM(B2:B9), VLOOKUP(A2,表!A:B,2,0)).
func trusted(formula string) bool {
	if strings.Contains(formula, "{") {
		return false // an array constant
	}
	ps := efp.ExcelParser()
	toks := ps.Parse(formula)
	if len(toks) == 0 {
		return false
	}
	for i, t := range toks {
		switch t.TType {
		case efp.TokenTypeFunction:
			if t.TSubType == efp.TokenSubTypeStart {
				name := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(t.TValue, "_xlfn."), "_xlws."))
				if !trustedFunctions[name] {
					return false
				}
			}
		case efp.TokenTypeOperand:
			if t.TSubType == efp.TokenSubTypeRange && strings.Contains(t.TValue, ":") &&
				(isOperator(toks, i, -1) || isOperator(toks, i, +1)) {
				return false
			}
		case efp.TokenTypeOperatorPrefix, efp.TokenTypeUnknown:
			return false
		}
		if t.TType == efp.TokenTypeOperand && t.TSubType == efp.TokenSubTypeText && t.TValue == "" &&
			(isComparison(toks, i, -1) || isComparison(toks, i, +1)) {
			return false
		}
	}
	return true
}

// isOperator reports whether the token next to toks[i] in direction dir
// (-1 before, +1 after), white space skipped, is an infix or prefix
// operator: a range beside it takes part in array arithmetic.
func isOperator(toks []efp.Token, i, dir int) bool {
	for i += dir; i >= 0 && i < len(toks); i += dir {
		t := toks[i]
		if t.TType == efp.TokenTypeWhitespace {
			continue
		}
		return t.TType == efp.TokenTypeOperatorInfix || t.TType == efp.TokenTypeOperatorPrefix
	}
	return false
}

// isComparison reports whether the token next to toks[i] in direction dir,
// white space skipped, is a comparison operator (= <> < > <= >=).
func isComparison(toks []efp.Token, i, dir int) bool {
	for i += dir; i >= 0 && i < len(toks); i += dir {
		t := toks[i]
		if t.TType == efp.TokenTypeWhitespace {
			continue
		}
		if t.TType != efp.TokenTypeOperatorInfix {
			return false
		}
		switch t.TValue {
		case "=", "<>", "<", ">", "<=", ">=":
			return true
		}
		return false
	}
	return false
}
