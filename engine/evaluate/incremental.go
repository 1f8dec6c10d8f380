package evaluate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// An incremental night. When no source loaded, replaced or removed a row
// since the last evaluation, the rule files are the same and only the date
// moved forward, a person's hits can change only where the date crosses an
// edge of a fact (rule.Edge, facts.yaml changes_on): a claim leaving the
// 12-month window, a birthday, a certificate one day older. Such a night
// computes the facts again only for what those edges reach between the two
// dates — over every row of the reached households' members — runs the
// rules again only where a verdict can change (the narrowing, prefilter.go)
// and keeps everyone else's hits from the last evaluation (Prior). The
// result is the full
// evaluation's: TestIncrementalEqualsFull (engine/pipeline) compares the
// two on the synthetic county, day after day.
//
// The reached people's facts are computed by the same queries, on the
// evaluation's own connection, all groups together, over temp views of
// every dataset holding only the rows of the households some group
// reached (as knownBy shadows the datasets for a backtest). A
// fact group that read another household's rows would be computed wrong
// that way; none of the default pack does, and the test above would show
// one that did.

// Prior is what the last evaluation left for the next night: its date,
// the rule pack and the data it saw, how many people it evaluated and
// every hit it computed (before rules held back tonight or quarantine
// gaps took any out; without reports from the ground, which are read
// again every night).
type Prior = store.Prior

// DataSignature identifies the rows of every dataset: per table its row
// count and the sum and maximum of its rows' load ids and positions. A
// load that adds, replaces, removes or sends again any row changes it (a
// row sent again takes the new load's id).
func DataSignature(ctx context.Context, q queryRower) (string, error) {
	var sig string
	if err := q.QueryRowContext(ctx, `SELECT `+store.DatasetsSignatureSQL()).Scan(&sig); err != nil {
		return "", fmt.Errorf("data signature: %w", err)
	}
	return sig, nil
}

// incrementalWhy says why tonight cannot be an incremental night after
// prior, or "" when it can as far as the rules and the date go (the data:
// appendedRows).
func incrementalWhy(pack *rule.Pack, prior *Prior, day time.Time) string {
	switch {
	case prior == nil:
		return "no earlier evaluation recorded"
	case prior.PackVersion != priorVersion(pack):
		if v, _, _ := strings.Cut(prior.PackVersion, " "); v != pack.Version {
			return "the rule files changed"
		}
		return "lipwatch itself changed"
	case civil(day).Before(civil(prior.AsOf)):
		return "the date moved back"
	}
	if ok, group := pack.DateEdgesComplete(); !ok {
		return "facts group " + group + " reads as_of() but declares no changes_on"
	}
	for name, p := range pack.Params {
		a, errA := p.At(prior.AsOf)
		b, errB := p.At(day)
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) {
			return "param " + name + " changes value"
		}
	}
	return ""
}

// appendedRows compares the store's rows with the prior evaluation's
// data signature. It returns, per dataset that gained rows, the largest
// load id the prior evaluation saw (its new rows are those above), or why
// the night must evaluate everyone: rows the prior evaluation saw were
// replaced, sent again (a state re-sent takes the new load's id) or
// removed, which only a full evaluation can follow.
func appendedRows(ctx context.Context, conn *sql.Conn, prior, now string) (map[string]int64, string, error) {
	if prior == now {
		return nil, "", nil
	}
	was, cur := parseSignature(prior), parseSignature(now)
	out := map[string]int64{}
	for ds, c := range cur {
		w, ok := was[ds]
		if !ok {
			return nil, "the datasets changed", nil
		}
		if c == w {
			continue
		}
		var n, sum, pos int64
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*), coalesce(sum(_load_id), 0), coalesce(sum(_position), 0)
			FROM main.%s WHERE _load_id <= %d`, quoteIdent(ds), w.max)).Scan(&n, &sum, &pos); err != nil {
			return nil, "", fmt.Errorf("incremental night: %w", err)
		}
		if n != w.count || sum != w.sum || pos != w.pos {
			// Identity resolution moves the rows it links to its own
			// ledger row: name it among the causes.
			var linked int64
			if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM loads WHERE dataset = '%s' AND origin = 'link' AND load_id > %d`,
				strings.ReplaceAll(ds, "'", "''"), w.max)).Scan(&linked); err != nil {
				return nil, "", fmt.Errorf("incremental night: %w", err)
			}
			if linked > 0 {
				return nil, "rows of " + ds + " were replaced, sent again or removed, or linked to other people since (identity resolution or an analyst's decision)", nil
			}
			return nil, "rows of " + ds + " were replaced, sent again or removed", nil
		}
		out[ds] = w.max
	}
	return out, "", nil
}

// signature is one dataset's part of DataSignature.
type signature struct{ count, max, sum, pos int64 }

func parseSignature(s string) map[string]signature {
	out := map[string]signature{}
	for _, part := range strings.Fields(s) {
		f := strings.Split(part, ":")
		if len(f) != 5 {
			continue
		}
		var sig signature
		for i, p := range []*int64{&sig.count, &sig.max, &sig.sum, &sig.pos} {
			fmt.Sscan(f[i+1], p)
		}
		out[f[0]] = sig
	}
	return out
}

// priorVersion is what a prior evaluation records of the rules it ran:
// the rule files' version and lipwatch's own build (its revision and the
// executable's size and time), for a new lipwatch may compute a fact or a
// reason otherwise from the same files.
func priorVersion(pack *rule.Pack) string { return pack.Version + " " + engineBuild() }

// EngineBuild identifies this lipwatch build: its Go version, module
// version and revision, and the executable's size and time. What is kept
// for a later night under it (a prior evaluation, a health check) is taken
// again only by the same build.
func EngineBuild() string { return engineBuild() }

var engineBuild = sync.OnceValue(func() string {
	var parts []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		parts = append(parts, bi.GoVersion, bi.Main.Version)
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				parts = append(parts, s.Value)
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			parts = append(parts, fmt.Sprint(fi.Size()), fi.ModTime().UTC().Format(time.RFC3339Nano))
		}
	}
	return strings.Join(parts, ";")
})

