package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/store"
)

// TestLinkingMatchesGroundTruth: the nightly run links the county's rows
// kept with an unusable ID (truth.json "unresolved": a wrong check
// character, or no ID at all, each with the true person). Every automatic
// link names the true person (precision 1), every row that carries ID text
// is linked (the planted damage is one digit), and a row with a name alone
// is never linked automatically (a name is not enough in a county of
// 14,000). The links are counted by status, and a second night links
// nothing again.
func TestLinkingMatchesGroundTruth(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Link == nil || sum.Link.Records == 0 {
		t.Fatalf("no identity resolution in the run: %+v", sum.Link)
	}
	type key struct {
		file string
		pos  int64
	}
	truth := map[key]string{}
	missing := map[key]bool{}
	for _, u := range c.truth.Unresolved {
		k := key{u.File, int64(u.Position)}
		truth[k] = u.IDNumber
		missing[k] = u.Reason == "missing_required"
	}
	links, err := c.p.Store.Links(ctx, store.LinkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var auto, right, withText, withTextLinked, nameOnlyAuto int
	found := 0
	for _, l := range links {
		var k key
		for tk := range truth {
			if l.Position == tk.pos && (l.Stream == tk.file || strings.HasSuffix(l.Stream, "/"+tk.file)) {
				k = tk
			}
		}
		person, planted := truth[k]
		if l.Status == "linked" {
			auto++
			if planted && l.PersonID == person {
				right++
			} else {
				t.Errorf("link %d (%s %s:%d) linked to the wrong person", l.ID, l.Dataset, l.Stream, l.Position)
			}
		}
		if !planted {
			continue
		}
		found++
		if missing[k] {
			if l.Status == "linked" {
				nameOnlyAuto++
			}
			continue
		}
		withText++
		if l.Status == "linked" && l.PersonID == person {
			withTextLinked++
		}
	}
	if found != len(truth) {
		t.Errorf("%d of truth's %d unresolved rows have a link", found, len(truth))
	}
	precision := float64(right) / float64(max(auto, 1))
	recall := float64(withTextLinked) / float64(max(withText, 1))
	t.Logf("links %d: auto %d (precision %.4f); rows with ID text %d, linked right %d (recall %.4f); name-only rows %d",
		len(links), auto, precision, withText, withTextLinked, recall, len(truth)-withText)
	if precision < 0.995 || recall < 0.95 || withText == 0 {
		t.Errorf("precision %.4f (want >= 0.995), recall %.4f (want >= 0.95)", precision, recall)
	}
	if nameOnlyAuto > 0 {
		t.Errorf("%d rows with a name alone were linked automatically", nameOnlyAuto)
	}
	again, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	if again.Link.Records != 0 || again.Link.Applied != 0 {
		t.Errorf("second night linked again: %+v", again.Link)
	}
}
