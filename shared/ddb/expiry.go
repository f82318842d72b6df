package ddb

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// expiry is what every record with a retention period carries, embedded in
// its item struct:
//
//	retention  = <retention kind>          (what the sweep counts it as)
//	expires_at = <expiry, stamp>           (when it may be removed)
//	gsi4pk = EXP#<yyyy-mm-dd>#<shard>   gsi4sk = <expires_at>   (by-expiry: the sweep's sparse index)
//	ttl = expiry + ttlGrace                (DynamoDB's TTL: a backstop if the sweep stops running)
//
// Records kept while in effect carry none of it, so the index holds only
// what will expire.
type expiry struct {
	Retention string `dynamodbav:"retention,omitempty"`
	ExpiresAt string `dynamodbav:"expires_at,omitempty"`
	GSI4PK    string `dynamodbav:"gsi4pk,omitempty"`
	GSI4SK    string `dynamodbav:"gsi4sk,omitempty"`
	TTL       int64  `dynamodbav:"ttl,omitempty"`
}

// ttlGrace is how long after its expiry DynamoDB's TTL removes a record the
// sweep has not: the sweep runs daily, counts what it removes and takes a
// request's history with it, so TTL acts only when the sweep has been
// failing for a month (its alarms fire on the first day). Ledger events
// carry no TTL (see noTTL).
const ttlGrace = 30 * 24 * time.Hour

// expires returns the expiry attributes of the record pk/sk of the kind,
// whose retention period started at from; none for a kind kept while in
// effect.
func expires(kind retention.Kind, pk, sk string, from time.Time) expiry {
	rule, err := retention.RuleFor(kind)
	if err != nil {
		// A kind without a rule is a programming error caught by the
		// tests of every writer; keep the record rather than guess.
		return expiry{}
	}
	at, ok := rule.Expiry(from)
	if !ok {
		return expiry{}
	}
	return expiryAt(kind, pk, sk, at)
}

// expiryAt returns the expiry attributes for a record that expires at at.
func expiryAt(kind retention.Kind, pk, sk string, at time.Time) expiry {
	return expiry{
		Retention: string(kind),
		ExpiresAt: stamp(at),
		GSI4PK:    bucket(at, shardOf(pk, sk)),
		GSI4SK:    stamp(at),
		TTL:       at.Add(ttlGrace).Unix(),
	}
}

// bucket is the expiry index partition of a day and shard.
func bucket(day time.Time, shard int) string {
	return fmt.Sprintf("%s%s#%d", prefixExpiry, day.UTC().Format(expiryDay), shard)
}

// shardOf spreads records over the shards by their key, so the same record
// always lands in the same shard.
func shardOf(pk, sk string) int {
	h := fnv.New32a()
	h.Write([]byte(pk))
	h.Write([]byte{0})
	h.Write([]byte(sk))
	return int(h.Sum32() % topology.ExpiryShards)
}

// noTTL is the expiry without DynamoDB's TTL, for a ledger event: TTL would
// delete it outright, leaving a gap that reads as tampering, where the sweep
// leaves a stub that keeps the chain verifiable.
func (e expiry) noTTL() expiry {
	e.TTL = 0
	return e
}

// set returns an update expression fragment (for SET), its names and its
// values, which give an existing record the expiry attributes; the caller
// names the placeholders' prefix so several fragments fit one expression.
func (e expiry) set(p string) (string, map[string]string, map[string]types.AttributeValue) {
	expr := fmt.Sprintf("retention = %[1]sk, expires_at = %[1]sx, gsi4pk = %[1]sb, gsi4sk = %[1]sx", p)
	names := map[string]string{}
	values := map[string]types.AttributeValue{
		p + "k": &types.AttributeValueMemberS{Value: e.Retention},
		p + "x": &types.AttributeValueMemberS{Value: e.ExpiresAt},
		p + "b": &types.AttributeValueMemberS{Value: e.GSI4PK},
	}
	if e.TTL != 0 {
		expr += fmt.Sprintf(", #ttl = %st", p)
		names["#ttl"] = "ttl"
		values[p+"t"] = &types.AttributeValueMemberN{Value: fmt.Sprint(e.TTL)}
	}
	return expr, names, values
}