func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// edgeQuery is the SELECT of the rows one edge reaches between prev
// (exclusive) and day, as (p, h): the row's person (its id_number) and its
// household (its household_id), either NULL when the dataset has none.
// The edge's dates are widened (a group may compare with < or <=, and
// month arithmetic clamps at a month's end, which moves a change up to
// three days, though never in a month column): evaluating a key again
// that did not change costs time, never correctness.
func edgeQuery(pack *rule.Pack, e rule.Edge, prev, day time.Time) (string, error) {
	ds, ok := dataset.Lookup(e.Dataset)
	if !ok {
		return "", fmt.Errorf("changes_on %s: no dataset %s", e.Text, e.Dataset)
	}
	sel, err := keyRows(ds)
	if err != nil {
		return "", fmt.Errorf("changes_on %s: %w", e.Text, err)
	}
	if e.Kind == rule.EdgeDaily {
		return sel("true"), nil
	}
	f, ok := ds.Field(e.Column)
	if !ok || (f.Type != dataset.Date && f.Type != dataset.Month) {
		return "", fmt.Errorf("changes_on %s: dataset %s has no date column %s", e.Text, e.Dataset, e.Column)
	}
	col := quoteIdent(e.Column)
	prev, day = civil(prev), civil(day)
	n := e.Offset
	if e.Param != "" {
		prm, ok := pack.Params[e.Param]
		if !ok {
			return "", fmt.Errorf("changes_on %s: unknown param %s", e.Text, e.Param)
		}
		v, err := prm.At(day)
		if err != nil {
			return "", err
		}
		i, ok := v.(int64)
		if !ok {
			return "", fmt.Errorf("changes_on %s: param %s is not an int", e.Text, e.Param)
		}
		n = int(i)
	}
	moved := col
	if n != 0 {
		moved = fmt.Sprintf(`(%s + INTERVAL (%d) %s)`, col, n, strings.ToUpper(e.Unit))
	}
	if e.Kind == rule.EdgeYearly {
		if day.Sub(prev) >= 300*24*time.Hour {
			return sel(col + ` IS NOT NULL`), nil
		}
		// The anniversary's month and day as a number 101..1231, within
		// the span (which may wrap around the new year), with the day's
		// margin. An offset in months or years clamps at a month's end, as
		// for the points below: three days more. Without one, the only
		// anniversary that moves is 29 February's, kept on the 28th or the
		// 1st of March in other years (which a group decides), and 229
		// lies between 228 and 301: a span that reaches either day holds
		// it. That spares a person group's birthdays two of six days' worth
		// of people every night (TestYearlyEdgesReachTheirDay).
		a, b := prev.AddDate(0, 0, -3), day.AddDate(0, 0, 1)
		if n == 0 {
			a = prev.AddDate(0, 0, -1)
		}
		md := `(month(` + moved + `) * 100 + day(` + moved + `))`
		am, bm := int(a.Month())*100+a.Day(), int(b.Month())*100+b.Day()
		cond := fmt.Sprintf(`%s BETWEEN %d AND %d`, md, am, bm)
		if b.Year() > a.Year() {
			cond = fmt.Sprintf(`(%s >= %d OR %s <= %d)`, md, am, md, bm)
		}
		return sel(cond), nil
	}
	lo := prev.AddDate(0, 0, -1)
	// Month arithmetic clamps at a month's end (January 31 + 1 month is
	// February 28), which moves a change up to three days. A month column
	// holds months' first days (dataset.ParseMonth), which month
	// arithmetic never clamps: x + n months and as_of() - n months cross a
	// first day only on a first day, and the day's margin suffices. That
	// spares the contributions group's 12-month edge two of the six nights
	// a month that evaluated every contributor again. With the edge
	// declared right, [prev, day] would reach every change of a month
	// column; the margin stays for the query a day off its declaration
	// (INTERVAL 365 DAY declared + 12 months kept a contributor's stale
	// facts on 2024-02-29 without it: stop 39's tester), and the keys it
	// reaches for nothing keep their verdicts without running their rules
	// (narrow: the facts are compared).
	if (e.Unit == "month" || e.Unit == "year") && f.Type != dataset.Month {
		lo = prev.AddDate(0, 0, -3)
	}
	hi := day.AddDate(0, 0, 1)
	if n == 0 {
		return sel(fmt.Sprintf(`%s BETWEEN DATE '%s' AND DATE '%s'`, col, lo.Format(time.DateOnly), hi.Format(time.DateOnly))), nil
	}
	return sel(movedBetween(col, n, e.Unit, lo, hi)), nil
}

// movedBetween is the SQL condition on a date column col that holds
// wherever col + n units (day, month or year) lies between lo and hi, and
// for at most a day more: the bounds moved back by n units, so that the
// column is compared as stored rather than each row's date moved (the
// contributions' 12-month edge took 71 ms of a 1m night computed per row
// of 2.3 million, issue 14). Month arithmetic clamps at a month's end
// (January 31 + 1 month is February 28), so x + n months <= hi holds up
// to the end of the month of hi - n months when hi is its month's last
// day; and lo - n months, clamped itself, is at most a day before the
// first x with x + n months >= lo. TestMovedBetween checks it day by day.
func movedBetween(col string, n int, unit string, lo, hi time.Time) string {
	u := strings.ToUpper(unit)
	lower := fmt.Sprintf(`(DATE '%s' - INTERVAL (%d) %s)::DATE`, lo.Format(time.DateOnly), n, u)
	upper := fmt.Sprintf(`(DATE '%s' - INTERVAL (%d) %s)::DATE`, hi.Format(time.DateOnly), n, u)
	if (u == "MONTH" || u == "YEAR") && hi.AddDate(0, 0, 1).Day() == 1 {
		upper = `last_day(` + upper + `)`
	}
	return fmt.Sprintf(`%s BETWEEN %s AND %s`, col, lower, upper)
}

