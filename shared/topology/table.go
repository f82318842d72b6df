package topology

// Table describes the single DynamoDB table: its keys, indexes, TTL attribute
// and stream. The stack builds the real table from it and the local runner and
// tests create the same table in DynamoDB Local from it. All key attributes are
// strings. The item layouts that use these keys are described in
// shared/ddb/layout.go.
type Table struct {
	PartitionKey string
	SortKey      string
	TTLAttribute string
	// StreamView is what each record of the table's stream carries, as
	// DynamoDB names it: the notifier reads a queued mail intent from the
	// new image and tells a re-drive by comparing it with the old one.
	StreamView string
	Indexes    []Index
}

// Index is a global secondary index. It projects all attributes unless
// Include names the few it carries besides the keys.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
	Include      []string
}

// Index names.
const (
	// IndexBySubject holds every record of one person under the keyed hash
	// of their normalised email or phone: export and erasure are one query.
	IndexBySubject = "by-subject"
	// IndexByStatus is the staff queue: requests by status, ordered by due
	// date.
	IndexByStatus = "by-status-due"
	// IndexSuppression is sparse: only current opt-out suppression entries
	// carry its keys, so the ad-platform export reads them and nothing else.
	IndexSuppression = "suppression"
	// IndexExpiry is sparse: only records with a retention expiry carry its
	// keys, partitioned by expiry day and shard (EXP#<yyyy-mm-dd>#<shard>)
	// and sorted by expiry time, so the retention sweep reads what has
	// expired and nothing else.
	IndexExpiry = "by-expiry"
)

// ExpiryShards is how many partitions one expiry day is spread over, so
// that a day's expiring records neither make one hot index partition nor
// keep the sweep to one worker.
const ExpiryShards = 8

// ExpiryAttributes are what the expiry index carries besides the keys: the
// retention kind and expiry (to decide what to remove) and a ledger event's
// place in its chain, kind and time (to leave a stub that keeps the chain
// verifiable).
var ExpiryAttributes = []string{"retention", "expires_at", "seq", "hash", "prev_hash", "event", "at"}

// PrivacyTable is the service's table.
var PrivacyTable = Table{
	PartitionKey: "pk",
	SortKey:      "sk",
	TTLAttribute: "ttl",
	StreamView:   "NEW_AND_OLD_IMAGES",
	Indexes: []Index{
		{Name: IndexBySubject, PartitionKey: "gsi1pk", SortKey: "gsi1sk"},
		{Name: IndexByStatus, PartitionKey: "gsi2pk", SortKey: "gsi2sk"},
		{Name: IndexSuppression, PartitionKey: "gsi3pk", SortKey: "gsi3sk"},
		{Name: IndexExpiry, PartitionKey: "gsi4pk", SortKey: "gsi4sk", Include: ExpiryAttributes},
	},
}
