package ddb_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/topology"
)

func TestMain(m *testing.M) { os.Exit(localtest.Main(m, false)) }

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func sampleCreation(id string) request.Creation {
	r := request.Request{
		ID: id, Types: []request.Type{request.Access, request.Delete}, Status: request.PendingVerification,
		Channel: request.Web, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+14155550100", Country: "US", State: "CA", Details: "line one\nline two",
		Regime: deadline.CCPA, ReceivedAt: t0, DueAt: t0.AddDate(0, 0, 45), SubjectKey: "k-" + id, Version: 1,
	}
	return request.Creation{
		Request:        r,
		Event:          request.Event{ID: id + "-e1", At: t0, Action: "received", To: request.PendingVerification, Actor: "requester"},
		TokenHash:      "hash-" + id,
		TokenExpiresAt: t0.Add(request.TokenLifetime),
		Mail: mail.Intent{ID: id + "-m1", Template: mail.RequestReceived, To: r.Email,
			Data: map[string]string{"first_name": "Ada", "verify_url": "https://api.example/v1/verify?token=secret"}},
	}
}

func count(t *testing.T, db *dynamodb.Client, table, pk string) int {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}

func TestCreateThenGetRoundTrips(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	c := sampleCreation("R1")
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	want := c.Request
	if got.Email != want.Email || got.Phone != want.Phone || got.Status != want.Status || got.Details != want.Details ||
		!got.ReceivedAt.Equal(want.ReceivedAt) || !got.DueAt.Equal(want.DueAt) || got.Version != 1 ||
		len(got.Types) != 2 || got.Types[1] != request.Delete || got.Regime != deadline.CCPA || got.SubjectKey != "k-R1" {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	tok, err := s.Token(ctx, "hash-R1")
	if err != nil || tok.RequestID != "R1" || tok.Used || !tok.ExpiresAt.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("token %+v, %v", tok, err)
	}
	// The request, its first event and its mail share one partition.
	if n := count(t, db, table, "REQ#R1"); n != 3 {
		t.Fatalf("partition REQ#R1 holds %d items, want 3 (request, event, mail)", n)
	}
	if _, err := s.Get(ctx, "nope"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("Get(unknown) = %v, want NotFound", err)
	}
	if _, err := s.Token(ctx, "nope"); fault.KindOf(err) != fault.Gone {
		t.Fatalf("Token(unknown) = %v, want Gone", err)
	}
}

func TestCreateWritesNothingWhenIdempotencyKeyIsTaken(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	first := sampleCreation("A1")
	first.IdempotencyKeyHash, first.BodyHash, first.IdempotencyExpires = "key", "body", t0.Add(24*time.Hour)
	if err := s.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	id, body, err := s.IdempotentRequest(ctx, "key")
	if err != nil || id != "A1" || body != "body" {
		t.Fatalf("IdempotentRequest = %q %q %v", id, body, err)
	}
	second := sampleCreation("A2")
	second.IdempotencyKeyHash, second.BodyHash, second.IdempotencyExpires = "key", "other", t0.Add(24*time.Hour)
	err = s.Create(ctx, second)
	var hit request.IdempotencyHit
	if !errors.As(err, &hit) {
		t.Fatalf("second Create = %v, want IdempotencyHit", err)
	}
	// Nothing of the second request was written: not the request, its
	// event, its mail, nor its token.
	if n := count(t, db, table, "REQ#A2"); n != 0 {
		t.Fatalf("partition REQ#A2 holds %d items after a refused create", n)
	}
	if _, err := s.Token(ctx, "hash-A2"); fault.KindOf(err) != fault.Gone {
		t.Fatalf("token of refused create exists: %v", err)
	}
}

func verification(s *ddb.Requests, t *testing.T, id string, at time.Time) request.Verification {
	r, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return request.Verification{
		TokenHash: "hash-" + id, Request: r, At: at,
		Event: request.Event{ID: id + "-e2-" + at.Format("150405.000000000"), At: at, Action: "verified", From: r.Status, To: request.Verified, Actor: "requester"},
		Mail:  mail.Intent{ID: id + "-m2-" + at.Format("150405.000000000"), Template: mail.RequestVerified, To: r.Email},
	}
}

func TestVerifyConsumesTokenOnceUnderConcurrency(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	if err := s.Create(ctx, sampleCreation("V1")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		v := verification(s, t, "V1", t0.Add(time.Hour+time.Duration(i)*time.Microsecond))
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Verify(ctx, v) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch k := fault.KindOf(err); {
		case err == nil:
			ok++
		case k == fault.Gone || k == fault.Conflict || k == fault.TooMany:
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent verifications succeeded, want exactly 1", ok, n)
	}
	r, _ := s.Get(ctx, "V1")
	if r.Status != request.Verified || r.Version != 2 {
		t.Fatalf("after verify: status %s version %d", r.Status, r.Version)
	}
	tok, _ := s.Token(ctx, "hash-V1")
	if !tok.Used {
		t.Fatal("token not marked used")
	}
	// request + 2 events + 2 mails: exactly one verification was recorded.
	if got := count(t, db, table, "REQ#V1"); got != 5 {
		t.Fatalf("partition holds %d items, want 5", got)
	}
	if err := s.Verify(ctx, verification(s, t, "V1", t0.Add(2*time.Hour))); fault.KindOf(err) != fault.Gone {
		t.Fatalf("second verify = %v, want Gone", err)
	}
}

func TestVerifyRefusesExpiredToken(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	ctx := context.Background()
	if err := s.Create(ctx, sampleCreation("X1")); err != nil {
		t.Fatal(err)
	}
	late := t0.Add(request.TokenLifetime + time.Millisecond)
	if err := s.Verify(ctx, verification(s, t, "X1", late)); fault.KindOf(err) != fault.Gone {
		t.Fatalf("verify after expiry = %v, want Gone", err)
	}
	r, _ := s.Get(ctx, "X1")
	if r.Status != request.PendingVerification || r.Version != 1 {
		t.Fatalf("expired verify changed the request: %s v%d", r.Status, r.Version)
	}
	// A request changed by someone else meanwhile is a conflict, and the
	// token stays unused.
	v := verification(s, t, "X1", t0.Add(time.Hour))
	v.Request.Version = 7
	if err := s.Verify(ctx, v); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("verify of stale version = %v, want Conflict", err)
	}
	if tok, _ := s.Token(ctx, "hash-X1"); tok.Used {
		t.Fatal("a refused verification used the token")
	}
}

