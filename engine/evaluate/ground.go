package evaluate

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/store"
)

// GroundRule is the built-in rule of reports from the ground (主动发现):
// an open report is a hit of it, in the household's case like any other.
const (
	GroundRule  = "GRID-REPORT"
	GroundTitle = "网格员、协理员主动发现的困难群众"
	GroundLevel = "orange"
)

// GroundKinds are the kinds of difficulty a report names, in the order
// the portal's form offers them.
var GroundKinds = []struct{ Code, Label string }{
	{"illness", "因病致困"},
	{"disability", "因残致困"},
	{"accident", "因意外事故致困"},
	{"disaster", "因灾致困"},
	{"income", "失业或收入骤减"},
	{"care", "老人、儿童等无人照料"},
	{"housing", "住房困难"},
	{"other", "其他困难"},
}

// GroundKindLabel is a kind's words, "" for an unknown code.
func GroundKindLabel(code string) string {
	for _, k := range GroundKinds {
		if k.Code == code {
			return k.Label
		}
	}
	return ""
}

// GroundHits turns open reports into GRID-REPORT hits, one per person
// (several reports of one person are one hit naming each), placed by the
// registry's newest row: the person's household and township, or the
// county's own queue for a person the registry does not know.
func GroundHits(ctx context.Context, st *store.Store, reports []store.GroundReport) ([]cases.Hit, error) {
	byPerson := map[string][]store.GroundReport{}
	var order []string
	for _, r := range reports {
		if byPerson[r.IDNumber] == nil {
			order = append(order, r.IDNumber)
		}
		byPerson[r.IDNumber] = append(byPerson[r.IDNumber], r)
	}
	var out []cases.Hit
	for _, id := range order {
		rs := byPerson[id]
		home, _, err := st.PersonHome(ctx, id)
		if err != nil {
			return nil, err
		}
		var reasons []string
		var ids []int64
		for _, r := range rs {
			reason := "主动发现：" + GroundKindLabel(r.Kind)
			if r.Note != "" {
				reason += "（" + r.Note + "）"
			}
			// Who reported it, so that the township can ask: the account
			// (a portal account's name, never a person's ID).
			by := strings.TrimPrefix(r.ReportedBy, "portal:")
			reasons = append(reasons, reason+"，"+r.ReportedAt.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)+" 由账号 "+by+" 报告")
			ids = append(ids, r.ID)
		}
		facts, _ := json.Marshal(map[string]any{"reports": len(rs), "kind": rs[len(rs)-1].Kind})
		evidence, _ := json.Marshal(map[string]any{"ground_reports": ids})
		// The severity is the newest report's day: a report filed after a
		// case was closed is new evidence, and is not kept quiet by that
		// closing's cooldown.
		severity := float64(rs[len(rs)-1].ReportedAt.Unix()) / 86400
		out = append(out, cases.Hit{RuleID: GroundRule, RuleVersion: 1, Level: GroundLevel, Reason: strings.Join(reasons, "；"),
			IDNumber: id, HouseholdID: home.Household, TownshipCode: home.Township, Facts: string(facts), Evidence: string(evidence),
			Severity: severity})
	}
	return out, nil
}