// keyRows returns the SELECT of (p, h) for a dataset's rows that meet a
// condition: every person a row names (each of its ID-number columns: a
// declaration names the relative and the staff member) with the row's 户号
// beside its id_number, and the 户号 of a row that names nobody.
func keyRows(ds *dataset.Dataset) (func(where string) string, error) {
	h := "NULL::VARCHAR"
	if _, ok := ds.Field("household_id"); ok {
		h = "household_id"
	}
	var cols []string
	for _, f := range ds.Fields {
		if f.Type == dataset.ID {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == 0 && h == "NULL::VARCHAR" {
		return nil, fmt.Errorf("dataset %s names neither a person nor a household", ds.Name)
	}
	from := ` FROM main.` + quoteIdent(ds.Name) + ` WHERE `
	return func(where string) string {
		if len(cols) == 0 {
			return `SELECT NULL::VARCHAR AS p, ` + h + ` AS h` + from + where
		}
		var parts []string
		for i, c := range cols {
			hh := h
			if i > 0 {
				hh = "NULL::VARCHAR"
			}
			parts = append(parts, `SELECT `+quoteIdent(c)+` AS p, `+hh+` AS h`+from+`(`+where+`)`)
		}
		return strings.Join(parts, " UNION ALL ")
	}, nil
}

// priorTable is where a group's facts of the last evaluation are kept: a
// table of the store's schema eval_prior (migration 0021), outside main,
// so that backups leave it out (it is made again by the next full night).
func priorTable(g *rule.Group) string { return `eval_prior."` + g.Name + `"` }

// incrementalFacts makes every group's f_<group> for day out of the prior
// evaluation's facts (kept in eval_prior.<group>) and the keys the date
// reached: each group with reached keys is computed again for them alone,
// over temp views of every dataset holding only the rows of their
// households' members, and f_<group> becomes a view of the prior rows of
// the other keys and the fresh ones. A prior row's counts of days
// (counts: days) are read moved by the days since it was kept
// (countShift); its key's facts have then changed, as a computed key's
// have, for the narrowing. It leaves in temp table inc_eval the
// people whose rules must run again (those whose facts may have changed
// and whose verdict can, the narrowing, with every member of their
// households: a household rule's hit is chosen among the members), and in
// inc_k_<group> each group's reached keys.
// undo takes every temp object away (and discards the connection when it
// cannot).
func incrementalFacts(ctx context.Context, conn *sql.Conn, log *slog.Logger, pack *rule.Pack, prev, day time.Time, appended map[string]int64) (reached, newPeople int64, undo func(), err error) {
	var catalog string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&catalog); err != nil {
		return 0, 0, nil, fmt.Errorf("incremental night: %w", err)
	}
	var drops []string // in reverse order of creation
	undo = func() {
		var errs []error
		for i := len(drops) - 1; i >= 0; i-- {
			_, err := conn.ExecContext(context.WithoutCancel(ctx), drops[i])
			errs = append(errs, err)
		}
		errs = append(errs, repointRegistryCurrent(context.WithoutCancel(ctx), conn))
		if errors.Join(errs...) != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	fail := func(err error) (int64, int64, func(), error) {
		undo()
		return 0, 0, nil, fmt.Errorf("incremental night: %w", err)
	}
	exec := func(q string, drop string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
		if drop != "" {
			drops = append(drops, drop)
		}
		return nil
	}
	if err := CheckFacts(ctx, conn, pack); err != nil {
		return fail(err)
	}
	if err := exec(fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, day.Format(time.DateOnly)), ""); err != nil {
		return fail(err)
	}
	// Each person's household, as the prior evaluation's person facts hold
	// it (the registry's newest row: the data has not changed since), read
	// from there rather than by ranking the whole registry again.
	priorPerson := `(SELECT id_number, household_id FROM ` + quoteIdent(catalog) + `.` + priorTable(personGroup(pack)) + `)`
	cur := priorPerson
	if _, ok := appended["registry"]; ok {
		// New registry rows may move people between households: the
		// registry's newest rows as they are tonight.
		if err := exec(`CREATE OR REPLACE TEMP TABLE inc_cur AS SELECT id_number, coalesce(household_id, '') AS household_id
			FROM `+quoteIdent(catalog)+`.main.registry_current`, `DROP TABLE IF EXISTS temp.main.inc_cur`); err != nil {
			return fail(err)
		}
		cur = `temp.main.inc_cur`
	}
	// The rows loaded since the prior evaluation, per dataset: every
	// group reading the dataset is computed again for the people and
	// households they name.
	newRows := map[string]string{}
	var named []string
	for _, ds := range dataset.All() {
		max, ok := appended[ds.Name]
		if !ok {
			continue
		}
		sel, err := keyRows(ds)
		if err != nil {
			continue // read by no group: it cannot change a fact
		}
		t := `temp.main."inc_new_` + ds.Name + `"`
		if err := exec(`CREATE OR REPLACE TEMP TABLE `+t+` AS `+sel(fmt.Sprintf(`_load_id > %d`, max)), `DROP TABLE IF EXISTS `+t); err != nil {
			return fail(err)
		}
		newRows[ds.Name] = `SELECT * FROM ` + t
		named = append(named, `SELECT * FROM `+t)
	}
	// The groups household rules read: a change in one of them can change
	// which member a household rule's hit stands on, so the whole
	// household is evaluated again.
	householdRead := map[string]bool{}
	for _, r := range pack.Rules {
		if r.Enabled && r.Scope == rule.ScopeHousehold {
			for _, in := range r.Inputs() {
				group, _, _ := strings.Cut(in, ".")
				householdRead[group] = true
			}
		}
	}
	var changedPeople, changedHouseholds []string
	// Each household's people, read once a night for the households of the
	// groups computed again (inc_cp): the registry's members, and everyone a
	// row names beside the household's 户号 (a member who moved out, in an
	// old registry row; an assistance row of a person the registry places
	// elsewhere), who is read whole with the household: the query then sees
	// where the registry places them now, as over the whole store, rather
	// than the one row that names the household.
	members := `SELECT household_id, id_number FROM ` + cur + ` WHERE household_id <> ''`
	for _, ds := range dataset.All() {
		if _, ok := ds.Field("household_id"); !ok {
			continue
		}
		resolved := ""
		if ds.Linkable() {
			resolved = ` AND ` + dataset.ResolvedSQL("id_number")
		}
		for _, f := range ds.Fields {
			if f.Type == dataset.ID {
				members += ` UNION ALL SELECT household_id, ` + quoteIdent(f.Name) + ` FROM ` + quoteIdent(catalog) + `.main.` + quoteIdent(ds.Name) +
					` WHERE household_id <> '' AND ` + quoteIdent(f.Name) + ` IS NOT NULL` + resolved
			}
		}
	}
	// Made once a night, with the first group whose keys' rules may run
	// again: the people and households with a hit of the prior evaluation
	// and those sharing a household with one (a household rule's hit stands
	// on one member of those it holds for), whose rules run again whenever
	// a fact of theirs may have changed (the narrowing: prefilter.go).
	hits := quoteIdent(catalog) + `.main.eval_prior_hits`
	type stmt struct{ q, drop string }
	var perNight []stmt
	if !narrowOff {
		perNight = append(perNight, stmt{
			`CREATE OR REPLACE TEMP TABLE inc_hit_h AS SELECT household_id AS k FROM ` + hits + ` WHERE household_id <> ''
				UNION SELECT r.household_id FROM ` + cur + ` r JOIN ` + hits + ` h USING (id_number) WHERE r.household_id <> ''
				UNION SELECT r.household_id FROM ` + priorPerson + ` r JOIN ` + hits + ` h USING (id_number) WHERE r.household_id <> ''`,
			`DROP TABLE IF EXISTS temp.main.inc_hit_h`}, stmt{
			`CREATE OR REPLACE TEMP TABLE inc_hit_p AS SELECT id_number AS k FROM ` + hits + `
				UNION SELECT r.id_number FROM ` + cur + ` r JOIN temp.main.inc_hit_h h ON r.household_id = h.k
				UNION SELECT r.id_number FROM ` + priorPerson + ` r JOIN temp.main.inc_hit_h h ON r.household_id = h.k`,
			`DROP TABLE IF EXISTS temp.main.inc_hit_p`})
	}
	perNightMade := false // made with the first group that needs them
	makePerNight := func() error {
		if perNightMade {
			return nil
		}
		perNightMade = true
		for _, st := range perNight {
			if err := exec(st.q, st.drop); err != nil {
				return err
			}
		}
		return nil
	}
	// Each group's f_<group> is made last, a view of the rows of the
	// people evaluated again alone (the rules read nobody else's).
	type view struct {
		g *rule.Group
		q string
	}
	var fviews []view
	computed := map[string]bool{} // the groups computed again
	// narrow adds to changedPeople and changedHouseholds the keys of group g
	// whose rules run again: of keys (a table of k) whose facts in fresh
	// (the group's rows, keyed as the group) may have changed, those some
	// rule could hit or fail for on them, those with a prior hit, and
	// those the query newKeys (of k; "" for none) names: new rows (the
	// narrowing: prefilter.go). n is how many keys holds, for the log.
	narrow := func(g *rule.Group, keys, fresh, newKeys string, n int64) error {
		reach := keys
		if !narrowOff {
			where, err := narrowWhere(ctx, conn, pack, g, day, fresh)
			if err != nil {
				return err
			}
			reach = `temp.main."inc_r_` + g.Name + `"`
			hit := `temp.main.inc_hit_p`
			if g.Scope == rule.ScopeHousehold {
				hit = `temp.main.inc_hit_h`
			}
			switch narrowWithout {
			case "where":
				where = "FALSE"
			case "prior":
				hit = `(SELECT NULL::VARCHAR AS k WHERE false)`
			}
			// A key whose facts are the prior evaluation's, field for
			// field, gets the verdict it got (the rules read nothing else,
			// and a param that moved made the night full): without a prior
			// hit it has none tonight either. A margin night of the
			// contributions' 12-month edge reached 79,088 keys at 1m, and
			// evaluated 78,377 of them again, for facts that had not moved.
			alias := `"g_` + g.Name + `"`
			prior, same := priorAt(g, catalog, prev), `FALSE`
			if narrowWithout != "same" {
				same = `(` + alias + `.` + keyColumn(g) + ` IS NULL) = (p.` + keyColumn(g) + ` IS NULL)`
				for _, f := range g.Fields {
					same += ` AND ` + alias + `.` + quoteIdent(f.Name) + ` IS NOT DISTINCT FROM p.` + quoteIdent(f.Name)
				}
			}
			q := `CREATE OR REPLACE TEMP TABLE ` + reach + ` AS
				SELECT k.k FROM ` + keys + ` k LEFT JOIN ` + fresh + ` AS ` + alias + ` ON ` + alias + `.` + keyColumn(g) + ` = k.k
					LEFT JOIN ` + prior + ` AS p ON p.` + keyColumn(g) + ` = k.k
				WHERE (` + where + `) AND NOT (` + same + `)
				UNION SELECT k FROM ` + keys + ` WHERE k IN (SELECT k FROM ` + hit + `)`
			if newKeys != "" {
				q += ` UNION (` + newKeys + `)`
			}
			if err := exec(q, `DROP TABLE IF EXISTS `+reach); err != nil {
				return err
			}
			var r int64
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+reach).Scan(&r); err != nil {
				return err
			}
			log.Debug("incremental facts: keys whose rules run again", "group", g.Name, "keys", r, "of", n)
		}
		switch {
		case g.Scope == rule.ScopeHousehold:
			changedHouseholds = append(changedHouseholds, `SELECT k AS household_id FROM `+reach)
		case householdRead[g.Name]:
			changedHouseholds = append(changedHouseholds, `SELECT r.household_id FROM `+cur+` r JOIN `+reach+` k ON r.id_number = k.k WHERE r.household_id <> ''`,
				`SELECT r.household_id FROM `+priorPerson+` r JOIN `+reach+` k ON r.id_number = k.k WHERE r.household_id <> ''`)
			changedPeople = append(changedPeople, `SELECT k AS id_number FROM `+reach) // those outside the registry
		default:
			changedPeople = append(changedPeople, `SELECT k AS id_number FROM `+reach)
		}
		return nil
	}
	// Each group's keys reached, first: the groups computed again are then
	// computed together, over one copy of their households' rows.
	type reachedGroup struct {
		g           *rule.Group
		keys, prior string // tables: the keys reached (of k); the kept rows as of day
		moved       string // the kept rows whose counts only moved ("" when none can)
		k           string // the keys of the rows e reaches (the edges' and new rows)
		n, m        int64  // keys reached; kept rows moved
		qsNew       []string
	}
	var groups []*reachedGroup
	// Each distinct edge is read once, into a table of its own.
	edgeTables := map[string]string{}
	for _, g := range pack.Groups {
		gt := time.Now()
		keys := `temp.main."inc_k_` + g.Name + `"`
		var qs, qsNew []string // the rows reached: by an edge or new, and new
		for _, e := range g.ChangesOn {
			q, err := edgeQuery(pack, e, prev, day)
			if err != nil {
				return fail(fmt.Errorf("%s: facts group %s: %w", e.Pos, g.Name, err))
			}
			t, ok := edgeTables[q]
			if !ok {
				t = fmt.Sprintf(`temp.main.inc_edge_%d`, len(edgeTables))
				if err := exec(`CREATE OR REPLACE TEMP TABLE `+t+` AS `+q, `DROP TABLE IF EXISTS `+t); err != nil {
					return fail(err)
				}
				edgeTables[q] = t
			}
			qs = append(qs, `SELECT * FROM `+t)
		}
		if len(newRows) > 0 {
			tables, err := queryTables(ctx, conn, g.SQL)
			if err != nil {
				return fail(err)
			}
			seen := map[string]bool{}
			for _, t := range tables {
				t = strings.ToLower(t)
				if v, ok := views[t]; ok {
					t = v
				}
				if q, ok := newRows[t]; ok && !seen[t] {
					seen[t] = true
					qs = append(qs, q)
					qsNew = append(qsNew, q)
				}
			}
		}
		rows := `SELECT NULL::VARCHAR AS p, NULL::VARCHAR AS h WHERE false`
		if len(qs) > 0 {
			rows = strings.Join(qs, " UNION ")
		}
		// A person group's keys: the people reached and the members of the
		// households reached; a household group's: the households reached
		// and those of the people reached.
		k := `SELECT p AS k FROM e WHERE p IS NOT NULL
			UNION SELECT r.id_number FROM e JOIN ` + cur + ` r ON r.household_id = e.h WHERE e.p IS NULL`
		if g.Scope == rule.ScopeHousehold {
			k = `SELECT h AS k FROM e WHERE h IS NOT NULL AND h <> ''
				UNION SELECT r.household_id FROM e JOIN ` + cur + ` r ON r.id_number = e.p WHERE r.household_id IS NOT NULL AND r.household_id <> ''`
			if cur != priorPerson { // the household a person moved out of
				k += ` UNION SELECT r.household_id FROM e JOIN ` + priorPerson + ` r ON r.id_number = e.p WHERE r.household_id <> ''`
			}
		}
		if err := exec(`CREATE OR REPLACE TEMP TABLE `+keys+` AS WITH e AS (`+rows+`) `+k, `DROP TABLE IF EXISTS `+keys); err != nil {
			return fail(err)
		}
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+keys).Scan(&n); err != nil {
			return fail(err)
		}
		prior := quoteIdent(catalog) + `.` + priorTable(g)
		key := keyColumn(g)
		// An earlier evaluation on this connection left its table.
		if err := exec(`DROP TABLE IF EXISTS temp.main.`+table(g), ""); err != nil {
			return fail(err)
		}
		// A group with fields that count days (counts: days) keeps each
		// row's date beside it (keepFacts): a kept row no edge reached is
		// moved by the days since, not computed again. moved holds those
		// keys whose count is not NULL, with their moved rows.
		var moved string
		var m int64
		if shift := countShift(g, day); shift != "" {
			prior = `(SELECT ` + shift + ` FROM ` + prior + `)`
			moved = `temp.main."inc_m_` + g.Name + `"`
			var some []string
			for _, c := range g.Counting() {
				some = append(some, quoteIdent(c.Name)+` IS NOT NULL`)
			}
			if err := exec(`CREATE OR REPLACE TEMP TABLE `+moved+` AS SELECT `+shift+` FROM `+quoteIdent(catalog)+`.`+priorTable(g)+`
				WHERE _as_of <> DATE '`+day.Format(time.DateOnly)+`' AND (`+strings.Join(some, ` OR `)+`)
				AND `+key+` NOT IN (SELECT k FROM `+keys+`)`, `DROP TABLE IF EXISTS `+moved); err != nil {
				return fail(err)
			}
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+moved).Scan(&m); err != nil {
				return fail(err)
			}
		}
		log.Debug("incremental facts: keys reached", "group", g.Name, "keys", n, "moved", m, "elapsed", time.Since(gt))
		groups = append(groups, &reachedGroup{g: g, keys: keys, prior: prior, moved: moved, k: k, n: n, m: m, qsNew: qsNew})
	}
	// The groups with keys reached are computed again together, over temp
	// views of every row of every member of all their households (a
	// member's row may count for the household) and the rows of each
	// household (shadowRows), and one copy of those people's newest
	// registry rows (copyRegistryCurrent): the households' members are
	// found once a night, not once a group, and registry_current ranked
	// once. A group computed for more keys than its own (other groups')
	// gives its own keys' facts as over the whole store all the same, and
	// keeps theirs alone (inc_fresh_<group>).
	var hh, own []string // the households and people whose rows are read
	for _, r := range groups {
		if r.n == 0 {
			continue
		}
		if r.g.Scope == rule.ScopeHousehold {
			hh = append(hh, `SELECT k AS household_id FROM `+r.keys)
			continue
		}
		own = append(own, `SELECT k FROM `+r.keys)
	}
	if len(own) > 0 {
		// The person groups' keys: their households, and themselves (people
		// outside the registry).
		hh = append(hh, `SELECT household_id FROM `+cur+` WHERE household_id <> '' AND id_number IN (SELECT k FROM temp.main.inc_ck)`)
	}
	if len(hh) > 0 {
		ct := time.Now()
		ownKeys := ""
		if len(own) > 0 {
			ownKeys = ` UNION SELECT k FROM temp.main.inc_ck`
			if err := exec(`CREATE OR REPLACE TEMP TABLE inc_ck AS `+strings.Join(own, ` UNION `), `DROP TABLE IF EXISTS temp.main.inc_ck`); err != nil {
				return fail(err)
			}
		}
		for _, st := range []struct{ q, drop string }{
			{`CREATE OR REPLACE TEMP TABLE inc_ch AS ` + strings.Join(hh, ` UNION `), `DROP TABLE IF EXISTS temp.main.inc_ch`},
			{`CREATE OR REPLACE TEMP TABLE inc_cp AS SELECT DISTINCT id_number FROM (` + members + `)
				WHERE household_id IN (SELECT household_id FROM temp.main.inc_ch)` + ownKeys,
				`DROP TABLE IF EXISTS temp.main.inc_cp`},
		} {
			if err := exec(st.q, st.drop); err != nil {
				return fail(err)
			}
		}
		var reachedGroups []*rule.Group
		for _, r := range groups {
			if r.n > 0 {
				reachedGroups = append(reachedGroups, r.g)
			}
		}
		shadows, err := shadowRows(ctx, conn, catalog)
		if err != nil {
			return fail(err)
		}
		dropCopy, err := copyRegistryCurrent(ctx, conn, catalog, pack, reachedGroups, day, true)
		if err != nil {
			dropCopy()
			shadows()
			return fail(err)
		}
		unshadow := func() {
			shadows()
			dropCopy()
		}
		log.Debug("incremental facts: households' rows shadowed for the groups computed again", "elapsed", time.Since(ct))
		for _, r := range groups {
			if r.n == 0 {
				continue
			}
			gt := time.Now()
			if err := computeGroup(ctx, conn, pack, r.g, day); err != nil {
				unshadow()
				return fail(err)
			}
			fresh := `temp.main."inc_fresh_` + r.g.Name + `"`
			f := `temp.main.` + table(r.g)
			for _, st := range []struct{ q, drop string }{
				{`CREATE OR REPLACE TEMP TABLE ` + fresh + ` AS SELECT * FROM ` + f + ` WHERE ` + keyColumn(r.g) + ` IN (SELECT k FROM ` + r.keys + `)`, `DROP TABLE IF EXISTS ` + fresh},
				{`DROP TABLE ` + f, ``},
			} {
				if err := exec(st.q, st.drop); err != nil {
					unshadow()
					return fail(err)
				}
			}
			computed[r.g.Name] = true
			log.Debug("incremental facts: group computed again", "group", r.g.Name, "keys", r.n, "elapsed", time.Since(gt))
		}
		unshadow()
		for _, q := range []string{`DROP TABLE temp.main.inc_ch`, `DROP TABLE temp.main.inc_cp`, `DROP TABLE IF EXISTS temp.main.inc_ck`} {
			if err := exec(q, ""); err != nil {
				return fail(err)
			}
		}
	}
	for _, r := range groups {
		g, key := r.g, keyColumn(r.g)
		switch {
		case r.n == 0 && r.m == 0:
			fviews = append(fviews, view{g, `SELECT * FROM ` + r.prior})
			continue
		case r.n == 0:
			// Only counts moved: nothing computed again.
			fviews = append(fviews, view{g, `SELECT * FROM ` + r.prior})
			if err := makePerNight(); err != nil {
				return fail(err)
			}
			nkeys := `temp.main."inc_nk_` + g.Name + `"`
			if err := exec(`CREATE OR REPLACE TEMP TABLE `+nkeys+` AS SELECT `+key+` AS k FROM `+r.moved, `DROP TABLE IF EXISTS `+nkeys); err != nil {
				return fail(err)
			}
			if err := narrow(g, nkeys, r.moved, ``, r.m); err != nil {
				return fail(err)
			}
			continue
		}
		fresh := `temp.main."inc_fresh_` + g.Name + `"`
		fviews = append(fviews, view{g, `SELECT * FROM ` + r.prior + ` WHERE ` + key + ` NOT IN (SELECT k FROM ` + r.keys + `)
			UNION ALL BY NAME SELECT * FROM ` + fresh})
		if err := makePerNight(); err != nil {
			return fail(err)
		}
		// The keys whose rules run again: those some rule could hit or
		// fail for on their fresh facts of this group, those with a prior
		// hit, and those named by new rows (the narrowing: prefilter.go).
		nkeys, nfresh := r.keys, fresh
		if r.m > 0 {
			// The moved counts are fresh facts too.
			nkeys, nfresh = `temp.main."inc_nk_`+g.Name+`"`, `temp.main."inc_nf_`+g.Name+`"`
			for _, st := range []struct{ q, drop string }{
				{`CREATE OR REPLACE TEMP TABLE ` + nkeys + ` AS SELECT k FROM ` + r.keys + ` UNION ALL SELECT ` + key + ` FROM ` + r.moved, `DROP TABLE IF EXISTS ` + nkeys},
				{`CREATE OR REPLACE TEMP TABLE ` + nfresh + ` AS SELECT * FROM ` + fresh + ` UNION ALL BY NAME SELECT * FROM ` + r.moved, `DROP TABLE IF EXISTS ` + nfresh},
			} {
				if err := exec(st.q, st.drop); err != nil {
					return fail(err)
				}
			}
		}
		newKeys := ``
		if len(r.qsNew) > 0 {
			newKeys = `WITH e AS (` + strings.Join(r.qsNew, " UNION ") + `) ` + r.k
		}
		if err := narrow(g, nkeys, nfresh, newKeys, r.n+r.m); err != nil {
			return fail(err)
		}
	}
	// A household with a new row of any member is evaluated again whole:
	// a household rule's evidence holds every member's rows.
	if len(named) > 0 {
		n := `(` + strings.Join(named, " UNION ALL ") + `)`
		changedHouseholds = append(changedHouseholds, `SELECT h AS household_id FROM `+n+` WHERE h IS NOT NULL`,
			`SELECT r.household_id FROM `+n+` x JOIN `+cur+` r ON r.id_number = x.p`,
			`SELECT r.household_id FROM `+n+` x JOIN `+priorPerson+` r ON r.id_number = x.p`)
		changedPeople = append(changedPeople, `SELECT p AS id_number FROM `+n+` WHERE p IS NOT NULL`)
	}
	// inc_eval_h: the households evaluated again whole; inc_eval: the
	// people evaluated again (theirs, and those whose own facts changed).
	union := func(qs []string, col string) string {
		if len(qs) == 0 {
			return `SELECT NULL::VARCHAR AS ` + col + ` WHERE false`
		}
		return strings.Join(qs, " UNION ")
	}
	for _, st := range []struct{ q, drop string }{
		{`CREATE OR REPLACE TEMP TABLE inc_eval_h AS SELECT DISTINCT household_id FROM (` + union(changedHouseholds, "household_id") + `)
			WHERE household_id IS NOT NULL AND household_id <> ''`, `DROP TABLE IF EXISTS temp.main.inc_eval_h`},
		{`CREATE OR REPLACE TEMP TABLE inc_eval AS SELECT id_number FROM (` + union(changedPeople, "id_number") + `) WHERE id_number IS NOT NULL
			UNION SELECT r.id_number FROM ` + cur + ` r JOIN temp.main.inc_eval_h USING (household_id)`, `DROP TABLE IF EXISTS temp.main.inc_eval`},
	} {
		if err := exec(st.q, st.drop); err != nil {
			return fail(err)
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.main.inc_eval`).Scan(&reached); err != nil {
		return fail(err)
	}
	// The registry this connection reads from here on (the household heads
	// of household rules, the members in a hit's evidence) holds the rows
	// of the people evaluated again alone: every member of a household
	// evaluated again whole is among them, so its head and members are
	// read as from the whole registry, without ranking every row of it.
	// They are copied once (inc_registry): registry_current over a view
	// of them read the whole registry, every column, three times a query
	// (store.CurrentColumns), 0.15 s for the household heads alone.
	if err := exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE inc_registry AS SELECT * FROM %s.main.registry
		WHERE id_number IN (SELECT id_number FROM temp.main.inc_eval)`, quoteIdent(catalog)), `DROP TABLE IF EXISTS temp.main.inc_registry`); err != nil {
		return fail(err)
	}
	if err := exec(`CREATE OR REPLACE TEMP VIEW registry AS SELECT * FROM temp.main.inc_registry`, `DROP VIEW IF EXISTS temp.main.registry`); err != nil {
		return fail(err)
	}
	if err := repointRegistryCurrent(ctx, conn); err != nil {
		return fail(err)
	}
	// People who appear for the first time (a claim of someone the store
	// did not know): rows are only ever added on such a night.
	if len(named) > 0 && computed[rule.ScopePerson] {
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM temp.main."inc_fresh_`+rule.ScopePerson+`"
			WHERE id_number NOT IN (SELECT id_number FROM `+priorPerson+`)`).Scan(&newPeople); err != nil {
			return fail(err)
		}
	}
	if err := exec(`CREATE OR REPLACE TEMP TABLE inc_eval_hh AS SELECT DISTINCT r.household_id FROM `+cur+` r
		JOIN temp.main.inc_eval USING (id_number) WHERE r.household_id <> ''`, `DROP TABLE IF EXISTS temp.main.inc_eval_hh`); err != nil {
		return fail(err)
	}
	for _, v := range fviews {
		in := `id_number IN (SELECT id_number FROM temp.main.inc_eval)`
		if v.g.Scope == rule.ScopeHousehold {
			in = `household_id IN (SELECT household_id FROM temp.main.inc_eval_hh)`
		}
		if err := exec(`CREATE OR REPLACE TEMP VIEW `+table(v.g)+` AS SELECT * FROM (`+v.q+`) WHERE `+in,
			`DROP VIEW IF EXISTS temp.main.`+table(v.g)); err != nil {
			return fail(err)
		}
	}
	return reached, newPeople, undo, nil
}

// personGroup is the pack's person group (every pack has one).
func personGroup(pack *rule.Pack) *rule.Group {
	for _, g := range pack.Groups {
		if g.Name == rule.ScopePerson {
			return g
		}
	}
	return &rule.Group{Name: rule.ScopePerson}
}

// shadowRows shadows every dataset, on conn, by a temp view of the rows of
// the people in inc_cp and the households in inc_ch: a row is kept when
// any of its ID-number columns names such a person or its 户号 such a
// household. Datasets with neither column are read whole. The rows the
// evaluation never reads (resolvedOnly: an unusable ID number) stay out.
// registry_current, which the fact queries read, reads the registry's
// shadow too: through the store's registry it would compute a group for
// every household of the county, and keep the reached ones. It returns the
// function that takes the shadows away, putting back the evaluation's own
// (resolvedOnly) where there was one.
func shadowRows(ctx context.Context, conn *sql.Conn, catalog string) (func(), error) {
	var names []string
	undo := func() {
		for _, n := range names {
			q := `DROP VIEW IF EXISTS temp.main.` + quoteIdent(n)
			if ds, ok := dataset.Lookup(n); ok {
				if base, ok := baseRows(catalog, ds, time.Time{}); ok {
					q = `CREATE OR REPLACE TEMP VIEW ` + quoteIdent(n) + ` AS ` + base
				}
			}
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), q); err != nil {
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		if err := repointRegistryCurrent(context.WithoutCancel(ctx), conn); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	for _, ds := range dataset.All() {
		var conds []string
		for _, f := range ds.Fields {
			switch {
			case f.Type == dataset.ID:
				conds = append(conds, quoteIdent(f.Name)+` IN (SELECT id_number FROM temp.main.inc_cp)`)
			case f.Name == "household_id":
				conds = append(conds, quoteIdent(f.Name)+` IN (SELECT household_id FROM temp.main.inc_ch)`)
			}
		}
		if len(conds) == 0 {
			continue
		}
		names = append(names, ds.Name)
		where := strings.Join(conds, " OR ")
		if ds.Linkable() {
			where = `(` + where + `) AND ` + dataset.ResolvedSQL("id_number")
		}
		q := fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s.main.%s WHERE %s`,
			quoteIdent(ds.Name), quoteIdent(catalog), quoteIdent(ds.Name), where)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			undo()
			return nil, fmt.Errorf("dataset %s: %w", ds.Name, err)
		}
	}
	if err := repointRegistryCurrent(ctx, conn); err != nil {
		undo()
		return nil, err
	}
	return undo, nil
}

