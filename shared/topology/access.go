package topology

import (
	"fmt"
	"slices"
	"strings"
)

// Action is a DynamoDB IAM action on the table, as IAM names it without the
// "dynamodb:" prefix. A transaction needs the action of each of its items
// (PutItem, UpdateItem, DeleteItem, ConditionCheckItem; GetItem for a
// transactional read): IAM has no action for the transaction itself.
type Action string

// The table actions a function may be granted.
const (
	GetItem            Action = "GetItem"
	BatchGetItem       Action = "BatchGetItem"
	Query              Action = "Query"
	Scan               Action = "Scan"
	PutItem            Action = "PutItem"
	UpdateItem         Action = "UpdateItem"
	DeleteItem         Action = "DeleteItem"
	ConditionCheckItem Action = "ConditionCheckItem"
	BatchWriteItem     Action = "BatchWriteItem"
)

// Actions are every table action, in the order IAM policies list them.
var Actions = []Action{GetItem, BatchGetItem, Query, Scan, PutItem, UpdateItem, DeleteItem, ConditionCheckItem, BatchWriteItem}

// TableAccess is everything one function may do to the table: the one
// declaration the stack turns into the function's IAM policy and the local
// cloud enforces on the function's DynamoDB client, so that a function that
// reaches for more fails locally before it is denied in AWS.
type TableAccess struct {
	// Actions are the item actions on the table itself.
	Actions []Action
	// Partitions are the partition keys those actions may touch, as IAM
	// StringLike patterns of dynamodb:LeadingKeys ("REQ#*" is every
	// request's partition, "SWEEPS" that one partition). Empty means any
	// partition: a function whose key space cannot be told apart by prefix.
	Partitions []string
	// Indexes are the global secondary indexes the function queries (Query
	// only: nothing writes an index directly).
	Indexes []string
}

// Reads says whether the access reads anything (it then needs to decrypt
// with the table's key).
func (a TableAccess) Reads() bool {
	return len(a.Indexes) > 0 || slices.ContainsFunc(a.Actions, func(x Action) bool {
		return x == GetItem || x == BatchGetItem || x == Query || x == Scan
	})
}

// Writes says whether the access writes anything (it then needs to encrypt
// with the table's key).
func (a TableAccess) Writes() bool {
	return slices.ContainsFunc(a.Actions, func(x Action) bool {
		return x == PutItem || x == UpdateItem || x == DeleteItem || x == BatchWriteItem
	})
}

// Allows says whether the action may touch the item or partition with
// partition key pk.
func (a TableAccess) Allows(action Action, pk string) bool {
	if !slices.Contains(a.Actions, action) {
		return false
	}
	if len(a.Partitions) == 0 {
		return true
	}
	return slices.ContainsFunc(a.Partitions, func(p string) bool { return matchLike(p, pk) })
}

// AllowsIndex says whether the function may query the index.
func (a TableAccess) AllowsIndex(index string) bool { return slices.Contains(a.Indexes, index) }

// matchLike is IAM's StringLike for the patterns Check accepts: exact, or a
// prefix followed by one trailing "*".
func matchLike(pattern, s string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, prefix)
	}
	return pattern == s
}

// Check refuses a declaration the stack could not turn into a policy that
// means what it says.
func (a TableAccess) Check(table Table) error {
	for _, x := range a.Actions {
		if !slices.Contains(Actions, x) {
			return fmt.Errorf("unknown table action %q", x)
		}
	}
	for _, p := range a.Partitions {
		if p == "" || strings.Contains(strings.TrimSuffix(p, "*"), "*") || strings.Contains(p, "?") {
			return fmt.Errorf("partition pattern %q: give an exact key or a prefix ending in one *", p)
		}
	}
	for _, ix := range a.Indexes {
		if !slices.ContainsFunc(table.Indexes, func(i Index) bool { return i.Name == ix }) {
			return fmt.Errorf("index %q is not an index of the table", ix)
		}
	}
	return nil
}
