package gen

import (
	"fmt"
	"math/rand/v2"
)

// The fictional county: code 340799 so that no generated ID can be a real
// person's; out-of-county people come from the equally fictional 340798.
const (
	countyCode     = "340799"
	countyName     = "示例县"
	otherCountyRef = "340798"
)

// township is one 乡镇 or 街道.
type township struct {
	Code     string // 9 digits
	Name     string
	Villages []*village
}

// village is one 村 or 社区.
type village struct {
	Code     string // 12 digits
	Name     string
	Town     *township
	Urban    bool // a 社区 rather than a 村
	weight   int  // relative number of households
	nextHome int  // next household sequence number
}

// townshipPlan fixes the townships and how many villages each has
// (210 in all).
var townshipPlan = []struct {
	name     string
	villages int
	urban    int // how many of the villages are 社区
}{
	{"城关镇", 24, 10}, {"城东街道", 16, 16}, {"河口乡", 17, 1}, {"东山镇", 19, 2},
	{"柳林乡", 15, 1}, {"桃花镇", 18, 2}, {"石桥镇", 20, 2}, {"青龙乡", 16, 1},
	{"白沙镇", 19, 2}, {"双河乡", 15, 1}, {"杨庄镇", 17, 2}, {"马店乡", 14, 1},
}

// villageStride is the most villages a township has in townshipPlan.
const villageStride = 24

// county is the division tree.
type county struct {
	Towns    []*township
	Villages []*village // all villages, in code order
	total    int        // sum of village weights
}

// newCounty draws the division tree. Block b of a county drawn in blocks
// (blocks.go) has the same townships and villages of its own, numbered
// after those of the blocks before it (b × villageStride + 1 ...).
func newCounty(r *rand.Rand, block int) *county {
	c := &county{}
	for i, p := range townshipPlan {
		t := &township{Code: fmt.Sprintf("%s%03d", countyCode, i+1), Name: p.name}
		used := map[string]bool{}
		for j := range p.villages {
			v := &village{Code: fmt.Sprintf("%s%03d", t.Code, block*villageStride+j+1), Town: t, Urban: j < p.urban}
			for {
				v.Name = villageName(r, v.Urban)
				if !used[v.Name] {
					used[v.Name] = true
					break
				}
			}
			v.weight = between(r, 6, 14)
			if v.Urban {
				v.weight += 6
			}
			c.total += v.weight
			t.Villages = append(t.Villages, v)
			c.Villages = append(c.Villages, v)
		}
		c.Towns = append(c.Towns, t)
	}
	return c
}

func villageName(r *rand.Rand, urban bool) string {
	if urban {
		return communityNames[r.IntN(len(communityNames))] + "社区"
	}
	return villagePrefix[r.IntN(len(villagePrefix))] + string(villageFirst[r.IntN(len(villageFirst))]) +
		string(villagePlace[r.IntN(len(villagePlace))]) + "村"
}

// pickVillage draws a village in proportion to its weight.
func (c *county) pickVillage(r *rand.Rand) *village {
	n := r.IntN(c.total)
	for _, v := range c.Villages {
		if n < v.weight {
			return v
		}
		n -= v.weight
	}
	return c.Villages[len(c.Villages)-1]
}

// address writes a household's 住址.
func (v *village) address(r *rand.Rand) string {
	if v.Urban {
		return fmt.Sprintf("%s%s%s%s%d号", countyName, v.Town.Name, v.Name, streetNames[r.IntN(len(streetNames))], between(r, 1, 260))
	}
	return fmt.Sprintf("%s%s%s%s组%d号", countyName, v.Town.Name, v.Name, groupNumerals[r.IntN(len(groupNumerals))], between(r, 1, 90))
}
