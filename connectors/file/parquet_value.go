package file

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// batchReader is what the typed column chunk readers of parquet/file have
// in common.
type batchReader[T any] interface {
	ReadBatchInPage(batchSize int64, values []T, defLvls, repLvls []int16) (total int64, valuesRead int, err error)
}

// binder starts reading a column chunk: it returns the function that reads
// the column's next batch of levels and values (see pqColumn.fill).
type binder func(c *pqColumn, cr file.ColumnChunkReader) (func() (int64, error), error)

// bind makes the binder of a column whose values are Ts, rendered by text.
//
// Batches are read within one page (ReadBatchInPage): the reader reuses
// its page buffer, so byte arrays from an earlier page of a multi-page
// batch could be overwritten; each batch's values are rendered to strings
// before the next one is read.
func bind[T any](text func(T) string) binder {
	return func(c *pqColumn, cr file.ColumnChunkReader) (func() (int64, error), error) {
		r, ok := cr.(batchReader[T])
		if !ok {
			return nil, fmt.Errorf("column %s: unexpected reader %T", c.name, cr)
		}
		buf := make([]T, pqBatch)
		return func() (int64, error) {
			var defs, reps []int16
			if c.maxDef > 0 {
				defs = c.defs
			}
			if c.maxRep > 0 {
				reps = c.reps
			}
			n, nv, err := r.ReadBatchInPage(pqBatch, buf, defs, reps)
			c.vals = c.vals[:0]
			for _, v := range buf[:nv] {
				c.vals = append(c.vals, text(v))
			}
			return n, err
		}, nil
	}
}

// renderer picks how a column's values are written as text, from its
// physical and logical type, and whether they are JSON strings when a
// list of them is written as a JSON array.
func renderer(col *schema.Column) (b binder, quote bool) {
	lt := col.LogicalType()
	switch col.PhysicalType() {
	case parquet.Types.Boolean:
		return bind(strconv.FormatBool), false
	case parquet.Types.Int32:
		switch t := lt.(type) {
		case schema.DateLogicalType:
			return bind(func(v int32) string { return formatDate(int64(v)) }), true
		case schema.DecimalLogicalType:
			scale := int(t.Scale())
			return bind(func(v int32) string { return decimalText(strconv.FormatInt(int64(v), 10), scale) }), false
		case schema.IntLogicalType:
			if !t.IsSigned() {
				return bind(func(v int32) string { return strconv.FormatUint(uint64(uint32(v)), 10) }), false
			}
		case schema.TimeLogicalType:
			return bind(func(v int32) string { return formatTimeOfDay(int64(v) * int64(time.Millisecond)) }), true
		}
		return bind(func(v int32) string { return strconv.FormatInt(int64(v), 10) }), false
	case parquet.Types.Int64:
		switch t := lt.(type) {
		case schema.TimestampLogicalType:
			unit, utc := unitNanos(t.TimeUnit()), t.IsAdjustedToUTC()
			return bind(func(v int64) string { return formatTimestamp(v, unit, utc) }), true
		case schema.DecimalLogicalType:
			scale := int(t.Scale())
			return bind(func(v int64) string { return decimalText(strconv.FormatInt(v, 10), scale) }), false
		case schema.IntLogicalType:
			if !t.IsSigned() {
				return bind(func(v int64) string { return strconv.FormatUint(uint64(v), 10) }), false
			}
		case schema.TimeLogicalType:
			unit := unitNanos(t.TimeUnit())
			return bind(func(v int64) string { return formatTimeOfDay(v * unit) }), true
		}
		return bind(func(v int64) string { return strconv.FormatInt(v, 10) }), false
	case parquet.Types.Int96:
		// The legacy timestamp of Impala and older Spark: an instant.
		return bind(func(v parquet.Int96) string { return v.ToTime().Format(time.RFC3339Nano) }), true
	case parquet.Types.Float:
		return bind(func(v float32) string { return formatFloat(float64(v), 32) }), false
	case parquet.Types.Double:
		return bind(func(v float64) string { return formatFloat(v, 64) }), false
	case parquet.Types.ByteArray:
		if t, ok := lt.(schema.DecimalLogicalType); ok {
			scale := int(t.Scale())
			return bind(func(v parquet.ByteArray) string { return bigDecimalText(v, scale) }), false
		}
		// Strings, and bytes without annotation: older writers store text
		// so. Invalid UTF-8 is passed through, as for CSV, and rejected by
		// the dataset layer.
		return bind(func(v parquet.ByteArray) string { return string(v) }), true
	case parquet.Types.FixedLenByteArray:
		switch t := lt.(type) {
		case schema.DecimalLogicalType:
			scale := int(t.Scale())
			return bind(func(v parquet.FixedLenByteArray) string { return bigDecimalText(v, scale) }), false
		case schema.UUIDLogicalType:
			return bind(formatUUID), true
		case schema.Float16LogicalType:
			return bind(func(v parquet.FixedLenByteArray) string {
				return formatFloat(float64(float16.FromBits(binary.LittleEndian.Uint16(v)).Float32()), 32)
			}), false
		case schema.IntervalLogicalType:
			return bind(formatInterval), true
		}
		return bind(func(v parquet.FixedLenByteArray) string { return string(v) }), true
	}
	return nil, false
}

