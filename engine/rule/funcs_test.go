package rule

import (
	"math"
	"testing"
)

func TestHelpers(t *testing.T) {
	cases := []struct{ got, want string }{
		{Yuan(25300.5), "25,300.50"},
		{Yuan(0), "0.00"},
		{Yuan(999.999), "1,000.00"},
		{Yuan(1234567.891), "1,234,567.89"},
		{Yuan(-1234), "-1,234.00"},
		{Yuan(-0.001), "0.00"},
		{Yuan(100), "100.00"},
		{Yuan(math.NaN()), "—"},
		{Days(45), "45 天"},
		{Days(0), "0 天"},
		{Days(1.5), "1.5 天"},
		{Days(99999), "—"},
		{LevelName(1), "一级"},
		{LevelName(4), "四级"},
		{LevelName(0), "等级不详"},
		{CategoryName(4), "肢体残疾"},
		{CategoryName(7), "多重残疾"},
		{CategoryName(9), "类别不详"},
		{StatusName("deceased"), "死亡"},
		{StatusName("cancelled"), "注销"},
		{StatusName("moved"), "moved"},
		{ResettlementName("welfare_job"), "公益性岗位"},
		{AidNames("dibao,tekun"), "低保、特困供养"},
		{AidNames(" rigid , fangfan "), "刚性支出困难救助、防止返贫监测帮扶"},
		{AidNames(""), "社会救助"},
		{AidNames("dibao,newkind"), "低保、newkind"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
