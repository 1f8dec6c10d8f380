package dataset

import "fmt"

// maxClaimFen bounds one medical settlement: 10,000,000 yuan, far above any
// real bill. A larger amount is a number that landed in the wrong column (a
// phone number in 个人自付 reads as 13.8 billion yuan), and it would raise a
// warning by itself.
const maxClaimFen = 10_000_000 * 100

// checkMedical judges a settlement's amounts together: what the person paid
// cannot exceed the bill, and no amount is beyond any real bill.
func checkMedical(ds *Dataset) func([]any) *Problem {
	idx := func(name string) int {
		for i, f := range ds.Fields {
			if f.Name == name {
				return i
			}
		}
		panic("dataset medical: no field " + name)
	}
	total, oop := idx("total_cost"), idx("out_of_pocket")
	amounts := []int{total, oop, idx("fund_paid"), idx("critical_illness_paid"), idx("assistance_paid")}
	return func(v []any) *Problem {
		for _, i := range amounts {
			if fen, ok := v[i].(int64); ok && (fen > maxClaimFen || fen < -maxClaimFen) {
				f := ds.Fields[i]
				return &Problem{Code: BadNumber, Field: f.Name, Reason: fmt.Sprintf("%s (%s) is beyond any real bill (over %d yuan): a number from another column?", f.Doc, f.Name, maxClaimFen/100)}
			}
		}
		t, okT := v[total].(int64)
		o, okO := v[oop].(int64)
		if okT && okO && o > t && t >= 0 {
			return &Problem{Code: BadValue, Field: "out_of_pocket", Reason: "个人自付 (out_of_pocket) is more than 医疗总费用 (total_cost): the columns are shifted or an amount is wrong"}
		}
		return nil
	}
}
