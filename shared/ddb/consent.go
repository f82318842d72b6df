package ddb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/ledger"
	"github.com/claritru/privacy/shared/retention"
)

// Consents implements consent.Store.
type Consents struct {
	db    *dynamodb.Client
	table string
	// stored holds the hashes of the disclosure texts this process knows
	// are stored: a text is never removed, so a known one is neither
	// written nor looked up again.
	stored sync.Map
}

var _ consent.Store = (*Consents)(nil)

// NewConsents returns the consent store on the named table.
func NewConsents(db *dynamodb.Client, table string) *Consents {
	return &Consents{db: db, table: table}
}

// disclosureItem is the evidence of the exact words consent was given
// under, as the catalogue (shared/consent) held them then: each text once,
// under its SHA-256; consent events keep the hash. It outlives the
// catalogue's entry when a new version replaces it.
//
//	pk = DISCLOSURE#<sha256>   sk = DISCLOSURE
type disclosureItem struct {
	Text      string `dynamodbav:"text"`
	ID        string `dynamodbav:"disclosure_id"`
	Version   string `dynamodbav:"version"`
	FirstSeen string `dynamodbav:"first_seen"`
}

// consentItem is the current consent of one subject to one purpose, written
// in the same transaction as the ledger event that made it.
//
//	pk = SUBJ#<key>   sk = CONSENT#<purpose>
//	expiry while not in effect (withdrawn, not granted): consent_evidence, from that event
//
// Evidence lists the ledger events that prove the current state (a pending
// grant and its confirmation): when a later event supersedes the state, they
// are kept four more years (consent_evidence) and then go.
type consentItem struct {
	PK        string  `dynamodbav:"pk"`
	SK        string  `dynamodbav:"sk"`
	Kind      string  `dynamodbav:"kind"`
	Purpose   string  `dynamodbav:"purpose"`
	Status    string  `dynamodbav:"status"`
	Since     string  `dynamodbav:"since"`
	ReceiptID string  `dynamodbav:"receipt_id"`
	Seq       int64   `dynamodbav:"seq"`
	Evidence  []int64 `dynamodbav:"evidence,omitempty"`
	roster
	expiry
}

// roster puts a granted consent of an email address on the notice roster
// (policy.go): the address, and the by-status-due keys under rosterPK. A
// state written by Put without them (a withdrawal) leaves the roster.
type roster struct {
	NotifyTo string `dynamodbav:"notify_to,omitempty"`
	GSI2PK   string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK   string `dynamodbav:"gsi2sk,omitempty"`
}

// rosterOf is the roster entry of a subject's consent to a purpose, none
// without an address.
func rosterOf(sub string, p consent.Purpose, address string) roster {
	if address == "" {
		return roster{}
	}
	return roster{NotifyTo: address, GSI2PK: rosterPK, GSI2SK: sub + "#" + string(p)}
}

// evidenceExpiry is the expiry of the consent event and state of rec, from
// when the domain says it becomes evidence (Recording.EvidenceFrom); none for
// a grant in effect.
func evidenceExpiry(rec consent.Record, pk, sk string, r *consent.Recording) expiry {
	from, ok := r.EvidenceFrom(rec)
	if !ok {
		return expiry{}
	}
	return expires(retention.ConsentEvidence, pk, sk, from)
}

// confirmTokenItem is a double opt-in link, stored only as the SHA-256 of its
// raw value and used once.
//
//	pk = CTOKEN#<sha256>   sk = CTOKEN
//	expiry: confirmation_token, from creation
type confirmTokenItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Kind       string `dynamodbav:"kind"`
	ReceiptID  string `dynamodbav:"receipt_id"`
	SubjectKey string `dynamodbav:"subject_key"`
	Purpose    string `dynamodbav:"purpose"`
	ValidUntil string `dynamodbav:"valid_until"`
	UsedAt     string `dynamodbav:"used_at,omitempty"`
	// NotifyTo is the address the link was mailed to: confirming puts
	// the grant on the notice roster with it.
	NotifyTo string `dynamodbav:"notify_to,omitempty"`
	expiry
}

