package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/link"
)

// Identity resolution (身份识别) in the store: which rows need it, the
// pass that links them (engine/link) and applies the links, and the
// analysts' decisions on the review queue. Migration 0023 explains the
// tables.

// LinkSource is the ledger source of identity resolution's changes to
// dataset rows (origin OriginLink).
const LinkSource = "link"

// Link statuses (links.status).
const (
	LinkLinked    = "linked"    // auto-linked: applied
	LinkPending   = "pending"   // in the review queue
	LinkUnmatched = "unmatched" // no candidate good enough
	LinkConfirmed = "confirmed" // an analyst linked it: applied
	LinkRejected  = "rejected"  // an analyst refuted it: names nobody
)

// LinkOptions are one identity-resolution pass's settings.
type LinkOptions struct {
	Thresholds link.Thresholds
	// Now stamps the links; zero: the wall clock.
	Now time.Time
	// RefutationExpires: a link an analyst rejected longer ago than this
	// is linked again and waits for review whatever the linker finds (a
	// person renews the refutation or confirms a match). 0: never.
	RefutationExpires time.Duration
}

// LinkPass is what one pass did.
type LinkPass struct {
	// Records is the rows linked in this pass: rows never linked before,
	// and the rows waiting for review or unmatched that share a blocking
	// value with a registry person new or changed since the last pass
	// (Rechecked of them).
	Records   int64
	Rechecked int64
	// The outcomes of the pass's records.
	Auto, Review, None int
	// NoRegistry: the store holds no registry person, so the pass linked
	// nothing and read nothing (a first night whose registry failed).
	NoRegistry bool
	// Disowned is the rows carrying a registry person's ID under another
	// name that the linker did not link back to that person: they name
	// nobody ("?" and the ID) until an analyst confirms one.
	Disowned int64
	// Renewed is the rows whose rejection expired (LinkOptions.
	// RefutationExpires): linked again, each waits for review or, with
	// no candidate, stays unmatched.
	Renewed int64
	// Applied is the dataset rows whose id_number this pass changed;
	// Unlinked of them are rows linked automatically before that a
	// registry change made doubtful (their person gone or changed, or
	// another as likely): they name nobody again (the ID as sent) and
	// wait for review or stay unmatched.
	Applied, Unlinked int64
	// People is what the pass's refresh of link_people (the registry with
	// its blocking keys) did; nil when the pass stopped before it.
	People *LinkPeopleRefresh
	// ByDataset counts the outcomes per dataset: [auto, review, none].
	ByDataset map[string][3]int
	Pairs     int64
	// PairsByRule is the pairs each blocking rule found (a pair found by
	// several counts in each).
	PairsByRule map[string]int64
	Model       link.Model
	ModelID     int64 // 0 when the pass had no records
	Stages      map[string]time.Duration
}

// linkable is a dataset whose rows the linker reads, with the person
// fields its table has.
type linkable struct {
	name                     string
	gender, birth, household bool
}

