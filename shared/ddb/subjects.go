package ddb

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subjectdata"
	"github.com/claritru/privacy/shared/topology"
)

// Subjects implements subjectdata.Store: everything filed under a person's
// keyed hashes (the one given and those linked to it), found with one query
// of the by-subject index (their requests) and one of their own partition
// per key, then exported or erased.
type Subjects struct {
	db    *dynamodb.Client
	table string
}

var _ subjectdata.Store = (*Subjects)(nil)

// NewSubjects returns the subject export and erasure store on the named table.
func NewSubjects(db *dynamodb.Client, table string) *Subjects {
	return &Subjects{db: db, table: table}
}

const (
	// batchSize is the most writes one BatchWriteItem takes.
	batchSize = 25
)

// erasureItem records one erasure: when, why, who carried it out (the staff
// principal), and how many records of each kind it deleted or minimised. It
// holds no personal data of the person: they are named only by the keyed
// hash of the partition, the reason is staff's words (refused when it names
// an email address; see shared/subjectdata).
//
//	pk = SUBJ#<key>   sk = ERASURE#<erased at>
//	expiry: erasure_record, from the erasure
type erasureItem struct {
	PK        string         `dynamodbav:"pk"`
	SK        string         `dynamodbav:"sk"`
	Kind      string         `dynamodbav:"kind"`
	At        string         `dynamodbav:"at"`
	Reason    string         `dynamodbav:"reason"`
	Actor     string         `dynamodbav:"actor"`
	Deleted   map[string]int `dynamodbav:"deleted"`
	Minimised map[string]int `dynamodbav:"minimised"`
	expiry
}

// minimisedAttributes are removed from a request on erasure: everything that
// identifies or describes the person, and free text that may. What stays is
// the log 11 CCR §7101(b) requires for 24 months (date, types, channel,
// response date, status as the outcome, basis for denial) with the id,
// regime, due date, version and the index keys.
var minimisedAttributes = []string{
	"first_name", "last_name", "email", "phone", "practice_name", "country", "state",
	"details", "correction", "corrections", "agent_name", "agent_email", "outcome", "extension_reason",
	"appeal_reason",
	"postal_address", "verification_note", "agent_permission",
}

// Erase implements subjectdata.Store. It covers the keys given and every
// identifier linked to them on proven or vouched evidence (see
// profileKeys), found before anything is deleted; an identifier linked only
// by a claim is not erased, and loses only its link to the person. For each
// key of that profile:
//   - requests stay as the 11 CCR §7101 log, minimised by one conditional
//     UpdateItem each; their audit events stay (they hold no personal data);
//     their mails, which hold the address and the content, are deleted;
//   - the person's partition loses its ledger and head, consent states,
//     links (both directions) and mails; the opt-out entries stay, so that
//     every identifier stays opted out and on the suppression list;
//   - an erasure record is written in the partition, counting what was
//     deleted and minimised there (a link counts in the partition it was
//     filed in).
//
// The report counts across the whole profile.
//
// Not reached: verification tokens (TOKEN#<sha256>) and double opt-in tokens
// (CTOKEN#<sha256>) are keyed by the hash of the raw token alone and no
// index leads from a person to them. They hold no personal data (a request
// id, or a keyed hash and a receipt id) and expire by TTL within days; a
// double opt-in link used after the erasure finds no pending consent and is
// refused as gone.
//
// Every step is idempotent, so an erasure that failed halfway is completed
// by running it again, and a second erasure deletes nothing more. The links
// are deleted only after everything else of every key, and the erasure
// records written last, so that until then a run again from the same
// identifier still reaches the whole profile.
func (s *Subjects) Erase(ctx context.Context, keys []string, er subjectdata.Erasure) (subjectdata.Report, error) {
	rep := subjectdata.Report{Deleted: map[string]int{}, Minimised: map[string]int{}}
	profile, err := s.profileKeys(ctx, keys)
	if err != nil {
		return rep, err
	}
	e := newErasure(profile)
	for _, k := range profile {
		if err := s.eraseRequests(ctx, e, k); err != nil {
			return rep, err
		}
		if err := s.erasePerson(ctx, e, k); err != nil {
			return rep, err
		}
	}
	if err := s.batchDelete(ctx, e.deletes); err != nil {
		return rep, err
	}
	if err := s.batchDelete(ctx, e.links); err != nil {
		return rep, err
	}
	for _, k := range profile {
		if err := s.recordErasure(ctx, e, k, er); err != nil {
			return rep, err
		}
		for kind, n := range e.deleted[k] {
			rep.Deleted[kind] += n
		}
		for kind, n := range e.minimised[k] {
			rep.Minimised[kind] += n
		}
	}
	return rep, nil
}