// priorAt is the SQL relation of group g's facts as the prior evaluation
// (of prev) saw them, kept in catalog's eval_prior: a count of days kept
// on an earlier night read moved to prev (countShift).
func priorAt(g *rule.Group, catalog string, prev time.Time) string {
	t := quoteIdent(catalog) + `.` + priorTable(g)
	if shift := countShift(g, prev); shift != "" {
		return `(SELECT ` + shift + ` FROM ` + t + `)`
	}
	return t
}

// countShift is the select list that reads a kept row of group g as of
// day: every field, each that counts days (rule.Field.Counts) moved by
// the days from the row's _as_of to day (NULL stays NULL), without the
// _as_of column. "" for a group with no such field, whose kept rows have
// no _as_of.
func countShift(g *rule.Group, day time.Time) string {
	cs := g.Counting()
	if len(cs) == 0 {
		return ""
	}
	var moved []string
	for _, c := range cs {
		n := quoteIdent(c.Name)
		moved = append(moved, n+` + date_diff('day', _as_of, DATE '`+day.Format(time.DateOnly)+`') AS `+n)
	}
	return `* EXCLUDE (_as_of) REPLACE (` + strings.Join(moved, `, `) + `)`
}

// keepFacts records tonight's facts for the next night's incremental
// evaluation, in one transaction on conn: after a full evaluation every
// group's table is written whole; after an incremental one only the keys
// the date reached are replaced (a row whose counts of days were only
// moved keeps its date, _as_of, in a group that has such fields:
// countShift). eval_prior_facts says for which date,
// rule files and data they stand (store.LoadPrior checks it against
// eval_prior).
func keepFacts(ctx context.Context, conn *sql.Conn, pack *rule.Pack, day time.Time, data string, incremental bool) (err error) {
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("keeping tonight's facts: %w", err)
	}
	defer func() {
		end := `COMMIT`
		if err != nil {
			end = `ROLLBACK`
		}
		if _, xerr := conn.ExecContext(context.WithoutCancel(ctx), end); xerr != nil && err == nil {
			err = fmt.Errorf("keeping tonight's facts: %w", xerr)
		}
	}()
	var stmts []string
	for _, g := range pack.Groups {
		prior, f := priorTable(g), `temp.main.`+table(g)
		// A group that counts days keeps each row's date (countShift).
		asOf := ``
		if len(g.Counting()) > 0 {
			asOf = `, DATE '` + day.Format(time.DateOnly) + `' AS _as_of`
		}
		if !incremental {
			stmts = append(stmts, `CREATE OR REPLACE TABLE `+prior+` AS SELECT *`+asOf+` FROM `+f)
			continue
		}
		keys := `temp.main."inc_k_` + g.Name + `"`
		fresh := `temp.main."inc_fresh_` + g.Name + `"`
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+keys).Scan(&n); err != nil {
			return fmt.Errorf("keeping tonight's facts: %w", err)
		}
		if n == 0 {
			continue
		}
		// Only the keys whose facts changed are written (most of those the
		// date reached keep theirs), and their rows updated in place rather
		// than deleted and appended again: DuckDB's checkpoint, when the
		// store closes, rewrites a table that was appended to with rows
		// deleted (0.45 s for a 1m night's 2,800 people of a million; an
		// update of the same rows: 0.02 s). A kept row whose counts of days
		// match tonight's once moved (countShift) stays, with its date.
		// Keys new to the group are appended and keys gone from it deleted,
		// both rare on such a night.
		cols, err := columns(ctx, conn, fresh)
		if err != nil {
			return fmt.Errorf("keeping tonight's facts: %w", err)
		}
		key := keyColumn(g)
		var set []string
		for _, c := range cols {
			if c != key {
				set = append(set, quoteIdent(c)+` = f.`+quoteIdent(c))
			}
		}
		if asOf != "" {
			set = append(set, `_as_of = DATE '`+day.Format(time.DateOnly)+`'`)
		}
		list := quotedList(cols)
		was := `*`
		if shift := countShift(g, day); shift != "" {
			was = shift
		}
		was = `SELECT ` + list + ` FROM (SELECT ` + was + ` FROM ` + prior + ` WHERE ` + key + ` IN (SELECT k FROM ` + keys + `))`
		now := `SELECT ` + list + ` FROM ` + fresh
		// The keys written: new to the group (no kept row), gone from it
		// (no row tonight) or changed.
		w := `temp.main."inc_w_` + g.Name + `"`
		stmts = append(stmts, `CREATE OR REPLACE TEMP TABLE `+w+` AS
			WITH a AS (`+now+` EXCEPT `+was+`), b AS (`+was+` EXCEPT `+now+`)
			SELECT coalesce(a.`+key+`, b.`+key+`) AS k, a.`+key+` IS NULL AS gone, b.`+key+` IS NULL AS new
			FROM a FULL JOIN b ON a.`+key+` = b.`+key,
			`DELETE FROM `+prior+` WHERE `+key+` IN (SELECT k FROM `+w+` WHERE gone)`)
		if len(set) > 0 {
			stmts = append(stmts, `UPDATE `+prior+` AS p SET `+strings.Join(set, ", ")+` FROM `+fresh+` AS f
				WHERE p.`+key+` = f.`+key+` AND f.`+key+` IN (SELECT k FROM `+w+` WHERE NOT gone AND NOT new)`)
		}
		stmts = append(stmts, `INSERT INTO `+prior+` BY NAME SELECT *`+asOf+` FROM `+fresh+`
				WHERE `+key+` IN (SELECT k FROM `+w+` WHERE new)`,
			`DROP TABLE `+w)
	}
	stmts = append(stmts, `DELETE FROM eval_prior_facts`,
		fmt.Sprintf(`INSERT INTO eval_prior_facts VALUES (DATE '%s', '%s', '%s')`, day.Format(time.DateOnly),
			strings.ReplaceAll(priorVersion(pack), "'", "''"), strings.ReplaceAll(data, "'", "''")))
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("keeping tonight's facts: %w", err)
		}
	}
	return nil
}