// Record implements consent.Store.
func (s *Consents) Record(ctx context.Context, r *consent.Recording) error {
	pruned := map[string]bool{}
	return retry(ctx, chainMoved, func(int) error {
		err := s.record(ctx, r, pruned)
		var gone evidenceGone
		if errors.As(err, &gone) {
			// The sweep pruned superseded evidence meanwhile: there is
			// nothing left to keep longer.
			pruned[gone.key] = true
			return again(fault.Wrap(fault.TooMany, "The consent record is busy; try again.", err))
		}
		if fault.KindOf(err) == fault.Conflict {
			return again(err)
		}
		return err
	})
}

// evidenceGone says a ledger event a recording meant to keep longer was
// pruned (it was past its expiry) between the read and the write.
type evidenceGone struct{ key string }

func (e evidenceGone) Error() string { return "superseded evidence was pruned meanwhile" }

// record writes one recording; pruned lists ledger events (pk and sk) that
// are known to be stubs already.
func (s *Consents) record(ctx context.Context, r *consent.Recording, pruned map[string]bool) error {
	subjects, bySubject := groupBySubject(r)
	newText := s.newDisclosure(ctx, r.Disclosure)
	prior, hs, err := s.readSubjects(ctx, subjects)
	if err != nil {
		return err
	}
	tx := &recordTx{superseding: map[int]string{}}
	if write, err := newText(); err != nil {
		return err
	} else if write {
		tx.writes = append(tx.writes, s.disclosureWrite(r.Disclosure, r.At))
	}
	for _, sub := range subjects {
		if err := s.subjectWrites(tx, r, sub, bySubject[sub], prior[sub], hs[sub], pruned); err != nil {
			return err
		}
	}
	if r.ConfirmTokenHash != "" {
		w, err := s.confirmTokenPut(r)
		if err != nil {
			return err
		}
		tx.writes = append(tx.writes, w)
	}
	if r.Mail != nil {
		mp, err := mailPut(prefixSubject+r.ReceiptSubject(), *r.Mail, r.At)
		if err != nil {
			return err
		}
		mp.Put.TableName = aws.String(s.table)
		tx.writes = append(tx.writes, mp)
	}
	if r.SMSCode != nil {
		tx.writes = append(tx.writes, s.smsCodeWrite(r.SMSCode, r.At))
	}
	if r.Text != nil {
		// A text lives in the partition of the number it goes to.
		tp, err := mailPut(prefixSubject+r.Text.RecipientKey, *r.Text, r.At)
		if err != nil {
			return err
		}
		tp.Put.TableName = aws.String(s.table)
		tx.writes = append(tx.writes, tp)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx.writes})
	if failed := cancelled(err); failed != nil {
		for i, f := range failed {
			if k, ok := tx.superseding[i]; ok && f {
				return evidenceGone{key: k}
			}
		}
		return fault.Wrap(fault.Conflict, "The consent record moved meanwhile; try again.", err)
	}
	if err == nil && r.Disclosure.Text != "" {
		s.stored.Store(r.Disclosure.SHA256(), true)
	}
	return classify(err)
}

// newDisclosure starts finding out whether the text a recording was given
// under must be written, beside the reads of the recording; the returned
// function waits for the answer. A text is written once: one this process
// knows is stored is not looked up, else a read (0.5 RCU, eventually
// consistent: a text once stored stays, and one written meanwhile is only
// written again unchanged) spares the write (2 WCU per KB in the
// transaction) of every save but the first. A withdrawal staff recorded,
// one made with a mail's unsubscribe link, and a reply to a text (STOP,
// START) are given under no disclosure.
func (s *Consents) newDisclosure(ctx context.Context, d consent.Disclosure) func() (bool, error) {
	if d.Text == "" {
		return func() (bool, error) { return false, nil }
	}
	sha := d.SHA256()
	if _, ok := s.stored.Load(sha); ok {
		return func() (bool, error) { return false, nil }
	}
	var (
		found bool
		err   error
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		var res *dynamodb.GetItemOutput
		res, err = s.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table), Key: key(prefixDisclosure+sha, sortDisclosure),
			ProjectionExpression: aws.String("pk"),
		})
		if err == nil && res.Item != nil {
			found = true
			s.stored.Store(sha, true)
		}
	}()
	return func() (bool, error) {
		<-done
		return !found, classify(err)
	}
}

