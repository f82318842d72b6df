package ddb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/subjectdata"
)

// Export: everything filed under a person's profile, as one document.

// Export implements subjectdata.Store. It covers the keys given and every
// identifier linked to them on proven or vouched evidence (see
// profileKeys). The records of all of them go into the one document's
// lists, the given keys' first; ledger events keep their order within each
// identifier's chain. Every other identifier linked to them (a claimed
// link: typed together into a public form) is listed by kind and keyed hash
// only; nothing filed under it is read.
func (s *Subjects) Export(ctx context.Context, keys []string, h subjectdata.Handover) (subjectdata.Document, error) {
	profile, err := s.profileKeys(ctx, keys)
	if err != nil {
		return subjectdata.Document{}, err
	}
	x := &export{s: s, seenRequest: map[string]bool{}, linked: map[string]subjectdata.Linked{}}
	for _, k := range profile {
		if err := x.requests(ctx, k); err != nil {
			return x.doc, err
		}
		if err := x.person(ctx, k); err != nil {
			return x.doc, err
		}
		if err := x.jobs(ctx, k); err != nil {
			return x.doc, err
		}
	}
	x.mailLog()
	sort.SliceStable(x.doc.Jobs, func(i, j int) bool {
		a, b := x.doc.Jobs[i], x.doc.Jobs[j]
		return a.CreatedAt.Before(b.CreatedAt) || a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID
	})
	x.linkList(keys)
	if x.ts.err != nil {
		return subjectdata.Document{}, x.ts.err
	}
	for _, k := range keys {
		if err := s.recordHandover(ctx, k, h); err != nil {
			return subjectdata.Document{}, err
		}
	}
	return x.doc, nil
}

// handoverItem records one export: when, and which member of staff handed
// the person's data over. Like an erasure record it names the person only
// by the keyed hash of the partition; an erasure keeps it.
//
//	pk = SUBJ#<key>   sk = EXPORT#<exported at>#<actor's hash>
//	expiry: export_record, from the export
type handoverItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Kind  string `dynamodbav:"kind"`
	At    string `dynamodbav:"at"`
	Actor string `dynamodbav:"actor"`
	expiry
}

// recordHandover writes the export record of key k. Two members of staff
// exporting in the same millisecond get a record each.
func (s *Subjects) recordHandover(ctx context.Context, k string, h subjectdata.Handover) error {
	sum := sha256.Sum256([]byte(h.Actor))
	pk, sk := prefixSubject+k, sortExport+stamp(h.At)+"#"+hex.EncodeToString(sum[:8])
	av, err := attributevalue.MarshalMap(handoverItem{
		PK: pk, SK: sk, Kind: "export", At: stamp(h.At), Actor: h.Actor,
		expiry: expires(retention.ExportRecord, pk, sk, h.At),
	})
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av})
	return classify(err)
}

// export is one export in progress: the document so far, the mails found
// (logged at the end, in order), and the requests already read (one
// request can be reached from several keys of the profile).
type export struct {
	s           *Subjects
	doc         subjectdata.Document
	mails       []mailItem
	seenRequest map[string]bool
	// linked are the links read, by the other identifier's key, each on
	// its strongest evidence.
	linked map[string]subjectdata.Linked
	ts     stampReader
}

// requests adds the requests filed under subject key k, each with its
// history, and collects their mails.
func (x *export) requests(ctx context.Context, k string) error {
	pks, err := x.s.requestPartitions(ctx, k)
	if err != nil {
		return err
	}
	for _, pk := range pks {
		if x.seenRequest[pk] {
			continue
		}
		x.seenRequest[pk] = true
		if err := x.request(ctx, pk); err != nil {
			return err
		}
	}
	return nil
}

// request adds the request of partition pk with its audit events.
func (x *export) request(ctx context.Context, pk string) error {
	items, err := x.s.partition(ctx, pk, "", "")
	if err != nil {
		return err
	}
	var req *requestItem
	var events []request.Event
	for _, item := range items {
		sk := skOf(item)
		switch {
		case sk == sortRequest:
			req = &requestItem{}
			if err := attributevalue.UnmarshalMap(item, req); err != nil {
				return err
			}
		case strings.HasPrefix(sk, prefixEvent):
			var it eventItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return err
			}
			e, err := it.event()
			if err != nil {
				return err
			}
			events = append(events, e)
		case strings.HasPrefix(sk, prefixMail):
			if err := x.mail(item); err != nil {
				return err
			}
		}
	}
	if req == nil {
		return nil
	}
	r, err := req.request()
	if err != nil {
		return err
	}
	x.doc.Requests = append(x.doc.Requests, subjectdata.RequestOf(r, events))
	return nil
}

