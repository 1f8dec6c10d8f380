package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/link"
)

// The clerical review of links: what an analyst sees of a link, and the
// decisions (confirm, reject) that change a row's person.

// LinkRow is one link with the department row it is about and its
// candidates, for `lipwatch links` and the review page.
type LinkRow struct {
	ID          int64
	Dataset     string
	RowKey      string
	RawID       string // id_number as the department sent it ("?…" when unusable)
	CurrentID   string // id_number the row names now
	Band        string // the linker's outcome: auto, review, none
	Status      string // LinkLinked …
	PersonID    string // linked or confirmed: the person; else the best candidate ("" when none)
	Probability float64
	Bits        float64
	Why         string
	ModelID     int64
	DecidedBy   string
	DecidedAt   time.Time
	Note        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// The row as loaded: where it came from and the person fields it has.
	Source, Stream string
	Position       int64
	Name, Gender   string
	BirthDate      time.Time
	HouseholdID    string
	Candidates     []LinkCandidate // best first
}

// LinkCandidate is one registry person a link weighed, with the fields
// compared.
type LinkCandidate struct {
	PersonID     string
	Bits         float64
	Probability  float64
	Vector       link.Vector
	Name, Gender string
	BirthDate    time.Time
	HouseholdID  string
	TownshipCode string
	VillageCode  string
	Status       string // registry status: active, deceased, cancelled
}

// LinkFilter selects links; zero fields select everything.
type LinkFilter struct {
	IDs      []int64
	Statuses []string
	Dataset  string
	// PersonID selects the links whose row names, or whose candidates
	// include, this person.
	PersonID string
	Limit    int
	// Bare leaves out the department row and the candidates' registry
	// rows (LinkRow's fields from Source on, and LinkCandidate's from Name
	// on): a listing of many links reads only the links table.
	Bare bool
}

