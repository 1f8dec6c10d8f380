// Package ingest runs `lipwatch sync`: for each configured source it reads
// the connector's streams, maps and validates every row onto the source's
// dataset, and loads the good rows and the quarantined bad ones into the
// store in one transaction per source, several sources at once when
// Syncer.Workers says so. One source failing never stops the others: its
// error is recorded in the ledger and in its Result.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Source is one configured source, ready to sync.
type Source struct {
	Name      string
	Dataset   *dataset.Dataset
	Connector connectors.Connector
	// Mapping maps the source's columns and values onto the dataset.
	Mapping dataset.Mapping
	// Replace takes a row whose natural key is loaded with other values in
	// place of the old one (config on_conflict: replace).
	Replace bool
	// Reconcile, when not zero, reads the source's incremental streams in
	// full once this long has passed since their last full read, right
	// after the sync's incremental read (config reconcile).
	Reconcile time.Duration
	// Earlier names the enabled sources of the same ordered dataset that
	// come before this one in the config file (FromConfig). Synced
	// without them, this source is held while one of them has never
	// synced or its last sync failed: loaded later, its files would
	// supersede this one's.
	Earlier []string
}

// ReasonCount is how many rows were newly quarantined for one reason.
type ReasonCount = store.ReasonCount

// Result is what syncing one source did.
type Result struct {
	Source    string
	Dataset   string
	Loads     []store.Load // one per stream loaded (committed), degraded ones included
	Unchanged int          // streams skipped: same content as the last load
	// UnchangedByStat of them were files not read at all: they stat as
	// when their content was last hashed (connectors.FileStater).
	UnchangedByStat int
	Unmapped        []string // source columns no field uses (reported, not fatal)
	Reasons         []ReasonCount
	// Unresolved counts, per problem of the ID number and its column,
	// the rows read that were kept with an unusable ID for identity
	// resolution (身份证号无法使用，待身份识别): loaded (or duplicates of
	// rows loaded before) with id_number "?…", joining no person until
	// linked. See UnresolvedRows.
	Unresolved []ReasonCount
	// Failed lists the streams that failed while others loaded: each stream
	// (file) loads in its own transaction, so one broken month file does not
	// keep the good ones out.
	Failed []StreamError
	// Held lists the streams not read because an earlier one failed, for
	// datasets where a later load supersedes an earlier one (the registry,
	// the assistance roster, fishers): loading them out of order would let
	// an old state win over a newer one. They load, in order, once the
	// failed stream does.
	Held []string
	// Reconcile is set when the source's reconciliation (a full re-read
	// after the night's incremental read) failed. The incremental read's
	// loads stand and the source is not failed for it: the next sync
	// tries the reconciliation again.
	Reconcile error
	// Err is set when the source failed as a whole: nothing of it loaded.
	Err     error
	Elapsed time.Duration
}

// StreamError is one stream that failed.
type StreamError struct {
	Stream string
	Err    error
}

// Source statuses, as summaries show them.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusFailed   = "failed"
)

// Status is failed when nothing of the source loaded because of an error,
// degraded when some streams failed or were held, or a loaded stream was
// degraded (mostly quarantined, no data rows), ok otherwise.
func (r Result) Status() string {
	switch {
	case r.Err != nil:
		return StatusFailed
	case len(r.Failed) > 0 || len(r.Held) > 0:
		return StatusDegraded
	}
	for _, l := range r.Loads {
		if l.Status == store.StatusDegraded {
			return StatusDegraded
		}
	}
	return StatusOK
}

// Problems lists, in plain words, why the source is not ok: failed and held
// streams, and degraded loads. Empty when the status is ok.
func (r Result) Problems() []string {
	var out []string
	if r.Err != nil {
		out = append(out, r.Err.Error())
	}
	for _, f := range r.Failed {
		out = append(out, f.Err.Error())
	}
	if len(r.Held) > 0 {
		out = append(out, fmt.Sprintf("not read until the failed file loads (a later file supersedes an earlier one): %s",
			strings.Join(r.Held, ", ")))
	}
	for _, l := range r.Loads {
		if l.Status == store.StatusDegraded {
			out = append(out, l.Stream+": "+l.Error)
		}
	}
	return out
}

// UnresolvedRows adds up the rows the result's loads kept with an
// unusable ID number (store.Load.Unresolved).
func (r Result) UnresolvedRows() int64 {
	var n int64
	for _, l := range r.Loads {
		n += l.Unresolved
	}
	return n
}

// Totals adds up the result's loads.
func (r Result) Totals() (read, loaded, dup, quarantined int64) {
	for _, l := range r.Loads {
		read += l.Read
		loaded += l.Loaded
		dup += l.Duplicates
		quarantined += l.Quarantined
	}
	return
}

