package connectortest

import (
	"fmt"
	"slices"
	"time"
)

// dataSet is a header and rows the suite asks a fixture to serve.
type dataSet struct {
	name   string
	header []string
	rows   [][]string
}

// header is the columns of every data set: an id, a person, the values a
// department sends, and a timestamp.
var header = []string{IDColumn, "姓名", "身份证号", "金额", "备注", UpdatedColumn}

// t0 is when the data sets' updated_at start.
var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

func updatedAt(i int, step time.Duration) string {
	return t0.Add(time.Duration(i) * step).Format(time.RFC3339)
}

// awkward is a small data set of the values that break readers: separators
// and quotes of every format, empty values, values that look like numbers,
// formulas or null, spaces that must survive (full-width included), a line
// break inside a value, characters outside the Basic Multilingual Plane.
// No row is blank: how a blank row looks differs by kind (a CSV ",,,"
// keeps its values, a blank sheet row has none), so the kinds test that
// themselves.
func awkward() dataSet {
	people := [][4]string{ // 姓名, 身份证号, 金额, 备注
		{"张三", "34079919491231002X", "1234.50", ""},
		{"李四", "340799195001010011", "0012", "含,逗号;分号|竖线"},
		{"王五", "110105194912310021", "-3.5", `含"双引号"和'单引号'`},
		{"赵六", "110105195001010015", "1,234.50元", "  前后有空格  "},
		{"欧阳娜娜", "", "0", "两行\n备注"},
		{"Zoë O'Brien", "110105195001010031", "3.4079919491231E+17", "tab\t和 emoji 😀"},
		{"\u3000全角空格", "11010519500101005X", "null", "=SUM(A1:A2)"},
		{"钱七", "440524188001010014", "true", `\N`},
	}
	ds := dataSet{name: "awkward_values", header: slices.Clone(header)}
	for i, n := range people {
		ds.rows = append(ds.rows, []string{fmt.Sprint(1001 + i), n[0], n[1], n[2], n[3], updatedAt(i, 37*time.Minute)})
	}
	return ds
}

// many is a data set long enough to cross the pages, batches and buffers
// of a reader (a few thousand rows, some with empty values).
func many() dataSet {
	const n = 2500
	names := []string{"张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十"}
	ds := dataSet{name: "many_rows", header: slices.Clone(header)}
	for i := range n {
		note := fmt.Sprintf("第%d行", i+1)
		if i%7 == 3 {
			note = ""
		}
		ds.rows = append(ds.rows, []string{
			fmt.Sprint(100001 + i),
			names[i%len(names)],
			fmt.Sprintf("3407991950%02d%02d%04d", 1+i%12, 1+i%28, i),
			fmt.Sprintf("%d.%02d", 100+i*7%9000, i%100),
			note,
			updatedAt(i, time.Minute),
		})
	}
	return ds
}

// single is a source of one row.
func single() dataSet {
	ds := awkward()
	ds.name = "one_row"
	ds.rows = ds.rows[:1]
	return ds
}

// empty is a source that exists and holds no rows.
func empty() dataSet {
	return dataSet{name: "empty", header: slices.Clone(header)}
}

// changed is ds with one value changed and the lengths of everything
// kept, so that only a fingerprint of the content can tell them apart.
func changed(ds dataSet) dataSet {
	out := dataSet{name: ds.name + "_changed", header: ds.header}
	for _, r := range ds.rows {
		out.rows = append(out.rows, slices.Clone(r))
	}
	out.rows[0][3] = "1234.51"
	return out
}
