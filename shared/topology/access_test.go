package topology

import (
	"slices"
	"testing"
)

// Every function's declaration is one the stack can turn into a policy, and
// the functions anyone on the internet can call cannot scan the table,
// delete an item or write in bulk.
func TestTableAccessDeclarations(t *testing.T) {
	public := map[string]bool{}
	for _, r := range ClariTru.Routes {
		if r.Auth == Public {
			public[r.Function] = true
		}
	}
	for _, f := range ClariTru.Functions {
		if err := f.Table.Check(PrivacyTable); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		reads := slices.Contains(f.Env, EnvTableName)
		if reads != (len(f.Table.Actions) > 0) {
			t.Errorf("%s: reads TABLE_NAME %v but declares actions %v", f.Name, reads, f.Table.Actions)
		}
		if !public[f.Name] {
			continue
		}
		for _, a := range []Action{Scan, DeleteItem, BatchWriteItem} {
			if slices.Contains(f.Table.Actions, a) {
				t.Errorf("public function %s may %s", f.Name, a)
			}
		}
		if len(f.Table.Partitions) == 0 {
			t.Errorf("public function %s may touch any partition", f.Name)
		}
	}
}

func TestTableAccessAllows(t *testing.T) {
	a := TableAccess{Actions: []Action{GetItem}, Partitions: []string{"REQ#*", "SWEEPS"}}
	cases := []struct {
		action Action
		pk     string
		want   bool
	}{
		{GetItem, "REQ#01", true},
		{GetItem, "REQ#", true},
		{GetItem, "SWEEPS", true},
		{GetItem, "SWEEPSX", false},
		{GetItem, "SUBJ#x", false},
		{GetItem, "req#01", false},
		{PutItem, "REQ#01", false},
	}
	for _, c := range cases {
		if got := a.Allows(c.action, c.pk); got != c.want {
			t.Errorf("Allows(%s, %q) = %v, want %v", c.action, c.pk, got, c.want)
		}
	}
	if !(TableAccess{Actions: []Action{GetItem}}).Allows(GetItem, "ANY") {
		t.Error("no partitions should mean any partition")
	}
	for _, bad := range []TableAccess{
		{Actions: []Action{"TransactWriteItems"}},
		{Actions: []Action{GetItem}, Partitions: []string{"RE*Q#"}},
		{Actions: []Action{GetItem}, Partitions: []string{""}},
		{Actions: []Action{Query}, Indexes: []string{"no-such-index"}},
	} {
		if bad.Check(PrivacyTable) == nil {
			t.Errorf("Check(%+v) accepted", bad)
		}
	}
}
