package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// Sizes worked out by hand from the rules of "DynamoDB item sizes and
// formats": name bytes plus value bytes; a number one byte per two
// significant digits plus one; Boolean and null one byte; list and map 3
// bytes plus one per element; sets the sum of their elements.
func TestItemSize(t *testing.T) {
	cases := []struct {
		name string
		item Item
		want int
	}{
		{"string", Item{"pk": s("USER#1")}, 2 + 6},
		{"utf-8 string", Item{"név": s("é")}, 4 + 2},
		{"number, 5 significant digits", Item{"n": n("123.45")}, 1 + 3 + 1},
		{"number, trailing zeros trimmed", Item{"n": n("100")}, 1 + 1 + 1},
		{"number, leading zeros trimmed", Item{"n": n("-0.0012")}, 1 + 1 + 1},
		{"number, 38 digits", Item{"n": n(strings.Repeat("9", 38))}, 1 + 19 + 1},
		{"boolean", Item{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{"null", Item{"x": &types.AttributeValueMemberNULL{Value: true}}, 1 + 1},
		{"binary", Item{"b": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}}, 1 + 3},
		{"list", Item{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("ab"), n("7")}}}, 1 + 3 + (2 + 1) + (2 + 1)},
		{"map", Item{"m": &types.AttributeValueMemberM{Value: Item{"k": s("v")}}}, 1 + 3 + (1 + 1 + 1)},
		{"empty map", Item{"m": &types.AttributeValueMemberM{Value: Item{}}}, 1 + 3},
		{"string set", Item{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bc"}}}, 2 + 3},
		{"several", Item{"pk": s("A"), "sk": s("B"), "n": n("42")}, 3 + 3 + 3},
		{"missing", nil, 0},
	}
	for _, c := range cases {
		if got := ItemSize(c.item); got != c.want {
			t.Errorf("%s: ItemSize = %d, want %d", c.name, got, c.want)
		}
	}
}

// The developer guide's examples: a 3.5 KB item is 4 WCU to write and
// 1 RCU to read strongly consistent (0.5 eventually); a Query returning
// 40.8 KB is 11 RCU strongly consistent, 5.5 eventually.
func TestUnits(t *testing.T) {
	if got := WriteUnits(3584); got != 4 {
		t.Errorf("WriteUnits(3.5 KB) = %d, want 4", got)
	}
	for size, want := range map[int]int{0: 1, 1: 1, 1024: 1, 1025: 2} {
		if got := WriteUnits(size); got != want {
			t.Errorf("WriteUnits(%d) = %d, want %d", size, got, want)
		}
	}
	item := Item{"pk": s(strings.Repeat("x", 3582))} // 3.5 KB
	if got := (Read{Items: []Item{item}, PerItem: true, Consistent: true}).Cost(); got != (ReadCost{1, 1}) {
		t.Errorf("strong GetItem of 3.5 KB = %+v, want 1 RCU", got)
	}
	if got := (Read{Items: []Item{item}, PerItem: true}).Cost(); got != (ReadCost{0.5, 0.5}) {
		t.Errorf("eventual GetItem of 3.5 KB = %+v, want 0.5 RCU", got)
	}
	var query []Item
	for range 10 {
		query = append(query, Item{"pk": s(strings.Repeat("y", 4176))}) // 10 x 4178 B = 40.8 KB
	}
	if got := (Read{Items: query, Consistent: true}).Cost(); got != (ReadCost{11, 1}) {
		t.Errorf("strong Query of 40.8 KB = %+v, want 11 RCU (1 by count)", got)
	}
	if got := (Read{Items: query}).Cost(); got != (ReadCost{5.5, 0.5}) {
		t.Errorf("eventual Query of 40.8 KB = %+v, want 5.5 RCU", got)
	}
	if got := (Read{}).Cost(); got != (ReadCost{0.5, 0.5}) {
		t.Errorf("eventual Query that found nothing = %+v, want 0.5 RCU", got)
	}
	if got := (Read{Items: []Item{nil}, PerItem: true, Consistent: true}).Cost(); got != (ReadCost{1, 1}) {
		t.Errorf("strong GetItem of a missing item = %+v, want 1 RCU", got)
	}
	if got := (Read{Items: []Item{{"a": s("b")}, {"a": s("c")}}, PerItem: true, Tx: true}).Cost(); got != (ReadCost{4, 4}) {
		t.Errorf("TransactGetItems of two small items = %+v, want 4 RCU", got)
	}
}

// testTable has an index projecting everything and a sparse one that
// includes one attribute.
var testTable = Table{PK: "pk", SK: "sk", Indexes: []Index{
	{Name: "all", PK: "g1pk", SK: "g1sk"},
	{Name: "sparse", PK: "g2pk", SK: "g2sk", Include: []string{"exp"}},
}}

// sized is an item of exactly size bytes: keys plus a padding attribute.
func sized(size int, attrs ...string) Item {
	it := Item{"pk": s("P"), "sk": s("S")}
	for i := 0; i+1 < len(attrs); i += 2 {
		it[attrs[i]] = s(attrs[i+1])
	}
	pad := size - ItemSize(it) - 3
	it["pad"] = s(strings.Repeat("z", pad))
	return it
}

func TestWriteCost(t *testing.T) {
	small, big := sized(500), sized(1500)
	indexed := sized(950, "g1pk", "A", "g1sk", "1")
	moved := sized(950, "g1pk", "A", "g1sk", "2")
	renamed := sized(960, "g1pk", "A", "g1sk", "1")
	inSparse := sized(300, "g2pk", "D", "g2sk", "1", "exp", "x")
	sparseOther := sized(310, "g2pk", "D", "g2sk", "1", "exp", "x")
	sparseExp := sized(300, "g2pk", "D", "g2sk", "1", "exp", "y")
	cases := []struct {
		name string
		w    Write
		want WriteCost
	}{
		{"put of 500 B", Write{Kind: "put", After: small}, WriteCost{TableUnits: 1, TableArith: 1}},
		{"put of 500 B in a transaction", Write{Kind: "put", Tx: true, After: small}, WriteCost{TableUnits: 2, TableArith: 2}},
		{"put of 1500 B", Write{Kind: "put", After: big}, WriteCost{TableUnits: 2, TableArith: 1}},
		{"update from 500 B to 1500 B: the larger", Write{Kind: "update", Before: small, After: big}, WriteCost{TableUnits: 2, TableArith: 1}},
		{"delete of 1500 B", Write{Kind: "delete", Before: big}, WriteCost{TableUnits: 2, TableArith: 1}},
		{"delete of nothing", Write{Kind: "delete"}, WriteCost{TableUnits: 1, TableArith: 1}},
		// 950 B + 100 B of index overhead is over 1 KB in the index.
		{"put into an index", Write{Kind: "put", After: indexed}, WriteCost{TableUnits: 1, TableArith: 1, IndexUnits: 2, IndexArith: 1, IndexWrites: 1}},
		{"index sort key changed: delete and put", Write{Kind: "update", Before: indexed, After: moved},
			WriteCost{TableUnits: 1, TableArith: 1, IndexUnits: 4, IndexArith: 2, IndexWrites: 2}},
		{"projected attribute changed: one index write", Write{Kind: "update", Before: indexed, After: renamed},
			WriteCost{TableUnits: 1, TableArith: 1, IndexUnits: 2, IndexArith: 1, IndexWrites: 1}},
		{"attribute outside an INCLUDE projection changed: none", Write{Kind: "update", Before: inSparse, After: sparseOther},
			WriteCost{TableUnits: 1, TableArith: 1}},
		{"included attribute changed: one", Write{Kind: "update", Before: inSparse, After: sparseExp},
			WriteCost{TableUnits: 1, TableArith: 1, IndexUnits: 1, IndexArith: 1, IndexWrites: 1}},
		{"leaves the sparse index", Write{Kind: "update", Before: inSparse, After: small},
			WriteCost{TableUnits: 1, TableArith: 1, IndexUnits: 1, IndexArith: 1, IndexWrites: 1}},
		{"failed condition on 1500 B: charged, no index", Write{Kind: "put", Failed: true, Before: big, After: big},
			WriteCost{TableUnits: 2, TableArith: 1}},
		{"condition check in a transaction", Write{Kind: "check", Tx: true, Before: small, After: small},
			WriteCost{TableUnits: 2, TableArith: 2}},
	}
	for _, c := range cases {
		if got := testTable.Cost(c.w); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