// Links returns the links f selects, ordered by id, with their rows and
// candidates.
func (s *Store) Links(ctx context.Context, f LinkFilter) ([]LinkRow, error) {
	var where []string
	var args []any
	if len(f.IDs) > 0 {
		where = append(where, `l.link_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")+`)`)
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if len(f.Statuses) > 0 {
		where = append(where, `l.status IN (`+strings.TrimSuffix(strings.Repeat("?,", len(f.Statuses)), ",")+`)`)
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.Dataset != "" {
		where = append(where, `l.dataset = ?`)
		args = append(args, f.Dataset)
	}
	if f.PersonID != "" {
		where = append(where, `(l.person_id = ? OR l.raw_id = ? OR l.candidates LIKE ?)`)
		args = append(args, f.PersonID, f.PersonID, `%"`+f.PersonID+`"%`)
	}
	q := `SELECT link_id, dataset, row_key, raw_id, band, status, coalesce(person_id, ''), coalesce(probability, 0),
		coalesce(bits, 0), coalesce(why, ''), candidates, coalesce(model_id, 0), coalesce(decided_by, ''), decided_at,
		coalesce(note, ''), created_at, updated_at FROM links l`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY link_id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	var out []LinkRow
	for rows.Next() {
		var r LinkRow
		var cands string
		var decided sql.NullTime
		if err := rows.Scan(&r.ID, &r.Dataset, &r.RowKey, &r.RawID, &r.Band, &r.Status, &r.PersonID, &r.Probability, &r.Bits,
			&r.Why, &cands, &r.ModelID, &r.DecidedBy, &decided, &r.Note, &r.CreatedAt, &r.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("links: %w", err)
		}
		r.DecidedAt = decided.Time
		var cj []candidateJSON
		if err := json.Unmarshal([]byte(cands), &cj); err != nil {
			rows.Close()
			return nil, fmt.Errorf("links: link %d: candidates: %w", r.ID, err)
		}
		for _, c := range cj {
			lc := LinkCandidate{PersonID: c.PersonID, Bits: c.Bits, Probability: c.Probability}
			copy(lc.Vector.Levels[:], c.Levels)
			lc.Vector.NameFreq = c.NameFreq
			r.Candidates = append(r.Candidates, lc)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	if f.Bare || len(out) == 0 {
		return out, nil
	}
	lks, err := s.linkables(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	for i := range out {
		if err := s.linkDetails(ctx, lks, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// linkDetails reads a link's dataset row and its candidates' registry rows;
// lks are the linkable datasets.
func (s *Store) linkDetails(ctx context.Context, lks []linkable, r *LinkRow) error {
	var lk *linkable
	for i := range lks {
		if lks[i].name == r.Dataset {
			lk = &lks[i]
		}
	}
	if lk == nil {
		return fmt.Errorf("links: link %d names dataset %q, which has no linkable rows", r.ID, r.Dataset)
	}
	col := func(ok bool, c, typ string) string {
		if ok {
			return c
		}
		return "NULL::" + typ
	}
	var gender, hh sql.NullString
	var birth sql.NullTime
	var name sql.NullString
	err := s.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT id_number, _source, _stream, _position, name, %s, %s, %s FROM main.%s WHERE _key = ?`,
		col(lk.gender, "gender", "VARCHAR"), col(lk.birth, "birth_date", "DATE"), col(lk.household, "household_id", "VARCHAR"), quoteIdent(r.Dataset)),
		r.RowKey).Scan(&r.CurrentID, &r.Source, &r.Stream, &r.Position, &name, &gender, &birth, &hh)
	if errors.Is(err, sql.ErrNoRows) {
		r.CurrentID = "" // the row is gone (pruned or replaced): the link stays as history
	} else if err != nil {
		return fmt.Errorf("links: link %d: %w", r.ID, err)
	}
	r.Name, r.Gender, r.BirthDate, r.HouseholdID = name.String, gender.String, birth.Time, hh.String
	for i := range r.Candidates {
		c := &r.Candidates[i]
		var g, v, st sql.NullString
		var b sql.NullTime
		err := s.db.QueryRowContext(ctx, `SELECT name, gender, birth_date, household_id, township_code, village_code, status
			FROM registry_current WHERE id_number = ?`, c.PersonID).Scan(&c.Name, &g, &b, &c.HouseholdID, &c.TownshipCode, &v, &st)
		if errors.Is(err, sql.ErrNoRows) {
			continue // no longer in the registry
		}
		if err != nil {
			return fmt.Errorf("links: link %d: candidate: %w", r.ID, err)
		}
		c.Gender, c.BirthDate, c.VillageCode, c.Status = g.String, b.Time, v.String, st.String
	}
	return nil
}

// LinkModel returns a model the links name.
func (s *Store) LinkModel(ctx context.Context, id int64) (link.Model, error) {
	var j string
	err := s.db.QueryRowContext(ctx, `SELECT model FROM link_models WHERE model_id = ?`, id).Scan(&j)
	if errors.Is(err, sql.ErrNoRows) {
		return link.Model{}, fmt.Errorf("link model %d: %w", id, ErrNoLink)
	}
	if err != nil {
		return link.Model{}, fmt.Errorf("link model %d: %w", id, err)
	}
	var m link.Model
	if err := json.Unmarshal([]byte(j), &m); err != nil {
		return link.Model{}, fmt.Errorf("link model %d: %w", id, err)
	}
	return m, nil
}

// LinkCounts counts links per dataset and status.
func (s *Store) LinkCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT dataset, status, count(*) FROM links GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var ds, st string
		var n int
		if err := rows.Scan(&ds, &st, &n); err != nil {
			return nil, fmt.Errorf("links: %w", err)
		}
		if out[ds] == nil {
			out[ds] = map[string]int{}
		}
		out[ds][st] = n
	}
	return out, rows.Err()
}

// ErrLinkDecision reports a decision that cannot be made: an unknown
// person, or a link already decided so.
var ErrLinkDecision = errors.New("link decision")

// ConfirmLink records that an analyst (actor) links link id's row to
// person (a registry person; usually one of the candidates) and applies it:
// the row names person from now on. note says why, for the audit log.
func (s *Store) ConfirmLink(ctx context.Context, id int64, person, actor, note string) error {
	return s.decideLink(ctx, id, person, actor, note)
}

