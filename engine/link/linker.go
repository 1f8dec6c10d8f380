package link

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/internal/sqlrows"
)

// Options of one linking pass.
type Options struct {
	// Records is a SQL query (or table name) giving the rows to link, one
	// row each: rec_id VARCHAR (unique), name VARCHAR, gender VARCHAR
	// ('male', 'female' or NULL), birth_date DATE, raw_id VARCHAR (the ID
	// text as the department wrote it, NULL when missing) and household_id
	// VARCHAR (the 户号 the row names, or NULL).
	Records string
	// Registry is a SQL query (or table name) giving the people to link
	// to, one row each: person_id VARCHAR (a valid 18-character ID number),
	// name VARCHAR, gender VARCHAR, birth_date DATE, household_id VARCHAR.
	Registry string
	// Append, when set, writes rows computed in Go (each with one value
	// per column, in the table's order) into table, a temp table's name or
	// "main.NAME": the store passes DuckDB's Appender. Nil: multi-row
	// INSERTs (engine/internal/sqlrows), 30 times slower.
	Append func(ctx context.Context, table string, rows [][]any) error
	// RegistryPrepared: the caller has made temp table lk_reg from
	// RegistrySelect (Registry is then not read).
	RegistryPrepared bool
	// RegistryTable, when set, is a table the caller keeps with the
	// columns of RegistrySelect (the store's link_people, kept up to date
	// as the registry changes): the pass reads it instead of making
	// lk_reg, and Registry and RegistryPrepared are not used. At a million
	// people, making lk_reg cost 1.5-2 s of each first pass.
	RegistryTable string
	// Thresholds decide the three outcomes; zero fields take the defaults.
	Thresholds Thresholds
	// Model, when set, scores the pairs as it is (a night with few new rows
	// keeps the last estimated model); otherwise u is estimated from random
	// pairs and m and λ by EM, starting from DefaultModel.
	Model *Model
	// Fallback, when set, replaces DefaultModel as EM's start and as the
	// model of a pass with fewer than MinPairs blocked pairs (a night with
	// a handful of new rows scores them with the last estimated model).
	Fallback *Model
	// MinPairs is the fewest blocked pairs EM estimates from; with fewer,
	// Fallback (or DefaultModel, with u estimated) is used. Default 1,000.
	MinPairs int64
	// MaxBlock: a blocking value shared by more registry people than this
	// (a very common name at province scale) does not block; the records
	// it would have paired are counted in Result.Skipped. Default 5,000.
	MaxBlock int
	// Keep is the number of candidates kept per record, best first.
	// Default 3.
	Keep int
	// PinyinTable, when set, is a table (name VARCHAR, pinyin VARCHAR)
	// kept between passes, so that a registry name's pinyin is computed
	// once; created when missing. Empty: a temp table of this pass.
	PinyinTable string
}

// Thresholds decide a record's outcome from its best candidate.
type Thresholds struct {
	// Auto: a best candidate at this match probability or above is linked
	// (default 0.99), when it also leads the second by Margin.
	Auto float64
	// Review: at this probability or above (and below Auto, or without
	// the lead) the record waits for an analyst (default 0.5). Below it
	// the record stays unmatched.
	Review float64
	// Margin is the match weight in bits the best candidate must lead the
	// second by to be linked automatically: two people alike enough are
	// never chosen between by the machine (default 5 bits, 32 times as
	// likely).
	Margin float64
}

func (t Thresholds) withDefaults() Thresholds {
	if t.Auto == 0 {
		t.Auto = 0.99
	}
	if t.Review == 0 {
		t.Review = 0.5
	}
	if t.Margin == 0 {
		t.Margin = 5
	}
	return t
}

// Validate reports thresholds out of order or range.
func (t Thresholds) Validate() error {
	t = t.withDefaults()
	if !(t.Review > 0 && t.Review <= t.Auto && t.Auto < 1) {
		return fmt.Errorf("link thresholds: want 0 < review (%v) <= auto (%v) < 1", t.Review, t.Auto)
	}
	if t.Margin < 0 {
		return fmt.Errorf("link thresholds: margin %v bits is negative", t.Margin)
	}
	return nil
}

// Band is a record's outcome.
type Band string

// The three outcomes.
const (
	Auto   Band = "auto"   // linked to its best candidate
	Review Band = "review" // waits in the clerical review queue
	None   Band = "none"   // stays unmatched
)

// A Candidate is one registry person scored against a record.
type Candidate struct {
	PersonID    string
	Vector      Vector
	Bits        float64 // match weight
	Probability float64
}

// A Decision is one record's outcome and its best candidates.
type Decision struct {
	RecID      string
	Band       Band
	Why        string      // why not auto: "no candidate", "below the review threshold", "below the auto threshold", "a second candidate within N bits"
	Candidates []Candidate // best first, at most Options.Keep
}

