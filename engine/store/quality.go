package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Codes of the cross-source data-quality guards: what no single row shows.
const (
	GuardUnmatchedIDs       = "unmatched_ids"       // ID numbers that match no registry person
	GuardUnjoinedHouseholds = "unjoined_households" // 户号 that join no registry household
	GuardSplitHouseholds    = "split_households"    // households spread over several townships or villages
	GuardRowDrop            = "row_drop"            // a file with far fewer rows than its baseline
	GuardPeopleTwice        = "people_twice"        // one ID in two households or townships within one registry file
	// GuardUnresolvedIDs counts a source's rows kept with an unusable ID
	// number for identity resolution (id_number "?…", 身份证号无法使用，待身
	// 份识别): a measure, never a warning of its own; unmatched_ids counts
	// them as IDs that match no registry person.
	GuardUnresolvedIDs = "unresolved_ids"
)

// QualityLimits are the thresholds of the guards (config quality:).
// Percentages are 0..100.
type QualityLimits struct {
	UnmatchedIDsPct       int
	UnjoinedHouseholdsPct int
	SplitHouseholds       int
	RowDropPct            int
}

// Finding is one guard's measure for one source (or for the registry as a
// whole). Warn is set when it crosses its threshold. Text is plain words
// with counts only: never an ID number, a name or a 户号.
type Finding struct {
	Source string // "" for findings about the registry's households
	Guard  string
	Count  int64 // what the guard counts (IDs, households, rows)
	Of     int64 // out of how many (0 when not a share)
	Warn   bool
	Text   string
}

// rowDropMinBaseline is the smallest baseline a drop is judged against: a
// file of 12 rows after one of 30 says nothing.
const rowDropMinBaseline = 20