// recordTx is the transaction of one recording being built: its writes,
// and which of them keep a superseded ledger event longer (by write index),
// so that a failure of one says which event the sweep pruned meanwhile.
type recordTx struct {
	writes      []types.TransactWriteItem
	superseding map[int]string
}

// groupBySubject lists the subjects of a recording in the order first met,
// with the indexes of each one's records.
func groupBySubject(r *consent.Recording) ([]string, map[string][]int) {
	var subjects []string
	bySubject := map[string][]int{}
	for i, rec := range r.Records {
		k := rec.Subject.Key
		if _, ok := bySubject[k]; !ok {
			subjects = append(subjects, k)
		}
		bySubject[k] = append(bySubject[k], i)
	}
	return subjects, bySubject
}

// readSubjects reads the current states and ledger heads of subjects.
//
// The states these events supersede (their evidence starts its four years
// now) are read before the heads: an event appended between the two reads
// moves the head past it, so this transaction cannot both supersede and
// append one sequence number; one appended after both fails the head's
// condition and the recording is retried.
func (s *Consents) readSubjects(ctx context.Context, subjects []string) (map[string]map[consent.Purpose]consentItem, map[string]*ledger.Head, error) {
	prior := make(map[string]map[consent.Purpose]consentItem, len(subjects))
	for _, sub := range subjects {
		st, err := s.states(ctx, sub)
		if err != nil {
			return nil, nil, err
		}
		prior[sub] = st
	}
	hs, err := heads(ctx, s.db, s.table, subjects)
	if err != nil {
		return nil, nil, err
	}
	return prior, hs, nil
}

// subjectWrites adds to tx the writes of one subject's records (indexes
// idx of r.Records): the evidence of the states they supersede kept longer,
// their ledger events after head (with their expiry as evidence, if any)
// and their new states. It fills the records' Sequence and Hash.
func (s *Consents) subjectWrites(tx *recordTx, r *consent.Recording, sub string, idx []int, prior map[consent.Purpose]consentItem, head *ledger.Head, pruned map[string]bool) error {
	for _, i := range idx {
		current := prior[r.Records[i].Purpose]
		if !consent.Replaces(consent.Status(current.Status), r.Records[i]) {
			continue
		}
		for _, w := range s.supersede(sub, current, r.At, pruned) {
			tx.superseding[len(tx.writes)] = keyString(w.Update.Key)
			tx.writes = append(tx.writes, w)
		}
	}
	events := make([]ledger.Event, len(idx))
	for j, i := range idx {
		rec := r.Records[i]
		events[j] = ledger.Event{Subject: sub, ID: rec.EventID, At: r.At, Kind: consent.EventKind, Fields: r.EventFields(rec)}
	}
	ws, sealed, err := appendEvents(s.table, head, events...)
	if err != nil {
		return err
	}
	for j, i := range idx {
		e := sealed[j]
		if exp := evidenceExpiry(r.Records[i], prefixSubject+e.Subject, ledgerSort(e.Seq), r); exp.ExpiresAt != "" {
			if err := addExpiry(ws[j].Put.Item, exp.noTTL()); err != nil {
				return err
			}
		}
	}
	tx.writes = append(tx.writes, ws...)
	for j, i := range idx {
		r.Records[i].Sequence, r.Records[i].Hash = sealed[j].Seq, sealed[j].Hash
		if !consent.Replaces(consent.Status(prior[r.Records[i].Purpose].Status), r.Records[i]) {
			continue
		}
		w, err := s.statePut(sub, r.Records[i], r, sealed[j].Seq)
		if err != nil {
			return err
		}
		tx.writes = append(tx.writes, w)
	}
	return nil
}

