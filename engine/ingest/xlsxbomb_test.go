package ingest

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors/file"
	"github.com/lipwatch/lipwatch/engine/config"
)

// bombXLSX writes a workbook of some 195 KB whose one cell, B2, names a
// shared string of n bytes, written in rich-text runs of 1 MiB (so that
// no stretch of the XML is long): the hostile file of issue 9, whose
// shared strings inflate to 190 MiB. It is written with archive/zip
// directly, streaming, so the test holds none of it.
func bombXLSX(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	put := func(name, body string) io.Writer {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		return w
	}
	const decl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = `http://schemas.openxmlformats.org/officeDocument/2006/relationships/`
	put("[Content_Types].xml", decl+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`)
	put("_rels/.rels", decl+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+rel+`officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/workbook.xml", decl+`<workbook `+ns+` xmlns:r="`+strings.TrimSuffix(rel, "/")+`"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", decl+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="`+rel+`worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="`+rel+`sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	put("xl/worksheets/sheet1.xml", decl+`<worksheet `+ns+`><sheetData>`+
		`<row r="1"><c r="A1" t="inlineStr"><is><t>身份证号</t></is></c><c r="B1" t="inlineStr"><is><t>业务类型</t></is></c><c r="C1" t="inlineStr"><is><t>业务日期</t></is></c></row>`+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>11010519491231002X</t></is></c><c r="B2" t="s"><v>0</v></c><c r="C2" t="inlineStr"><is><t>2026-03-05</t></is></c></row>`+
		`</sheetData></worksheet>`)
	w := put("xl/sharedStrings.xml", decl+`<sst `+ns+` count="1" uniqueCount="1"><si>`)
	run := []byte("<r><t>" + strings.Repeat("失", 1<<20/3) + "</t></r>")
	for left := n; left > 0; left -= 1 << 20 {
		w.Write(run)
	}
	io.WriteString(w, `</si></sst>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// The hostile workbook of issue 9 (195 KB, one cell of 190 MiB) is
// refused by sync with a message naming the file and the limit it passed:
// the config's sync.xlsx_max_unzipped when set below it, else Excel's own
// limit for a cell, which the reader holds shared strings to without
// keeping them. Nothing of it is loaded or quarantined; the other source
// of the same sync loads.
func TestHostileWorkbookRefused(t *testing.T) {
	if config.DefaultXLSXMaxUnzipped.Bytes() != file.DefaultXLSXMaxUnzipped || config.DefaultXLSXMaxSharedStrings.Bytes() != file.DefaultXLSXMaxSharedStrings {
		t.Errorf("config's defaults (%v, %v) differ from the file connector's (%d, %d)", config.DefaultXLSXMaxUnzipped, config.DefaultXLSXMaxSharedStrings,
			file.DefaultXLSXMaxUnzipped, file.DefaultXLSXMaxSharedStrings)
	}
	f := newFixture(t)
	bombXLSX(t, filepath.Join(f.dir, "bomb.xlsx"), 190<<20)
	if fi, err := os.Stat(filepath.Join(f.dir, "bomb.xlsx")); err == nil {
		t.Logf("bomb.xlsx: %d KB", fi.Size()>>10)
	}
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10)
	for _, tc := range []struct {
		name, sync, want string
	}{
		{"unzip limit", "sync:\n  xlsx_max_unzipped: 64MiB\n",
			"source bomb: bomb.xlsx: the workbook's parts inflate past 64 MiB: xl/sharedStrings.xml alone is 190 MiB unzipped, " +
				"more than a department file needs: the file is damaged or crafted (a zip bomb) (the limit is sync.xlsx_max_unzipped; raise it if the workbook is genuine)"},
		{"cell limit", "",
			"source bomb: bomb.xlsx:2: sheet Sheet1: cell B2: the cell's shared string holds more than Excel's limit of 32767 characters for a cell (199229250 bytes of text): the file is damaged or crafted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := "county:\n  code: \"340799\"\n" + tc.sync + "sources:\n" +
				"  bomb:\n    kind: file\n    dataset: employment\n    options: {path: bomb.xlsx}\n    columns: {id_number: 身份证号, event: 业务类型, event_date: 业务日期}\n" +
				"  emp:\n    kind: file\n    dataset: employment\n    options: {path: emp.csv}\n    columns: {id_number: 身份证号, event: 业务类型, event_date: 业务日期}\n"
			cfg, err := config.Parse(filepath.Join(f.dir, "config.yaml"), []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			srcs, failed, err := FromConfig(cfg, nil)
			if err != nil || len(failed) > 0 {
				t.Fatal(err, failed)
			}
			f.sy.Full = map[string]bool{"emp": true}
			res := f.sy.Sync(context.Background(), srcs)
			byName := map[string]Result{}
			for _, r := range res {
				byName[r.Source] = r
			}
			if err := byName["bomb"].Err; err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
			if r := byName["emp"]; r.Err != nil || len(r.Loads) != 1 {
				t.Errorf("the other source: %+v", r)
			}
			if n := f.count(`SELECT count(*) FROM quarantine WHERE source = 'bomb'`) + f.count(`SELECT count(*) FROM employment WHERE _source = 'bomb'`); n != 0 {
				t.Errorf("%d rows of the bomb kept", n)
			}
		})
	}
}
