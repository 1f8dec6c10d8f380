// Package archtest holds the test that keeps docs/ARCHITECTURE.md true:
// engine packages import only packages of lower layers, and only
// engine/store imports DuckDB. It has no code of its own.
package archtest