// Result is one linking pass.
type Result struct {
	Model     Model
	Decisions []Decision // in rec_id order
	Records   int64
	Pairs     int64            // blocked pairs compared
	ByRule    map[string]int64 // pairs each blocking rule found (a pair may be found by several)
	Skipped   map[string]int64 // records a rule skipped for a value shared by more than MaxBlock people
	Stages    map[string]time.Duration
}

// Count returns the number of decisions in band b.
func (r *Result) Count(b Band) int {
	n := 0
	for _, d := range r.Decisions {
		if d.Band == b {
			n++
		}
	}
	return n
}

// ErrRecords reports a Records relation that is not one row per rec_id.
var ErrRecords = errors.New("link: records")

// blocking rules: each pairs a record with the registry people who share a
// value with it. Their union is compared; everything else is taken as a
// non-match without being compared, which keeps the work linear.
//
// No rule pairs on a name or a birth date alone: at a million people in one
// county a birth date is shared by about 30 people and a common name by
// hundreds, and those two rules made 98% of 0.85M pairs (measured on the 1M
// county, issue 15). A name pairs with the birth year or the month and day
// (a typo in the other), a birth date with the name's first or last
// character (a homophone or variant changes the other); a row with no
// birth date at all (none given, none in its ID) pairs on the name alone,
// and with nothing but a name it can reach no threshold anyway.
//
// The four id_* keys find an 18-digit ID one digit or one swap of
// neighbours away from a person's: each leaves out a part of digits 7–18,
// and every single wrong digit or swap there leaves one of them (or the
// birth key, digits 7–14) whole. Each keeps the area code and enough
// digits that about one person shares it at a million people in one
// county (one key of area code, sequence and check character left about
// 100 people per value there).
var blockingRules = []struct{ name, rec, reg string }{
	{"name_year", "r.name_year", "g.name_year"},       // the same name and birth year
	{"name_md", "r.name_md", "g.name_md"},             // the same name, birth month and day
	{"name_only", "r.name_only", "g.name"},            // the same name, on a row with no birth date
	{"birth_first", "r.birth_first", "g.birth_first"}, // the same birth date (given, or the ID's digits 7–14) and first character of the name
	{"birth_last", "r.birth_last", "g.birth_last"},    // the same birth date and last character of the name
	{"birth_mid", "r.birth_mid", "g.birth_mid"},       // the same birth date and second character (a homophone of the first and last)
	{"name_seq", "r.name_seq", "g.name_seq"},          // the same name and ID digits 15–18 (with name_year and name_md: any two wrong digits in 7–18)
	{"id_year", "r.id_year", "g.id_year"},             // ID digits 1–10 and 15–18: a wrong month or day
	{"id_date", "r.id_date", "g.id_date"},             // ID digits 1–6 and 11–18: a wrong year digit
	{"id_ym", "r.id_ym", "g.id_ym"},                   // ID digits 1–9 and 12–18: year and month swapped at their edge
	{"id_ds", "r.id_ds", "g.id_ds"},                   // ID digits 1–13 and 16–18: day and sequence swapped at their edge
	{"household", "r.household_id", "g.household_id"}, // the 户号 the row names
	{"id_household", "r.id_hh", "g.household_id"},     // the household of the person whose ID the row carries
	{"legacy", "r.legacy_key", "g.legacy_key"},        // a 15-digit ID's area code, birth year and sequence (survives a typo in its month or day)
}

// nameBirthKeys is the SQL of the name-and-birth blocking keys of a side
// with name and birth_key columns (alias t).
// Keys are 64-bit hashes: joins on them are cheaper than on the strings
// (a collision pairs two people who are then compared in full: it costs a
// comparison, never a link).
var nameBirthKeys = func() string {
	k := func(name, expr string) string {
		return "CASE WHEN t.name IS NOT NULL AND t.birth_key IS NOT NULL THEN hash(" + expr + ") END AS " + name
	}
	return strings.Join([]string{
		k("name_year", "t.name, left(t.birth_key, 4)"),
		k("name_md", "t.name, substr(t.birth_key, 5, 4)"),
		k("birth_first", "t.birth_key, left(t.name, 1)"),
		k("birth_last", "t.birth_key, right(t.name, 1)"),
		k("birth_mid", "t.birth_key, substr(t.name, 2, 1)"),
	}, ", ")
}()

// IDKeyNames are the id_* blocking keys, in blockingRules order.
var IDKeyNames = []string{"id_year", "id_date", "id_ym", "id_ds"}

// idKeySpans are the digits (from, to; 1-based, inclusive) each id_* key
// keeps.
var idKeySpans = map[string][][2]int{
	"id_year": {{1, 10}, {15, 18}},
	"id_date": {{1, 6}, {11, 18}},
	"id_ym":   {{1, 9}, {12, 18}},
	"id_ds":   {{1, 13}, {16, 18}},
}