// erasure is one erasure in progress: the profile, what each of its keys
// deleted and minimised, and the deletes queued: data first, links after
// it; each item once, however many keys lead to it (a batch must not name
// an item twice).
type erasure struct {
	inProfile           map[string]bool
	deleted, minimised  map[string]map[string]int
	deletes, links      []types.WriteRequest
	queued, seenRequest map[string]bool
}

func newErasure(profile []string) *erasure {
	e := &erasure{
		inProfile: map[string]bool{}, deleted: map[string]map[string]int{}, minimised: map[string]map[string]int{},
		queued: map[string]bool{}, seenRequest: map[string]bool{},
	}
	for _, k := range profile {
		e.inProfile[k] = true
		e.deleted[k], e.minimised[k] = map[string]int{}, map[string]int{}
	}
	return e
}

// del queues the delete of pk/sk, counted for owner under kind, unless it
// is queued already.
func (e *erasure) del(into *[]types.WriteRequest, owner, kind, pk, sk string) {
	if e.queued[pk+"\x00"+sk] {
		return
	}
	e.queued[pk+"\x00"+sk] = true
	e.deleted[owner][kind]++
	*into = append(*into, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}})
}

// eraseRequests minimises the requests filed under key k and queues the
// deletes of their mails.
func (s *Subjects) eraseRequests(ctx context.Context, e *erasure, k string) error {
	pks, err := s.requestPartitions(ctx, k)
	if err != nil {
		return err
	}
	for _, pk := range pks {
		if e.seenRequest[pk] {
			continue
		}
		e.seenRequest[pk] = true
		changed, err := s.minimise(ctx, pk)
		if err != nil {
			return err
		}
		if changed {
			e.minimised[k]["request"]++
		}
		mails, err := s.partition(ctx, pk, prefixMail, "")
		if err != nil {
			return err
		}
		for _, item := range mails {
			kept, err := s.keepUnsent(ctx, pk, item)
			if err != nil {
				return err
			}
			if kept {
				e.minimised[k]["mail_kept_until_sent"]++
				continue
			}
			e.del(&e.deletes, k, "mail", pk, skOf(item))
		}
	}
	return nil
}

// keepUnsent keeps a request's outcome mail that is still to be sent (the
// completion, denial or cancellation the erasure's closing of the request
// queued, or staff's just before): the person is told, and the mail loses
// its address and content once sent (Outbox.MarkSent). It is marked so on
// the condition that it is still unsent; a mail sent meanwhile is deleted
// like any sent mail. Other unsent mail (a receipt, its link) is deleted:
// it would speak of a request that is closed.
func (s *Subjects) keepUnsent(ctx context.Context, pk string, item map[string]types.AttributeValue) (bool, error) {
	st, _ := item["status"].(*types.AttributeValueMemberS)
	tmpl, _ := item["template"].(*types.AttributeValueMemberS)
	if st == nil || (st.Value != mailQueued && st.Value != mailSending) || tmpl == nil || !outcomeMail[mail.Template(tmpl.Value)] {
		return false, nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(pk, skOf(item)),
		UpdateExpression:         aws.String("SET " + eraseAfterSend + " = :t"),
		ConditionExpression:      aws.String("#st IN (:queued, :sending)"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t":       &types.AttributeValueMemberBOOL{Value: true},
			":queued":  &types.AttributeValueMemberS{Value: mailQueued},
			":sending": &types.AttributeValueMemberS{Value: mailSending},
		},
	})
	return applied(err)
}

// outcomeMail are the mails that tell a person how their request ended.
var outcomeMail = map[mail.Template]bool{mail.RequestCompleted: true, mail.RequestDenied: true, mail.RequestCancelled: true}