// confirmTokenPut writes the double opt-in link of a recording, once.
func (s *Consents) confirmTokenPut(r *consent.Recording) (types.TransactWriteItem, error) {
	target, purpose := r.ConfirmSubject()
	pk := prefixConfirmToken + r.ConfirmTokenHash
	av, err := attributevalue.MarshalMap(confirmTokenItem{
		PK: pk, SK: sortConfirmToken, Kind: "confirm_token",
		ReceiptID: r.ReceiptID, SubjectKey: target, Purpose: string(purpose), NotifyTo: address(r, target),
		ValidUntil: stamp(r.ConfirmExpires), expiry: expires(retention.ConfirmationToken, pk, sortConfirmToken, r.At),
	})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}, nil
}

// address is the email address a recording names for subject key sub, if
// any: an email identifier keeps its value (shared/consent).
func address(r *consent.Recording, sub string) string {
	for _, rec := range r.Records {
		if rec.Subject.Key == sub && rec.Subject.Kind == consent.Email {
			return rec.Subject.Value
		}
	}
	return ""
}

// disclosureWrite stores a disclosure text once per hash; later calls with the
// same text change nothing.
func (s *Consents) disclosureWrite(d consent.Disclosure, at time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:        aws.String(s.table),
		Key:              key(prefixDisclosure+d.SHA256(), sortDisclosure),
		UpdateExpression: aws.String("SET #t = if_not_exists(#t, :t), disclosure_id = if_not_exists(disclosure_id, :id), version = if_not_exists(version, :v), first_seen = if_not_exists(first_seen, :at), kind = :kind"),
		ExpressionAttributeNames: map[string]string{
			"#t": "text",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t":    &types.AttributeValueMemberS{Value: d.Text},
			":id":   &types.AttributeValueMemberS{Value: d.ID},
			":v":    &types.AttributeValueMemberS{Value: d.Version},
			":at":   &types.AttributeValueMemberS{Value: stamp(at)},
			":kind": &types.AttributeValueMemberS{Value: "disclosure"},
		},
	}}
}

func (s *Consents) statePut(sub string, rec consent.Record, r *consent.Recording, seq int64) (types.TransactWriteItem, error) {
	it := consentItem{
		PK: prefixSubject + sub, SK: sortConsent + string(rec.Purpose), Kind: "consent_state",
		Purpose: string(rec.Purpose), Status: string(rec.Status), Since: stamp(r.At), ReceiptID: r.ReceiptID, Seq: seq, Evidence: []int64{seq},
	}
	it.expiry = evidenceExpiry(rec, it.PK, it.SK, r)
	if rec.Status == consent.Granted && rec.Subject.Kind == consent.Email {
		it.roster = rosterOf(sub, rec.Purpose, rec.Subject.Value)
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}}, nil
}

// states reads a subject's current consent states by purpose.
func (s *Consents) states(ctx context.Context, sub string) (map[consent.Purpose]consentItem, error) {
	found, err := partition(ctx, s.db, s.table, prefixSubject+sub, sortConsent, "")
	if err != nil {
		return nil, err
	}
	var items []consentItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	out := make(map[consent.Purpose]consentItem, len(items))
	for _, it := range items {
		out[consent.Purpose(it.Purpose)] = it
	}
	return out, nil
}