// IDKey returns the SQL of the id_* blocking key name (one of IDKeyNames)
// of the ID text in the SQL expression col: NULL unless it is 18
// characters long. The store uses it to find the rows a registry change
// may affect.
func IDKey(name, col string) string {
	spans := idKeySpans[name]
	parts := make([]string, len(spans))
	for i, sp := range spans {
		parts[i] = fmt.Sprintf("substr(%s, %d, %d)", col, sp[0], sp[1]-sp[0]+1)
	}
	return fmt.Sprintf("CASE WHEN length(%s) = 18 THEN hash(%s) END", col, strings.Join(parts, ", "))
}

// nameSeq is the SQL of the name_seq key of a side (alias t, with a
// normalized name) whose ID text is col.
func nameSeq(col string) string {
	return fmt.Sprintf("CASE WHEN length(%[1]s) = 18 AND t.name IS NOT NULL THEN hash(t.name, substr(%[1]s, 15, 4)) END AS name_seq", col)
}

// idKeyColumns is "IDKey(k, col) AS k, …" for every id_* key.
func idKeyColumns(col string) string {
	cols := make([]string, len(IDKeyNames))
	for i, k := range IDKeyNames {
		cols[i] = IDKey(k, col) + " AS " + k
	}
	return strings.Join(cols, ", ")
}

// TempTables are the temp tables a Run leaves on its connection.
func TempTables() []string {
	t := []string{"lk_src", "lk_names", "lk_reg", "lk_rec", "lk_found", "lk_pairs", "lk_tf", "lk_cmp", "lk_usample", "lk_ucmp", "lk_pinyin"}
	for i := range blockingRules {
		t = append(t, fmt.Sprintf("lk_big%d", i))
	}
	return t
}

// Run links opts.Records to opts.Registry over conn (DuckDB), leaving its
// temp tables (lk_*) on conn until the next Run. It returns an error
// wrapping ErrRecords for duplicate rec_ids, and any SQL error.
func Run(ctx context.Context, conn *sql.Conn, o Options) (*Result, error) {
	o.Thresholds = o.Thresholds.withDefaults()
	if err := o.Thresholds.Validate(); err != nil {
		return nil, err
	}
	if o.MinPairs == 0 {
		o.MinPairs = 1000
	}
	if o.MaxBlock == 0 {
		o.MaxBlock = 5000
	}
	if o.Keep == 0 {
		o.Keep = 3
	}
	res := &Result{ByRule: map[string]int64{}, Skipped: map[string]int64{}, Stages: map[string]time.Duration{}}
	l := &linker{ctx: ctx, conn: conn, o: o, res: res, reg: "lk_reg"}
	if o.RegistryTable != "" {
		l.reg = o.RegistryTable
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"prepare", l.prepare},
		{"block", l.block},
		{"compare", l.compare},
		{"estimate", l.estimate},
		{"score", l.score},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(); err != nil {
			return nil, fmt.Errorf("link: %s: %w", s.name, err)
		}
		res.Stages[s.name] = time.Since(t)
	}
	return res, nil
}

type linker struct {
	ctx  context.Context
	conn *sql.Conn
	o    Options
	res  *Result
	py   string // the pinyin table
	reg  string // the registry with its keys: lk_reg or Options.RegistryTable
}

func (l *linker) exec(q string, args ...any) error {
	_, err := l.conn.ExecContext(l.ctx, q, args...)
	return err
}

func relation(q string) string {
	q = strings.TrimSpace(q)
	if strings.ContainsAny(q, " \n\t(") {
		return "(" + q + ")"
	}
	return q
}

// idKeyColumns and birthKey are written once for both sides: a record's ID text
// and a registry person's ID number.
func birthKey(col string) string {
	return fmt.Sprintf(`CASE WHEN length(%[1]s) = 15 THEN CASE WHEN try_strptime('19' || substr(%[1]s, 7, 6), '%%Y%%m%%d') IS NOT NULL THEN '19' || substr(%[1]s, 7, 6) END
		WHEN length(%[1]s) >= 14 THEN CASE WHEN try_strptime(substr(%[1]s, 7, 8), '%%Y%%m%%d') IS NOT NULL THEN substr(%[1]s, 7, 8) END END`, col)
}

