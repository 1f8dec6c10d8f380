package gen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Truth is the ground truth of a generated county, written to truth.json:
// what was planted, what must not be warned, which rows are bad and where.
type Truth struct {
	Options    TruthOptions `json:"options"`
	Params     Params       `json:"params"`
	County     CountyInfo   `json:"county"`
	Counts     Counts       `json:"counts"`
	Planted    []Planted    `json:"planted"`
	Decoys     []Decoy      `json:"decoys"`
	BadRows    []BadRow     `json:"bad_rows"`
	Unresolved []Unresolved `json:"unresolved"`
	Duplicates []Duplicate  `json:"duplicates"`
	Files      []FileInfo   `json:"files"`
}

// TruthOptions are the generator options that made the county.
type TruthOptions struct {
	Seed       int64  `json:"seed"`
	Households int    `json:"households"`
	AsOf       string `json:"as_of"` // YYYY-MM-DD
}

// Params are the reference thresholds the planted situations are built
// around; rule files can use the same values.
type Params struct {
	// MedicalOOPThreshold is in yuan: a person's 个人自付 summed over the
	// MedicalWindowMonths months up to AsOf (settle_date > AsOf minus the
	// window, <= AsOf).
	MedicalOOPThreshold int `json:"medical_oop_threshold"`
	MedicalWindowMonths int `json:"medical_window_months"`
	// A certificate is new and severe if its level is one of these and it
	// was issued within SevereDisabilityDays days before AsOf.
	SevereDisabilityLevels []int `json:"severe_disability_levels"`
	SevereDisabilityDays   int   `json:"severe_disability_days"`
	// DibaoStandard and LowIncomeLine are yuan per person per month.
	DibaoStandard int `json:"dibao_standard"`
	LowIncomeLine int `json:"low_income_line"`
	// A person is unemployed if their latest employment event is
	// "unemployed", dated within UnemployedWindowDays before AsOf; the
	// signal needs the household's per-capita monthly income <=
	// UnemployedIncomeLine.
	UnemployedWindowDays int `json:"unemployed_window_days"`
	UnemployedIncomeLine int `json:"unemployed_income_line"`
	// A fisher is at risk with this resettlement and pension status.
	FisherRiskResettlement   string `json:"fisher_risk_resettlement"`
	FisherRiskPensionInsured bool   `json:"fisher_risk_pension_insured"`
	// The asset checks (应退尽退) concern aided households: a member has an
	// assistance row in force on AsOf of one of AidedCategories. A signal
	// is a member's car or truck in force (VehicleBarTypes); more than
	// MaxHomes residential properties in force in the household (counted
	// by certificate: co-owners share one), or any one of
	// PropertyBarPurposes; an active enterprise or 个体工商户 with
	// employees (with none: the family-shop signal); a current public
	// post; wage contributions with a base of at least WageBaseLine yuan
	// a month in at least WageMonths distinct months among the
	// WageWindowMonths up to AsOf's month (planted ones: 8 or more months
	// at 2,500 or more).
	AidedCategories     []string `json:"aided_categories"`
	VehicleBarTypes     []string `json:"vehicle_bar_types"`
	MaxHomes            int      `json:"max_homes"`
	PropertyBarPurposes []string `json:"property_bar_purposes"`
	WageBaseLine        int      `json:"wage_base_line"`
	WageMonths          int      `json:"wage_months"`
	WageWindowMonths    int      `json:"wage_window_months"`
	// The medical lines beside MedicalOOPThreshold, over the same window,
	// for people whose household is not covered: a 12-month 个人自付 of at
	// least MedicalOOPIncomeShare × DisposableIncomePerCapita (18,591.30)
	// and below MedicalOOPThreshold; one settlement of at least
	// MedicalSingleOOPThreshold with the 12-month total below both.
	DisposableIncomePerCapita int     `json:"disposable_income_per_capita"` // yuan a person a year
	MedicalOOPIncomeShare     float64 `json:"medical_oop_income_share"`
	MedicalSingleOOPThreshold int     `json:"medical_single_oop_threshold"` // yuan
	// Rigid spending (刚性支出困难) of a household not covered, with an
	// assessment made by AsOf and a per-capita income (annual income /
	// 家庭人口) below DisposableIncomePerCapita: its active members'
	// 个人自付, 学费和住宿费 of each enrolment in force on some day of the
	// window, and rehabilitation 个人负担, over the medical window, above
	// RigidSpendingIncomeShare of its annual income, while no member's
	// 个人自付 reaches a medical line and no settlement the single one. A
	// row of 刚性支出困难 in force on AsOf that began RigidReviewMonths or
	// more before it is overdue.
	RigidSpendingIncomeShare float64 `json:"rigid_spending_income_share"`
	RigidReviewMonths        int     `json:"rigid_review_months"`
}

