package sqlsrc_test

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// withParam adds a query parameter to a postgres:// URL.
func withParam(t testing.TB, raw, key, value string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// A fishers table as 农业农村局 keeps it: Chinese names and text, NULLs,
// dates, times, money, flags. Every type comes back as the dataset layer
// reads text.
func TestTypes(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, `身份证号 text, 姓名 varchar(20), 户号 text, 船舶证书号 text, 退捕日期 date,
		安置去向 text, 是否参保 boolean, 补偿金额 numeric(12,2), 更新时间 timestamptz,
		登记时间 timestamp, 照片 bytea, 系数 float8, 人数 int, 精度 float4, 大数 numeric`,
		`'340799195001010011', '张三', 'H001', '皖渔12345', '2024-01-15', '务工就业', true, 12345.60,
		 '2026-03-05 10:00:00+08', '2026-03-05 10:00:00.5', '\x01ff'::bytea, 1e20, 3, 0.1, 123456789012345678901234567890.123`,
		`'340799196502023321', '李四', NULL, '', '2023-12-31', '自主创业', false, NULL,
		 '2026-03-04 18:30:00.123456+00', NULL, ''::bytea, 1.5e-7, NULL, -2.5e-10, -0.5`,
		`'34079919700303222X', '王五　', 'H003', NULL, NULL, NULL, NULL, 0,
		 'infinity', '1999-12-31 23:59:59', NULL, 'NaN', -7, 'Infinity', 'NaN'`,
	)
	header := []string{"身份证号", "姓名", "户号", "船舶证书号", "退捕日期", "安置去向", "是否参保", "补偿金额",
		"更新时间", "登记时间", "照片", "系数", "人数", "精度", "大数"}
	for _, tc := range []struct {
		tz         string
		ts1, ts2   string
		fetchSize  int
		name, rows string
	}{
		{tz: "Asia/Shanghai", ts1: "2026-03-05T10:00:00+08:00", ts2: "2026-03-05T02:30:00.123456+08:00"},
		{tz: "UTC", ts1: "2026-03-05T02:00:00Z", ts2: "2026-03-04T18:30:00.123456Z"},
		{tz: "Asia/Kolkata", ts1: "2026-03-05T07:30:00+05:30", ts2: "2026-03-05T00:00:00.123456+05:30", fetchSize: 2},
	} {
		t.Run(tc.tz, func(t *testing.T) {
			t.Setenv("LIPWATCH_TEST_FISHERS_DSN", withParam(t, pgtest.URL(t), "timezone", tc.tz))
			c := newSQL(t, "fishers", connectors.Options{
				"dsn_env":    "LIPWATCH_TEST_FISHERS_DSN",
				"query":      "SELECT * FROM " + tbl + " ORDER BY 身份证号;",
				"fetch_size": tc.fetchSize,
			})
			s := only(t, c)
			if s.Name() != "query" {
				t.Errorf("stream name %q, want the default query", s.Name())
			}
			if fp, err := s.Fingerprint(t.Context()); fp != "" || err != nil {
				t.Errorf("fingerprint %q, %v; want none", fp, err)
			}
			gotHeader, rows := read(t, s)
			if !reflect.DeepEqual(gotHeader, header) {
				t.Errorf("header %q, want %q", gotHeader, header)
			}
			checkTable(t, rows, [][]string{
				{"340799195001010011", "张三", "H001", "皖渔12345", "2024-01-15", "务工就业", "true", "12345.60",
					tc.ts1, "2026-03-05T10:00:00.5", "01ff", "100000000000000000000", "3", "0.1", "123456789012345678901234567890.123"},
				{"340799196502023321", "李四", "", "", "2023-12-31", "自主创业", "false", "",
					tc.ts2, "", "", "0.00000015", "", "-0.00000000025", "-0.5"},
				{"34079919700303222X", "王五　", "H003", "", "", "", "", "0.00",
					"infinity", "1999-12-31T23:59:59", "", "NaN", "-7", "Infinity", "NaN"},
			})
		})
	}
}

// Other types pass as PostgreSQL writes them, and the stream takes its
// name from the name option.
func TestOtherTypesAndName(t *testing.T) {
	c := newSQL(t, "misc", connectors.Options{
		"name": "misc_query",
		"query": `SELECT 1::smallint AS a, 9007199254740993::bigint AS b, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS c,
			'{"k": [1, 2]}'::jsonb AS d, ARRAY['x', NULL, 'z y'] AS e, '10:30:00'::time AS f, 'abc'::char(5) AS g,
			'1 day 02:00:00'::interval AS h, '2026-03-05'::date + 1 AS i`,
	})
	s := only(t, c)
	if s.Name() != "misc_query" {
		t.Errorf("stream name %q, want misc_query", s.Name())
	}
	header, rows := read(t, s)
	if want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}; !reflect.DeepEqual(header, want) {
		t.Errorf("header %q, want %q", header, want)
	}
	checkTable(t, rows, [][]string{{"1", "9007199254740993", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
		`{"k": [1, 2]}`, `{x,NULL,"z y"}`, "10:30:00", "abc  ", "1 day 02:00:00", "2026-03-06"}})
}
