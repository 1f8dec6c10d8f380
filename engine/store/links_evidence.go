package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/link"
)

// Which of a case's evidence rows rest on identity resolution: a row that
// names its person because the linker (or an analyst) said so, not
// because the department sent that person's ID number. Lists and the
// portal say so, so that the township verifies who the person is.

// LinkedRow is one evidence row whose person was found by identity
// resolution: linked by probability (LinkLinked) or by an analyst
// (LinkConfirmed).
type LinkedRow struct {
	Dataset string // e.g. medical
	Row     string // "stream:line", as the evidence names it
	LinkID  int64
	Status  string // LinkLinked or LinkConfirmed
	// Probability is the match probability (0–1) of the person the row
	// names now, as the linker scored that candidate; 0 (and no
	// Agreements) for a person an analyst confirmed who was not among the
	// linker's candidates.
	Probability float64
	// Agreements are that person's comparisons that agreed, in Chinese and
	// in comparison order (LinkAgreements): 姓名相同, 身份证号相差一位, …
	Agreements []string
	RawID      string // id_number as the department sent it ("?…" when unusable)
	Name       string // the name on the department's row
	DecidedBy  string // LinkConfirmed: the analyst (an audit actor)
}

// LinkedEvidence returns, for each hit evidence JSON of evidence
// (case_hits.evidence: {"medical": ["stream:line", …], …}), the rows of it
// that rest on a link, linked or confirmed: out[i] holds evidence[i]'s, by
// dataset name then in the evidence's order, nil when none. Rows linked
// and then rejected, pending or unmatched rows are not among them (they
// name nobody, or no one by a link). The whole batch takes one query for
// the rows, beside a probe of the links (which ends it when nothing is
// linked: no evidence is parsed) and one of the catalog; an evidence that
// is not such JSON, or names a row that is not stream:line, is an error
// naming its index.
func (s *Store) LinkedEvidence(ctx context.Context, evidence []string) ([][]LinkedRow, error) {
	out := make([][]LinkedRow, len(evidence))
	// Only datasets with applied links can hold such rows: a store without
	// any (the usual night) parses no evidence at all.
	withLinks, err := scanStrings(ctx, s.db, `SELECT DISTINCT dataset FROM links WHERE status IN (?, ?) ORDER BY dataset`, LinkLinked, LinkConfirmed)
	if err != nil {
		return nil, fmt.Errorf("linked evidence: %w", err)
	}
	if len(withLinks) == 0 || len(evidence) == 0 {
		return out, nil
	}
	type rowKey struct{ ds, row string }
	keys := map[int][]rowKey{} // evidence index → its rows in datasets with links, in order
	seen := map[rowKey]bool{}
	var dss, streams []string
	var positions []int64
	for i, ev := range evidence {
		if !slices.ContainsFunc(withLinks, func(ds string) bool { return strings.Contains(ev, `"`+ds+`"`) }) {
			continue
		}
		var m map[string][]string
		if err := json.Unmarshal([]byte(ev), &m); err != nil {
			return nil, fmt.Errorf("linked evidence: evidence %d: %w", i, err)
		}
		for _, ds := range withLinks { // sorted: the rows come by dataset name
			for _, r := range m[ds] {
				k := rowKey{ds, r}
				keys[i] = append(keys[i], k)
				if seen[k] {
					continue
				}
				seen[k] = true
				cut := strings.LastIndexByte(r, ':')
				pos, err := strconv.ParseInt(r[cut+1:], 10, 64)
				if cut < 0 || err != nil {
					return nil, fmt.Errorf("linked evidence: evidence %d: %s row %q is not stream:line", i, ds, r)
				}
				dss, streams, positions = append(dss, ds), append(streams, r[:cut]), append(positions, pos)
			}
		}
	}
	if len(dss) == 0 {
		return out, nil
	}
	// The tables with a name column (a link's row has one; a table
	// changed since may not).
	named, err := scanStrings(ctx, s.db, `SELECT table_name FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main' AND column_name = 'name'`)
	if err != nil {
		return nil, fmt.Errorf("linked evidence: %w", err)
	}
	var parts []string
	for _, ds := range withLinks {
		if _, ok := dataset.Lookup(ds); !ok {
			continue // not a table of this lipwatch's: nothing of it is evidence
		}
		name := "NULL::VARCHAR"
		if slices.Contains(named, ds) {
			name = "d.name"
		}
		parts = append(parts, fmt.Sprintf(`SELECT '%[1]s' AS dataset, d._stream, d._position, d._key, %[2]s AS name
			FROM main.%[3]s d SEMI JOIN links l ON l.dataset = '%[1]s' AND l.row_key = d._key AND l.status IN ('linked', 'confirmed')`,
			ds, name, quoteIdent(ds)))
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT e.dataset, e.stream || ':' || e.position, l.link_id, l.status, coalesce(l.person_id, ''),
			coalesce(l.probability, 0), l.candidates, l.raw_id, coalesce(d.name, ''), coalesce(l.decided_by, '')
		FROM (SELECT unnest($1::VARCHAR[]) AS dataset, unnest($2::VARCHAR[]) AS stream, unnest($3::BIGINT[]) AS position) e
		JOIN (`+strings.Join(parts, "\nUNION ALL\n")+`) d ON d.dataset = e.dataset AND d._stream = e.stream AND d._position = e.position
		JOIN links l ON l.dataset = d.dataset AND l.row_key = d._key
		ORDER BY e.dataset, l.link_id`, dss, streams, positions)
	if err != nil {
		return nil, fmt.Errorf("linked evidence: %w", err)
	}
	defer rows.Close()
	found := map[rowKey]LinkedRow{}
	for rows.Next() {
		var r LinkedRow
		var person, cands string
		var best float64 // the best candidate's: not this row's when an analyst chose another person
		if err := rows.Scan(&r.Dataset, &r.Row, &r.LinkID, &r.Status, &person, &best, &cands, &r.RawID, &r.Name, &r.DecidedBy); err != nil {
			return nil, fmt.Errorf("linked evidence: %w", err)
		}
		var cj []candidateJSON
		if err := json.Unmarshal([]byte(cands), &cj); err != nil {
			return nil, fmt.Errorf("linked evidence: link %d: candidates: %w", r.LinkID, err)
		}
		// The candidate the row names now: the best one when linked, the
		// one the analyst chose when confirmed (usually among them; when
		// not, the row has no probability and no agreements to show).
		for _, c := range cj {
			if c.PersonID == person {
				var v link.Vector
				copy(v.Levels[:], c.Levels)
				r.Probability, r.Agreements = c.Probability, LinkAgreements(v)
				break
			}
		}
		found[rowKey{r.Dataset, r.Row}] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("linked evidence: %w", err)
	}
	for i, ks := range keys {
		for _, k := range ks {
			if r, ok := found[k]; ok {
				out[i] = append(out[i], r)
			}
		}
	}
	return out, nil
}

// LinkAgreements names, in Chinese and in comparison order, the
// comparisons of v that agree at some level: 姓名相同, 出生日期相同,
// 身份证号相差一位, 性别相同, 户号相同 (the level's label without its
// parenthesised detail). Comparisons that disagree or could not be made
// are left out.
func LinkAgreements(v link.Vector) []string {
	var out []string
	for c, cmp := range link.Comparisons {
		l := int(v.Levels[c])
		if l <= 0 || l >= len(cmp.Levels) {
			continue // link.Null, or disagreeing
		}
		label := cmp.Levels[l].Label
		if i := strings.Index(label, "（"); i > 0 {
			label = label[:i]
		}
		out = append(out, cmp.Label+label)
	}
	return out
}