func TestOutboxClaimSendRelease(t *testing.T) {
	db, table := localtest.NewTable(t)
	s := ddb.NewRequests(db, table)
	o := ddb.NewOutbox(db, table)
	ctx := context.Background()
	if err := s.Create(ctx, sampleCreation("O1")); err != nil {
		t.Fatal(err)
	}
	recs, err := localcloud.StreamRecords(ctx, db, localcloud.StreamsClient(localtest.DynamoDBEndpoint()), table)
	if err != nil {
		t.Fatal(err)
	}
	var ref string
	var intent mail.Intent
	decoded := 0
	for _, r := range recs {
		in, rf, ok, err := o.Decode(ctx, change(t, r))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			decoded++
			ref, intent = rf, in
		}
	}
	if decoded != 1 || intent.ID != "O1-m1" || intent.To != "ada@example.com" || intent.Data["first_name"] != "Ada" {
		t.Fatalf("decoded %d intents, last %+v", decoded, intent)
	}
	now := t0
	mustClaim := func(want mail.Claim, at time.Time) {
		t.Helper()
		got, err := o.Claim(ctx, ref, at)
		if err != nil || got != want {
			t.Fatalf("Claim at %s = %v, %v; want %v", at, got, err, want)
		}
	}
	mustClaim(mail.Claimed, now)
	mustClaim(mail.Busy, now.Add(time.Second))
	if err := o.Release(ctx, ref, "ses SendEmail: Throttling"); err != nil {
		t.Fatal(err)
	}
	mustClaim(mail.Claimed, now.Add(2*time.Second))
	// A claim older than the lease is taken over (the sender crashed).
	mustClaim(mail.Claimed, now.Add(2*time.Second+ddb.ClaimLease+time.Second))
	if err := o.MarkSent(ctx, ref, "msg-1", now.Add(ddb.ClaimLease+3*time.Second)); err != nil {
		t.Fatal(err)
	}
	mustClaim(mail.AlreadySent, now.Add(time.Hour))
	// The raw verification link does not outlive its delivery.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "REQ#O1"}, "sk": &types.AttributeValueMemberS{Value: "MAIL#O1-m1"},
	}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	data := out.Item["data"].(*types.AttributeValueMemberM).Value
	if _, ok := data["verify_url"]; ok {
		t.Fatal("verify_url still stored after the mail was sent")
	}
	if _, ok := data["first_name"]; !ok {
		t.Fatal("MarkSent removed more than the secret")
	}
	if st := out.Item["status"].(*types.AttributeValueMemberS).Value; st != "sent" {
		t.Fatalf("status %s, want sent", st)
	}
}

// A table made before an index was added to the definition gets it.
func TestEnsureTableAddsMissingIndexes(t *testing.T) {
	db := localtest.DynamoDB(t)
	ctx := context.Background()
	old := topology.PrivacyTable
	old.Indexes = old.Indexes[:len(old.Indexes)-1]
	name := "test-old-" + t0.Format("150405")
	if err := ddb.EnsureTable(ctx, db, name, old); err != nil {
		t.Fatal(err)
	}
	indexes := func() []string {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ix := range out.Table.GlobalSecondaryIndexes {
			names = append(names, aws.ToString(ix.IndexName))
		}
		return names
	}
	missing := topology.PrivacyTable.Indexes[len(topology.PrivacyTable.Indexes)-1].Name
	if slices.Contains(indexes(), missing) {
		t.Fatalf("the old table already has %s", missing)
	}
	if err := ddb.EnsureTable(ctx, db, name, topology.PrivacyTable); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); len(got) != len(topology.PrivacyTable.Indexes) || !slices.Contains(got, missing) {
		t.Fatalf("indexes %v after EnsureTable", got)
	}

	// An index whose projection changed since is made again.
	name2 := name + "-projection"
	narrow := topology.PrivacyTable
	narrow.Indexes = slices.Clone(narrow.Indexes)
	last := &narrow.Indexes[len(narrow.Indexes)-1]
	last.Include = last.Include[:1]
	if err := ddb.EnsureTable(ctx, db, name2, narrow); err != nil {
		t.Fatal(err)
	}
	if err := ddb.EnsureTable(ctx, db, name2, topology.PrivacyTable); err != nil {
		t.Fatal(err)
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name2)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		if aws.ToString(ix.IndexName) == last.Name {
			got := slices.Sorted(slices.Values(ix.Projection.NonKeyAttributes))
			want := slices.Sorted(slices.Values(topology.PrivacyTable.Indexes[len(narrow.Indexes)-1].Include))
			if !slices.Equal(got, want) {
				t.Fatalf("projection %v after EnsureTable, want %v", got, want)
			}
			return
		}
	}
	t.Fatalf("%s is gone", last.Name)
}