// Progress is how far a stream's reading has come.
type Progress struct {
	Source, Stream string
	Rows           int64
	Elapsed        time.Duration
	// Done and Total are bytes (or another unit) when the reader knows
	// them (connectors.Progresser); Total 0 means unknown.
	Done, Total int64
	Finished    bool
}

// Syncer loads sources into a store.
type Syncer struct {
	Store  *store.Store
	Logger *slog.Logger
	// Timeout bounds one source's sync; zero means none.
	Timeout time.Duration
	// Progress, when set, is told how a stream's reading goes, every few
	// thousand rows and when it ends (for progress bars and log lines).
	Progress func(Progress)
	// DegradedShare is the share of a stream's rows (0..1) that, when
	// exceeded by its bad rows, marks the stream degraded; zero means
	// DefaultDegradedShare and a negative value 0 (any bad row).
	DegradedShare float64
	// Full names sources to read again from the start (sync --full):
	// unchanged files are read, incremental streams ignore their saved
	// watermark. Rows already loaded are still skipped by natural key, and
	// other sources' state is untouched.
	Full map[string]bool
	// Synced, when set, is called with each source's result as soon as
	// the source is done, before its worker takes the next one (the
	// nightly run starts on the registry's blocking keys while the others
	// load). Calls never overlap, whatever Workers is.
	Synced func(Result)
	// Workers is how many sources load at once (config sync.workers);
	// 0 or 1 loads them one after another, in the order given. Each load
	// has its own DuckDB connection and transaction, and its own reading
	// and appending goroutines; one load keeps about 1.5 cores busy, so on
	// two cores two loads at once use the second core's idle half (the 1m
	// county's sync: 33 s one at a time, 28.6 s two at a time, issue 14).
	// The sources of one dataset still load one after another in the
	// order given (a later registry file supersedes an earlier one:
	// IsOrdered), by the same worker.
	Workers int
}