// RegistrySelect is the SQL of the registry as the linker reads it (temp
// table lk_reg): registry, a query or table as Options.Registry, with its
// names normalized and its blocking keys; registry's other columns are
// kept as they are. A caller that reads the registry
// anyway makes lk_reg from it itself, with columns of its own added, and
// sets Options.RegistryPrepared: a million people read twice cost 1.1 s.
func RegistrySelect(registry string) string {
	return `SELECT t.*, ` + nameBirthKeys + `, ` + nameSeq("t.person_id") + ` FROM (
		SELECT g.* EXCLUDE (person_id, name, gender, birth_date, household_id),
		       person_id::VARCHAR AS person_id, nullif(regexp_replace(name, '\s', '', 'g'), '') AS name,
		       CASE WHEN gender IN ('male', 'female') THEN gender END AS gender, birth_date::DATE AS birth_date,
		       nullif(household_id, '') AS household_id, strftime(birth_date::DATE, '%Y%m%d') AS birth_s,
		       ` + birthKey("person_id") + ` AS birth_key, ` + idKeyColumns("person_id") + `,
		       CASE WHEN length(person_id) = 18 AND substr(person_id, 7, 2) = '19'
		            THEN substr(person_id, 1, 6) || substr(person_id, 9, 2) || substr(person_id, 15, 3) END AS legacy_key
		FROM ` + relation(registry) + ` g) t`
}

// prepare loads the records with their names normalized (in Go: OpenCC
// and pinyin) and the registry with its blocking keys, as temp tables.
func (l *linker) prepare() error {
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_src AS
		SELECT rec_id::VARCHAR AS rec_id, name::VARCHAR AS name, gender::VARCHAR AS gender, birth_date::DATE AS birth_date,
		       raw_id::VARCHAR AS raw_id, household_id::VARCHAR AS household_id
		FROM ` + relation(l.o.Records)); err != nil {
		return err
	}
	var dup sql.NullString
	if err := l.conn.QueryRowContext(l.ctx, `SELECT any_value(rec_id) FROM lk_src GROUP BY rec_id HAVING count(*) > 1 LIMIT 1`).Scan(&dup); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if dup.Valid {
		return fmt.Errorf("%w: rec_id %q appears more than once", ErrRecords, dup.String)
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_names (name VARCHAR, norm VARCHAR, pinyin VARCHAR)`); err != nil {
		return err
	}
	names, err := l.strings(`SELECT DISTINCT name FROM lk_src WHERE name IS NOT NULL`)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(names))
	for _, n := range names {
		nm, err := NewName(n)
		if err != nil {
			return err
		}
		rows = append(rows, []any{n, nm.Norm, nm.Pinyin})
	}
	if err := l.insert("lk_names", rows); err != nil {
		return err
	}
	if !l.o.RegistryPrepared && l.o.RegistryTable == "" {
		if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_reg AS ` + RegistrySelect(l.o.Registry)); err != nil {
			return err
		}
	}
	// kid is the ID text the keys are made from: an 18-digit ID Excel
	// padded with a leading 0 keeps its digits in place (its comparison
	// still sees the 0).
	// The registry is cut to the records' IDs before the join: a join that
	// built on all of lk_reg cost 0.49 s at a million people, this 0.13 s.
	return l.exec(`CREATE OR REPLACE TEMP TABLE lk_rec AS
		WITH s AS (
			SELECT s.rec_id, nullif(n.norm, '') AS name, n.pinyin,
			       CASE WHEN s.gender IN ('male', 'female') THEN s.gender END AS gender, s.birth_date,
			       nullif(trim(s.household_id), '') AS household_id,
			       nullif(upper(regexp_replace(coalesce(s.raw_id, ''), '[^0-9Xx]', '', 'g')), '') AS rid
			FROM lk_src s LEFT JOIN lk_names n ON n.name = s.name),
		k AS (SELECT s.*, CASE WHEN length(s.rid) = 19 AND starts_with(s.rid, '0') THEN substr(s.rid, 2) ELSE s.rid END AS kid FROM s),
		t AS (SELECT k.*, strftime(k.birth_date, '%Y%m%d') AS birth_s, coalesce(strftime(k.birth_date, '%Y%m%d'), ` + birthKey("k.kid") + `) AS birth_key FROM k)
		SELECT t.* EXCLUDE (kid), ` + nameBirthKeys + `, CASE WHEN t.birth_key IS NULL THEN t.name END AS name_only,
		       ` + nameSeq("t.kid") + `,
		       ` + idKeyColumns("t.kid") + `, o.person_id AS id_person, o.household_id AS id_hh,
		       CASE WHEN length(t.rid) = 15 THEN substr(t.rid, 1, 8) || substr(t.rid, 13, 3) END AS legacy_key,
		       CASE WHEN regexp_full_match(t.kid, '[0-9]{15}0{3}') THEN substr(t.kid, 1, 15)::BIGINT END AS excel15
		FROM t LEFT JOIN (SELECT person_id, household_id FROM ` + l.reg + ` WHERE person_id IN (SELECT rid FROM t)) o ON o.person_id = t.rid`)
}

// block writes lk_pairs: every (record, person) that some blocking rule
// pairs, once.
func (l *linker) block() error {
	parts := make([]string, 0, len(blockingRules))
	for i, b := range blockingRules {
		// Values shared by more than MaxBlock people do not block. Only
		// the values some record has are counted: a GROUP BY of the whole
		// registry per rule cost seconds at a million people.
		big := fmt.Sprintf("lk_big%d", i)
		if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS SELECT %[2]s AS v FROM `+l.reg+` g
			WHERE %[2]s IN (SELECT %[3]s FROM lk_rec r WHERE %[3]s IS NOT NULL) GROUP BY ALL HAVING count(*) > %[4]d`,
			big, b.reg, b.rec, l.o.MaxBlock)); err != nil {
			return err
		}
		var skipped int64
		if err := l.conn.QueryRowContext(l.ctx, `SELECT count(*) FROM lk_rec r WHERE `+b.rec+` IN (SELECT v FROM `+big+`)`).Scan(&skipped); err != nil {
			return err
		}
		if skipped > 0 {
			l.res.Skipped[b.name] = skipped
		}
		// The registry's side is cut to the values some record has
		// first, which DuckDB does as a cheap semi-join (a plain join
		// probed all of the registry: 0.26 s a rule at a million people).
		parts = append(parts, fmt.Sprintf(`SELECT r.rec_id, g.person_id, '%[1]s' AS rule
			FROM (SELECT r.rec_id, %[2]s AS v FROM lk_rec r WHERE %[2]s IS NOT NULL AND %[2]s NOT IN (SELECT v FROM %[4]s)) r
			JOIN (SELECT g.person_id, %[3]s AS v FROM `+l.reg+` g WHERE %[3]s IN (SELECT %[2]s FROM lk_rec r)) g ON r.v = g.v`,
			b.name, b.rec, b.reg, big))
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_found AS ` + strings.Join(parts, "\nUNION ALL\n")); err != nil {
		return err
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_pairs AS SELECT DISTINCT rec_id, person_id FROM lk_found`); err != nil {
		return err
	}
	rows, err := l.conn.QueryContext(l.ctx, `SELECT rule, count(*) FROM lk_found GROUP BY rule`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var n int64
		if err := rows.Scan(&r, &n); err != nil {
			return err
		}
		l.res.ByRule[r] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return l.conn.QueryRowContext(l.ctx, `SELECT (SELECT count(*) FROM lk_rec), (SELECT count(*) FROM lk_pairs)`).Scan(&l.res.Records, &l.res.Pairs)
}

