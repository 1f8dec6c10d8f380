package idnum_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

func ExampleParse() {
	for _, s := range []string{
		"１１０１０５ １９４９１２３１ ００２ｘ", // full-width, as pasted from a form
		"110105491231002",    // legacy 15 digits
		"110105194912310021", // typo
	} {
		id, err := idnum.Parse(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(id, id.BirthDate().Format(time.DateOnly), id.Gender())
	}
	// Output:
	// 11010519491231002X 1949-12-31 female
	// 11010519491231002X 1949-12-31 female
	// error: ID number check character does not match (GB 11643 MOD 11-2)
}

func ExampleError() {
	_, err := idnum.Parse("11010519491231002")
	var e idnum.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, e.Got)
	}
	fmt.Println(errors.Is(err, idnum.ErrLength))
	fmt.Println(err)
	// Output:
	// length 17
	// true
	// ID number has 17 characters; want 18 (or a 15-digit legacy number)
}

func ExampleMask() {
	fmt.Println(idnum.Mask("11010519491231002X"))
	fmt.Println(idnum.Mask("110105194912310021")) // not valid: still hidden
	fmt.Println(idnum.Mask(""))
	// Output:
	// 110105********002X
	// 110*************21
	//
}

func ExampleBuild() {
	id, err := idnum.Build("340799", time.Date(1985, 6, 15, 0, 0, 0, 0, time.UTC), 123)
	if err != nil {
		panic(err)
	}
	fmt.Println(id, id.Gender(), id.Masked())
	fmt.Println(id.Age(time.Date(2025, 6, 14, 0, 0, 0, 0, time.UTC)))
	// Output:
	// 340799198506151231 male 340799********1231
	// 39
}