func unitNanos(u schema.TimeUnitType) int64 {
	switch u {
	case schema.TimeUnitMillis:
		return int64(time.Millisecond)
	case schema.TimeUnitMicros:
		return int64(time.Microsecond)
	}
	return 1
}

// formatDate writes days since 1970-01-01 as YYYY-MM-DD.
func formatDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format(time.DateOnly)
}

// formatTimestamp writes an instant (adjusted to UTC) in RFC 3339 with Z,
// and a local date-time (not adjusted: the file does not say which zone)
// in the same shape without an offset, rather than claiming it is UTC.
// Fractions of a second are written only when there are any.
func formatTimestamp(v, unit int64, utc bool) string {
	sec, frac := v/(int64(time.Second)/unit), v%(int64(time.Second)/unit)
	if frac < 0 {
		sec, frac = sec-1, frac+int64(time.Second)/unit
	}
	t := time.Unix(sec, frac*unit).UTC()
	if utc {
		return t.Format(time.RFC3339Nano)
	}
	return t.Format("2006-01-02T15:04:05.999999999")
}

// formatTimeOfDay writes nanoseconds since midnight as HH:MM:SS[.fff].
func formatTimeOfDay(nanos int64) string {
	return time.Unix(0, nanos).UTC().Format("15:04:05.999999999")
}

// formatFloat writes a float without exponent; NaN and infinities as
// NaN, Infinity and -Infinity, the words JSON tools use.
func formatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'f', -1, bits)
}

// decimalText places the decimal point in the digits of an unscaled
// value: ("-5", 2) is -0.05, and ("80000", 2) is 800.00, with the
// trailing zeros the scale implies.
func decimalText(unscaled string, scale int) string {
	if scale <= 0 {
		return unscaled
	}
	neg := strings.HasPrefix(unscaled, "-")
	digits := strings.TrimPrefix(unscaled, "-")
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	s := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if neg {
		return "-" + s
	}
	return s
}

// bigDecimalText reads a decimal stored as a big-endian two's complement
// integer of any width.
func bigDecimalText(b []byte, scale int) string {
	if len(b) == 0 {
		return decimalText("0", scale)
	}
	x := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimalText(x.String(), scale)
}

func formatUUID(v parquet.FixedLenByteArray) string {
	if len(v) != 16 {
		return hex.EncodeToString(v)
	}
	h := hex.EncodeToString(v)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// formatInterval writes Parquet's INTERVAL (months, days, milliseconds)
// as an ISO 8601 duration.
func formatInterval(v parquet.FixedLenByteArray) string {
	if len(v) != 12 {
		return hex.EncodeToString(v)
	}
	months := binary.LittleEndian.Uint32(v[0:])
	days := binary.LittleEndian.Uint32(v[4:])
	ms := binary.LittleEndian.Uint32(v[8:])
	return fmt.Sprintf("P%dM%dDT%sS", months, days, decimalText(strconv.FormatUint(uint64(ms), 10), 3))
}