// OpenRequests implements subjectdata.OpenRequests: the requests still open
// under the keys given and every identifier proven to be the same
// person's, the profile an erasure covers.
func (s *Subjects) OpenRequests(ctx context.Context, keys []string) ([]request.Request, error) {
	profile, err := s.profileKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []request.Request
	for _, k := range profile {
		pks, err := s.requestPartitions(ctx, k)
		if err != nil {
			return nil, err
		}
		for _, pk := range pks {
			if seen[pk] {
				continue
			}
			seen[pk] = true
			var it requestItem
			found, err := getItem(ctx, s.db, s.table, pk, sortRequest, &it)
			if err != nil {
				return nil, err
			}
			if !found || !request.Status(it.Status).Open() {
				continue
			}
			r, err := it.request()
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// erasePerson queues the deletes of what the person's partition under key
// k holds: ledger and head, consent states, links (both directions),
// mails and texts, and a one-time code. Kept: OPTOUT#<right> (the person must stay opted out and
// suppressed), ERASURE# and EXPORT# records, and any kind this adapter does not know,
// rather than deleting it unread.
func (s *Subjects) erasePerson(ctx context.Context, e *erasure, k string) error {
	pk := prefixSubject + k
	items, err := s.partition(ctx, pk, "", "pk, sk")
	if err != nil {
		return err
	}
	for _, item := range items {
		sk := skOf(item)
		switch {
		case sk == sortHead:
			e.del(&e.deletes, k, "ledger_head", pk, sk)
		case strings.HasPrefix(sk, sortLedger):
			e.del(&e.deletes, k, "ledger_event", pk, sk)
		case strings.HasPrefix(sk, sortConsent):
			e.del(&e.deletes, k, "consent_state", pk, sk)
		case strings.HasPrefix(sk, sortLink):
			e.del(&e.links, k, "link", pk, sk)
			// The other identifier's link back to this one names
			// this identifier, so it goes too. When the other is in
			// the profile, its own partition is read and the link
			// found there; otherwise (a claimed link, or beyond the
			// profile's bound) it is deleted from here, and nothing
			// else of the other's.
			if other := strings.TrimPrefix(sk, sortLink); !e.inProfile[other] {
				e.del(&e.links, k, "link", prefixSubject+other, sortLink+k)
			}
		case strings.HasPrefix(sk, prefixMail):
			e.del(&e.deletes, k, "mail", pk, sk)
		case sk == sortSMSCode:
			e.del(&e.deletes, k, "sms_code", pk, sk)
		}
	}
	return nil
}

// recordErasure writes the erasure record of key k: what was deleted and
// minimised there, why, and by whom.
func (s *Subjects) recordErasure(ctx context.Context, e *erasure, k string, er subjectdata.Erasure) error {
	pk, sk := prefixSubject+k, sortErasure+stamp(er.At)
	av, err := attributevalue.MarshalMap(erasureItem{
		PK: pk, SK: sk, Kind: "erasure", At: stamp(er.At), Reason: er.Reason, Actor: er.Actor,
		Deleted: e.deleted[k], Minimised: e.minimised[k], expiry: expires(retention.ErasureRecord, pk, sk, er.At),
	})
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return classify(err)
	}
	return nil
}

// profileKeys expands the subject keys staff named to the identifiers
// proven to be the same person's: the keys given, then every identifier
// linked to them by a proven or vouched link, breadth first, up to
// optout.MaxSpread. Claimed links (identifiers typed together into a public
// form, which anyone can do with anyone's address) are never followed:
// export and erasure disclose and destroy, unlike an opt-out.
func (s *Subjects) profileKeys(ctx context.Context, keys []string) ([]string, error) {
	start := make([]optout.Identifier, len(keys))
	for i, k := range keys {
		start[i] = optout.Identifier{Key: k}
	}
	ids, err := (&OptOuts{db: s.db, table: s.table}).walk(ctx, start, optout.Evidence.Trusted, optout.MaxSpread)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Key
	}
	return out, nil
}

// minimise removes the personal attributes of one request, on the condition
// that it still exists (an update would otherwise create it). It reports
// whether anything was removed.
func (s *Subjects) minimise(ctx context.Context, pk string) (bool, error) {
	names := map[string]string{}
	refs := make([]string, len(minimisedAttributes))
	for i, a := range minimisedAttributes {
		ref := "#a" + string(rune('a'+i))
		names[ref], refs[i] = a, ref
	}
	names["#pk"] = "pk"
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       key(pk, sortRequest),
		// The version moves on, so that a change read before the erasure
		// (a staff action, the expiry) cannot write the old fields back.
		UpdateExpression:          aws.String("SET version = version + :one REMOVE " + strings.Join(refs, ", ")),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedOld,
	})
	if ok, err := applied(err); !ok {
		return false, err
	}
	delete(out.Attributes, "version")
	return len(out.Attributes) > 0, nil
}

// requestPartitions returns the partitions of a person's requests: a query
// of the by-subject index.
func (s *Subjects) requestPartitions(ctx context.Context, subjectKey string) ([]string, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexBySubject),
		KeyConditionExpression: aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :req)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: prefixSubject + subjectKey},
			":req": &types.AttributeValueMemberS{Value: prefixRequest},
		},
		ProjectionExpression: aws.String("pk"),
	})
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		for _, item := range page.Items {
			if v, ok := item["pk"].(*types.AttributeValueMemberS); ok {
				out = append(out, v.Value)
			}
		}
	}
	return out, nil
}

func (s *Subjects) partition(ctx context.Context, pk, prefix, projection string) ([]map[string]types.AttributeValue, error) {
	return partition(ctx, s.db, s.table, pk, prefix, projection)
}

// batchDelete deletes items 25 a call (see the package's batchDelete).
func (s *Subjects) batchDelete(ctx context.Context, deletes []types.WriteRequest) error {
	if _, err := batchDelete(ctx, s.db, s.table, deletes); err != nil {
		if fault.KindOf(err) == fault.TooMany {
			return fault.Wrap(fault.TooMany, "The service is busy; the erasure is incomplete. Run it again.", err)
		}
		return err
	}
	return nil
}
