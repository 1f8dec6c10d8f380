package gen

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
)

// DivisionsFile is the county's administrative divisions: code, name and
// level of every township and village, UTF-8 CSV. Lists name villages
// from it (county.divisions in config), as officers know 西关社区, not
// 340799001004.
const DivisionsFile = "divisions.csv"

// writeDivisions writes DivisionsFile into dir.
func (w *world) writeDivisions(dir string) error { return writeDivisions(dir, w.county.Towns) }

func writeDivisions(dir string, towns []*township) error {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"代码", "名称", "级别"})
	for _, t := range towns {
		cw.Write([]string{t.Code, t.Name, "乡镇"})
		for _, v := range t.Villages {
			cw.Write([]string{v.Code, v.Name, "村社区"})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	path := filepath.Join(dir, DivisionsFile)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
