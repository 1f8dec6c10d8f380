package store

// registryCurrent is the relation registry_current (migration 0006: each
// person's newest registry row) without its window over every row: only
// the IDs with more than one row are ranked, the others are read as they
// are. The rows are the same (TestRegistryCurrentFast); reading a million
// people's five person fields costs 0.44 s against 0.70 s through the
// view (issue 15, measured on the 1M bench county, which has no ID twice).
//
// It is for passes that read the whole registry. A lookup of one person
// reads the view: a filter on id_number reaches the view's window, not
// this relation's count of duplicates (0.013 s against 0.12 s).
const registryCurrent = `(WITH dup AS (SELECT id_number FROM main.registry GROUP BY id_number HAVING count(*) > 1)
	SELECT * FROM main.registry WHERE id_number NOT IN (SELECT id_number FROM dup)
	UNION ALL
	(SELECT * FROM main.registry WHERE id_number IN (SELECT id_number FROM dup)
	 QUALIFY row_number() OVER (PARTITION BY id_number
	                            ORDER BY _load_id DESC, status_date DESC NULLS LAST, _position DESC) = 1))`
