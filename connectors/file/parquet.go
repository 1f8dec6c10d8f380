package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/lipwatch/lipwatch/connectors"
)

// pqBatch is how many levels (values and nulls) are read from a column
// at a time: the reader holds about pqBatch values per column, whatever
// the size of the row groups.
const pqBatch = 1024

// parquetReader streams a Parquet file row by row, one row group after
// the other, reading every column a batch at a time.
type parquetReader struct {
	name   string
	file   *os.File
	src    *ctxFile // the file, read through ctx
	pf     *file.Reader
	cols   []*pqColumn
	header []string
	rg     int   // the next row group
	left   int64 // rows left in the current row group
	pos    int64 // the row last returned, 1-based over the whole file
	vals   []string
	// kinds marks the floating-point columns KindNumber (nil when there is
	// none): an ID or 户号 that pandas stored as float64 has lost its last
	// digits, and the dataset layer quarantines it as such.
	kinds  []connectors.CellKind
	err    error
	closed bool
}

// pqColumn is one leaf column of the schema and where its reading stands.
type pqColumn struct {
	name   string
	maxDef int16
	maxRep int16
	repDef int16 // the definition level at which a list has elements
	quote  bool  // list elements are written as JSON strings
	bind   binder

	read func() (int64, error) // the current row group's batch reader
	defs []int16
	reps []int16
	vals []string // the batch's non-null values, rendered
	n    int      // levels in the batch
	li   int      // next level
	vi   int      // next value
	list []byte
}

func openParquet(ctx context.Context, name, path string) (*parquetReader, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fileError(name, err)
	}
	props := parquet.NewReaderProperties(nil)
	// Read pages through a small buffer rather than a whole column chunk
	// (a row group can hold hundreds of megabytes) at once.
	props.BufferedStreamEnabled = true
	r := &parquetReader{name: name, file: f, src: &ctxFile{ctx: ctx, f: f}}
	if err := r.start(props); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// start reads the footer and sets up the columns.
func (r *parquetReader) start(props *parquet.ReaderProperties) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: not a readable Parquet file: %v", r.name, p)
		}
	}()
	pf, err := file.NewParquetReader(r.src, file.WithReadProps(props))
	if err != nil {
		return fmt.Errorf("%s: not a readable Parquet file: %w", r.name, err)
	}
	r.pf = pf
	sc := pf.MetaData().Schema
	for i := range sc.NumColumns() {
		col := sc.Column(i)
		c := &pqColumn{name: columnName(col), maxDef: col.MaxDefinitionLevel(), maxRep: col.MaxRepetitionLevel()}
		if c.maxRep > 1 {
			return fmt.Errorf("%s: column %s is nested in more than one list (a list of lists or of maps), which cannot be read as one value; export it flattened", r.name, c.name)
		}
		c.repDef = repeatedDefLevel(col)
		c.bind, c.quote = renderer(col)
		if c.bind == nil {
			return fmt.Errorf("%s: column %s has the unknown physical type %s", r.name, c.name, col.PhysicalType())
		}
		c.defs = make([]int16, pqBatch)
		if c.maxRep > 0 {
			c.reps = make([]int16, pqBatch)
		}
		r.cols = append(r.cols, c)
		r.header = append(r.header, c.name)
		if isFloat(col) && c.maxRep == 0 {
			if r.kinds == nil {
				r.kinds = make([]connectors.CellKind, sc.NumColumns())
			}
			r.kinds[i] = connectors.KindNumber
		}
	}
	r.header = cleanHeader(r.header)
	r.vals = make([]string, len(r.cols))
	return nil
}

// columnName names a leaf column by its path, with dots: a field of a
// group (a struct) is group.field. The wrappers the Parquet list and map
// layouts add are left out: a list of strings tags is "tags", not
// "tags.list.element", and a map m has the columns m.key and m.value.
func columnName(col *schema.Column) string {
	var nodes []schema.Node
	for n := col.SchemaNode(); n != nil && n.Parent() != nil; n = n.Parent() {
		nodes = append(nodes, n)
	}
	slices.Reverse(nodes)
	var segs []string
	for k, n := range nodes {
		switch {
		case k >= 1 && isListOrMap(nodes[k-1]) && n.RepetitionType() == parquet.Repetitions.Repeated:
			continue // the repeated group of a list or map
		case k >= 2 && isList(nodes[k-2]) && nodes[k-1].(*schema.GroupNode).NumFields() == 1:
			continue // the element of a list
		}
		segs = append(segs, strings.TrimFunc(n.Name(), isBlankRune))
	}
	if len(segs) == 0 {
		return col.Name()
	}
	return strings.Join(segs, ".")
}

func isList(n schema.Node) bool {
	_, ok := n.LogicalType().(schema.ListLogicalType)
	return ok || n.ConvertedType() == schema.ConvertedTypes.List
}

func isListOrMap(n schema.Node) bool {
	if _, ok := n.LogicalType().(schema.MapLogicalType); ok {
		return true
	}
	switch n.ConvertedType() {
	case schema.ConvertedTypes.Map, schema.ConvertedTypes.MapKeyValue:
		return true
	}
	return isList(n)
}

// repeatedDefLevel is the definition level at which a column's repeated
// ancestor (or itself) is present, i.e. its list has an element; 0 for a
// column outside any list.
func repeatedDefLevel(col *schema.Column) int16 {
	var nodes []schema.Node
	for n := col.SchemaNode(); n != nil && n.Parent() != nil; n = n.Parent() {
		nodes = append(nodes, n)
	}
	var def int16
	for _, n := range slices.Backward(nodes) {
		if n.RepetitionType() != parquet.Repetitions.Required {
			def++
		}
		if n.RepetitionType() == parquet.Repetitions.Repeated {
			return def
		}
	}
	return 0
}

