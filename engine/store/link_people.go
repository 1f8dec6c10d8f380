package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/lipwatch/lipwatch/engine/link"
)

// link_people is the registry's current people as the identity-resolution
// pass reads them: one row per person (registryCurrent) with the name
// normalized and every blocking key the linker needs
// (link.RegistrySelect), plus
//
//	pk       UBIGINT  hash(ID number)
//	h        UBIGINT  hash of the fields compared (ID, name without spaces,
//	                  gender, birth date, 户号): a person whose h changed
//	                  is a person changed
//	idname   UBIGINT  hash(ID number, name as written): selectNew's
//	                  anti-join of rows that name their own person
//
// It is a cache of the registry, brought up to date by RefreshLinkPeople
// when the registry changed (its newest load or its row count, kept in
// link_people_state, migration 0026) and only for the people whose (pk, h,
// idname) is new: at a million people, computing the keys of everyone cost 1.5–2 s
// of each first pass, and a night with 1% of the registry new computed
// them all again. The table's definition is the SQL below; a store made
// by another version of it (link_people_state.version differs) is built
// again whole.
const linkPeopleTable = "main.link_people"

// linkPeopleFrom is the SQL of link_people's rows from people, a relation
// with the registry's columns (id_number, name, gender, birth_date,
// household_id) and pk, h and idname (registryHashed).
func linkPeopleFrom(people string) string {
	return link.RegistrySelect(`SELECT id_number AS person_id, name, gender, birth_date, household_id,
		pk, h, idname FROM ` + people)
}

// registryHashed is the registry's current people with pk, h and idname.
var registryHashed = `(SELECT id_number, name, gender, birth_date, household_id, hash(id_number) AS pk,
	hash(id_number, replace(replace(name, ' ', ''), chr(12288), ''), gender, birth_date, household_id) AS h,
	hash(id_number, name) AS idname
	FROM ` + registryCurrent + `)`

// linkPeopleVersion identifies link_people's definition: a change of the
// linker's keys changes it, and the table is built again.
var linkPeopleVersion = func() int64 {
	f := fnv.New64a()
	f.Write([]byte(linkPeopleFrom(registryHashed)))
	return int64(f.Sum64() >> 1)
}()

// LinkPeopleRefresh says what RefreshLinkPeople did.
type LinkPeopleRefresh struct {
	// Current: link_people was already the registry's; nothing was done.
	Current bool
	// Rebuilt: the table was made whole (a first time, or another
	// version's table).
	Rebuilt bool
	// Added and Removed are the people (rows) written and deleted.
	Added, Removed int64
	Elapsed        time.Duration
}

// RefreshLinkPeople brings link_people up to date with the registry in a
// transaction of its own. The nightly run calls it as soon as the
// registry has loaded, while the other sources load; Link calls it too
// (inside its pass) and finds nothing to do. Safe to call at any time: a
// registry load after it only makes the table stale again, and the next
// call or pass sees that.
func (s *Store) RefreshLinkPeople(ctx context.Context) (*LinkPeopleRefresh, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("refresh link_people: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return nil, fmt.Errorf("refresh link_people: %w", err)
	}
	r, err := refreshLinkPeople(ctx, conn)
	if err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, fmt.Errorf("refresh link_people: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, fmt.Errorf("refresh link_people: %w", err)
	}
	return r, nil
}

// refreshLinkPeople is RefreshLinkPeople on conn, inside the caller's
// transaction.
func refreshLinkPeople(ctx context.Context, conn *sql.Conn) (*LinkPeopleRefresh, error) {
	t0 := time.Now()
	r := &LinkPeopleRefresh{}
	exec := func(q string) (int64, error) {
		res, err := conn.ExecContext(ctx, q)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	var version, loadID, rows sql.NullInt64
	err := conn.QueryRowContext(ctx, `SELECT version, registry_load_id, registry_rows FROM main.link_people_state`).Scan(&version, &loadID, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var regLoad, regRows int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(_load_id), 0), count(*) FROM main.registry`).Scan(&regLoad, &regRows); err != nil {
		return nil, err
	}
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE database_name = current_database()
		AND schema_name = 'main' AND table_name = 'link_people' AND NOT temporary`).Scan(&exists); err != nil {
		return nil, err
	}
	if exists && version.Valid && version.Int64 == linkPeopleVersion && loadID.Int64 == regLoad && rows.Int64 == regRows {
		r.Current = true
		r.Elapsed = time.Since(t0)
		return r, nil
	}
	if !exists || !version.Valid || version.Int64 != linkPeopleVersion {
		r.Rebuilt = true
		if _, err := exec(`CREATE OR REPLACE TABLE ` + linkPeopleTable + ` AS ` + linkPeopleFrom(registryHashed)); err != nil {
			return nil, err
		}
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+linkPeopleTable).Scan(&r.Added); err != nil {
			return nil, err
		}
	} else {
		// The registry's people are hashed once (a million: 0.3–0.5 s);
		// only those whose (pk, h, idname) link_people lacks get their
		// keys. idname too: a name changed only in its spaces leaves h
		// as it was (the pass compares names without them) but not the
		// hash of the name as written that selectNew reads.
		if _, err := exec(`CREATE OR REPLACE TEMP TABLE lp_cur AS SELECT * FROM ` + registryHashed); err != nil {
			return nil, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS temp.main.lp_cur`)
		n, err := exec(`DELETE FROM ` + linkPeopleTable + ` p WHERE NOT EXISTS (SELECT 1 FROM lp_cur c WHERE c.pk = p.pk AND c.h = p.h AND c.idname = p.idname)`)
		if err != nil {
			return nil, err
		}
		r.Removed = n
		if r.Added, err = exec(`INSERT INTO ` + linkPeopleTable + ` ` + linkPeopleFrom(`(SELECT * FROM lp_cur c
			WHERE NOT EXISTS (SELECT 1 FROM `+linkPeopleTable+` p WHERE p.pk = c.pk AND p.h = c.h AND p.idname = c.idname))`)); err != nil {
			return nil, err
		}
	}
	if _, err := exec(`DELETE FROM main.link_people_state`); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO main.link_people_state VALUES (?, ?, ?)`, linkPeopleVersion, regLoad, regRows); err != nil {
		return nil, err
	}
	r.Elapsed = time.Since(t0)
	return r, nil
}

// LogValue writes the refresh as a log group.
func (r *LinkPeopleRefresh) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("current", r.Current), slog.Bool("rebuilt", r.Rebuilt),
		slog.Int64("added", r.Added), slog.Int64("removed", r.Removed), slog.Duration("elapsed", r.Elapsed))
}