// Sync syncs the sources and returns one Result per source, in the order
// given. With Workers > 1 the datasets load side by side, each one's
// sources in turn; a worker takes the next dataset, in the order of its
// first source, when it is done with one. In a dataset where a later load
// supersedes an earlier one (IsOrdered), a source after one that did not
// load all of its streams is not read (a HeldError), as a file after a
// failed one in a source is held: loaded a night later, the earlier
// source's files would supersede it.
func (s *Syncer) Sync(ctx context.Context, sources []Source) []Result {
	out := make([]Result, len(sources))
	chains := byDataset(sources)
	before := make([][]int, len(sources)) // the sources of the same dataset before each
	for _, c := range chains {
		for k, i := range c {
			before[i] = c[:k]
		}
	}
	absent := s.absentEarlier(ctx, sources)
	var mu sync.Mutex // Synced's calls
	one := func(i int) {
		src := sources[i]
		var err error
		if ctx.Err() != nil {
			err = fmt.Errorf("source %s: not synced: %w", src.Name, context.Cause(ctx))
		} else if orderedDatasets[src.Dataset.Name] {
			for _, j := range before[i] {
				if r := out[j]; r.Err != nil || len(r.Failed) > 0 || len(r.Held) > 0 {
					err = &HeldError{Source: src.Name, After: r.Source, Dataset: src.Dataset.Name, Problem: r.Problems()[0]}
					break
				}
			}
			for _, e := range src.Earlier {
				if problem, ok := absent[e]; ok && err == nil {
					err = &HeldError{Source: src.Name, After: e, Dataset: src.Dataset.Name, Problem: problem}
				}
			}
		}
		if err != nil {
			if rerr := s.Store.RecordFailure(context.WithoutCancel(ctx), 0, src.Name, src.Dataset.Name, "", time.Now().UTC(), err); rerr != nil {
				s.logger().Error("record failure in ledger", "source", src.Name, "err", rerr)
			}
			out[i] = Result{Source: src.Name, Dataset: src.Dataset.Name, Err: err}
			return
		}
		out[i] = s.SyncSource(ctx, src)
		if s.Synced != nil {
			mu.Lock()
			s.Synced(out[i])
			mu.Unlock()
		}
	}
	workers := min(max(s.Workers, 1), len(chains))
	if workers <= 1 {
		for i := range sources {
			one(i)
		}
		return out
	}
	next := make(chan []int, len(chains))
	for _, c := range chains {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chain := range next {
				for _, i := range chain {
					one(i)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// absentEarlier says, for each source named in an Earlier of sources but
// not among them, why a source after it must wait: it has never synced,
// or its last sync failed. Sources that may go ahead are not in the map;
// so are all when the ledger cannot be read (logged).
func (s *Syncer) absentEarlier(ctx context.Context, sources []Source) map[string]string {
	in := map[string]bool{}
	for _, src := range sources {
		in[src.Name] = true
	}
	var names []string
	for _, src := range sources {
		for _, e := range src.Earlier {
			if !in[e] && !slices.Contains(names, e) {
				names = append(names, e)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	st, err := s.Store.SourceStatuses(ctx)
	if err != nil {
		s.logger().Error("read the ledger for the sources before", "err", err)
		return nil
	}
	out := map[string]string{}
	for _, e := range names {
		switch ss, ok := st[e]; {
		case !ok:
			out[e] = "source " + e + " has never synced: sync them together (lipwatch sync, or name both)"
		case ss.Status == store.StatusFailed:
			out[e] = "the last sync of source " + e + " failed (" + ss.Error + "): sync them together once it is fixed"
		}
	}
	return out
}

// HeldError is a source of an ordered dataset (IsOrdered) not read because
// a source before it in the same sync, After, did not load all of its
// streams: Problem is After's first problem (Result.Problems).
type HeldError struct {
	Source, After, Dataset, Problem string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("source %s: not read until source %s loads (both feed %s, where a later load supersedes an earlier one): %s",
		e.Source, e.After, e.Dataset, e.Problem)
}

// byDataset groups the indexes of sources by dataset, each group in the
// order given, the groups in the order of their first source.
func byDataset(sources []Source) [][]int {
	at := map[string]int{}
	var chains [][]int
	for i, src := range sources {
		name := src.Dataset.Name
		c, ok := at[name]
		if !ok {
			c = len(chains)
			at[name] = c
			chains = append(chains, nil)
		}
		chains[c] = append(chains[c], i)
	}
	return chains
}

// LargestFirst orders sources for a sync with several workers: datasets
// whose sources hold the most bytes now (connectors.Sizer) first, those of
// unknown size (APIs, queries: their time is not their bytes) before them;
// a dataset's sources keep their order, and equal sizes the order given.
// Started first, the large loads run beside each other and the small ones
// fill in after them, rather than a large one loading alone at the end.
func LargestFirst(ctx context.Context, sources []Source) []Source {
	size := map[string]int64{}
	unknown := map[string]bool{}
	for _, src := range sources {
		sz, ok := src.Connector.(connectors.Sizer)
		var n int64
		if ok {
			n = sz.Size(ctx)
		}
		if n <= 0 {
			unknown[src.Dataset.Name] = true
		}
		size[src.Dataset.Name] += n
	}
	rank := func(src Source) int64 {
		if unknown[src.Dataset.Name] {
			return math.MaxInt64
		}
		return size[src.Dataset.Name]
	}
	out := slices.Clone(sources)
	slices.SortStableFunc(out, func(a, b Source) int { return cmp.Compare(rank(b), rank(a)) })
	return out
}

// SyncSource syncs one source. Its error, if any, is in Result.Err and in
// the ledger; nothing of a failed source's load stays in the store.
func (s *Syncer) SyncSource(ctx context.Context, src Source) Result {
	start := time.Now()
	log := s.logger().With("source", src.Name, "dataset", src.Dataset.Name)
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.Timeout, &TimeoutError{After: s.Timeout})
		defer cancel()
	}
	res := Result{Source: src.Name, Dataset: src.Dataset.Name}
	syncID, err := s.Store.NewSyncID(ctx)
	stream := ""
	if err == nil {
		stream, err = s.syncSource(ctx, src, syncID, &res, log)
	}
	res.Elapsed = time.Since(start)
	if err != nil {
		var te *TimeoutError
		if errors.As(context.Cause(ctx), &te) && !errors.As(err, &te) {
			// Stopped by the timeout outside a stream's reading (listing
			// the files, a query of the store): say so, not only the
			// context's "deadline exceeded".
			err = fmt.Errorf("%w: %v", te, err)
		}
		// Connector errors name their source already; others get it here.
		if !strings.Contains(err.Error(), "source "+src.Name) {
			err = fmt.Errorf("source %s: %w", src.Name, err)
		}
		res.Err = err
		res.Loads = nil
		res.Reasons = nil
		res.Failed, res.Held = nil, nil
		var recorded *recordedError
		if !errors.As(err, &recorded) {
			if rerr := s.Store.RecordFailure(context.WithoutCancel(ctx), syncID, src.Name, src.Dataset.Name, stream, start.UTC(), err); rerr != nil {
				log.Error("record failure in ledger", "err", rerr)
			}
		}
		log.Warn("source failed", "err", err)
		return res
	}
	read, loaded, dup, quar := res.Totals()
	log.Info("source synced", "streams", len(res.Loads), "unchanged", res.Unchanged, "unchanged_by_stat", res.UnchangedByStat,
		"read", read, "loaded", loaded, "duplicates", dup, "quarantined", quar, "unresolved", res.UnresolvedRows(),
		"elapsed", res.Elapsed.Round(time.Millisecond))
	return res
}

// DefaultDegradedShare is the share of a stream's rows that, exceeded by
// its bad rows, makes it degraded: more than half of them.
const DefaultDegradedShare = 0.5

// orderedDatasets are those whose facts take the newest row by load order
// (registry_current, the assistance roster's versions, fishers): a stream
// must not load after a later one of the same sync has.
var orderedDatasets = map[string]bool{"registry": true, "assistance": true, "fishers": true,
	"vehicles": true, "property": true, "business": true, "public_employees": true,
	"students": true, "staff_relatives": true}

// IsOrdered reports whether a dataset's facts take the newest state by
// load order, so that the order its files load in matters.
func IsOrdered(dataset string) bool { return orderedDatasets[dataset] }

type pending struct {
	stream connectors.Stream
	hash   string
	// full says why an incremental stream is read in full ("first load",
	// "sync --full", "reconciliation every 7d"); "" for an ordinary read.
	full string
	// again marks a reconciliation: the stream's second read in the sync,
	// from the start, after its ordinary read committed.
	again bool
	// reread marks a stream sync --full reads again with the content this
	// source loaded from it before.
	reread bool
	// sameAs notes the stream's content loaded before under another name
	// (store.SameContent); nil when it was not.
	sameAs *store.Note
}

// judge says why a finished stream is degraded, or "".
func (s *Syncer) judge(l store.Load) string {
	share := s.DegradedShare
	switch {
	case share == 0:
		share = DefaultDegradedShare
	case share < 0:
		share = 0 // configured 0%: any bad row degrades
	}
	data := l.Read - l.Blank // blank rows are not missing data
	// Rows kept with an unusable ID join no person until linked: for
	// the rules they are missing as quarantined rows are.
	bad := l.Bad + l.Unresolved
	switch {
	case data == 0 && l.Hash != "":
		return "no data rows: is the file empty below its header, or is the header row wrong?"
	case bad > 0 && float64(bad) > share*float64(data) && l.Counted > 0:
		return fmt.Sprintf("%d of %d rows are bad (in quarantine, copies past the first %d of a row only counted)%s", bad, data, RepeatKeep, store.UnresolvedWords(l.Unresolved))
	case bad > 0 && float64(bad) > share*float64(data):
		return fmt.Sprintf("%d of %d rows are bad (in quarantine)%s", bad, data, store.UnresolvedWords(l.Unresolved))
	}
	return ""
}

// racyWindow: a file changed this close before it was stat'ed is hashed
// but its stat not recorded: a write in the same clock tick as the stat
// (file times are coarser than their nanoseconds) could leave its times
// as they were. Departments' files are changed hours before a night.
var racyWindow = 2 * time.Second

// fingerprint is st's content hash: for a file that stats as when it was
// last hashed (connectors.FileStater, store.StatFingerprint), the hash
// recorded then (byStat), without reading it; else st.Fingerprint, whose
// result is recorded beside the file's stat for the next sync. sync --full
// (full) hashes every file.
func (s *Syncer) fingerprint(ctx context.Context, source string, st connectors.Stream, full bool) (hash string, byStat bool, err error) {
	fs, ok := st.(connectors.FileStater)
	var stat string
	var changed, at time.Time
	if ok {
		at = time.Now()
		stat, changed = fs.FileStat()
	}
	if stat != "" && !full {
		if hash, err = s.Store.StatFingerprint(ctx, source, st.Name(), stat); err != nil {
			return "", false, err
		}
		if hash != "" {
			return hash, true, nil
		}
	}
	if hash, err = st.Fingerprint(ctx); err != nil {
		return "", false, err
	}
	if stat != "" && strings.HasPrefix(hash, "sha256:") && changed.Before(at.Add(-racyWindow)) {
		// Stat'ed again: a file replaced while it was hashed is not recorded.
		if again, _ := fs.FileStat(); again == stat {
			s.Store.KeepStatFingerprint(ctx, source, st.Name(), stat, hash)
		}
	}
	return hash, false, nil
}

// syncSource does the work; on error it returns the stream it failed on.
func (s *Syncer) syncSource(ctx context.Context, src Source, syncID int64, res *Result, log *slog.Logger) (string, error) {
	streams, err := src.Connector.Streams(ctx)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("listing the source's streams: %w", context.Cause(ctx))
		}
		return "", err
	}
	var todo []pending
	full := s.Full[src.Name]
	firstOf := map[string]string{} // content hash -> the first stream of it to load in this sync
	for _, st := range streams {
		why := ""
		if inc, ok := st.(connectors.Incremental); ok {
			mark := ""
			if !full {
				if mark, err = s.Store.Watermark(ctx, src.Name, st.Name()); err != nil {
					return st.Name(), err
				}
			}
			inc.Resume(mark)
			switch {
			case full:
				why = "sync --full"
			case mark == "":
				why = "first load"
			}
		}
		hash, byStat, err := s.fingerprint(ctx, src.Name, st, full)
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("reading %s: %w while computing its checksum, before any row was read", st.Name(), context.Cause(ctx))
			}
			return st.Name(), err
		}
		done := false
		if !full {
			if done, err = s.Store.Loaded(ctx, src.Name, st.Name(), hash); err != nil {
				return st.Name(), err
			}
		}
		if done {
			res.Unchanged++
			if byStat {
				res.UnchangedByStat++
			}
			log.Debug("stream unchanged", "stream", st.Name())
			if err := s.Store.RecordUnchanged(ctx, syncID, src.Name, src.Dataset.Name, st.Name(), hash); err != nil {
				return st.Name(), err
			}
			continue
		}
		p := pending{stream: st, hash: hash, full: why}
		if full && hash != "" {
			// Read again by sync --full: its rows repeat themselves.
			if p.reread, err = s.Store.Loaded(ctx, src.Name, st.Name(), hash); err != nil {
				return st.Name(), err
			}
		}
		other, at, same, err := s.Store.SameContent(ctx, src.Name, st.Name(), hash)
		if err != nil {
			return st.Name(), err
		}
		first, twice := firstOf[hash]
		switch {
		case same:
			p.sameAs = &store.Note{Code: store.NoteSameContent, Text: fmt.Sprintf(
				"the same content as %s, loaded %s: a copy or a renamed file, its rows loaded from there already "+
					"(every file read again so: config.yaml moved? a file's name here is its path from the config's folder)",
				other, at.Format(time.DateOnly))}
		case twice:
			p.sameAs = &store.Note{Code: store.NoteSameContent, Text: fmt.Sprintf(
				"the same content as %s, loaded before it in this sync: a copy or a renamed file, its rows loaded from there", first)}
		case hash != "":
			firstOf[hash] = st.Name()
		}
		todo = append(todo, p)
	}
	if len(todo) == 0 {
		return "", nil
	}
	// A reconciliation reads the incremental streams again in full, after
	// their ordinary read: what it loads is what incremental reads missed.
	again, err := s.reconcile(ctx, src, todo)
	if err != nil {
		return "", err
	}
	todo = append(todo, again...)
	unmapped := map[string]bool{}
	reasons := map[[2]string]int64{}
	unres := map[[2]string]int64{}
	var firstErr error
	var firstStream string
	fail := func(stream string, err error) {
		if firstErr == nil {
			firstErr, firstStream = err, stream
		}
		res.Failed = append(res.Failed, StreamError{Stream: stream, Err: err})
		if rerr := s.Store.RecordFailure(context.WithoutCancel(ctx), syncID, src.Name, src.Dataset.Name, stream, time.Now().UTC(), err); rerr != nil {
			log.Error("record failure in ledger", "err", rerr)
		}
		log.Warn("stream failed", "stream", stream, "err", err)
	}
	failed := map[string]bool{}
	for i, p := range todo {
		if p.again {
			if failed[p.stream.Name()] {
				continue // its ordinary read failed: the next sync reconciles
			}
			p.stream.(connectors.Incremental).Resume("")
		}
		var ld store.Load
		err := ctx.Err()
		if err == nil {
			ld, err = s.loadOne(ctx, src, syncID, p, unmapped)
		}
		if err != nil && p.again {
			// Not the stream's failure: its incremental read committed.
			res.Reconcile = fmt.Errorf("reconciliation of %s (a full re-read; tonight's incremental read loaded, and the next sync tries again): %w", p.stream.Name(), err)
			log.Warn("reconciliation failed", "stream", p.stream.Name(), "err", err)
			if rerr := s.Store.RecordReconcileFailure(context.WithoutCancel(ctx), syncID, src.Name, src.Dataset.Name, p.stream.Name(), time.Now().UTC(), err); rerr != nil {
				log.Error("record reconciliation failure in ledger", "err", rerr)
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if err != nil {
			failed[p.stream.Name()] = true
			if ctx.Err() != nil {
				// Interrupted or timed out: this stream (its error says
				// where the reading stopped) and those not yet read fail;
				// what committed before stays.
				var te *TimeoutError
				if !errors.Is(err, context.Cause(ctx)) && !errors.As(err, &te) {
					// Stopped in the store, after the reading.
					err = fmt.Errorf("%s: %w: %v", p.stream.Name(), context.Cause(ctx), err)
				}
				fail(p.stream.Name(), err)
				for _, q := range todo[i+1:] {
					if !q.again {
						fail(q.stream.Name(), fmt.Errorf("%s: not loaded: %w", q.stream.Name(), context.Cause(ctx)))
					}
				}
				break
			}
			fail(p.stream.Name(), err)
			if orderedDatasets[src.Dataset.Name] {
				for _, q := range todo[i+1:] {
					if !q.again {
						res.Held = append(res.Held, q.stream.Name())
					}
				}
				break
			}
			continue
		}
		res.Loads = append(res.Loads, ld)
		for _, rc := range ld.Reasons {
			reasons[[2]string{rc.Code, rc.Column}] += rc.Count
		}
		for _, rc := range ld.UnresolvedReasons {
			unres[[2]string{rc.Code, rc.Column}] += rc.Count
		}
	}
	if len(res.Loads) == 0 && firstErr != nil {
		// Nothing loaded: the source failed. Its failures are in the ledger
		// already, stream by stream.
		res.Failed, res.Held = nil, nil
		return firstStream, &recordedError{firstErr}
	}
	for k, n := range reasons {
		res.Reasons = append(res.Reasons, ReasonCount{Code: k[0], Column: k[1], Count: n})
	}
	sortReasons(res.Reasons)
	for k, n := range unres {
		res.Unresolved = append(res.Unresolved, ReasonCount{Code: k[0], Column: k[1], Count: n})
	}
	sortReasons(res.Unresolved)
	for c := range unmapped {
		res.Unmapped = append(res.Unmapped, c)
	}
	sort.Strings(res.Unmapped)
	return "", nil
}

// sortReasons orders reason counts by count, most first, then by code and
// column.
func sortReasons(rs []ReasonCount) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Code+a.Column < b.Code+b.Column
	})
}