// Header returns the column names in schema order. The slice must not be
// changed.
func (r *parquetReader) Header() []string { return r.header }

// Next returns the next row: every column's value as text, "" for a null.
// Values is reused by the following call.
func (r *parquetReader) Next() (row connectors.Row, err error) {
	if r.err != nil {
		return connectors.Row{}, r.err
	}
	if r.closed {
		return connectors.Row{}, fmt.Errorf("%s: read after close", r.name)
	}
	pos := r.pos + 1
	defer func() {
		// The Parquet library panics on some damaged pages: fail this
		// file with its name, not the process.
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: row %d: corrupt Parquet file: %v", r.name, pos, p)
		}
		if err != nil {
			r.err = err
		}
	}()
	for r.left == 0 {
		if r.rg == r.pf.NumRowGroups() {
			return connectors.Row{}, io.EOF
		}
		if err := r.openRowGroup(); err != nil {
			return connectors.Row{}, err
		}
	}
	r.pos++
	r.left--
	for i, c := range r.cols {
		v, err := c.next()
		if err != nil {
			return connectors.Row{}, fmt.Errorf("%s: row %d: column %s: %w", r.name, r.pos, c.name, notEOF(err))
		}
		r.vals[i] = v
	}
	return connectors.Row{Pos: r.pos, Values: r.vals, Kinds: r.kinds}, nil
}

// isFloat reports a column of binary floating-point numbers (FLOAT,
// DOUBLE, FLOAT16): not exact past 15 significant digits.
func isFloat(col *schema.Column) bool {
	switch col.PhysicalType() {
	case parquet.Types.Float, parquet.Types.Double:
		return true
	case parquet.Types.FixedLenByteArray:
		_, ok := col.LogicalType().(schema.Float16LogicalType)
		return ok
	}
	return false
}

// openRowGroup starts reading the next row group's column chunks.
func (r *parquetReader) openRowGroup() error {
	rg := r.pf.RowGroup(r.rg)
	r.rg++
	r.left = rg.NumRows()
	for i, c := range r.cols {
		cr, err := rg.Column(i)
		if err == nil {
			c.read, err = c.bind(c, cr)
		}
		if err != nil {
			return fmt.Errorf("%s: row group %d: column %s: %w", r.name, r.rg, c.name, notEOF(err))
		}
		c.n, c.li, c.vi = 0, 0, 0
	}
	return nil
}

// notEOF turns an io.EOF from inside the file (a page cut short) into
// io.ErrUnexpectedEOF: wrapped in an error from Next, io.EOF would read as
// the end of the rows to a caller that tests errors.Is(err, io.EOF), and
// a damaged file would load in part without a word.
func notEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w (%v)", io.ErrUnexpectedEOF, err)
	}
	return err
}

// errShort reports a column chunk holding fewer values than its row
// group's row count says.
var errShort = errors.New("fewer values than the row group has rows (a corrupt file?)")

// fill reads the next batch of the column chunk.
func (c *pqColumn) fill() error {
	n, err := c.read()
	c.n, c.li, c.vi = int(n), 0, 0
	if err != nil {
		return err
	}
	return nil
}

// next returns the column's value in the next row.
func (c *pqColumn) next() (string, error) {
	if c.li >= c.n {
		if err := c.fill(); err != nil {
			return "", err
		}
		if c.n == 0 {
			return "", errShort
		}
	}
	if c.maxRep > 0 {
		return c.nextList()
	}
	def := c.maxDef
	if c.maxDef > 0 {
		def = c.defs[c.li]
	}
	c.li++
	if def < c.maxDef {
		return "", nil
	}
	return c.value()
}

// value takes the next non-null value of the batch.
func (c *pqColumn) value() (string, error) {
	if c.vi >= len(c.vals) {
		return "", errShort
	}
	c.vi++
	return c.vals[c.vi-1], nil
}

// nextList returns a row's list as a JSON array: ["a","b"], [1,null,3],
// [] for an empty list, "" for a null one. The row's elements run to the
// next level whose repetition level is 0, possibly in a later batch.
func (c *pqColumn) nextList() (string, error) {
	if def := c.defs[c.li]; def < c.repDef {
		c.li++
		if def == c.repDef-1 {
			return "[]", nil
		}
		return "", nil
	}
	c.list = append(c.list[:0], '[')
	for first := true; ; first = false {
		def := c.defs[c.li]
		c.li++
		if !first {
			c.list = append(c.list, ',')
		}
		if def == c.maxDef {
			v, err := c.value()
			if err != nil {
				return "", err
			}
			c.list = appendJSONValue(c.list, v, c.quote)
		} else {
			c.list = append(c.list, "null"...)
		}
		if c.li >= c.n {
			if err := c.fill(); err != nil {
				return "", err
			}
			if c.n == 0 {
				break // the end of the column chunk
			}
		}
		if c.reps[c.li] == 0 {
			break
		}
	}
	c.list = append(c.list, ']')
	return string(c.list), nil
}

// appendJSONValue writes a list element: a number as it is, anything else
// (and a number JSON cannot hold, NaN) as a JSON string.
func appendJSONValue(b []byte, v string, quote bool) []byte {
	if !quote && v != "NaN" && v != "Infinity" && v != "-Infinity" {
		return append(b, v...)
	}
	return appendJSONString(b, v)
}

// Close closes the file. It is safe to call twice.
func (r *parquetReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if err := r.file.Close(); err != nil {
		return fileError(r.name, err)
	}
	return nil
}