// supersede returns the writes that start the four years of a state's
// evidence when a new event replaces it: each ledger event that proved it
// gets its expiry from now, replacing any it had (a withdrawal superseded by
// a new grant is kept four years from the grant; a pending grant withdrawn
// before its link lapsed, four years from the withdrawal). A state already
// past its own expiry is left to the sweep, which may have removed its
// events.
func (s *Consents) supersede(sub string, prior consentItem, at time.Time, pruned map[string]bool) []types.TransactWriteItem {
	if prior.PK == "" || (prior.ExpiresAt != "" && prior.ExpiresAt <= stamp(at)) {
		return nil
	}
	seqs := prior.Evidence
	if len(seqs) == 0 {
		seqs = []int64{prior.Seq}
	}
	var out []types.TransactWriteItem
	for _, seq := range seqs {
		pk, sk := prefixSubject+sub, ledgerSort(seq)
		if pruned[pk+"\x00"+sk] {
			continue
		}
		set, names, values := expires(retention.ConsentEvidence, pk, sk, at).noTTL().set(":e")
		values[":pruned"] = &types.AttributeValueMemberS{Value: eventPruned}
		names["#ev"], names["#ttl"] = "event", "ttl"
		out = append(out, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table),
			Key:       key(pk, sk),
			// REMOVE #ttl: no ledger event is left to TTL (see noTTL).
			UpdateExpression:          aws.String("SET " + set + " REMOVE #ttl"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND #ev <> :pruned"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}})
	}
	return out
}

// addExpiry adds expiry attributes to an item about to be written.
func addExpiry(item map[string]types.AttributeValue, e expiry) error {
	av, err := attributevalue.MarshalMap(e)
	if err != nil {
		return err
	}
	maps.Copy(item, av)
	return nil
}

// Disclosure returns a catalogued text by its hash.
func (s *Consents) Disclosure(ctx context.Context, sha string) (consent.Disclosure, bool, error) {
	var it disclosureItem
	found, err := getItem(ctx, s.db, s.table, prefixDisclosure+sha, sortDisclosure, &it)
	return consent.Disclosure{ID: it.ID, Version: it.Version, Text: it.Text}, found, err
}

// States implements consent.Store.
func (s *Consents) States(ctx context.Context, subjectKey string) ([]consent.State, error) {
	found, err := partition(ctx, s.db, s.table, prefixSubject+subjectKey, sortConsent, "")
	if err != nil {
		return nil, err
	}
	var items []consentItem
	if err := attributevalue.UnmarshalListOfMaps(found, &items); err != nil {
		return nil, err
	}
	var ts stampReader
	states := make([]consent.State, len(items))
	for i, it := range items {
		states[i] = consent.State{Purpose: consent.Purpose(it.Purpose), Status: consent.Status(it.Status), Since: ts.at(it.Since), ReceiptID: it.ReceiptID}
	}
	return states, ts.err
}

// Confirmation implements consent.Store.
func (s *Consents) Confirmation(ctx context.Context, tokenHash string) (consent.Confirmation, error) {
	var it confirmTokenItem
	found, err := getItem(ctx, s.db, s.table, prefixConfirmToken+tokenHash, sortConfirmToken, &it)
	if err != nil {
		return consent.Confirmation{}, err
	}
	if !found {
		return consent.Confirmation{}, fault.New(fault.Gone, "No such confirmation.")
	}
	until, err := parseStamp(it.ValidUntil)
	return consent.Confirmation{
		ReceiptID: it.ReceiptID, SubjectKey: it.SubjectKey, Purpose: consent.Purpose(it.Purpose),
		ExpiresAt: until, Used: it.UsedAt != "", Address: it.NotifyTo,
	}, err
}

// Confirm implements consent.Store: the token is used, a confirmation event
// appended and the purpose granted in one transaction, on the conditions that
// the token is fresh and the consent is still pending from the same receipt
// (a withdrawal meanwhile wins).
func (s *Consents) Confirm(ctx context.Context, tokenHash string, c consent.Confirmation, at time.Time, eventID string) error {
	return retry(ctx, chainMoved, func(int) error {
		return s.confirm(ctx, tokenHash, c, at, eventID)
	})
}

// confirm is one try of Confirm.
func (s *Consents) confirm(ctx context.Context, tokenHash string, c consent.Confirmation, at time.Time, eventID string) error {
	tokenUpdate := types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       key(prefixConfirmToken+tokenHash, sortConfirmToken),
		UpdateExpression:          aws.String("SET used_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND valid_until > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberS{Value: stamp(at)}},
	}}
	return s.grant(ctx, tokenUpdate, pendingGrant{c.SubjectKey, c.Purpose, c.ReceiptID, c.Address}, c.EventFields(), at, eventID)
}

// pendingGrant names the pending grant a confirmation turns into a grant.
type pendingGrant struct {
	subjectKey string
	purpose    consent.Purpose
	receiptID  string
	// address, when the grant is of an email address, puts it on the
	// notice roster.
	address string
}