// reconcile lists the incremental streams of todo to read again in full
// when the source's reconciliation is due: Reconcile has passed since its
// last full read (a first load and sync --full count). Streams read in
// full anyway are not read twice.
func (s *Syncer) reconcile(ctx context.Context, src Source, todo []pending) ([]pending, error) {
	if src.Reconcile <= 0 {
		return nil, nil
	}
	last, err := s.Store.LastFullRead(ctx, src.Name)
	if err != nil {
		return nil, err
	}
	if !last.IsZero() && time.Since(last) < src.Reconcile {
		return nil, nil
	}
	var again []pending
	for _, p := range todo {
		if _, ok := p.stream.(connectors.Incremental); ok && p.full == "" {
			again = append(again, pending{stream: p.stream, again: true,
				full: "reconciliation every " + config.Duration(src.Reconcile).String()})
		}
	}
	return again, nil
}

// TimeoutError is why a source's sync stopped when Syncer.Timeout (config
// sync.source_timeout) ran out. Errors of the sync wrap it, after what was
// being done and how far it got: "reading medical/2026-11.csv: timed out
// after 15m0s (sync.source_timeout) after 12,345 rows". errors.Is(err,
// context.DeadlineExceeded) holds for it.
type TimeoutError struct {
	After time.Duration // the timeout
}