// mergePrior returns tonight's hits of the people evaluated again with the
// prior hits of everyone else, in the full evaluation's order (by ID
// number, then the rules' order in the pack). A person rule's hit is
// tonight's for the people evaluated again (inc_eval); a household rule's
// hit is tonight's for the households evaluated again whole (inc_eval_h)
// and for people without a household among inc_eval — for any other
// household the prior hit stands, since no fact its rules read changed.
func mergePrior(ctx context.Context, conn *sql.Conn, pack *rule.Pack, prior []cases.Hit, fresh []cases.Hit) ([]cases.Hit, error) {
	people, err := keySet(ctx, conn, `SELECT id_number FROM temp.main.inc_eval`)
	if err != nil {
		return nil, err
	}
	households, err := keySet(ctx, conn, `SELECT household_id FROM temp.main.inc_eval_h`)
	if err != nil {
		return nil, err
	}
	household := map[string]bool{}
	for _, r := range pack.Rules {
		household[r.ID] = r.Scope == rule.ScopeHousehold
	}
	tonight := func(h cases.Hit) bool {
		if household[h.RuleID] && h.HouseholdID != "" {
			return households[h.HouseholdID]
		}
		return people[h.IDNumber]
	}
	out := make([]cases.Hit, 0, len(prior)+len(fresh))
	for _, h := range prior {
		if !tonight(h) {
			out = append(out, h)
		}
	}
	for _, h := range fresh {
		if tonight(h) {
			out = append(out, h)
		}
	}
	sortHits(pack, out)
	return out, nil
}

