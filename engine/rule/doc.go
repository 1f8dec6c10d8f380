// Package rule loads the analysts' rule files (rules/*.yaml) and evaluates
// them: facts (named aggregates computed in DuckDB elsewhere, declared in
// facts.yaml), params whose values change on dates, and rules whose
// conditions and reasons are expr-lang expressions over both.
//
// A param may carry the day by which its values must be confirmed again
// (review_by) and where they come from (source). Pack.Reviews and
// Pack.ReviewWarnings say which are past or near that day; it never
// changes what a param evaluates to.
//
// Load type-checks every condition against the facts and reports every
// problem at once, each with file:line:col and a caret snippet. A Pack is
// then evaluated person by person through an Env: NewEnv at the
// evaluation date, Set (or SetIndex) the person's and household's facts,
// EvalAll, Reset, next person. Tests written beside the rules run with
// Pack.Test. The file format is documented for analysts in
// rules/README.md.
//
// The package does no I/O beyond reading the rules directory and has no
// DuckDB dependency.
package rule