// levels is the SQL of a pair's comparison vector, r a record of lk_rec,
// g a person of lk_reg and gp its name's pinyin. Each is Null (SQL NULL)
// when it cannot be made. The ID's birth digits agreeing alone (level 1)
// counts only for a row without a birth date of its own: with one, the
// birth comparison has weighed that evidence already, and counting it
// twice (Fellegi–Sunter assumes comparisons independent given the match
// status) made an out-of-county patient born the same day as a stranger
// of the registry, with a different name, a 0.92 candidate. An 18-digit ID
// one digit off in its first 17 is one edit whatever its check character:
// a 15-digit ID with a typo reaches the linker upgraded, its check
// character computed from the wrong digits (at a million people 30% of
// them went unlinked as two edits). A 15-digit ID (one the loader could
// not upgrade: a typo made its date impossible) is compared with the
// person's 15-digit form.
//
// Damerau–Levenshtein costs about 1 µs a pair, far more than the rest: it
// runs only behind a cheaper test in a CASE (a projection evaluates both
// sides of AND and OR for every row; a CASE only the rows that reach a
// branch). Written as an OR beside the day-month swap it took 0.35 s of
// the 0.83 s of the 500,000 pairs u is estimated from.
const levels = `
	CASE WHEN r.name IS NULL OR g.name IS NULL THEN NULL
	     WHEN r.name = g.name THEN 4
	     WHEN r.pinyin = gp.pinyin THEN 3
	     WHEN length(r.name) = length(g.name) AND length(r.name) BETWEEN 2 AND 4
	          AND (substr(r.name, 1, 1) = substr(g.name, 1, 1))::INT + (substr(r.name, 2, 1) = substr(g.name, 2, 1))::INT
	            + (substr(r.name, 3, 1) = substr(g.name, 3, 1))::INT + (substr(r.name, 4, 1) = substr(g.name, 4, 1))::INT = 3 THEN 2
	     WHEN left(r.name, 1) = left(g.name, 1) THEN 1
	     ELSE 0 END::TINYINT AS c_name,
	CASE WHEN r.birth_date IS NULL OR g.birth_date IS NULL THEN NULL
	     WHEN r.birth_date = g.birth_date THEN 3
	     WHEN (year(r.birth_date) = year(g.birth_date) AND month(r.birth_date) = day(g.birth_date) AND day(r.birth_date) = month(g.birth_date))
	          THEN 2
	     WHEN CASE WHEN length(r.birth_s) <> length(g.birth_s) THEN damerau_levenshtein(r.birth_s, g.birth_s) = 1
	               WHEN hamming(r.birth_s, g.birth_s) = 1 THEN true
	               WHEN hamming(r.birth_s, g.birth_s) = 2 THEN damerau_levenshtein(r.birth_s, g.birth_s) = 1
	               ELSE false END THEN 2
	     WHEN year(r.birth_date) = year(g.birth_date) THEN 1
	     ELSE 0 END::TINYINT AS c_birth,
	CASE WHEN r.rid IS NULL THEN NULL
	     WHEN r.rid = g.person_id THEN 6
	     WHEN r.id_person IS NOT NULL THEN CASE WHEN r.id_hh = g.household_id THEN 2 ELSE 0 END
	     WHEN length(r.rid) = 18 AND length(g.person_id) = 18 THEN CASE
	          WHEN hamming(r.rid, g.person_id) > 4 AND r.excel15 IS NULL THEN CASE
	               WHEN r.birth_date IS NULL AND substr(r.rid, 7, 8) = substr(g.person_id, 7, 8) THEN 1 ELSE 0 END
	          WHEN hamming(r.rid, g.person_id) <= 1 OR (hamming(r.rid, g.person_id) = 2 AND right(r.rid, 1) <> right(g.person_id, 1)) THEN 5
	          WHEN r.excel15 IS NOT NULL AND abs(r.excel15 - substr(g.person_id, 1, 15)::BIGINT) <= 1 THEN 4
	          WHEN hamming(r.rid, g.person_id) = 2 THEN CASE WHEN damerau_levenshtein(r.rid, g.person_id) = 1 THEN 5 ELSE 3 END
	          WHEN hamming(r.rid, g.person_id) <= 4 THEN CASE WHEN damerau_levenshtein(r.rid, g.person_id) = 2 THEN 3
	                                                          WHEN r.birth_date IS NULL AND substr(r.rid, 7, 8) = substr(g.person_id, 7, 8) THEN 1 ELSE 0 END
	          WHEN r.birth_date IS NULL AND substr(r.rid, 7, 8) = substr(g.person_id, 7, 8) THEN 1
	          ELSE 0 END
	     WHEN length(r.rid) = 15 AND length(g.person_id) = 18 THEN CASE
	          WHEN hamming(r.rid, substr(g.person_id, 1, 6) || substr(g.person_id, 9, 9)) = 0 THEN 6
	          WHEN hamming(r.rid, substr(g.person_id, 1, 6) || substr(g.person_id, 9, 9)) = 1 THEN 5
	          WHEN hamming(r.rid, substr(g.person_id, 1, 6) || substr(g.person_id, 9, 9)) = 2 THEN 3
	          WHEN r.birth_date IS NULL AND substr(r.rid, 7, 6) = substr(g.person_id, 9, 6) THEN 1
	          ELSE 0 END
	     WHEN length(r.rid) BETWEEN 16 AND 20 THEN CASE
	          WHEN damerau_levenshtein(r.rid, g.person_id) = 1 THEN 5
	          WHEN r.excel15 IS NOT NULL AND abs(r.excel15 - substr(g.person_id, 1, 15)::BIGINT) <= 1 THEN 4
	          WHEN damerau_levenshtein(r.rid, g.person_id) = 2 THEN 3
	          WHEN r.birth_date IS NULL AND substr(r.rid, 7, 8) = substr(g.person_id, 7, 8) THEN 1
	          ELSE 0 END
	     WHEN length(r.rid) >= 14 AND r.birth_date IS NULL AND substr(r.rid, 7, 8) = substr(g.person_id, 7, 8) THEN 1
	     ELSE 0 END::TINYINT AS c_id,
	CASE WHEN r.gender IS NULL OR g.gender IS NULL THEN NULL
	     WHEN r.gender = g.gender THEN 1 ELSE 0 END::TINYINT AS c_gender,
	CASE WHEN r.household_id IS NULL OR g.household_id IS NULL THEN NULL
	     WHEN r.household_id = g.household_id THEN 1 ELSE 0 END::TINYINT AS c_household`