// Error says how long the source had and which setting gave it.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %v (sync.source_timeout)", e.After)
}

// Is makes a timeout a context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// stopped describes a stream whose reading its context stopped (the
// source's timeout, an interrupt): which stream, how many rows were read,
// how far into the file, and that its transaction loads nothing of it.
// The error wraps the context's cause.
func stopped(ctx context.Context, stream string, rows int64, rr connectors.RowReader) error {
	where := "before its first row"
	if rows > 0 {
		where = "with " + grouped(rows) + " " + plural(rows, "row", "rows") + " read"
	}
	if ps, ok := rr.(connectors.Progresser); ok && rows > 0 {
		if done, total := ps.Progress(); total > 0 && done > 0 {
			where += fmt.Sprintf(" (%d%% of it)", done*100/total)
		}
	}
	return fmt.Errorf("reading %s: %w %s; nothing of the file was loaded", stream, context.Cause(ctx), where)
}

// grouped writes n with its thousands separated by commas: 12,345.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// recordedError is a source failure whose ledger rows are written.
type recordedError struct{ error }

func (e *recordedError) Unwrap() error { return e.error }

// loadOne loads one stream in its own transaction: its rows, quarantine
// entries, ledger row and watermark commit together or not at all.
func (s *Syncer) loadOne(ctx context.Context, src Source, syncID int64, p pending, unmapped map[string]bool) (store.Load, error) {
	load, err := s.Store.BeginLoad(ctx, src.Name, syncID, src.Dataset)
	if err != nil {
		return store.Load{}, err
	}
	defer load.Rollback(ctx) // no-op after Commit
	if src.Replace {
		load.ReplaceConflicts()
	}
	if orderedDatasets[src.Dataset.Name] && !p.again && !p.reread {
		// A file that states again what an older one said wins over
		// what came between; reading a file again (sync --full, a
		// reconciliation) states nothing new: it would undo what a
		// later file, or another source of the dataset, said since.
		load.TouchRepeats()
	}
	load.Judge(s.judge)
	ld, err := loadStream(ctx, load, src, p, unmapped, s.Progress)
	if err != nil {
		return store.Load{}, err
	}
	if err := load.Commit(ctx); err != nil {
		return store.Load{}, err
	}
	return ld, nil
}

