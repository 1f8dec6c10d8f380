package ingest

import (
	"sync"
	"sync/atomic"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

// streamWriter hands a stream's rows to its store load (store.StreamLoad:
// Append, Quarantine, Count) on a goroutine of their own, in the order
// they were read, so that reading and mapping the next rows (the
// connector and the Mapper, in Go) runs beside DuckDB's appending of the
// last ones (cgo). One goroutine did both one after the other: of a 2.28M
// row contributions file's 22 s, the Appender took 9.5 s and reading and
// mapping 6–7 s (pprof, issue 14).
//
// Rows travel in batches whose values are copied from the mapper's reused
// slice; a Problem is copied too. The StreamLoad is touched only by the
// writer's goroutine until close or stop returns.
type streamWriter struct {
	sl     *store.StreamLoad
	width  int
	batch  *writeBatch
	full   chan *writeBatch
	free   chan *writeBatch
	done   chan struct{}
	failed atomic.Bool
	err    error // the first error of the writer's goroutine; read after done
	once   sync.Once
}

// writeBatchRows is the rows of one batch; writeBatches, how many batches
// exist (one filling, one waiting, one being written).
const (
	writeBatchRows = 1024
	writeBatches   = 3
)

type writeOp struct {
	kind byte // 'a' append, 'q' quarantine, 'c' count
	key  string
	pos  int64
	raw  string
	prob dataset.Problem
	n    int64
	vals []any
}

type writeBatch struct {
	ops  []writeOp
	slab []any
}

// newStreamWriter starts the writer of sl's rows of width values.
func newStreamWriter(sl *store.StreamLoad, width int) *streamWriter {
	w := &streamWriter{sl: sl, width: width, full: make(chan *writeBatch, 1),
		free: make(chan *writeBatch, writeBatches), done: make(chan struct{})}
	for i := 0; i < writeBatches; i++ {
		w.free <- &writeBatch{ops: make([]writeOp, 0, writeBatchRows), slab: make([]any, writeBatchRows*width)}
	}
	w.batch = <-w.free
	go w.run()
	return w
}

func (w *streamWriter) run() {
	defer close(w.done)
	for b := range w.full {
		for i := range b.ops {
			if w.err != nil {
				break
			}
			op := &b.ops[i]
			switch op.kind {
			case 'a':
				w.err = w.sl.Append(op.vals, op.key, op.pos)
			case 'q':
				w.err = w.sl.Quarantine(op.pos, op.raw, &op.prob)
			case 'c':
				w.sl.Count(&op.prob, op.n)
			}
			if w.err != nil {
				w.failed.Store(true)
			}
		}
		clear(b.ops)
		clear(b.slab)
		b.ops = b.ops[:0]
		w.free <- b
	}
}

// add queues op; a failure of an earlier row is returned (at the latest by
// close).
func (w *streamWriter) add(op writeOp) error {
	if w.failed.Load() {
		return w.stop()
	}
	w.batch.ops = append(w.batch.ops, op)
	if len(w.batch.ops) == writeBatchRows {
		w.full <- w.batch
		w.batch = <-w.free
	}
	return nil
}

// append queues a mapped row: values are copied.
func (w *streamWriter) append(values []any, key string, pos int64) error {
	i := len(w.batch.ops)
	vals := w.batch.slab[i*w.width : (i+1)*w.width : (i+1)*w.width]
	copy(vals, values)
	return w.add(writeOp{kind: 'a', key: key, pos: pos, vals: vals})
}

// quarantine queues a bad row with its problem (copied).
func (w *streamWriter) quarantine(pos int64, raw string, p *dataset.Problem) error {
	return w.add(writeOp{kind: 'q', pos: pos, raw: raw, prob: *p})
}

// count queues n bad rows counted, not quarantined.
func (w *streamWriter) count(p *dataset.Problem, n int64) error {
	return w.add(writeOp{kind: 'c', prob: *p, n: n})
}

// close writes the rows still queued, ends the goroutine and returns the
// first error any row met. The StreamLoad is the caller's again.
func (w *streamWriter) close() error {
	w.once.Do(func() {
		if !w.failed.Load() && len(w.batch.ops) > 0 {
			w.full <- w.batch
		}
		close(w.full)
	})
	<-w.done
	return w.err
}

// stop ends the goroutine without writing what is still queued (the load
// is being aborted) and returns its first error, if any.
func (w *streamWriter) stop() error {
	w.once.Do(func() { close(w.full) })
	<-w.done
	return w.err
}
