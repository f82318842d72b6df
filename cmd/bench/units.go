package main

import (
	"maps"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/topology"
)

// The sizing rules of DynamoDB ("DynamoDB item sizes and formats" in its
// developer guide): an item is the sum of its attribute names and values;
// a string or binary value counts its bytes, a number one byte per two
// significant digits plus one, a Boolean or null one byte; a list or map
// 3 bytes plus its elements, each element one byte more; a set the sum of
// its elements. A write is charged per started KB of the larger of the item
// before and after it, 1 WCU at least, twice in a transaction; a read per
// started 4 KB, half for an eventually consistent one. An index entry is
// the projected item plus 100 bytes.
const (
	writeUnitBytes     = 1024
	readUnitBytes      = 4096
	indexEntryOverhead = 100
)

// Item is a DynamoDB item.
type Item = map[string]types.AttributeValue

// ItemSize is the size DynamoDB counts for an item; a missing item (nil)
// is 0.
func ItemSize(it Item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	}
	return 0
}

// numberSize counts a number's significant digits, leading and trailing
// zeros trimmed, one byte per two, plus one.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	d := strings.Trim(strings.Replace(s, ".", "", 1), "0")
	return (len(d)+1)/2 + 1
}

// WriteUnits is what writing an item of size bytes costs outside a
// transaction.
func WriteUnits(size int) int { return max(1, (size+writeUnitBytes-1)/writeUnitBytes) }

// ReadUnits is what a strongly consistent read of size bytes costs.
func ReadUnits(size int) int { return max(1, (size+readUnitBytes-1)/readUnitBytes) }

// Index is a global secondary index of the table.
type Index struct {
	Name, PK, SK string
	// Include is what an INCLUDE projection carries besides the keys;
	// nil projects every attribute.
	Include []string
}

// Table is what the arithmetic needs of a table: its keys and indexes.
type Table struct {
	PK, SK  string
	Indexes []Index
}

// TableOf is the arithmetic's view of a table of the topology.
func TableOf(t topology.Table) Table {
	out := Table{PK: t.PartitionKey, SK: t.SortKey}
	for _, ix := range t.Indexes {
		out.Indexes = append(out.Indexes, Index{Name: ix.Name, PK: ix.PartitionKey, SK: ix.SortKey, Include: ix.Include})
	}
	return out
}

// Key is an item's primary key.
func (t Table) Key(it Item) Item {
	k := Item{t.PK: it[t.PK]}
	if t.SK != "" {
		k[t.SK] = it[t.SK]
	}
	return k
}

// in says whether an item has an entry in the index: a sparse index holds
// only the items that carry its keys.
func (t Table) in(ix Index, it Item) bool {
	if it == nil || it[ix.PK] == nil {
		return false
	}
	return ix.SK == "" || it[ix.SK] != nil
}

// entry is an item's entry in the index: the projected attributes, the
// table's and the index's keys.
func (t Table) entry(ix Index, it Item) Item {
	if ix.Include == nil {
		return it
	}
	out := Item{}
	for _, k := range append([]string{t.PK, t.SK, ix.PK, ix.SK}, ix.Include...) {
		if v, ok := it[k]; ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// Write is one item written: a Put, Update, Delete or a transaction's
// ConditionCheck, with the item before and after it (nil where absent).
type Write struct {
	Kind          string // put, update, delete, check
	Tx            bool
	Failed        bool // a condition failed or the transaction was cancelled
	Before, After Item
}

// WriteCost is what a write costs in the table and in its indexes, by
// size (Units) and by count (Arith: an item or index entry of at most
// 1 KB each).
type WriteCost struct {
	TableUnits, IndexUnits int
	TableArith, IndexArith int
	IndexWrites            int
}

// Add sums costs.
func (c WriteCost) Add(o WriteCost) WriteCost {
	return WriteCost{c.TableUnits + o.TableUnits, c.IndexUnits + o.IndexUnits, c.TableArith + o.TableArith,
		c.IndexArith + o.IndexArith, c.IndexWrites + o.IndexWrites}
}

// Cost is what DynamoDB charges for the write: the larger of the item
// before and after per started KB (twice in a transaction), and one index
// write per index whose entry appears, disappears or changes (two, a
// delete and a put, when its keys change). A failed write is charged for
// the item it found, and writes no index.
func (t Table) Cost(w Write) WriteCost {
	mult := 1
	if w.Tx {
		mult = 2
	}
	size := max(ItemSize(w.Before), ItemSize(w.After))
	if w.Kind == "check" || w.Failed {
		size = ItemSize(w.Before)
	}
	c := WriteCost{TableUnits: mult * WriteUnits(size), TableArith: mult}
	if w.Kind == "check" || w.Failed {
		return c
	}
	for _, ix := range t.Indexes {
		n, units := t.indexWrites(ix, w.Before, w.After)
		c.IndexWrites += n
		c.IndexUnits += units
		c.IndexArith += n
	}
	return c
}

// indexWrites is how many writes the index takes for an item changing from
// before to after, and their units.
func (t Table) indexWrites(ix Index, before, after Item) (int, int) {
	b, a := t.in(ix, before), t.in(ix, after)
	eb, ea := t.entry(ix, before), t.entry(ix, after)
	size := func(e Item) int { return WriteUnits(ItemSize(e) + indexEntryOverhead) }
	switch {
	case b && !a:
		return 1, size(eb)
	case !b && a:
		return 1, size(ea)
	case !b && !a:
		return 0, 0
	}
	if !reflect.DeepEqual(eb[ix.PK], ea[ix.PK]) || (ix.SK != "" && !reflect.DeepEqual(eb[ix.SK], ea[ix.SK])) {
		return 2, size(eb) + size(ea)
	}
	if maps.EqualFunc(eb, ea, func(x, y types.AttributeValue) bool { return reflect.DeepEqual(x, y) }) {
		return 0, 0
	}
	return 1, WriteUnits(max(ItemSize(eb), ItemSize(ea)) + indexEntryOverhead)
}

// Read is one read call: the items it read (whole items, or index entries
// for an index), whether each is charged alone (GetItem, BatchGetItem,
// TransactGetItems) or all together (Query, Scan), and how.
type Read struct {
	Items      []Item // nil entries: keys asked for that were not there
	PerItem    bool
	Consistent bool
	Tx         bool
}

// ReadCost is what a read costs by size (Units) and by count (Arith: each
// item, or each call's items, within 4 KB).
type ReadCost struct{ Units, Arith float64 }

// Cost is what DynamoDB charges for the read: per started 4 KB (per item,
// or of the call's items together), 1 unit at least even when nothing was
// found, half when eventually consistent, twice in a transaction.
func (r Read) Cost() ReadCost {
	var units, arith int
	if r.PerItem {
		for _, it := range r.Items {
			units += ReadUnits(ItemSize(it))
			arith++
		}
	} else {
		n := 0
		for _, it := range r.Items {
			n += ItemSize(it)
		}
		units, arith = ReadUnits(n), 1
	}
	f := 1.0
	switch {
	case r.Tx:
		f = 2
	case !r.Consistent:
		f = 0.5
	}
	return ReadCost{Units: f * float64(units), Arith: f * float64(arith)}
}