// compare writes lk_cmp: each blocked pair's comparison vector and, for
// an exact name, the name's share of the registry.
func (l *linker) compare() error {
	if err := l.pinyinFor(`SELECT DISTINCT g.name FROM lk_pairs p JOIN ` + l.reg + ` g USING (person_id) WHERE g.name IS NOT NULL`); err != nil {
		return err
	}
	if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_tf AS
		SELECT name, count(*) / (SELECT count(*) FROM ` + l.reg + `) AS freq FROM ` + l.reg + `
		WHERE name IN (SELECT name FROM lk_rec) GROUP BY name`); err != nil {
		return err
	}
	return l.exec(`CREATE OR REPLACE TEMP TABLE lk_cmp AS
		SELECT p.rec_id, p.person_id, ` + levels + `,
		       CASE WHEN r.name = g.name THEN tf.freq END AS name_freq
		FROM lk_pairs p JOIN lk_rec r USING (rec_id)
		JOIN (SELECT * FROM ` + l.reg + ` WHERE person_id IN (SELECT person_id FROM lk_pairs)) g USING (person_id)
		LEFT JOIN ` + l.py + ` gp ON gp.name = g.name
		LEFT JOIN lk_tf tf ON tf.name = g.name`)
}

// u is estimated on every pairing of up to uSampleRecords records with
// uSamplePeople people, both drawn by hash: 500,000 random pairs, nearly
// all of two different people, enough to see a level of u = 1/25,000 (the
// same birth date) 20 times.
const (
	uSampleRecords = 500
	uSamplePeople  = 1000
)

// estimate sets the result's model: Options.Model as given; else u from
// random pairs and, with enough blocked pairs, m and λ by EM.
func (l *linker) estimate() error {
	var people int64
	if err := l.conn.QueryRowContext(l.ctx, `SELECT count(*) FROM `+l.reg).Scan(&people); err != nil {
		return err
	}
	if l.o.Model != nil {
		if err := l.o.Model.Validate(); err != nil {
			return err
		}
		l.res.Model = l.o.Model.ForPeople(people)
		return nil
	}
	start := DefaultModel().ForPeople(people)
	if l.o.Fallback != nil {
		if err := l.o.Fallback.Validate(); err != nil {
			return fmt.Errorf("fallback: %w", err)
		}
		start = l.o.Fallback.ForPeople(people)
		if l.res.Pairs < l.o.MinPairs {
			l.res.Model = start
			return nil
		}
	}
	if l.res.Records == 0 {
		l.res.Model = start
		return nil
	}
	// u: every pairing of a deterministic sample of records with one of
	// people (hash order, so the same store gives the same model), made
	// from the two samples alone: pairs joined back to a registry of a
	// million people cost three times as much.
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lk_usample AS
		SELECT * FROM `+l.reg+` WHERE person_id IN (SELECT person_id FROM `+l.reg+` ORDER BY hash(person_id), person_id LIMIT %d)`, uSamplePeople)); err != nil {
		return err
	}
	if err := l.pinyinFor(`SELECT DISTINCT name FROM lk_usample WHERE name IS NOT NULL`); err != nil {
		return err
	}
	if err := l.exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE lk_ucmp AS SELECT `+levels+`
		FROM (SELECT * FROM lk_rec ORDER BY hash(rec_id), rec_id LIMIT %d) r
		CROSS JOIN lk_usample g LEFT JOIN `+l.py+` gp ON gp.name = g.name`, uSampleRecords)); err != nil {
		return err
	}
	var u [numComparisons][]float64
	for c := range numComparisons {
		counts := make([]float64, len(Comparisons[c].Levels))
		col := "c_" + Comparisons[c].Code
		rows, err := l.conn.QueryContext(l.ctx, `SELECT `+col+`, count(*) FROM lk_ucmp WHERE `+col+` IS NOT NULL GROUP BY ALL`)
		if err != nil {
			return err
		}
		var total float64
		for rows.Next() {
			var lv int
			var n float64
			if err := rows.Scan(&lv, &n); err != nil {
				rows.Close()
				return err
			}
			counts[lv] += n
			total += n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if total < 100 {
			u[c] = start.U[c] // too few comparable random pairs: keep the default
			continue
		}
		u[c] = make([]float64, len(counts))
		for lv, n := range counts {
			// Half a pair for a level never seen keeps u above zero.
			u[c][lv] = clampP((n + 0.5) / (total + 0.5*float64(len(counts))))
		}
	}
	start.U = u
	start.Source = "estimated"
	if l.res.Pairs < l.o.MinPairs {
		start.Source = "default m, estimated u"
		l.res.Model = start
		return nil
	}
	patterns, err := l.patterns()
	if err != nil {
		return err
	}
	l.res.Model = Estimate(patterns, start, l.res.Records, people)
	return nil
}

func (l *linker) patterns() ([]Pattern, error) {
	rows, err := l.conn.QueryContext(l.ctx, `SELECT c_name, c_birth, c_id, c_gender, c_household, count(*) FROM lk_cmp GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pattern
	for rows.Next() {
		var c [numComparisons]sql.NullInt16
		var p Pattern
		if err := rows.Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &p.N); err != nil {
			return nil, err
		}
		for i := range c {
			p.Levels[i] = Null
			if c[i].Valid {
				p.Levels[i] = int8(c[i].Int16)
			}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// weightSQL is the model's match weight of an lk_cmp row, in SQL.
func weightSQL(m *Model) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 17, 64) }
	var b strings.Builder
	b.WriteString(f(m.PriorBits()))
	for c := range numComparisons {
		col := "c_" + Comparisons[c].Code
		b.WriteString(" + CASE " + col)
		for lv := range Comparisons[c].Levels {
			w := math.Log2(clampP(m.M[c][lv]) / clampP(m.U[c][lv]))
			if c == CmpName && lv == NameExact {
				b.WriteString(fmt.Sprintf(" WHEN %d THEN CASE WHEN name_freq > 0 THEN log2(%s / least(greatest(name_freq, %s), %s)) ELSE %s END",
					lv, f(clampP(m.M[c][lv])), f(pMin), f(pMax), f(w)))
				continue
			}
			b.WriteString(fmt.Sprintf(" WHEN %d THEN %s", lv, f(w)))
		}
		b.WriteString(" ELSE 0 END")
	}
	return b.String()
}