// RejectLink records that an analyst refuted link id: the row names nobody
// (its ID as sent) and is not proposed again.
func (s *Store) RejectLink(ctx context.Context, id int64, actor, note string) error {
	return s.decideLink(ctx, id, "", actor, note)
}

func (s *Store) decideLink(ctx context.Context, id int64, person, actor, note string) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("link %d: %w", id, err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) error {
		_, err := conn.ExecContext(ctx, q, args...)
		return err
	}
	if err := exec(`BEGIN TRANSACTION`); err != nil {
		return fmt.Errorf("link %d: %w", id, err)
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	var ds, key, raw, status string
	var cur sql.NullString
	err = conn.QueryRowContext(ctx, `SELECT dataset, row_key, raw_id, status, person_id FROM links WHERE link_id = ?`, id).Scan(&ds, &key, &raw, &status, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("link %d: %w", id, ErrNoLink)
	}
	if err != nil {
		return fmt.Errorf("link %d: %w", id, err)
	}
	action, newStatus, target := "link_confirm", LinkConfirmed, person
	if person == "" {
		action, newStatus, target = "link_reject", LinkRejected, raw
		// A row sent with a registry person's ID under another name: the
		// analyst says it is none of the candidates (that person among
		// them), so it names nobody rather than the ID's owner.
		if !dataset.IsUnresolved(raw) {
			var n int
			if err = conn.QueryRowContext(ctx, `SELECT count(*) FROM registry_current WHERE id_number = ?`, raw).Scan(&n); err != nil {
				return fmt.Errorf("link %d: %w", id, err)
			}
			if n > 0 {
				target = dataset.UnresolvedPrefix + raw
			}
		}
	} else {
		var n int
		if err = conn.QueryRowContext(ctx, `SELECT count(*) FROM registry_current WHERE id_number = ?`, person).Scan(&n); err != nil {
			return fmt.Errorf("link %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: link %d: no registry person has that ID number", ErrLinkDecision, id)
		}
	}
	if status == newStatus && (person == "" || cur.String == person) {
		return fmt.Errorf("%w: link %d is already %s", ErrLinkDecision, id, status)
	}
	now := time.Now().UTC()
	if err = exec(`UPDATE links SET status = ?, person_id = CASE WHEN ? = '' THEN person_id ELSE ? END, decided_by = ?, decided_at = ?,
		note = ?, updated_at = ? WHERE link_id = ?`, newStatus, person, person, actor, now, note, now, id); err != nil {
		return fmt.Errorf("link %d: %w", id, err)
	}
	// The row names target from now on, under a ledger row of its own.
	var rowID string
	err = conn.QueryRowContext(ctx, `SELECT id_number FROM main.`+quoteIdent(ds)+` WHERE _key = ?`, key).Scan(&rowID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = nil // the row is gone: the decision stays, for when it comes back
	case err != nil:
		return fmt.Errorf("link %d: %w", id, err)
	case rowID != target:
		if err = exec(`CREATE OR REPLACE TEMP TABLE lk_apply AS SELECT ?::VARCHAR AS dataset, ?::VARCHAR AS row_key, ?::VARCHAR AS person_id`, ds, key, target); err != nil {
			return fmt.Errorf("link %d: %w", id, err)
		}
		if _, err = s.applyLinks(ctx, conn, now); err != nil {
			return fmt.Errorf("link %d: %w", id, err)
		}
		exec(`DROP TABLE IF EXISTS temp.main.lk_apply`)
	}
	// The audit row names the link, never the person: the log keeps no
	// ID numbers.
	if err = audit(ctx, conn, actor, action, fmt.Sprintf("link %d", id), map[string]any{"dataset": ds, "was": status, "note": note}); err != nil {
		return err
	}
	if err = exec(`COMMIT`); err != nil {
		return fmt.Errorf("link %d: %w", id, err)
	}
	return nil
}
