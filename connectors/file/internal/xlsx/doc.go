// Package xlsx reads the sheets of Excel .xlsx workbooks as Excel means
// them, one row at a time: each cell with its value and what it is
// (connectors.CellKind) — text, a number, a date converted in the
// workbook's own date system (1900 or 1904), an error value such as #N/A,
// a formula's value.
//
// # Why a reader of our own
//
// The file connector needs, per cell, the cell's type, its number format
// (to tell a date from a number), whether a formula was saved without a
// value, the workbook's date system, merged ranges and hidden rows and
// sheets, while streaming: a county's 350,000-row registry must not be
// held in memory. No maintained Go library offers both. excelize's
// streaming Rows iterator returns strings only and drops the rest;
// excelize's other API (GetCellType, GetCellStyle, GetMergeCells) loads the
// whole sheet into memory, gigabytes for such a sheet; xlsxreader
// (thedatashed) streams but knows neither the 1904 system, nor formulas,
// merged cells or hidden rows. So this package reads the parts with
// archive/zip and an XML tokenizer of its own (xmltok.go: encoding/xml's
// tokens and errors, without its allocation per token, which made reading
// a sheet several times slower): the workbook (sheets, their states, the
// date system), the styles (which cell formats show dates, ECMA-376 Part 1,
// 18.8.30), the shared strings, and the sheet itself in two passes, a
// cheap scan for merged ranges (they are written after the rows), run
// while the shared strings are read, and the streaming read of the rows.
//
// excelize is kept for what it does well: calculating formulas. A formula
// saved without a value (files written by openpyxl or report generators
// that do not calculate, or a workbook that asks to be recalculated on
// opening) is calculated with excelize's CalcCellValue, which opens the
// workbook lazily, only when such a cell is met, and only for workbooks
// that inflate to less than MaxCalcSize; a formula it cannot calculate is
// connectors.KindUncomputed.
//
// Bounds keep a damaged or crafted file from taking the machine: Excel's
// own limits on rows, columns and characters per cell (a shared string
// past it is not kept), Options.MaxUnzipped for what the parts read
// inflate to and Options.MaxSharedText for the memory of the shared
// strings, MaxMerges and MaxMergeFill for merged ranges, and no stretch of
// a part without markup longer than 4 MiB. Every read of the file checks
// the context OpenFile was given, so that a timeout stops a reading
// wherever it is.
package xlsx