// Quality runs the guards over the sources' data as it is now. sources
// names each source and its dataset; registry sources feed the comparison
// rather than being measured against themselves.
func (s *Store) Quality(ctx context.Context, sources []SourceSpec, lim QualityLimits) ([]Finding, error) {
	var out []Finding
	// Without a loaded registry there is nothing to match against: the
	// registry's own health says so, not a 100% here for every source.
	var regRows int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM registry`).Scan(&regRows); err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	hasRegistry := regRows > 0
	qc := &qualityCache{s: s, sigs: map[string]string{}, used: map[string]bool{}}
	defer qc.prune(ctx)
	// The two matching guards: a source's values of a column against the
	// registry's.
	guards := []struct {
		column, guard string
		limit         int
		what          string
	}{
		{"id_number", GuardUnmatchedIDs, lim.UnmatchedIDsPct, "ID numbers (%s) match no person in the registry"},
		{"household_id", GuardUnjoinedHouseholds, lim.UnjoinedHouseholdsPct, "户号 (%s) join no household in the registry"},
	}
	// The matching guards, each source's from the cache or, for those it
	// does not hold, computed in one query per column for all the sources
	// at once: the registry's values are hashed once rather than once per
	// source (1.7 s of a full night at a million people, against 0.4 s,
	// issue 14).
	matched := map[string]Finding{} // by what the cache calls the guard
	if hasRegistry {
		for _, g := range guards {
			var miss []SourceSpec
			var keys []string
			for _, src := range sources {
				if src.Dataset == "registry" || !hasColumn(src.Dataset, g.column) {
					continue
				}
				what := g.guard + "|" + src.Name + "|" + g.column
				key, f, ok, err := qc.lookup(ctx, what, []string{src.Dataset, "registry"})
				if err != nil {
					return nil, err
				}
				if ok {
					matched[what] = f
					continue
				}
				// Rows only added since the cached finding: the new
				// values alone are matched (a night's 1% of claims,
				// rather than every claim against the registry again).
				if f, ok, err = s.appendedShare(ctx, qc, what, src, g.column); err != nil {
					return nil, err
				}
				if ok {
					matched[what] = f
					qc.keep(ctx, key, f)
					continue
				}
				miss, keys = append(miss, src), append(keys, key)
			}
			if len(miss) == 0 {
				continue
			}
			fs, err := s.shares(ctx, miss, g.column)
			if err != nil {
				return nil, err
			}
			for i, src := range miss {
				matched[g.guard+"|"+src.Name+"|"+g.column] = fs[src.Name]
				qc.keep(ctx, keys[i], fs[src.Name])
			}
		}
	}
	for _, src := range sources {
		if ds, ok := dataset.Lookup(src.Dataset); ok && ds.Linkable() {
			f, err := qc.get(ctx, GuardUnresolvedIDs+"|"+src.Name, []string{src.Dataset}, func() (Finding, error) {
				return s.unresolved(ctx, src)
			})
			if err != nil {
				return nil, err
			}
			if f.Count > 0 {
				f.Source, f.Guard = src.Name, GuardUnresolvedIDs
				f.Text = fmt.Sprintf("%d of %d rows kept with an unusable ID number for identity resolution (身份证号无法使用，待身份识别): they join no person until linked", f.Count, f.Of)
				out = append(out, f)
			}
		}
		if src.Dataset == "registry" || !hasRegistry {
			continue
		}
		for _, g := range guards {
			if !hasColumn(src.Dataset, g.column) {
				continue
			}
			f := matched[g.guard+"|"+src.Name+"|"+g.column]
			if f.Of == 0 {
				continue
			}
			f.Guard = g.guard
			f.Warn = f.Count*100 > int64(g.limit)*f.Of
			f.Text = fmt.Sprintf("%d of %d "+g.what, f.Count, f.Of, pct(f.Count, f.Of))
			out = append(out, f)
		}
	}
	if hasRegistry {
		f, err := qc.get(ctx, GuardSplitHouseholds, []string{"registry"}, func() (Finding, error) {
			return s.splitHouseholds(ctx, lim.SplitHouseholds)
		})
		splitFinding(&f, lim.SplitHouseholds) // from the cache: counts only
		if err != nil {
			return nil, err
		}
		out = append(out, f)
		if f, err = s.peopleTwice(ctx, sources); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	drops, err := s.rowDrops(ctx, sources, lim.RowDropPct)
	if err != nil {
		return nil, err
	}
	out = append(out, drops...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// hasColumn reports whether a canonical table has a column; the datasets'
// columns are fixed by the migrations.
func hasColumn(dataset, column string) bool {
	switch column {
	case "id_number":
		return dataset != "households"
	case "household_id":
		return dataset == "households" || dataset == "assistance" || dataset == "fishers"
	}
	return false
}

// shares counts, for each of sources, its distinct non-empty values of
// column and how many of them the registry's values of that column lack,
// in one query: the registry's distinct values are joined once. In a
// linkable dataset each unresolved row's ID ("?…", never in the registry)
// counts with its name, as the row's key does: two people's rows with the
// same damaged ID text are two IDs that match no one. It returns each
// source's finding by name.
func (s *Store) shares(ctx context.Context, sources []SourceSpec, column string) (map[string]Finding, error) {
	var parts []string
	var args []any
	for i, src := range sources {
		value := shareValue(src, column)
		parts = append(parts, fmt.Sprintf(`SELECT DISTINCT %[1]d AS src, %[2]s AS v FROM %[3]s WHERE _source = $%[4]d AND coalesce(%[5]s, '') <> ''`,
			i, value, quoteIdent(src.Dataset), i+1, quoteIdent(column)))
		args = append(args, src.Name)
	}
	q := `WITH v AS (` + strings.Join(parts, " UNION ALL ") + `)
		SELECT v.src, count(*), count(*) - count(r.v) FROM v
		LEFT JOIN (SELECT DISTINCT ` + quoteIdent(column) + ` AS v FROM registry WHERE ` + quoteIdent(column) + ` IS NOT NULL) r ON v.v = r.v
		GROUP BY v.src`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	defer rows.Close()
	out := map[string]Finding{}
	for _, src := range sources {
		out[src.Name] = Finding{Source: src.Name}
	}
	for rows.Next() {
		var i int
		var f Finding
		if err := rows.Scan(&i, &f.Of, &f.Count); err != nil {
			return nil, fmt.Errorf("quality: %w", err)
		}
		f.Source = sources[i].Name
		out[f.Source] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	return out, nil
}

// shareValue is the SQL of the value a matching guard counts in a row of
// src's dataset: the column, and for an unusable ID number (which no
// registry person has) the ID with the row's name, as its row's key
// counts it.
func shareValue(src SourceSpec, column string) string {
	if ds, ok := dataset.Lookup(src.Dataset); ok && ds.Linkable() && column == "id_number" {
		return fmt.Sprintf(`CASE WHEN %[1]s THEN %[2]s || chr(30) || coalesce(name, '') ELSE %[2]s END`, dataset.UnresolvedSQL(column), column)
	}
	return quoteIdent(column)
}

// appendedShare is src's matching guard on column (what, as the cache
// names it) when the cache holds the guard's finding for rows of src's
// dataset that are all still there, unchanged, with rows only added since
// (loads above the largest load id it read), and the registry as it was:
// the finding is then the cached one plus the values only the new rows
// have, matched against the registry (0.5 s of a night with 1% new claims
// at a million people, for every claim matched again; issue 14). ok is
// false when no such finding is cached, and the guard is computed whole.
func (s *Store) appendedShare(ctx context.Context, qc *qualityCache, what string, src SourceSpec, column string) (f Finding, ok bool, err error) {
	sig, old, ok, err := qc.earlier(ctx, what, src.Dataset, "registry")
	if err != nil || !ok {
		return f, false, err
	}
	parts := strings.Split(sig, ":")
	if len(parts) != 4 {
		return f, false, nil
	}
	since, perr := strconv.ParseInt(parts[1], 10, 64)
	if perr != nil {
		return f, false, nil
	}
	// The rows the finding read, by the same signature: a row replaced,
	// sent again or removed since changes it (a row sent again takes the
	// new load's id).
	var now string
	if err := s.db.QueryRowContext(ctx, RowsSignatureSQL(fmt.Sprintf(`(SELECT _load_id, _position FROM %s WHERE _load_id <= %d)`, quoteIdent(src.Dataset), since))).Scan(&now); err != nil {
		return f, false, fmt.Errorf("quality: %w", err)
	}
	if now != sig {
		return f, false, nil
	}
	value, col := shareValue(src, column), quoteIdent(column)
	var added, unmatched int64
	if err := s.db.QueryRowContext(ctx, `WITH n AS (
			SELECT DISTINCT `+value+` AS v FROM `+quoteIdent(src.Dataset)+` WHERE _source = $1 AND _load_id > $2 AND coalesce(`+col+`, '') <> ''),
		o AS (SELECT DISTINCT `+value+` AS v FROM `+quoteIdent(src.Dataset)+` WHERE _source = $1 AND _load_id <= $2 AND coalesce(`+col+`, '') <> ''
		      AND `+value+` IN (SELECT v FROM n)),
		f AS (SELECT v FROM n WHERE v NOT IN (SELECT v FROM o))
		SELECT count(*), count(*) FILTER (WHERE v NOT IN (SELECT `+col+` FROM registry WHERE `+col+` IS NOT NULL)) FROM f`, src.Name, since).Scan(&added, &unmatched); err != nil {
		return f, false, fmt.Errorf("quality: %w", err)
	}
	return Finding{Source: src.Name, Count: old.Count + unmatched, Of: old.Of + added}, true, nil
}

// unresolved counts a source's rows kept with an unusable ID number, of
// all its rows in its dataset.
func (s *Store) unresolved(ctx context.Context, src SourceSpec) (Finding, error) {
	f := Finding{Source: src.Name}
	q := `SELECT count(*) FILTER (WHERE ` + dataset.UnresolvedSQL("id_number") + `), count(*) FROM ` + quoteIdent(src.Dataset) + ` WHERE _source = $1`
	if err := s.db.QueryRowContext(ctx, q, src.Name).Scan(&f.Count, &f.Of); err != nil {
		return f, fmt.Errorf("quality of %s: %w", src.Name, err)
	}
	return f, nil
}

// splitHouseholds counts the registry's households whose current members
// live in more than one township or village: a 户号 shared by two families,
// or a move recorded for some members only.
func (s *Store) splitHouseholds(ctx context.Context, limit int) (Finding, error) {
	f := Finding{Guard: GuardSplitHouseholds}
	err := s.db.QueryRowContext(ctx, `
		WITH h AS (SELECT household_id, count(DISTINCT township_code) AS t, count(DISTINCT village_code) AS v
		           FROM `+registryCurrent+` WHERE coalesce(status, 'active') = 'active' GROUP BY household_id)
		SELECT count(*) FILTER (WHERE t > 1 OR v > 1), count(*) FROM h`).Scan(&f.Count, &f.Of)
	if err != nil {
		return f, fmt.Errorf("quality of the registry: %w", err)
	}
	splitFinding(&f, limit)
	return f, nil
}

// rowDrops compares each file the last sync of a source loaded with its
// baseline: the same file's previous load, or else the median of the
// source's other files (its last twelve loads). Incremental streams (an
// API or a query read from a watermark) are left out: each read brings
// what changed, so a small one after a full one is the rule, not a
// partial export.
func (s *Store) rowDrops(ctx context.Context, sources []SourceSpec, dropPct int) ([]Finding, error) {
	var out []Finding
	for _, src := range sources {
		rows, err := s.db.QueryContext(ctx, `
			WITH done AS (SELECT * FROM loads WHERE source = $1 AND status IN ('ok', 'degraded')
			              AND coalesce(origin, 'sync') = 'sync'),
			last AS (SELECT * FROM done WHERE sync_id = (SELECT max(sync_id) FROM done))
			SELECT last.stream, last.rows_read,
			       (SELECT p.rows_read FROM done p WHERE p.stream = last.stream AND p.load_id < last.load_id
			        ORDER BY p.load_id DESC LIMIT 1),
			       (SELECT median(o.rows_read) FROM (SELECT rows_read FROM done o WHERE o.stream <> last.stream
			        AND o.load_id < last.load_id ORDER BY o.load_id DESC LIMIT 12) o)
			FROM last WHERE NOT EXISTS (SELECT 1 FROM source_state st WHERE st.source = last.source AND st.stream = last.stream)
			ORDER BY last.stream`, src.Name)
		if err != nil {
			return nil, fmt.Errorf("quality of %s: %w", src.Name, err)
		}
		type fileRows struct {
			stream        string
			read          int64
			same, typical *float64
		}
		var files []fileRows
		synced := map[string]bool{}
		for rows.Next() {
			var f fileRows
			if err := rows.Scan(&f.stream, &f.read, &f.same, &f.typical); err != nil {
				rows.Close()
				return nil, err
			}
			files = append(files, f)
			synced[f.stream] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, f := range files {
			stream, read, same, typical := f.stream, f.read, f.same, f.typical
			if whole, ok := connectors.PartOf(stream); ok && same == nil && synced[whole] {
				// The last part of an export split past Excel's row
				// limit (households-2.xlsx beside households.xlsx) is as
				// small as the rows left over: not a partial export.
				continue
			}
			base, what := typical, "the source's typical file"
			if same != nil {
				base, what = same, "its previous version"
			}
			if base == nil || *base < rowDropMinBaseline {
				continue
			}
			if float64(read)*100 <= *base*float64(100-dropPct) {
				out = append(out, Finding{Source: src.Name, Guard: GuardRowDrop, Count: read, Of: int64(*base), Warn: true,
					Text: fmt.Sprintf("%s has %d rows, against %.0f in %s: a partial export?", stream, read, *base, what)})
			}
		}
	}
	return out, nil
}

func pct(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", float64(n)*100/float64(of))
}

// peopleTwice adds up what the sync noticed (ingest notes people_twice)
// in the newest version of each registry file: people placed in two
// households or townships by one file, whose row read last is the one
// registry_current keeps, so a warning may follow the wrong household. It
// warns whenever there is one.
func (s *Store) peopleTwice(ctx context.Context, sources []SourceSpec) (Finding, error) {
	f := Finding{Guard: GuardPeopleTwice}
	for _, src := range sources {
		if src.Dataset != "registry" {
			continue
		}
		rows, err := s.db.QueryContext(ctx, `
			SELECT coalesce(l.notes, '') FROM loads l
			WHERE l.source = $1 AND l.status IN ('ok', 'degraded') AND coalesce(l.origin, 'sync') = 'sync'
			  AND l.load_id = (SELECT max(p.load_id) FROM loads p WHERE p.source = l.source AND p.stream = l.stream
			                   AND p.status IN ('ok', 'degraded') AND coalesce(p.origin, 'sync') = 'sync')`, src.Name)
		if err != nil {
			return f, fmt.Errorf("quality of %s: %w", src.Name, err)
		}
		for rows.Next() {
			var text string
			if err := rows.Scan(&text); err != nil {
				rows.Close()
				return f, err
			}
			for _, n := range parseNotes(text) {
				if n.Code == GuardPeopleTwice {
					f.Count += n.Count
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return f, err
		}
	}
	f.Warn = f.Count > 0
	f.Text = fmt.Sprintf("people placed in two households or townships by one registry file: %d (the row read last is the one used)", f.Count)
	return f, nil
}

// qualityCache keeps the guards that read whole datasets (the registry
// matches, the split households) beside the signature of the rows they
// read (row count, sums of load ids and positions), in quality_cache: a
// night whose data did not change takes them from there instead of joining
// every source against the registry again (seconds at a million people).
// Writing it is best effort: a store opened for reading only computes.
type qualityCache struct {
	s    *Store
	sigs map[string]string // dataset → signature
	used map[string]bool
}

func (c *qualityCache) sig(ctx context.Context, ds string) (string, error) {
	if v, ok := c.sigs[ds]; ok {
		return v, nil
	}
	var v string
	err := c.s.db.QueryRowContext(ctx, RowsSignatureSQL(quoteIdent(ds))).Scan(&v)
	if err != nil {
		return "", fmt.Errorf("quality: %w", err)
	}
	c.sigs[ds] = v
	return v, nil
}

// lookup returns the cache key of what over the rows of datasets as they
// are, and its finding, ok when the cache holds one; prune keeps the key.
func (c *qualityCache) lookup(ctx context.Context, what string, datasets []string) (key string, f Finding, ok bool, err error) {
	key = what
	for _, ds := range datasets {
		sig, err := c.sig(ctx, ds)
		if err != nil {
			return "", f, false, err
		}
		key += cacheKeyPart(ds, sig)
	}
	c.used[key] = true // kept by prune, found or computed tonight
	err = c.s.db.QueryRowContext(ctx, `SELECT source, count, "of" FROM quality_cache WHERE key = $1`, key).Scan(&f.Source, &f.Count, &f.Of)
	return key, f, err == nil, nil
}

// cacheKeyPart is a dataset's part of a cache key: its name and the
// signature of the rows read.
func cacheKeyPart(ds, sig string) string { return "|" + ds + "=" + sig }

// earlier returns the finding the cache holds for what over rows of ds
// other than its rows now, with other's rows as they are now (a key of
// lookup's with the datasets ds, other), and the signature of the rows of
// ds it read; ok is false when it holds none.
func (c *qualityCache) earlier(ctx context.Context, what, ds, other string) (sig string, f Finding, ok bool, err error) {
	otherSig, err := c.sig(ctx, other)
	if err != nil {
		return "", f, false, err
	}
	prefix, suffix := what+cacheKeyPart(ds, ""), cacheKeyPart(other, otherSig)
	var key string
	switch err := c.s.db.QueryRowContext(ctx, `SELECT key, source, count, "of" FROM quality_cache
		WHERE starts_with(key, $1) AND ends_with(key, $2) ORDER BY key LIMIT 1`, prefix, suffix).Scan(&key, &f.Source, &f.Count, &f.Of); {
	case errors.Is(err, sql.ErrNoRows):
		return "", f, false, nil
	case err != nil:
		return "", f, false, fmt.Errorf("quality: %w", err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(key, prefix), suffix), f, true, nil
}

// get returns the finding computed by compute for the rows of datasets as
// they are, from the cache when they have not changed since.
func (c *qualityCache) get(ctx context.Context, what string, datasets []string, compute func() (Finding, error)) (Finding, error) {
	key, f, ok, err := c.lookup(ctx, what, datasets)
	if err != nil {
		return Finding{}, err
	}
	if ok {
		return f, nil
	}
	if f, err = compute(); err != nil {
		return f, err
	}
	c.keep(ctx, key, f)
	return f, nil
}

// keep records a finding under its cache key (from lookup). Writing is
// best effort (a store opened for reading only computes again).
func (c *qualityCache) keep(ctx context.Context, key string, f Finding) {
	_, _ = c.s.db.ExecContext(ctx, `INSERT OR REPLACE INTO quality_cache VALUES ($1, $2, $3, $4)`, key, f.Source, f.Count, f.Of)
}

// prune drops the entries of rows that are no longer the store's.
func (c *qualityCache) prune(ctx context.Context) {
	if len(c.used) == 0 {
		return
	}
	keys := make([]string, 0, len(c.used))
	for k := range c.used {
		keys = append(keys, k)
	}
	_, _ = c.s.db.ExecContext(ctx, `DELETE FROM quality_cache WHERE NOT list_contains($1, key)`, keys)
}

// splitFinding names the split-households finding from its counts.
func splitFinding(f *Finding, limit int) {
	f.Guard = GuardSplitHouseholds
	f.Warn = f.Count > int64(limit)
	f.Text = fmt.Sprintf("%d of %d registry households have members in several townships or villages", f.Count, f.Of)
}

// DatasetsSignatureSQL is the query (a scalar subquery in parentheses)
// joining every dataset's RowsSignatureSQL, "name:count:max:sum:pos",
// space-separated in name order: evaluate.DataSignature's value, and part
// of HealthInputs.
func DatasetsSignatureSQL() string {
	var parts []string
	for _, n := range dataset.Names() {
		parts = append(parts, fmt.Sprintf(`SELECT '%s' || ':' || (%s) AS s`, n, RowsSignatureSQL(`main.`+quoteIdent(n))))
	}
	return `(SELECT string_agg(s, ' ' ORDER BY s) FROM (` + strings.Join(parts, " UNION ALL ") + `))`
}

// RowsSignatureSQL is the query (a scalar subquery in parentheses) giving a canonical table's rows'
// signature, "count:max load id:sum of load ids:sum of positions": a load
// that adds, replaces, removes or sends again a row changes it (a row sent
// again takes the new load's id). evaluate.DataSignature joins one per
// dataset; the quality cache keys its guards by it.
func RowsSignatureSQL(table string) string {
	return `SELECT count(*) || ':' || coalesce(max(_load_id), 0) || ':' || coalesce(sum(_load_id), 0) || ':' || coalesce(sum(_position), 0) FROM ` + table
}
