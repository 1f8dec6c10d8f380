package xlsx

import "io"

// maxStringRaw bounds the text of one shared string as written (escaped)
// that is kept while it is read: a string of Excel's 32,767 characters
// takes at most some 330 KB written out, so a longer one is past the limit
// of a cell however it is escaped, and the rest of it is only counted.
const maxStringRaw = 1 << 20

// readSharedStrings reads the shared strings table (xl/sharedStrings.xml).
// Each <si> is one string: its plain <t>, or the <t> of its rich text runs
// <r> joined; phonetic guides (<rPh>, the pinyin or kana Excel may keep
// above the text) are not part of it.
//
// A string longer than Excel's limit for a cell (MaxCellChars) is not
// kept: it is "" in the table, and long maps its index to its length in
// bytes (of its text as read), so that a cell naming it fails saying so,
// while a workbook that holds one no cell uses reads as Excel reads it.
// Past limit bytes of memory (the strings' text plus 16 bytes each), the
// table fails with a *LimitError (its Part left for the caller to name).
func readSharedStrings(r io.Reader, limit int64) (out []string, long map[int]int, err error) {
	d := newTokens(r)
	var (
		text  []byte // the current <si>
		size  int    // its length as written, past maxStringRaw too
		run   []byte // the current <t>
		inSI  bool
		inT   bool
		keep  bool // xml:space="preserve" on the current <t>
		rph   int  // depth inside <rPh>
		total int64
	)
	over := func() error {
		return &LimitError{What: LimitSharedText, Size: total, Limit: limit}
	}
	for {
		kind, err := d.next()
		if err == io.EOF {
			return out, long, nil
		}
		if err != nil {
			return nil, nil, err
		}
		switch kind {
		case tokStart:
			switch string(d.local) {
			case "si":
				inSI, inT, rph = true, false, 0
				text, size = text[:0], 0
			case "rPh":
				rph++
			case "t":
				if inSI && rph == 0 {
					inT = true
					keep = string(d.attr("space")) == "preserve"
					run = run[:0]
				}
			}
		case tokText:
			if t := d.text; inT {
				size += len(t)
				if size <= maxStringRaw {
					run = append(run, t...)
				}
			}
		case tokEnd:
			switch string(d.local) {
			case "t":
				if inT {
					if size <= maxStringRaw {
						text = append(text, runText(run, keep)...)
					}
					run = run[:0]
					inT = false
				}
			case "rPh":
				if rph > 0 {
					rph--
				}
			case "si":
				if !inSI {
					continue
				}
				inSI = false
				s := ""
				if size <= maxStringRaw {
					s = decodeEscapes(string(text))
				}
				if size > maxStringRaw || textLen(s) > MaxCellChars {
					if long == nil {
						long = map[int]int{}
					}
					long[len(out)] = size
					s = ""
				}
				total += int64(len(s)) + 16
				if total > limit {
					return nil, nil, over()
				}
				out = append(out, s)
			}
		}
		if total+int64(len(text)+len(run)) > limit {
			total += int64(len(text) + len(run))
			return nil, nil, over()
		}
	}
}