// person adds what the person's own partition under key k holds: ledger
// events, consent states, opt-outs and mails, and notes its links. Erasure
// records are bookkeeping, not data about the person.
func (x *export) person(ctx context.Context, k string) error {
	items, err := x.s.partition(ctx, prefixSubject+k, "", "")
	if err != nil {
		return err
	}
	for _, item := range items {
		var err error
		switch sk := skOf(item); {
		case sk == sortHead:
		case strings.HasPrefix(sk, sortLedger):
			err = x.ledgerEvent(item)
		case strings.HasPrefix(sk, sortConsent):
			err = x.consentState(item)
		case strings.HasPrefix(sk, sortOptOut):
			err = x.optOut(item)
		case strings.HasPrefix(sk, prefixMail):
			err = x.mail(item)
		case strings.HasPrefix(sk, sortLink):
			err = x.link(item)
		case sk == sortUndeliverable:
			err = x.undeliverable(k, item)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// undeliverable adds the undeliverable mark of the address under key k:
// why the service stopped mailing it, and staff's clearings.
func (x *export) undeliverable(k string, item map[string]types.AttributeValue) error {
	var it undeliverableItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	st, err := it.status()
	if err != nil {
		return err
	}
	x.doc.Undeliverable = append(x.doc.Undeliverable, subjectdata.UndeliverableOf(k, st))
	return nil
}

// jobs adds the jobs filed under subject key k (the by-subject index): the
// systems told to act for the person, when, and their answers. The
// identifiers a job carries until it is answered are not exported: they
// are the person's own, and what matters is that the system was told.
func (x *export) jobs(ctx context.Context, k string) error {
	jobs, err := NewJobs(x.s.db, x.s.table).OfSubject(ctx, k)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if slices.ContainsFunc(x.doc.Jobs, func(e subjectdata.Job) bool { return e.ID == j.ID }) {
			continue
		}
		e := subjectdata.Job{
			ID: j.ID, System: j.System, Action: string(j.Action), RequestID: j.RequestID, Status: string(j.Status),
			CreatedAt: j.CreatedAt, DueAt: j.DueAt, Outcome: string(j.Outcome), AnsweredBy: j.AnsweredBy, Note: j.Note,
		}
		if !j.ToldAt.IsZero() {
			at := j.ToldAt
			e.ToldAt = &at
		}
		if !j.AnsweredAt.IsZero() {
			at := j.AnsweredAt
			e.AnsweredAt = &at
		}
		x.doc.Jobs = append(x.doc.Jobs, e)
	}
	return nil
}

// link notes one link: the other identifier's kind, keyed hash and the
// link's evidence, the strongest when several links lead to it.
func (x *export) link(item map[string]types.AttributeValue) error {
	var it linkItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	ev := it.evidence()
	if old, ok := x.linked[it.Other]; ok && optout.Evidence(old.Evidence).Rank() >= ev.Rank() {
		return nil
	}
	x.linked[it.Other] = subjectdata.Linked{Kind: it.Type, Reference: it.Other, Evidence: string(ev)}
	return nil
}

// linkList lists the identifiers linked to the profile, other than the
// keys staff named: the strongest evidence first, then by kind and keyed
// hash, so that the document is the same for the same records.
func (x *export) linkList(named []string) {
	for _, k := range named {
		delete(x.linked, k)
	}
	for _, l := range x.linked {
		x.doc.Linked = append(x.doc.Linked, l)
	}
	sort.Slice(x.doc.Linked, func(i, j int) bool {
		a, b := x.doc.Linked[i], x.doc.Linked[j]
		if ra, rb := optout.Evidence(a.Evidence).Rank(), optout.Evidence(b.Evidence).Rank(); ra != rb {
			return ra > rb
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Reference < b.Reference
	})
}

func (x *export) ledgerEvent(item map[string]types.AttributeValue) error {
	var it ledgerItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	x.doc.Consents.Events = append(x.doc.Consents.Events, subjectdata.LedgerEvent{
		Seq: it.Seq, ID: it.ID, At: x.ts.at(it.At), Kind: it.Event, Fields: it.Fields,
	})
	return nil
}

func (x *export) consentState(item map[string]types.AttributeValue) error {
	var it consentItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	x.doc.Consents.Current = append(x.doc.Consents.Current, subjectdata.ConsentState{
		Purpose: it.Purpose, Status: it.Status, Since: x.ts.at(it.Since), ReceiptID: it.ReceiptID,
	})
	return nil
}

func (x *export) optOut(item map[string]types.AttributeValue) error {
	var it optOutItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	x.doc.OptOuts = append(x.doc.OptOuts, subjectdata.OptOut{
		Right: it.Right, Identifier: it.IDKind, Since: x.ts.at(it.Since), Source: it.Source, OptOutID: it.OptOutID,
	})
	return nil
}

func (x *export) mail(item map[string]types.AttributeValue) error {
	var it mailItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return err
	}
	x.mails = append(x.mails, it)
	return nil
}

// mailLog adds the mails found, oldest first. Intent ids are ULIDs: sorting
// by them is sorting by when the mail was queued, across partitions.
func (x *export) mailLog() {
	sort.Slice(x.mails, func(i, j int) bool { return x.mails[i].ID < x.mails[j].ID })
	for _, m := range x.mails {
		// The address and the content (m.To, m.Data) are never exported.
		entry := subjectdata.Mail{Template: m.Template, Status: m.Status, HeldReason: m.HeldReason, Undeliverable: m.UndeliverableReason}
		if m.Status == mailFailed {
			entry.Error = m.LastError
		}
		if m.SentAt != "" {
			at := x.ts.at(m.SentAt)
			entry.SentAt = &at
		}
		x.doc.MailLog = append(x.doc.MailLog, entry)
	}
}
