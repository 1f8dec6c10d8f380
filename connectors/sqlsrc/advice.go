package sqlsrc

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
)

// NoteNullWatermarkUnread is the code of the note a read reports when its
// query compares watermark_column with $1 without handling NULL and no
// full_query is set: rows whose watermark is NULL are then never read, not
// by an incremental sync, nor by sync --full or a reconciliation (which run
// the same query with watermark_initial), and no note can count them. The
// note's Count is 0: how many such rows there are is not known.
const NoteNullWatermarkUnread = "null_watermark_unread"

// Advice returns, in plain words, what is wrong with a sql source's
// options short of an error: today, that rows whose watermark_column is
// NULL are never read (the null_watermark_unread note, reported on every
// read as well). It does not connect, and looks only at the text of query,
// watermark_column and full_query; options that do not parse give what
// can still be said. `lipwatch sources check` can show it per sql source
// before any read; nil means nothing to say.
func Advice(o connectors.Options) []string {
	d, _ := connectors.Decode[Options](Kind, o)
	opts, _ := parseOptions(d)
	return opts.advice()
}

// advice is Advice for parsed options.
func (o *options) advice() []string {
	if o.watermarkColumn == "" || o.fullQuery != "" {
		return nil
	}
	cmp, ok := unreadNulls(o.query, o.watermarkColumn)
	if !ok {
		return nil
	}
	col := o.watermarkColumn
	return []string{fmt.Sprintf("rows whose %s is NULL are never read by this query (%s): not by a sync, "+
		"nor by sync --full or a reconciliation, and nothing counts them; read them with "+
		"COALESCE(%s, …) > $1 (or %s > $1 OR %s IS NULL), or set full_query so that full reads "+
		"and reconciliations read them", col, cmp, col, col, col)}
}

// identChar is a character that may continue an unquoted identifier
// (PostgreSQL allows letters of any script, digits, _ and $).
const identChar = `\p{L}\p{N}_$`

// nameRE matches name as an identifier, quoted ("name", with "" for a
// quote inside) or not, case-insensitively, qualified or not (t.name).
func nameRE(name string) string {
	return `(?:"` + regexp.QuoteMeta(strings.ReplaceAll(name, `"`, `""`)) + `"|` + regexp.QuoteMeta(name) + `)`
}

// A comparison operator, an optional cast, and $1 (not $10).
const (
	cmpOp   = `(?:>=|<=|<>|!=|>|<|=)`
	castOpt = `(?:\s*::\s*[\p{L}_][\p{L}\p{N}_]*(?:\s+[\p{L}_][\p{L}\p{N}_]*)*?)?`
)

// unreadNulls reports whether query compares column with $1 directly
// (column > $1, "column" >= $1::timestamptz, t.column BETWEEN $1 AND ...,
// $1 < column) and never asks for column IS NULL, so that a row whose
// column is NULL is never read. A query that names the column in IS NULL
// (ISNULL) or as the first argument of COALESCE, IFNULL or NVL anywhere is
// taken to handle NULL (not in a final ORDER BY). It also follows a plain
// alias (SELECT gxsj AS 更新时间 ... WHERE gxsj > $1). A query whose WHERE
// names the column another way ((col) > $1, date_trunc('day', col) > $1)
// without handling NULL reads no NULL row either: cmp is then "its
// condition on $1". It is a textual check, blind to comments and string
// literals. cmp is the comparison as written.
func unreadNulls(query, column string) (cmp string, ok bool) {
	// NULL handling counts where it filters: not in a final ORDER BY
	// (ORDER BY COALESCE(col, now()) reads no NULL row).
	filter := query
	if i := strings.LastIndex(strings.ToLower(query), "order by"); i > 0 {
		filter = query[:i]
	}
	names := []string{column}
	alias := regexp.MustCompile(`(?i)(?:^|[\s,(])((?:[` + identChar + `]+|"(?:[^"]|"")+")(?:\.(?:[` + identChar + `]+|"(?:[^"]|"")+"))*)\s+as\s+` +
		nameRE(column) + `(?:[^` + identChar + `"]|$)`)
	for _, m := range alias.FindAllStringSubmatch(query, -1) {
		if src := lastName(m[1]); src != "" && !strings.EqualFold(src, column) {
			names = append(names, src)
		}
	}
	for _, name := range names {
		id := nameRE(name)
		before := `(?:^|[^` + identChar + `"])`
		after := `(?:[^` + identChar + `"]|$)`
		isNull := regexp.MustCompile(`(?i)` + before + id + `\s*(?:is\s+null|isnull)` + after)
		wrapped := regexp.MustCompile(`(?i)(?:^|[^` + identChar + `"])(?:coalesce|ifnull|nvl)\s*\(\s*(?:[` + identChar + `"]+\.)*` + id + `\s*,`)
		if isNull.MatchString(filter) || wrapped.MatchString(filter) {
			return "", false
		}
		forms := []*regexp.Regexp{
			regexp.MustCompile(`(?i)` + before + `(` + id + castOpt + `\s*` + cmpOp + `\s*\$1)(?:[^0-9]|$)`),
			regexp.MustCompile(`(?i)` + before + `(` + id + castOpt + `\s+between\s+\$1)(?:[^0-9]|$)`),
			regexp.MustCompile(`(?i)(\$1` + castOpt + `\s*` + cmpOp + `\s*` + id + `)` + after),
		}
		for _, re := range forms {
			if m := re.FindStringSubmatch(query); m != nil {
				cmp = strings.Join(strings.Fields(m[1]), " ")
				ok = true
			}
		}
	}
	if !ok {
		// A comparison written some other way ((col) > $1, $1 < t.col,
		// date_trunc('day', col) > $1): the query's condition names the
		// column and nothing in it reads a NULL watermark, so a NULL row
		// is never read.
		where := strings.Index(strings.ToLower(filter), "where")
		for _, name := range names {
			named := regexp.MustCompile(`(?i)(?:^|[^` + identChar + `"])` + nameRE(name) + `(?:[^` + identChar + `"]|$)`)
			if where >= 0 && named.MatchString(filter[where:]) {
				return "its condition on $1", true
			}
		}
	}
	return cmp, ok
}

// lastName is the last part of a possibly qualified name (t."Col" is
// Col), unquoted.
func lastName(qualified string) string {
	start, quoted := 0, false
	for i := 0; i < len(qualified); i++ {
		switch c := qualified[i]; {
		case c == '"':
			quoted = !quoted // "" inside quotes toggles twice
		case c == '.' && !quoted:
			start = i + 1
		}
	}
	last := qualified[start:]
	if len(last) >= 2 && last[0] == '"' && last[len(last)-1] == '"' {
		last = strings.ReplaceAll(last[1:len(last)-1], `""`, `"`)
	}
	return last
}

// adviceNotes are the advice as notes, reported on every read.
func (o *options) adviceNotes() []connectors.Note {
	var out []connectors.Note
	for _, a := range o.advice() {
		out = append(out, connectors.Note{Code: NoteNullWatermarkUnread, Text: a})
	}
	return out
}