// score weighs every pair and decides each record from its best
// candidates.
func (l *linker) score() error {
	m := &l.res.Model
	rows, err := l.conn.QueryContext(l.ctx, `SELECT r.rec_id, s.person_id, s.c_name, s.c_birth, s.c_id, s.c_gender, s.c_household, s.name_freq, s.bits
		FROM lk_rec r LEFT JOIN (
			SELECT *, row_number() OVER (PARTITION BY rec_id ORDER BY bits DESC, person_id) AS rk
			FROM (SELECT *, `+weightSQL(m)+` AS bits FROM lk_cmp)
		) s ON s.rec_id = r.rec_id AND s.rk <= `+strconv.Itoa(l.o.Keep)+`
		ORDER BY r.rec_id, s.rk`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *Decision
	for rows.Next() {
		var rec string
		var pid sql.NullString
		var c [numComparisons]sql.NullInt16
		var freq, bits sql.NullFloat64
		if err := rows.Scan(&rec, &pid, &c[0], &c[1], &c[2], &c[3], &c[4], &freq, &bits); err != nil {
			return err
		}
		if cur == nil || cur.RecID != rec {
			l.res.Decisions = append(l.res.Decisions, Decision{RecID: rec})
			cur = &l.res.Decisions[len(l.res.Decisions)-1]
		}
		if !pid.Valid {
			continue
		}
		cand := Candidate{PersonID: pid.String, Bits: bits.Float64, Probability: Probability(bits.Float64)}
		for i := range c {
			cand.Vector.Levels[i] = Null
			if c[i].Valid {
				cand.Vector.Levels[i] = int8(c[i].Int16)
			}
		}
		if freq.Valid {
			cand.Vector.NameFreq = freq.Float64
		}
		cur.Candidates = append(cur.Candidates, cand)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range l.res.Decisions {
		decide(&l.res.Decisions[i], l.o.Thresholds)
	}
	return nil
}

// decide sets d's band from its candidates (best first).
func decide(d *Decision, t Thresholds) {
	sort.SliceStable(d.Candidates, func(i, j int) bool { return d.Candidates[i].Bits > d.Candidates[j].Bits })
	switch {
	case len(d.Candidates) == 0:
		d.Band, d.Why = None, "no candidate"
	case d.Candidates[0].Probability < t.Review:
		d.Band, d.Why = None, "below the review threshold"
	case d.Candidates[0].Probability < t.Auto:
		d.Band, d.Why = Review, "below the auto threshold"
	case len(d.Candidates) > 1 && d.Candidates[0].Bits-d.Candidates[1].Bits < t.Margin:
		d.Band, d.Why = Review, fmt.Sprintf("a second candidate within %.1f bits", d.Candidates[0].Bits-d.Candidates[1].Bits)
	default:
		d.Band, d.Why = Auto, ""
	}
}

// pinyinFor makes sure the pinyin table holds every name q returns,
// computing the missing ones.
func (l *linker) pinyinFor(q string) error {
	if l.py == "" {
		l.py = l.o.PinyinTable
		if l.py == "" {
			l.py = "lk_pinyin"
			if err := l.exec(`CREATE OR REPLACE TEMP TABLE lk_pinyin (name VARCHAR, pinyin VARCHAR)`); err != nil {
				return err
			}
		} else if err := l.exec(`CREATE TABLE IF NOT EXISTS ` + l.py + ` (name VARCHAR, pinyin VARCHAR)`); err != nil {
			return err
		}
	}
	missing, err := l.strings(`SELECT name FROM (` + q + `) q(name) WHERE name NOT IN (SELECT name FROM ` + l.py + `)`)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(missing))
	for _, n := range missing {
		rows = append(rows, []any{n, Pinyin(n)})
	}
	return l.insert(l.py, rows)
}

// insert writes rows into table with Options.Append, or INSERTs.
func (l *linker) insert(table string, rows [][]any) error {
	if l.o.Append != nil {
		return l.o.Append(l.ctx, table, rows)
	}
	return sqlrows.Insert(l.ctx, l.conn, table, rows)
}

func (l *linker) strings(q string) ([]string, error) {
	rows, err := l.conn.QueryContext(l.ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