// linkables lists the datasets with an id_number and a name column
// (dataset.LinkFields), registry aside: the registry is what rows link to.
func (s *Store) linkables(ctx context.Context, q queryer) ([]linkable, error) {
	rows, err := q.QueryContext(ctx, `SELECT table_name, list(column_name) FROM information_schema.columns
		WHERE table_schema = 'main' AND table_catalog = current_database() GROUP BY table_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]map[string]bool{}
	for rows.Next() {
		var t string
		var cs []any
		if err := rows.Scan(&t, &cs); err != nil {
			return nil, err
		}
		cols[t] = map[string]bool{}
		for _, c := range cs {
			if s, ok := c.(string); ok {
				cols[t][s] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []linkable
	for _, n := range dataset.Names() {
		c := cols[n]
		if n == "registry" || !c["id_number"] || !c["name"] {
			continue
		}
		out = append(out, linkable{name: n, gender: c["gender"], birth: c["birth_date"], household: c["household_id"]})
	}
	return out, nil
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// selectNew is the SQL of the rows never linked that need linking, from
// every dataset at once (temp table lk_sel: dataset, row_key, owned): rows
// with a name, loaded since the last pass (or, after the first pass,
// carrying the ID of a person who changed or left since: lk_touched), that
// carry an unusable ID ("?…"), an ID of no registry person, or a registry
// person's ID under another name (owned). The datasets' few columns are
// joined with the registry once, not once per dataset: at a million
// people twelve joins with the registry cost 11 s, one 2 s (measured on
// the 1M county, issue 15). reg is link_people (person_id; idname: a hash
// of the ID and the name as written; name: without spaces).
func selectNew(lks []linkable, noTouched bool, withLinks []string, reg string) string {
	touched := " OR hash(d.id_number) IN (SELECT pk FROM lk_touched)"
	if noTouched {
		touched = "" // a first pass (every row is new) or a registry unchanged
	}
	parts := make([]string, len(lks))
	for i, l := range lks {
		// A dataset with no links yet need not look for them (an anti-join
		// of every row's key, 3.5M rows at a million people).
		linked := ""
		if slices.Contains(withLinks, l.name) {
			linked = fmt.Sprintf(" AND d._key NOT IN (SELECT row_key FROM main.links WHERE dataset = '%s')", l.name)
		}
		parts[i] = fmt.Sprintf(`SELECT '%[1]s' AS dataset, d._key, d.id_number, d.name FROM main.%[1]s d
	WHERE d.name <> ''
	  AND (d._load_id > (SELECT max_load_id FROM lk_since)%[2]s)%[3]s`, l.name, touched, linked)
	}
	// First an anti-join on ID and name as written, which drops the rows
	// whose ID is a registry person's under that person's very name (all
	// but a few): cheaper than joining every row with its person (0.39 s
	// against 0.98 s for 3.5M rows); the few left are joined with theirs.
	// A name of spaces alone is dropped after it, on the few rows left
	// (trim over 3.5M names cost 0.1 s).
	// It joins on one 64-bit hash of the two, not on the two strings: 1.29
	// s -> 0.55 s on the first pass of a million people (issue 15). A row
	// whose ID and name collide with a person's (odds of 3.5M x 1M / 2^64,
	// 2e-7, on that pass) would keep its ID as sent, as before linking.
	return `SELECT u.dataset, u._key AS row_key, r.person_id IS NOT NULL AS owned
	FROM (SELECT * FROM (` + strings.Join(parts, "\n\tUNION ALL\n\t") + `) u
	      ANTI JOIN ` + reg + ` r ON r.idname = hash(u.id_number, u.name)) u
	LEFT JOIN ` + reg + ` r ON r.person_id = u.id_number
	WHERE (r.person_id IS NULL OR nullif(regexp_replace(u.name, '\s', '', 'g'), '') IS DISTINCT FROM r.name)
	  AND trim(u.name) <> ''`
}

// input is the SQL of the rows to link from one dataset, as the linker
// reads them: its rows in lk_sel (selectNew); and its rows waiting for
// review, unmatched or linked automatically (never those an analyst
// decided) that share a blocking value with a registry person new or
// changed since the last pass (temp table lk_changed: name, birth key, ID
// tail, 户号), whom they may be — and, for a row linked automatically,
// whose own person changed or left the registry. A linked row is compared
// with its ID as sent (links.raw_id), not the person's it took.
func (l linkable) input(expired string, linked bool) string {
	col := func(ok bool, c, typ string) string {
		if ok {
			return "d." + c
		}
		return "NULL::" + typ
	}
	sent := `CASE WHEN lk.status = 'linked' THEN lk.raw_id ELSE d.id_number END`
	raw := `CASE WHEN ` + sent + ` LIKE '?%%' THEN nullif(regexp_replace(upper(substr(` + sent + `, 2)), '[^0-9X]', '', 'g'), '') ELSE ` + sent + ` END`
	hh, birth := "", ""
	if l.household {
		hh = "d.household_id IN (SELECT household_id FROM lk_changed) OR "
	}
	if l.birth {
		birth = "strftime(d.birth_date, '%%Y%%m%%d') IN (SELECT birth_key FROM lk_changed) OR "
	}
	// Two parts: the rows never linked (lk_sel), and rows with a link
	// that may be looked at again (few), where the re-check's conditions
	// run. Both share one column list; the first joins an empty links.
	cols := `'%[1]s' AS dataset, d._key AS row_key, '%[1]s' || chr(31) || d._key AS rec_id,
		d.name, %[2]s AS gender, %[3]s AS birth_date, ` + raw + ` AS raw_id,
		%[4]s AS household_id, d.id_number AS stored_id, lk.link_id IS NOT NULL AS recheck,
		coalesce(lk.status = 'linked', false) AS was_linked, lk.raw_id AS sent_id,
		coalesce(lk.status = 'rejected', false) AS renew`
	q := `SELECT ` + cols + `, s.owned
	FROM lk_sel s JOIN main.%[1]s d ON d._key = s.row_key
	LEFT JOIN (SELECT * FROM main.links WHERE false) lk ON true
	WHERE s.dataset = '%[1]s'`
	if !linked {
		// No link of this dataset to look at again: the re-check's
		// subqueries would still build their tables (at a million people,
		// on a first pass, 14 s for nothing).
		return fmt.Sprintf(q, l.name, col(l.gender, "gender", "VARCHAR"), col(l.birth, "birth_date", "DATE"), col(l.household, "household_id", "VARCHAR"))
	}
	return fmt.Sprintf(q+`
	UNION ALL
	SELECT `+cols+`, false AS owned
	FROM main.links lk JOIN main.%[1]s d ON d._key = lk.row_key
	LEFT JOIN main.link_people r ON r.person_id = d.id_number
	WHERE lk.dataset = '%[1]s' AND (
	   (lk.status = 'rejected' AND %[7]s)
	   OR (lk.status IN ('pending', 'unmatched', 'linked') AND (
	       (lk.status = 'linked' AND (r.person_id IS NULL OR d.id_number IN (SELECT person_id FROM lk_changed)))
	       OR regexp_replace(d.name, '\s', '', 'g') IN (SELECT name FROM lk_changed)
	       OR %[5]s%[6]ssubstr(`+raw+`, 7, 8) IN (SELECT birth_key FROM lk_changed)
	       OR `+idKeysChanged(raw)+`
	       OR `+raw+` IN (SELECT person_id FROM lk_hhpeople))))`,
		l.name, col(l.gender, "gender", "VARCHAR"), col(l.birth, "birth_date", "DATE"), col(l.household, "household_id", "VARCHAR"), hh, birth, expired)
}

// idKeysChanged is the SQL condition: the ID text raw shares an id_*
// blocking key with a person new or changed since the last pass.
func idKeysChanged(raw string) string {
	conds := make([]string, len(link.IDKeyNames))
	for i, k := range link.IDKeyNames {
		conds[i] = link.IDKey(k, raw) + " IN (SELECT " + k + " FROM lk_changed)"
	}
	return strings.Join(conds, "\n\t       OR ")
}

// Link runs one identity-resolution pass: it links the rows that need it
// (LinkPass.Records) against the registry's current rows, records every
// outcome in links, and sets the id_number of the rows linked
// automatically, each dataset's changes under one ledger row (source
// LinkSource). All of it commits at once or not at all.
func (s *Store) Link(ctx context.Context, o LinkOptions) (*LinkPass, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	if err := o.Thresholds.Validate(); err != nil {
		return nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	defer conn.Close()
	fail := func(err error) (*LinkPass, error) {
		conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, fmt.Errorf("link: %w", err)
	}
	exec := func(q string, args ...any) error {
		_, err := conn.ExecContext(ctx, q, args...)
		return err
	}
	pass := &LinkPass{ByDataset: map[string][3]int{}, Stages: map[string]time.Duration{}}
	t0 := time.Now()
	if err := exec(`BEGIN TRANSACTION`); err != nil {
		return fail(err)
	}
	lks, err := s.linkables(ctx, conn)
	if err != nil {
		return fail(err)
	}
	// newest is the newest load id of a row of the registry or of a
	// dataset the linker reads.
	newest := `SELECT coalesce(max(m), 0) FROM (SELECT max(_load_id) AS m FROM main.registry`
	for _, l := range lks {
		newest += ` UNION ALL SELECT max(_load_id) FROM main.` + quoteIdent(l.name)
	}
	newest += `)`
	// No row loaded since the last pass (its own links included) and no
	// rejection expired: nothing can have changed, and a night with no new
	// data costs a query, not a pass.
	var passes, last, top, regTop, expiring, regRows, regRowsThen int64
	cutoff := time.Time{}
	if o.RefutationExpires > 0 {
		cutoff = now.Add(-o.RefutationExpires)
	}
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM link_state), (SELECT coalesce(max(max_load_id), 0) FROM link_state),
		(`+newest+`), (SELECT count(*) FROM links WHERE status = 'rejected' AND ? AND decided_at < ?),
		(SELECT count(*) FROM main.registry), (SELECT coalesce(max(registry_rows), -1) FROM link_state),
		(SELECT coalesce(max(_load_id), 0) FROM main.registry)`,
		o.RefutationExpires > 0, cutoff).Scan(&passes, &last, &top, &expiring, &regRows, &regRowsThen, &regTop); err != nil {
		return fail(err)
	}
	if passes > 0 && top <= last && expiring == 0 && regRows == regRowsThen {
		if err := exec(`ROLLBACK`); err != nil {
			return nil, fmt.Errorf("link: %w", err)
		}
		pass.Stages["snapshot"] = time.Since(t0)
		return pass, nil
	}
	// regSame: no registry row loaded since the last pass, and none gone:
	// no person is new or changed, so nothing need be found again but
	// rejections expiring, and link_people is as the last pass left it (a
	// night of new department rows: 4.7 s -> 1 s at a million people).
	regSame := passes > 0 && regTop <= last && regRows == regRowsThen
	recheck := !regSame || expiring > 0
	// The rows waiting or unmatched are linked again when a registry
	// person who may be theirs is new or changed since the last pass
	// (link_registry: a hash of each person's compared fields then). The
	// registry with its blocking keys is link_people, brought up to date
	// here (a nightly run did it as soon as the registry loaded, and this
	// finds nothing to do) and read by the linker as it is.
	// fresh: no pass has recorded the registry yet, so every person is
	// new, no row has a link and nothing need be found again.
	var fresh bool
	if err := conn.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM main.link_registry)`).Scan(&fresh); err != nil {
		return fail(err)
	}
	if pass.People, err = refreshLinkPeople(ctx, conn); err != nil {
		return fail(err)
	}
	// changedRel: the people new or changed since the last pass. A
	// semi-join on (pk, h), never a join on pk: two people whose IDs'
	// hashes collide share a pk, and a join would make each of them two
	// candidates (a "second candidate within 0 bits", never linked).
	changedRel := `(SELECT * FROM ` + linkPeopleTable + ` n WHERE NOT EXISTS (
		SELECT 1 FROM main.link_registry o WHERE o.pk = n.pk AND o.h = n.h))`
	if fresh {
		changedRel = linkPeopleTable
	}
	regRel := linkPeopleTable
	withLinks, err := scanStrings(ctx, conn, `SELECT DISTINCT dataset FROM main.links`)
	if err != nil {
		return fail(err)
	}
	// touched: the registry changed since a pass that recorded it, so some
	// people may be new, changed or gone (lk_touched) and link_registry's
	// rows of them are replaced at the end.
	touched := !regSame && (passes > 0 || !fresh)
	if touched {
		// The people new, changed or gone since the last pass.
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_touched AS SELECT pk FROM ` + changedRel + `
			UNION SELECT pk FROM main.link_registry WHERE pk NOT IN (SELECT pk FROM ` + linkPeopleTable + `)`); err != nil {
			return fail(err)
		}
	}
	if recheck && len(withLinks) > 0 {
		// What the re-check of rows with links compares with: the people
		// new or changed (lk_changed) and the people of the households
		// they belong to (lk_hhpeople): a row carrying one of their IDs
		// may be another member's.
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_changed AS SELECT * FROM ` + changedRel); err != nil {
			return fail(err)
		}
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_hhpeople AS SELECT person_id FROM ` + linkPeopleTable + `
			WHERE household_id IN (SELECT household_id FROM lk_changed)`); err != nil {
			return fail(err)
		}
	}
	if err := exec(`CREATE OR REPLACE TEMP TABLE lk_since AS SELECT coalesce(max(max_load_id), 0) AS max_load_id FROM main.link_state`); err != nil {
		return fail(err)
	}

	pass.Stages["snapshot"] = time.Since(t0)
	t0 = time.Now()
	// With no registry there is nobody to link to: every row would come
	// out unmatched and be looked at again, all of them, when it loads.
	var people int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+regRel).Scan(&people); err != nil {
		return fail(err)
	}
	if people == 0 {
		if err := exec(`ROLLBACK`); err != nil {
			return nil, fmt.Errorf("link: %w", err)
		}
		pass.NoRegistry = true
		return pass, nil
	}
	if len(lks) == 0 {
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_input (dataset VARCHAR, row_key VARCHAR, rec_id VARCHAR, name VARCHAR,
			gender VARCHAR, birth_date DATE, raw_id VARCHAR, household_id VARCHAR, stored_id VARCHAR, recheck BOOLEAN,
			was_linked BOOLEAN, sent_id VARCHAR, renew BOOLEAN, owned BOOLEAN)`); err != nil {
			return fail(err)
		}
	} else {
		// Rejections decided before this have expired; "false": never.
		expired := "false"
		if o.RefutationExpires > 0 {
			expired = "lk.decided_at < TIMESTAMP '" + now.Add(-o.RefutationExpires).Format("2006-01-02 15:04:05.999999") + "'"
		}
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_sel AS ` + selectNew(lks, passes == 0 || regSame, withLinks, regRel)); err != nil {
			return fail(err)
		}
		parts := make([]string, len(lks))
		for i, l := range lks {
			parts[i] = "SELECT * FROM (" + l.input(expired, recheck && slices.Contains(withLinks, l.name)) + ")"
		}
		if err := exec(`CREATE OR REPLACE TEMP TABLE lk_input AS ` + strings.Join(parts, "\nUNION ALL\n")); err != nil {
			return fail(err)
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE recheck), count(*) FILTER (WHERE renew) FROM lk_input`).Scan(&pass.Records, &pass.Rechecked, &pass.Renewed); err != nil {
		return fail(err)
	}
	pass.Stages["select"] = time.Since(t0)
	if pass.Records > 0 {
		if err := s.linkRecords(ctx, conn, o, now, pass); err != nil {
			return fail(err)
		}
	}
	// The registry as this pass saw it: only its changes since count next.
	t0 = time.Now()
	if !regSame {
		if touched {
			// Only the rows no person has now: one of two people sharing
			// a pk keeps theirs when the other changes.
			if err := exec(`DELETE FROM link_registry o WHERE o.pk IN (SELECT pk FROM lk_touched)
				AND NOT EXISTS (SELECT 1 FROM ` + linkPeopleTable + ` n WHERE n.pk = o.pk AND n.h = o.h)`); err != nil {
				return fail(err)
			}
		}
		if err := exec(`INSERT INTO link_registry SELECT pk, h FROM ` + changedRel); err != nil {
			return fail(err)
		}
	}
	// Rows loaded up to here have been looked at, the links this pass
	// applied included (their rows have links).
	var maxLoad int64
	if err := conn.QueryRowContext(ctx, `SELECT greatest((SELECT coalesce(max(load_id), 0) FROM main.loads), (`+newest+`))`).Scan(&maxLoad); err != nil {
		return fail(err)
	}
	if err := exec(`DELETE FROM link_state`); err != nil {
		return fail(err)
	}
	if err := exec(`INSERT INTO link_state VALUES (?, (SELECT count(*) FROM main.registry))`, maxLoad); err != nil {
		return fail(err)
	}
	if err := exec(`COMMIT`); err != nil {
		return fail(err)
	}
	pass.Stages["keep"] = time.Since(t0)
	for _, t := range append([]string{"lk_changed", "lk_touched", "lk_hhpeople", "lk_since", "lk_sel", "lk_apply", "lk_input", "lk_dec"}, link.TempTables()...) {
		conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.main.`+t)
	}
	return pass, nil
}