// CountyInfo describes the division tree.
type CountyInfo struct {
	Code      string         `json:"code"`
	Name      string         `json:"name"`
	Townships []TownshipInfo `json:"townships"`
	Villages  int            `json:"villages"`
}

// TownshipInfo is one township and how many villages it has.
type TownshipInfo struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Villages int    `json:"villages"`
}

// Counts summarise the county. Maps are written with sorted keys.
type Counts struct {
	Households        int `json:"households"`
	People            int `json:"people"` // registry rows of real people, any status
	PeopleActive      int `json:"people_active"`
	CoveredHouseholds int `json:"covered_households"`
	OutOfCounty       int `json:"out_of_county"`
	Claims            int `json:"claims"` // distinct valid claims
	// Rows are data rows per file, bad ones included (as FileInfo.DataRows).
	Rows    map[string]int `json:"rows"`
	BadRows map[string]int `json:"bad_rows"` // per reason
	// Unresolved counts the rows kept with an unusable ID, per reason.
	Unresolved map[string]int `json:"unresolved"`
	Planted    map[string]int `json:"planted"` // per signal
	Decoys     map[string]int `json:"decoys"`  // per kind
	Marks      map[string]int `json:"marks"`   // planted households per mark
}

// Planted is a household (or, with HouseholdID "", an out-of-county person)
// carrying one or more signals that rules must raise.
type Planted struct {
	HouseholdID  string          `json:"household_id"`
	TownshipCode string          `json:"township_code"`
	Signals      []PlantedSignal `json:"signals"`
	// AssistanceEnded marks households that had assistance rows, all ended
	// before AsOf: they are not covered.
	AssistanceEnded bool `json:"assistance_ended,omitempty"`
	// Marks are the mark rules' signals the household's case carries
	// besides its warnings (MarkRouteCounty, MarkNote: recusal): a mark
	// opens no case and counts for no level. At most one.
	Marks []string `json:"marks,omitempty"`
	// RoutedTo is the township code whose list the case goes on: the
	// household's TownshipCode, or "" for the county's own queue (the
	// out-of-county, and cases marked MarkRouteCounty).
	RoutedTo string `json:"routed_to"`
}

// PlantedSignal is one signal on one person.
type PlantedSignal struct {
	Signal   string `json:"signal"`
	IDNumber string `json:"id_number"` // canonical 18 characters
}

// Decoy is a near miss that no rule may warn.
type Decoy struct {
	HouseholdID string `json:"household_id"`
	Kind        string `json:"kind"`
	IDNumber    string `json:"id_number"`
}

// BadRow is an injected row with exactly one defect.
type BadRow struct {
	File string `json:"file"`
	// Position is the CSV line number (header = 1) or the sheet row number.
	Position int    `json:"position"`
	Reason   string `json:"reason"`
	Column   string `json:"column"` // header of the bad cell; "" for header_repeat and blank_row
	// trueID is set on a row whose one defect is its ID number and which
	// carries the person's name: it is not quarantined but kept
	// unresolved (Truth.Unresolved), and this is the person's ID number.
	trueID string
	// variant is the way its name is written, when not as the registry
	// writes it (VariantTraditional ...).
	variant string
}

// Unresolved is an injected row whose one defect is its ID number (a wrong
// check character, or none) in a file whose rows carry the person's name
// (a column the loader maps to name): the loader keeps it, with id_number
// "?" and the ID text, for identity resolution (身份证号无法使用，待身份识别)
// instead of quarantining it. IDNumber is the person it is about: the
// linker's ground truth.
type Unresolved struct {
	File     string `json:"file"`
	Position int    `json:"position"` // as BadRow.Position
	// Reason is the damage: bad_check_digit or missing_required (a bad
	// row's), or one of identity resolution's (ReasonWrongDigit ...).
	Reason   string `json:"reason"`
	Column   string `json:"column"` // header of the ID column
	IDNumber string `json:"id_number"`
	// NameVariant is how the row writes the person's name when not as
	// the registry does: traditional, space or homophone.
	NameVariant string `json:"name_variant,omitempty"`
}

// Duplicate is a claim sent again in the next month's file, unchanged.
type Duplicate struct {
	File     string `json:"file"`
	Position int    `json:"position"`
	ClaimID  string `json:"claim_id"`
}

