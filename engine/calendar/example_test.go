package calendar_test

import (
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/calendar"
)

// A warning pushed to a township on Friday 2025-09-26 must be decided
// within 15 working days (25 when extended). 国庆 and 中秋 (1-8 October) are
// off, and Sunday 28 September and Saturday 11 October are worked.
func ExampleCalendar_AddWorkdays() {
	cal, err := calendar.Load("../../rules/holidays.yaml")
	if err != nil {
		panic(err)
	}
	pushed := time.Date(2025, 9, 26, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{15, 25} {
		due, err := cal.AddWorkdays(pushed, n)
		if err != nil {
			panic(err)
		}
		fmt.Println(n, "working days:", due.Format("2006-01-02 Mon"))
	}
	// Output:
	// 15 working days: 2025-10-23 Thu
	// 25 working days: 2025-11-06 Thu
}

// Days left before a deadline, or overdue when negative.
func ExampleCalendar_WorkdaysBetween() {
	cal, err := calendar.Load("../../rules/holidays.yaml")
	if err != nil {
		panic(err)
	}
	due := time.Date(2025, 10, 23, 0, 0, 0, 0, time.UTC)
	for _, today := range []string{"2025-09-30", "2025-10-23", "2025-10-27"} {
		t, _ := time.Parse(time.DateOnly, today)
		left, err := cal.WorkdaysBetween(t, due)
		if err != nil {
			panic(err)
		}
		fmt.Println(today, left)
	}
	// Output:
	// 2025-09-30 12
	// 2025-10-23 0
	// 2025-10-27 -2
}

// Parse reports every problem in a holiday file with its line and column.
func ExampleParse() {
	_, err := calendar.Parse("holidays.yaml", []byte(`years:
  2025:
    source: 国办发明电〔2024〕12号
    holidays:
      - 2025-10-01..2025-10-08
    workdays:
      - 2025-10-10
`))
	fmt.Println(err)
	// Output:
	// holidays.yaml:7:9: workday 2025-10-10 is a Friday: only a Saturday or Sunday can be a make-up working day
	//     7 |       - 2025-10-10
	//       |         ^
}