// candidateJSON is one candidate as links.candidates holds it.
type candidateJSON struct {
	PersonID    string  `json:"person_id"`
	Bits        float64 `json:"bits"`
	Probability float64 `json:"probability"`
	Levels      []int8  `json:"levels"`
	NameFreq    float64 `json:"name_freq,omitempty"`
}

func (s *Store) linkRecords(ctx context.Context, conn *sql.Conn, o LinkOptions, now time.Time, pass *LinkPass) error {
	exec := func(q string, args ...any) error {
		_, err := conn.ExecContext(ctx, q, args...)
		return err
	}
	// The last estimated model scores a pass too small to estimate one;
	// with none (a county too small for EM), the model whose u came from
	// the most rows: u re-estimated from a night of 21 rows moved a level's
	// weight by 0.9 bits and sent rows a first night linked to review.
	var fallback *link.Model
	var last sql.NullString
	if err := conn.QueryRowContext(ctx, `SELECT any_value(model ORDER BY source = 'estimated' DESC, CASE WHEN source = 'estimated' THEN model_id ELSE records END DESC, model_id DESC)
		FROM link_models WHERE source IN ('estimated', 'default m, estimated u')`).Scan(&last); err != nil {
		return err
	}
	if last.Valid {
		var m link.Model
		if err := json.Unmarshal([]byte(last.String), &m); err != nil {
			return fmt.Errorf("last link model: %w", err)
		}
		fallback = &m
	}
	res, err := link.Run(ctx, conn, link.Options{
		Records:       `SELECT rec_id, name, gender, birth_date, raw_id, household_id FROM lk_input`,
		RegistryTable: linkPeopleTable,
		Thresholds:    o.Thresholds,
		Fallback:      fallback,
		PinyinTable:   "main.link_pinyin",
		Append: func(ctx context.Context, table string, rows [][]any) error {
			return appendRows(ctx, conn, table, rows)
		},
	})
	if err != nil {
		return err
	}
	for k, v := range res.Stages {
		pass.Stages[k] = v
	}
	pass.Pairs, pass.PairsByRule, pass.Model = res.Pairs, res.ByRule, res.Model
	t := time.Now()
	mj, err := json.Marshal(res.Model)
	if err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(model_id), 0) + 1 FROM link_models`).Scan(&pass.ModelID); err != nil {
		return err
	}
	if err := exec(`INSERT INTO link_models VALUES (?, ?, ?, ?, ?, ?, ?)`, pass.ModelID, now, res.Model.Source, res.Model.People,
		res.Records, res.Pairs, string(mj)); err != nil {
		return err
	}
	// The decisions, as a temp table joined to the input.
	if err := exec(`CREATE OR REPLACE TEMP TABLE lk_dec (rec_id VARCHAR, band VARCHAR, person_id VARCHAR, probability DOUBLE,
		bits DOUBLE, why VARCHAR, candidates VARCHAR)`); err != nil {
		return err
	}
	rows := make([][]any, 0, len(res.Decisions))
	for _, d := range res.Decisions {
		cands := make([]candidateJSON, len(d.Candidates))
		for i, c := range d.Candidates {
			cands[i] = candidateJSON{PersonID: c.PersonID, Bits: c.Bits, Probability: c.Probability,
				Levels: c.Vector.Levels[:], NameFreq: c.Vector.NameFreq}
		}
		cj, err := json.Marshal(cands)
		if err != nil {
			return err
		}
		var pid, prob, bits any
		if len(d.Candidates) > 0 {
			pid, prob, bits = d.Candidates[0].PersonID, d.Candidates[0].Probability, d.Candidates[0].Bits
		}
		rows = append(rows, []any{d.RecID, string(d.Band), pid, prob, bits, d.Why, string(cj)})
		switch d.Band {
		case link.Auto:
			pass.Auto++
		case link.Review:
			pass.Review++
		default:
			pass.None++
		}
	}
	if err := appendRows(ctx, conn, "lk_dec", rows); err != nil {
		return err
	}
	if pass.Renewed > 0 {
		// A rejection that expired is renewed by a person, never by the
		// linker: the row waits for review whatever its best candidate.
		var renewedAuto int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM lk_dec d JOIN lk_input i USING (rec_id)
			WHERE i.renew AND d.band = 'auto'`).Scan(&renewedAuto); err != nil {
			return err
		}
		if err := exec(`UPDATE lk_dec SET band = CASE WHEN band = 'none' THEN 'none' ELSE 'review' END,
				why = 'an analyst''s rejection expired (link.refutation_expires): a person renews it or confirms a match (否决已过期，须重新确认或否决); the linker: ' || why
			FROM lk_input i WHERE i.rec_id = lk_dec.rec_id AND i.renew`); err != nil {
			return err
		}
		pass.Auto -= renewedAuto
		pass.Review += renewedAuto
	}
	byDS, err := conn.QueryContext(ctx, `SELECT i.dataset, count(*) FILTER (WHERE d.band = 'auto'), count(*) FILTER (WHERE d.band = 'review'),
		count(*) FILTER (WHERE d.band = 'none') FROM lk_input i JOIN lk_dec d USING (rec_id) GROUP BY ALL`)
	if err != nil {
		return err
	}
	for byDS.Next() {
		var ds string
		var c [3]int
		if err := byDS.Scan(&ds, &c[0], &c[1], &c[2]); err != nil {
			byDS.Close()
			return err
		}
		pass.ByDataset[ds] = c
	}
	byDS.Close()
	if err := byDS.Err(); err != nil {
		return err
	}
	status := `CASE d.band WHEN 'auto' THEN 'linked' WHEN 'review' THEN 'pending' ELSE 'unmatched' END`
	// Rows linked again keep their link_id and first time.
	// A renewed rejection leaves the decided ones: its decider and time
	// stay in the audit log (link_reject).
	if err := exec(`UPDATE links SET band = d.band, status = `+status+`, person_id = d.person_id, probability = d.probability,
			bits = d.bits, why = d.why, candidates = d.candidates, model_id = ?, updated_at = ?,
			decided_by = CASE WHEN i.renew THEN NULL ELSE links.decided_by END,
			decided_at = CASE WHEN i.renew THEN NULL ELSE links.decided_at END
		FROM lk_input i JOIN lk_dec d USING (rec_id)
		WHERE i.recheck AND links.dataset = i.dataset AND links.row_key = i.row_key`, pass.ModelID, now); err != nil {
		return err
	}
	if err := exec(`INSERT INTO links (link_id, dataset, row_key, raw_id, band, status, person_id, probability, bits, why,
			candidates, model_id, created_at, updated_at)
		SELECT nextval('link_id_seq'), i.dataset, i.row_key, i.stored_id, d.band, `+status+`, d.person_id, d.probability,
			d.bits, d.why, d.candidates, ?, ?, ?
		FROM lk_input i JOIN lk_dec d USING (rec_id) WHERE NOT i.recheck ORDER BY i.dataset, i.row_key`, pass.ModelID, now, now); err != nil {
		return err
	}
	// Apply the automatic links: the row names its person from now on. A
	// row linked before that is no longer linked automatically takes its
	// ID as sent again.
	if err := exec(`CREATE OR REPLACE TEMP TABLE lk_apply AS SELECT i.dataset, i.row_key, d.person_id, false AS unlink
		FROM lk_input i JOIN lk_dec d USING (rec_id) WHERE d.band = 'auto' AND d.person_id IS DISTINCT FROM i.stored_id
		UNION ALL SELECT i.dataset, i.row_key, i.sent_id, true
		FROM lk_input i JOIN lk_dec d USING (rec_id) WHERE i.was_linked AND d.band <> 'auto' AND i.sent_id IS DISTINCT FROM i.stored_id
		UNION ALL SELECT i.dataset, i.row_key, '` + dataset.UnresolvedPrefix + `' || i.stored_id, false
		FROM lk_input i JOIN lk_dec d USING (rec_id) WHERE i.owned AND d.band <> 'auto'`); err != nil {
		return err
	}
	// A row whose name is not its ID's person's, and which the linker does
	// not give back to that person, names nobody until an analyst decides:
	// the property of 张庆伟 written under a 低保 recipient's ID must not
	// count as the recipient's (never a guess). Its link keeps the ID as
	// sent (raw_id), which a confirmation can give back.
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM lk_apply a JOIN lk_input i USING (dataset, row_key) WHERE i.owned AND starts_with(a.person_id, '`+dataset.UnresolvedPrefix+`')`).Scan(&pass.Disowned); err != nil {
		return err
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE unlink) FROM lk_apply`).Scan(&pass.Unlinked); err != nil {
		return err
	}
	n, err := s.applyLinks(ctx, conn, now)
	if err != nil {
		return err
	}
	pass.Applied = n
	pass.Stages["record"] = time.Since(t)
	return nil
}