// sortHits puts hits in the evaluation's order: by ID number, then the
// rules' order in the pack.
func sortHits(pack *rule.Pack, hits []cases.Hit) {
	order := map[string]int{}
	for i, r := range pack.Rules {
		order[r.ID] = i
	}
	slices.SortStableFunc(hits, func(a, b cases.Hit) int {
		if c := strings.Compare(a.IDNumber, b.IDNumber); c != 0 {
			return c
		}
		return order[a.RuleID] - order[b.RuleID]
	})
}

func keySet(ctx context.Context, conn *sql.Conn, q string) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("incremental night: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k sql.NullString
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if k.Valid {
			out[k.String] = true
		}
	}
	return out, rows.Err()
}

// evidenceSince fills the evidence of hits: a hit of the same rule, person
// and household as a prior one takes the prior's (evidence is read from
// the rows alone, which did not change), the others are gathered (known:
// as evidence's).
func evidenceSince(ctx context.Context, conn *sql.Conn, pack *rule.Pack, prior, hits []cases.Hit, known map[string]household) error {
	type key struct{ rule, id, household string }
	had := make(map[key]string, len(prior))
	for _, h := range prior {
		had[key{h.RuleID, h.IDNumber, h.HouseholdID}] = h.Evidence
	}
	var need []cases.Hit
	var at []int
	for i, h := range hits {
		if ev, ok := had[key{h.RuleID, h.IDNumber, h.HouseholdID}]; ok {
			hits[i].Evidence = ev
			continue
		}
		need, at = append(need, h), append(at, i)
	}
	if err := evidence(ctx, conn, pack, need, known); err != nil {
		return err
	}
	for j, i := range at {
		hits[i].Evidence = need[j].Evidence
	}
	return nil
}
