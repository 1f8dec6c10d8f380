package xlsx

import (
	"encoding/xml"
	"fmt"
	"io"
)

// MaxSharedText bounds the memory the shared strings table may take: the
// text of its strings plus a string header (16 bytes) each. The table is
// held whole because cells name its strings by index in any order. A
// county's 350,000-row registry needs some 40 MB; past 1 GiB the workbook
// is not a department file.
const MaxSharedText = 1 << 30

// sharedTextLimit is the limit in force, a variable so that tests can lower it.
var sharedTextLimit int64 = MaxSharedText

// readSharedStrings reads the shared strings table (xl/sharedStrings.xml).
// Each <si> is one string: its plain <t>, or the <t> of its rich text runs
// <r> joined; phonetic guides (<rPh>, the pinyin or kana Excel may keep
// above the text) are not part of it.
func readSharedStrings(r io.Reader) ([]string, error) {
	d := newTokens(r)
	var (
		out   []string
		text  []byte // the current <si>
		run   []byte // the current <t>
		inSI  bool
		inT   bool
		keep  bool // xml:space="preserve" on the current <t>
		rph   int  // depth inside <rPh>
		total int64
	)
	for {
		tok, err := d.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, inT, rph = true, false, 0
				text = text[:0]
			case "rPh":
				rph++
			case "t":
				if inSI && rph == 0 {
					inT = true
					keep = attr(&t, "space") == "preserve"
					run = run[:0]
				}
			}
		case xml.CharData:
			if inT {
				run = append(run, t...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				if inT {
					text = append(text, runText(run, keep)...)
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
				s := decodeEscapes(string(text))
				total += int64(len(s)) + 16
				if total > sharedTextLimit {
					return nil, fmt.Errorf("the shared strings hold more than %d MiB of text, more than a department file holds: the file is damaged or crafted", sharedTextLimit>>20)
				}
				out = append(out, s)
			}
		}
		if int64(len(text)) > sharedTextLimit {
			return nil, fmt.Errorf("the shared strings hold more than %d MiB of text, more than a department file holds: the file is damaged or crafted", sharedTextLimit>>20)
		}
	}
}
