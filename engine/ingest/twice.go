package ingest

import (
	"hash/maphash"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// peopleTwice finds, in one read of a registry file, the people it places
// in two households or townships: registry_current keeps the row read
// last, so a warning may follow the wrong household in silence. It keeps a
// hash of each person's household and township (16 bytes a person), not
// the values.
type peopleTwice struct {
	on                   bool
	id, hh, town, status int
	seed                 maphash.Seed
	where                map[string]uint64
	conflict             map[string]bool
}

func newPeopleTwice(ds *dataset.Dataset) *peopleTwice {
	t := &peopleTwice{on: ds.Name == "registry", id: -1, hh: -1, town: -1, status: -1}
	for i, f := range ds.Fields {
		switch f.Name {
		case "id_number":
			t.id = i
		case "household_id":
			t.hh = i
		case "township_code":
			t.town = i
		case "status":
			t.status = i
		}
	}
	if t.on {
		t.seed = maphash.MakeSeed()
		t.where = map[string]uint64{}
		t.conflict = map[string]bool{}
	}
	return t
}

// see notes a loaded row (values in the dataset's field order). Only
// active rows count: a history of the person's moves (an old row 迁出, a
// new one 正常) is not a conflict.
func (t *peopleTwice) see(out []any) {
	if !t.on {
		return
	}
	if st, _ := out[t.status].(string); st != "" && st != "active" {
		return
	}
	id, _ := out[t.id].(string)
	hh, _ := out[t.hh].(string)
	town, _ := out[t.town].(string)
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteString(hh)
	h.WriteByte(0)
	h.WriteString(town)
	sum := h.Sum64()
	if prev, ok := t.where[id]; ok && prev != sum {
		t.conflict[id] = true
		return
	}
	t.where[id] = sum
}

// count is how many people the file placed in two households or townships.
func (t *peopleTwice) count() int64 { return int64(len(t.conflict)) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