// grant is one try of a confirmation: consume (the token or code used once,
// a conditional write) and the grant of g, with a ledger event of fields,
// in one transaction.
func (s *Consents) grant(ctx context.Context, consume types.TransactWriteItem, g pendingGrant, fields map[string]string, at time.Time, eventID string) error {
	hs, err := heads(ctx, s.db, s.table, []string{g.subjectKey})
	if err != nil {
		return err
	}
	now := &types.AttributeValueMemberS{Value: stamp(at)}
	ws, sealed, err := appendEvents(s.table, hs[g.subjectKey], ledger.Event{
		Subject: g.subjectKey, ID: eventID, At: at, Kind: consent.ConfirmedKind, Fields: fields,
	})
	if err != nil {
		return err
	}
	stateUpdate := types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.table),
		Key:       key(prefixSubject+g.subjectKey, sortConsent+string(g.purpose)),
		// Granted: kept while in effect, so the pending grant's
		// expiry goes.
		UpdateExpression:    aws.String("SET #st = :granted, since = :now, seq = :seq, evidence = list_append(if_not_exists(evidence, :none), :seqs) REMOVE retention, expires_at, gsi4pk, gsi4sk, #ttl"),
		ConditionExpression: aws.String("#st = :pending AND receipt_id = :receipt"),
		ExpressionAttributeNames: map[string]string{
			"#st": "status", "#ttl": "ttl",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":granted": &types.AttributeValueMemberS{Value: string(consent.Granted)},
			":pending": &types.AttributeValueMemberS{Value: string(consent.Pending)},
			":receipt": &types.AttributeValueMemberS{Value: g.receiptID},
			":now":     now,
			":seq":     &types.AttributeValueMemberN{Value: fmt.Sprint(sealed[0].Seq)},
			":none":    &types.AttributeValueMemberL{},
			":seqs":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: fmt.Sprint(sealed[0].Seq)}}},
		},
	}}
	if r := rosterOf(g.subjectKey, g.purpose, g.address); r.NotifyTo != "" {
		u := stateUpdate.Update
		*u.UpdateExpression = strings.Replace(*u.UpdateExpression, "SET ", "SET notify_to = :to, gsi2pk = :rpk, gsi2sk = :rsk, ", 1)
		u.ExpressionAttributeValues[":to"] = &types.AttributeValueMemberS{Value: r.NotifyTo}
		u.ExpressionAttributeValues[":rpk"] = &types.AttributeValueMemberS{Value: r.GSI2PK}
		u.ExpressionAttributeValues[":rsk"] = &types.AttributeValueMemberS{Value: r.GSI2SK}
	}
	writes := append([]types.TransactWriteItem{consume, stateUpdate}, ws...)
	kept, err := s.keepPendingEvidence(ctx, g)
	if err != nil {
		return err
	}
	writes = append(writes, kept...)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	failed := cancelled(err)
	switch {
	case failed == nil:
		return classify(err)
	case failed[0]:
		return fault.Wrap(fault.Gone, "The confirmation was used or has expired.", err)
	case failed[1]:
		return fault.Wrap(fault.Conflict, "The consent is no longer pending.", err)
	}
	// The chain moved: read the head again.
	return again(fault.Wrap(fault.TooMany, "The consent record is busy; try again.", err))
}

// keepPendingEvidence returns the writes that make the pending grant's
// events the evidence of a grant in effect: no expiry.
func (s *Consents) keepPendingEvidence(ctx context.Context, g pendingGrant) ([]types.TransactWriteItem, error) {
	prior, err := s.states(ctx, g.subjectKey)
	if err != nil {
		return nil, err
	}
	p := prior[g.purpose]
	if p.Status != string(consent.Pending) || p.ReceiptID != g.receiptID {
		return nil, nil
	}
	seqs := p.Evidence
	if len(seqs) == 0 {
		seqs = []int64{p.Seq}
	}
	var writes []types.TransactWriteItem
	for _, seq := range seqs {
		writes = append(writes, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.table),
			Key:                       key(prefixSubject+g.subjectKey, ledgerSort(seq)),
			UpdateExpression:          aws.String("REMOVE retention, expires_at, gsi4pk, gsi4sk"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND #ev <> :pruned"),
			ExpressionAttributeNames:  map[string]string{"#ev": "event"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pruned": &types.AttributeValueMemberS{Value: eventPruned}},
		}})
	}
	return writes, nil
}
