package store

// registryCurrent is the relation registry_current (migration 0006: each
// person's newest registry row) without its window over every row: only
// the IDs with more than one row are ranked, the others are read as they
// are. The rows are the same (TestRegistryCurrentFast); reading a million
// people's five person fields costs 0.19–0.33 s against 0.70 s through
// the view (issue 15, measured on the 1M bench county, which has no ID twice).
//
// It is for passes that read the whole registry. A lookup of one person
// reads the view: a filter on id_number reaches the view's window, not
// this relation's count of duplicates (0.013 s against 0.12 s).
//
// The IDs are told apart by their 64-bit hashes (0.19–0.33 s against
// 0.44–0.54 s for the strings): a collision only sends two IDs through the
// window, which ranks them exactly.
var registryCurrent = "(" + CurrentRows("main.registry") + ")"

// CurrentRows is the SQL query of registryCurrent's rows over registry, a
// relation with the registry table's columns (the evaluation passes the
// registry's shadow of a rules backtest).
func CurrentRows(registry string) string { return CurrentColumns(registry, "*") }

// CurrentColumns is CurrentRows in the columns of list alone (a select
// list: "*", or quoted names separated by commas). DuckDB reads every
// column of registry through CurrentRows' UNION ALL, whichever a query
// uses (1.5.6: its plan's scans project them all); a list read the
// registry's nine columns the default facts use into a temp table in
// 0.14–0.19 s at a million people, where each query of registry_current
// took 0.18–0.20 s.
func CurrentColumns(registry, list string) string {
	return `WITH dup AS (SELECT hash(id_number) AS h FROM ` + registry + ` GROUP BY 1 HAVING count(*) > 1)
	SELECT ` + list + ` FROM ` + registry + ` WHERE hash(id_number) NOT IN (SELECT h FROM dup)
	UNION ALL
	(SELECT ` + list + ` FROM ` + registry + ` WHERE hash(id_number) IN (SELECT h FROM dup)
	 QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY ` + CurrentRowOrder + `) = 1)`
}