// applyLinks sets, for every row of temp table lk_apply (dataset, row_key,
// person_id: the id_number the row takes), the dataset row's id_number,
// each dataset's rows under a new ledger row, and notes that ledger row on
// the links. It returns the rows changed.
func (s *Store) applyLinks(ctx context.Context, conn *sql.Conn, now time.Time) (int64, error) {
	datasets, err := scanStrings(ctx, conn, `SELECT DISTINCT dataset FROM lk_apply ORDER BY dataset`)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, ds := range datasets {
		if _, ok := dataset.Lookup(ds); !ok {
			return 0, fmt.Errorf("links name dataset %q, which this lipwatch does not know", ds)
		}
		var id int64
		if err := conn.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&id); err != nil {
			return 0, err
		}
		// The rows are deleted and inserted again, not updated: DuckDB
		// rewrote every row group an UPDATE touched at the commit, and 11k
		// rows scattered over the 952k of medical touch all of them (0.33 s
		// against 0.08 s; a first pass at a million people spent 0.9 s
		// committing, issue 15). Nothing reads the rows' physical order.
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE lk_moved AS SELECT d.* REPLACE (a.person_id AS id_number, ?::BIGINT AS _load_id)
			FROM main.`+quoteIdent(ds)+` d JOIN lk_apply a ON a.dataset = ? AND d._key = a.row_key`, id, ds); err != nil {
			return 0, err
		}
		if _, err := conn.ExecContext(ctx, `DELETE FROM main.`+quoteIdent(ds)+` WHERE _key IN (SELECT _key FROM lk_moved)`); err != nil {
			return 0, err
		}
		r, err := conn.ExecContext(ctx, `INSERT INTO main.`+quoteIdent(ds)+` SELECT * FROM lk_moved`)
		if err != nil {
			return 0, err
		}
		n, _ := r.RowsAffected()
		if err := insertLoad(ctx, func(ctx context.Context, q string, args ...any) (int64, error) {
			r, err := conn.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			return r.RowsAffected()
		}, Load{ID: id, SyncID: id, Source: LinkSource, Dataset: ds, Stream: "identity resolution (身份识别)",
			Read: n, Loaded: n, Started: now, Finished: now, Status: StatusOK, Origin: OriginLink}); err != nil {
			return 0, err
		}
		if _, err := conn.ExecContext(ctx, `UPDATE links SET applied_load = ? FROM lk_apply a
			WHERE a.dataset = ? AND links.dataset = a.dataset AND links.row_key = a.row_key`, id, ds); err != nil {
			return 0, err
		}
		total += n
	}
	// lk_moved holds whole rows of people: it does not outlive the pass
	// on the pooled connection.
	if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS temp.main.lk_moved`); err != nil {
		return 0, err
	}
	return total, nil
}

func scanStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

// ErrNoLink reports a link that does not exist.
var ErrNoLink = errors.New("no such link")