// FileInfo describes one written file.
type FileInfo struct {
	File      string `json:"file"`
	Dataset   string `json:"dataset"`
	Format    string `json:"format"`   // csv or xlsx
	Encoding  string `json:"encoding"` // gbk, gb18030, utf-8; xlsx for sheets
	BOM       bool   `json:"bom,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	HeaderRow int    `json:"header_row"`
	DataRows  int    `json:"data_rows"` // every line or row after the header
	// Columns map the file's headers to dataset fields ("" = ignored).
	Columns []ColumnInfo `json:"columns"`
}

// ColumnInfo maps one header to a dataset field.
type ColumnInfo struct {
	Header string `json:"header"`
	Field  string `json:"field"`
}

// DefaultParams are the thresholds of a generated county.
func DefaultParams() Params {
	return Params{
		MedicalOOPThreshold: medicalThreshold, MedicalWindowMonths: 12,
		SevereDisabilityLevels: []int{1, 2}, SevereDisabilityDays: severeDays,
		DibaoStandard: dibaoStandard, LowIncomeLine: lowIncomeLine,
		UnemployedWindowDays: unemployedWindow, UnemployedIncomeLine: lowIncomeLine,
		FisherRiskResettlement: rsUnemployed, FisherRiskPensionInsured: false,
		AidedCategories: slices.Clone(aidedCategories), VehicleBarTypes: []string{"car", "truck"}, MaxHomes: 1,
		PropertyBarPurposes: []string{"shop", "garage", "office"},
		WageBaseLine:        wageBaseLine, WageMonths: wageMonths, WageWindowMonths: wageWindowMonths,
		DisposableIncomePerCapita: disposableIncome, MedicalOOPIncomeShare: medicalIncomeShare,
		MedicalSingleOOPThreshold: singleStayLine,
		RigidSpendingIncomeShare:  rigidShare, RigidReviewMonths: rigidReviewMonths,
	}
}

// truth records the county and the final position of every bad row.
func (w *world) truth(files []*written) *Truth {
	t := &Truth{
		Options: TruthOptions{Seed: w.seed, Households: w.nHouseholds, AsOf: w.asOf.Format(time.DateOnly)},
		Params:  DefaultParams(),
		County:  CountyInfo{Code: countyCode, Name: countyName, Villages: len(w.county.Villages)},
		Counts: Counts{Households: len(w.households), People: len(w.people), OutOfCounty: len(w.outsiders),
			Claims: len(w.claims), Rows: map[string]int{}, BadRows: map[string]int{}, Unresolved: map[string]int{}, Planted: map[string]int{}, Decoys: map[string]int{}, Marks: map[string]int{}},
		Planted: []Planted{}, Decoys: w.decoys, BadRows: []BadRow{}, Unresolved: []Unresolved{}, Duplicates: []Duplicate{},
	}
	for _, tw := range w.county.Towns {
		t.County.Townships = append(t.County.Townships, TownshipInfo{Code: tw.Code, Name: tw.Name, Villages: len(tw.Villages)})
	}
	for _, p := range w.people {
		if p.status == active {
			t.Counts.PeopleActive++
		}
	}
	for _, h := range w.households {
		if h.aid == aidCurrent {
			t.Counts.CoveredHouseholds++
		}
	}
	for _, pl := range w.planted {
		p := *pl
		p.RoutedTo = p.TownshipCode
		if slices.Contains(p.Marks, MarkRouteCounty) {
			p.RoutedTo = ""
		}
		t.Planted = append(t.Planted, p)
		for _, s := range pl.Signals {
			t.Counts.Planted[s.Signal]++
		}
		for _, m := range pl.Marks {
			t.Counts.Marks[m]++
		}
	}
	for _, d := range w.decoys {
		t.Counts.Decoys[d.Kind]++
	}
	for _, f := range files {
		t.Files = append(t.Files, f.info)
		t.Counts.Rows[f.info.File] = f.info.DataRows
		t.BadRows = append(t.BadRows, f.bad...)
		for _, b := range f.bad {
			t.Counts.BadRows[b.Reason]++
		}
		t.Unresolved = append(t.Unresolved, f.unresolved...)
		for _, u := range f.unresolved {
			t.Counts.Unresolved[u.Reason]++
		}
		t.Duplicates = append(t.Duplicates, f.dups...)
	}
	sortTruth(t)
	return t
}

func writeTruth(dir string, t *Truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	path := filepath.Join(dir, "truth.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sortTruth puts every list in its documented order.
func sortTruth(t *Truth) {
	slices.SortStableFunc(t.BadRows, func(a, b BadRow) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Position, b.Position))
	})
	slices.SortStableFunc(t.Unresolved, func(a, b Unresolved) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Position, b.Position))
	})
	slices.SortStableFunc(t.Duplicates, func(a, b Duplicate) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Position, b.Position))
	})
	slices.SortStableFunc(t.Files, func(a, b FileInfo) int { return cmp.Compare(a.File, b.File) })
}
