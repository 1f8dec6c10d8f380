package portal

import (
	"strings"
	"testing"
	"time"
)

// The sources page names the params past their review date (issue 13
// point 4), with what each is, its review date and its source, never its
// values; with none past, the section is not there.
func TestSourcesPageParamsPastReview(t *testing.T) {
	c := openCounty(t)
	cl := c.client(t).login("analyst")
	if _, body, _ := cl.get("/sources"); strings.Contains(body, "已过复核日期的参数") {
		t.Error("the shipped params are past their review date on the sources page")
	}
	prm := c.p.Pack.Params["medical_oop_threshold"]
	was := prm.ReviewBy
	prm.ReviewBy = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	t.Cleanup(func() { prm.ReviewBy = was })
	_, body, _ := cl.get("/sources")
	for _, want := range []string{"已过复核日期的参数", "（medical_oop_threshold）：复核日期 2026-06-30，依据：docs/POLICY.md"} {
		if !strings.Contains(body, want) {
			t.Errorf("sources page lacks %q", want)
		}
	}
	if strings.Contains(body, "20000") {
		t.Error("the sources page shows a param's value")
	}
}