// expectRowBytes is fewer bytes than a row of a department's file takes
// (contributions.csv 83, registry.csv 120, a medical file 134, an xlsx
// sheet's XML several hundred), so that a stream's size divided by it
// errs high as the store's estimate of its rows (StreamLoad.Expect).
const expectRowBytes = 64

// checkEvery is how many rows pass between context checks.
const checkEvery = 4096

func loadStream(ctx context.Context, load *store.SourceLoad, src Source, p pending, unmapped map[string]bool, progress func(Progress)) (store.Load, error) {
	rr, err := p.stream.Open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return store.Load{}, stopped(ctx, p.stream.Name(), 0, nil)
		}
		return store.Load{}, err
	}
	defer rr.Close()
	header := rr.Header()
	// Self-describing records (JSON APIs) name a key only once a record has
	// it: a mapped column absent so far is not yet missing. It is missing
	// if it never appears and feeds a required field (checked at the end).
	g, ok := rr.(connectors.GrowingHeader)
	grows := ok && g.HeaderGrows()
	var absent *dataset.MissingColumnsError
	mapperFor := func(h []string) (*dataset.Mapper, error) {
		if !grows {
			return newMapper(src, h, unmapped)
		}
		m, miss := dataset.NewPartialMapper(src.Dataset, h, src.Mapping)
		if err := m.HeaderErr(); err != nil {
			return nil, err // a duplicate mapped name, or a header of data
		}
		absent = miss
		for _, c := range m.Unmapped() {
			unmapped[c] = true
		}
		return m, nil
	}
	// An empty API response or JSON file has no header at all: that is an
	// empty load, not a missing column (a stream with rows and no header
	// still fails below).
	var m *dataset.Mapper
	if len(header) > 0 {
		if m, err = mapperFor(header); err != nil {
			return store.Load{}, fmt.Errorf("%s: %w", p.stream.Name(), err)
		}
	}
	sl, err := load.Stream(ctx, p.stream.Name(), p.hash)
	if err != nil {
		return store.Load{}, err
	}
	if ps, ok := rr.(connectors.Progresser); ok {
		if _, total := ps.Progress(); total > 0 {
			sl.Expect(total / expectRowBytes)
		}
	}
	out := make([]any, len(src.Dataset.Fields))
	// The rows go to the store on a goroutine of their own (streamWriter);
	// every return before w.close stops it before the load is aborted.
	w := newStreamWriter(sl, len(out))
	abort := func() {
		w.stop()
		sl.Abort()
	}
	twice := newPeopleTwice(src.Dataset)
	rep := newRepeats()
	var read int64
	drift := map[[2]string]int64{} // (problem, column) -> rows, for type problems
	unresolved := map[[2]string]int64{}
	started := time.Now()
	report := func(finished bool) {
		if progress == nil {
			return
		}
		pr := Progress{Source: src.Name, Stream: p.stream.Name(), Rows: read, Elapsed: time.Since(started), Finished: finished}
		if ps, ok := rr.(connectors.Progresser); ok {
			pr.Done, pr.Total = ps.Progress()
		}
		progress(pr)
	}
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			abort()
			if ctx.Err() != nil {
				return store.Load{}, stopped(ctx, p.stream.Name(), read, rr)
			}
			return store.Load{}, err
		}
		read++
		// Readers of self-describing records (JSON APIs) add columns for
		// keys first seen later; a row longer than the header may mean the
		// header grew.
		if m == nil || len(row.Values) > len(header) {
			if h := rr.Header(); len(h) > len(header) || m == nil {
				if len(h) == 0 {
					abort()
					return store.Load{}, fmt.Errorf("%s: rows without a header: the records are not objects with named fields (an array of arrays, or of plain values?); export each record as an object such as {\"身份证号\": \"...\"}", p.stream.Name())
				}
				header = h
				if m, err = mapperFor(header); err != nil {
					abort()
					return store.Load{}, fmt.Errorf("%s: %w", p.stream.Name(), err)
				}
			}
		}
		if read%checkEvery == 0 {
			if ctx.Err() != nil {
				abort()
				return store.Load{}, stopped(ctx, p.stream.Name(), read, rr)
			}
			report(false)
		}
		key, prob := m.MapRow(row.Values, row.Kinds, out)
		if prob != nil && IsTypeProblem(prob.Code) {
			drift[[2]string{prob.Code, prob.Column}]++
		}
		if u := m.Unresolved(); prob == nil && u != nil {
			// Kept for identity resolution, yet a column of IDs that
			// mostly no longer parse is still a changed format.
			if IsTypeProblem(u.Code) {
				drift[[2]string{u.Code, u.Column}]++
			}
			unresolved[[2]string{u.Code, u.Column}]++
		}
		if prob != nil {
			if row.End > row.Pos {
				p := *prob
				p.Reason += fmt.Sprintf(" (the row spans lines %d–%d: an unclosed quote?)", row.Pos, row.End)
				prob = &p
			}
			raw := RawJSON(header, row.Values, row.Kinds)
			if rep.over(prob, raw) {
				// counted (and in a note), not quarantined again
				err = w.count(prob, 1)
			} else {
				err = w.quarantine(row.Pos, raw, prob)
			}
		} else {
			twice.see(out)
			err = w.append(out, key, row.Pos)
		}
		if err != nil {
			abort()
			return store.Load{}, err
		}
	}
	if err := w.close(); err != nil {
		sl.Abort()
		return store.Load{}, err
	}
	if ctx.Err() != nil {
		sl.Abort()
		return store.Load{}, stopped(ctx, p.stream.Name(), read, rr)
	}
	report(true)
	if absent != nil && len(absent.Required) > 0 && read > 0 {
		sl.Abort()
		return store.Load{}, fmt.Errorf("%s: required columns never appeared in %d records: %s", p.stream.Name(), read,
			strings.Join(absent.Required, ", "))
	}
	if err := SchemaDrift(p.stream.Name(), read, drift); err != nil {
		sl.Abort()
		return store.Load{}, err
	}
	if inc, ok := p.stream.(connectors.Incremental); ok {
		sl.SetWatermark(inc.Watermark())
		if p.full != "" {
			sl.MarkFullRead(p.full)
		}
	}
	var notes []store.Note
	if p.sameAs != nil {
		notes = append(notes, *p.sameAs)
	}
	if n, ok := rr.(connectors.Noter); ok {
		for _, nt := range n.Notes() {
			notes = append(notes, store.Note{Code: nt.Code, Count: nt.Count, Text: nt.Text})
			if nt.Code == connectors.NoteWatermarkReset && p.full == "" {
				// The connector read from the start: a full read.
				sl.MarkFullRead("saved watermark after the sync's start, reset")
			}
		}
	}
	if sn, ok := p.stream.(connectors.StreamNoter); ok {
		for _, nt := range sn.StreamNotes() {
			notes = append(notes, store.Note{Code: nt.Code, Count: nt.Count, Text: nt.Text})
		}
	}
	notes = append(notes, rep.notes()...)
	if n := twice.count(); n > 0 {
		notes = append(notes, store.Note{Code: store.GuardPeopleTwice, Count: n,
			Text: fmt.Sprintf("%d %s placed in two households or townships by this file (the row read last is the one used)", n, plural(n, "person", "people"))})
	}
	sl.SetNotes(notes)
	ld, err := sl.Finish(ctx, read)
	if err != nil {
		return ld, err
	}
	for k, n := range unresolved {
		ld.UnresolvedReasons = append(ld.UnresolvedReasons, store.ReasonCount{Code: k[0], Column: k[1], Count: n})
	}
	sortReasons(ld.UnresolvedReasons)
	return ld, nil
}

// newMapper maps a stream's header onto the source's dataset and notes
// the columns nothing uses.
func newMapper(src Source, header []string, unmapped map[string]bool) (*dataset.Mapper, error) {
	m, err := dataset.NewMapper(src.Dataset, header, src.Mapping)
	if err != nil {
		return nil, err
	}
	for _, c := range m.Unmapped() {
		unmapped[c] = true
	}
	return m, nil
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}
