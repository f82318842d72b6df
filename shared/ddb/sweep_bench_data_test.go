package ddb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// The seeded contents.

// sweepItem is one seeded item.
type sweepItem struct {
	pk, sk string
	av     map[string]types.AttributeValue
}

// sweepData is what a table of one size is seeded with.
type sweepData struct {
	kept    []sweepItem // not due: every one must survive
	expired []sweepItem // due at sweepNow: the 1,000 records the sweep removes
	deps    []sweepItem // the rest of the expired requests' partitions (events), removed with them
	bytes   int         // about the size of all items, for the log
}

func (d *sweepData) total() int { return len(d.kept) + len(d.expired) + len(d.deps) }

// buildSweepData returns n items: the same 1,000 due records (and the
// partitions they live in) for every n, and a realistic mix of records that
// are not due to fill up to n. Not due are open requests, opt-out entries,
// links, ledgers and consents in effect (no expiry) and records whose expiry
// is still ahead: mail, tokens and idempotency records of the last days
// (many of them in today's buckets of the index, later than the clock),
// closed requests and superseded consent evidence of the last years.
func buildSweepData(n int) *sweepData {
	d := &sweepData{}
	g := &sweepGen{r: rand.New(rand.NewPCG(6, 2026)), d: d}
	g.expiredCore()
	if len(d.expired) != sweepExpired {
		panic(fmt.Sprintf("%d due records seeded, want %d", len(d.expired), sweepExpired))
	}
	shards := map[string]bool{}
	for _, it := range d.expired {
		b := strOf(it.av["gsi4pk"])
		shards[b[strings.LastIndexByte(b, '#'):]] = true
	}
	if len(shards) != topology.ExpiryShards {
		panic(fmt.Sprintf("due records in %d shards, want %d", len(shards), topology.ExpiryShards))
	}
	for d.total() < n {
		switch x := g.r.IntN(100); {
		case x < 22:
			g.openRequest()
		case x < 42:
			g.closedRequest()
		case x < 72:
			g.subject()
		case x < 84:
			g.idempotency(toKept, g.future(24*time.Hour))
		case x < 94:
			g.token(toKept, g.future(72*time.Hour))
		default:
			g.confirmToken(toKept, g.future(72*time.Hour))
		}
	}
	d.kept = d.kept[:len(d.kept)-(d.total()-n)]
	for _, list := range [][]sweepItem{d.kept, d.expired, d.deps} {
		for _, it := range list {
			d.bytes += itemSize(it.av)
		}
	}
	return d
}

// itemSize is about what DynamoDB counts an item as: names and values.
func itemSize(av map[string]types.AttributeValue) int {
	n := 0
	for k, v := range av {
		n += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				n += itemSize(map[string]types.AttributeValue{"": e}) + 1
			}
		case *types.AttributeValueMemberM:
			n += itemSize(v.Value)
		default:
			n++
		}
	}
	return n
}

// sweepGen makes items; its ids and hashes never repeat.
type sweepGen struct {
	r   *rand.Rand
	d   *sweepData
	seq int
}

type itemList int

const (
	toKept itemList = iota
	toExpired
	toDeps
)

// add adds an item, with the expiry attributes of kind at at unless kind is
// empty.
func (g *sweepGen) add(to itemList, pk, sk, kind string, attrs map[string]types.AttributeValue, exp retention.Kind, at time.Time) {
	attrs["pk"], attrs["sk"], attrs["kind"] = avS(pk), avS(sk), avS(kind)
	if exp != "" {
		for k, v := range ddb.ExpiryAttrs(exp, pk, sk, at) {
			attrs[k] = v
		}
	}
	it := sweepItem{pk: pk, sk: sk, av: attrs}
	switch to {
	case toExpired:
		g.d.expired = append(g.d.expired, it)
	case toDeps:
		g.d.deps = append(g.d.deps, it)
	default:
		g.d.kept = append(g.d.kept, it)
	}
}

// id is ULID-shaped and unique.
func (g *sweepGen) id() string {
	g.seq++
	return fmt.Sprintf("01JP%08X%014X", g.seq, g.r.Uint64()>>8)
}

// hash is a SHA-256 in hex, unique: a keyed subject hash or a token hash.
func (g *sweepGen) hash() string {
	g.seq++
	h := sha256.Sum256(fmt.Appendf(nil, "sweep-bench-%d", g.seq))
	return hex.EncodeToString(h[:])
}

func (g *sweepGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

// past is a time up to d before the clock; due is one up to three days
// before it (and at least a minute); future is one up to d after it (and at
// least a minute). All are whole milliseconds, as stored.
func (g *sweepGen) past(d time.Duration) time.Time {
	return sweepNow.Add(-time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

func (g *sweepGen) due() time.Time {
	return sweepNow.Add(-time.Minute - time.Duration(g.r.Int64N(int64(72*time.Hour)))).Truncate(time.Millisecond)
}

func (g *sweepGen) future(d time.Duration) time.Time {
	return sweepNow.Add(time.Minute + time.Duration(g.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

var (
	sweepFirstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
	sweepLastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
	sweepStates     = []string{"CA", "CO", "CT", "VA", "UT", "TX", "OR", "NY"}
	sweepFiller     = "Please send me a copy of the personal information you hold about me, including anything shared with third parties, and the sources you got it from. "
)

func (g *sweepGen) text(maxLen int) string {
	n := 20 + g.r.IntN(maxLen-20)
	return strings.Repeat(sweepFiller, n/len(sweepFiller)+1)[:n]
}

// request adds a request of the status; closed (if not zero) is when it was
// closed. Its retention is the caller's: to and exp/at.
func (g *sweepGen) request(to itemList, id string, st request.Status, received, closed time.Time, exp retention.Kind, at time.Time) {
	first, last := g.pick(sweepFirstNames...), g.pick(sweepLastNames...)
	email := strings.ToLower(first+"."+last) + fmt.Sprintf("%d@example.com", g.r.IntN(1000))
	subj := g.hash()
	due := received.AddDate(0, 0, 45)
	attrs := map[string]types.AttributeValue{
		"gsi1pk": avS("SUBJ#" + subj), "gsi1sk": avS("REQ#" + id),
		"gsi2pk": avS("STATUS#" + string(st)), "gsi2sk": avS(ddb.StampOf(due) + "#" + id),
		"id": avS(id), "types": avL(string(request.Access), string(request.Delete)), "status": avS(string(st)),
		"channel": avS(string(request.Web)), "first_name": avS(first), "last_name": avS(last), "email": avS(email),
		"phone": avS(fmt.Sprintf("+1415555%04d", g.r.IntN(10000))), "country": avS("US"), "state": avS(g.pick(sweepStates...)),
		"details": avS(g.text(240)), "on_behalf": &types.AttributeValueMemberBOOL{Value: false}, "regime": avS("ccpa"),
		"received_at": avS(ddb.StampOf(received)), "due_at": avS(ddb.StampOf(due)), "subject_key": avS(subj),
		"version": avN(int64(2 + g.r.IntN(4))), "verified_at": avS(ddb.StampOf(received.Add(time.Hour))),
	}
	if !closed.IsZero() {
		attrs["closed_at"] = avS(ddb.StampOf(closed))
		if st == request.Completed {
			attrs["outcome"] = avS("Sent the requested data and deleted the rest.")
		}
	}
	g.add(to, "REQ#"+id, "REQ", "request", attrs, exp, at)
}

// events adds n audit events of request id from at on.
func (g *sweepGen) events(to itemList, id string, at time.Time, n int) {
	actions := []string{"received", "verified", "assigned", "in_progress", "completed", "note"}
	for i := range n {
		a := actions[min(i, len(actions)-1)]
		at = at.Add(time.Duration(1+g.r.IntN(48)) * time.Hour)
		attrs := map[string]types.AttributeValue{
			"at": avS(ddb.StampOf(at)), "action": avS(a), "to": avS(a), "actor": avS(g.pick("requester", "staff:jdoe", "staff:mkim", "system")),
		}
		if g.r.IntN(3) == 0 {
			attrs["note"] = avS(g.text(120))
		}
		g.add(to, "REQ#"+id, "EVENT#"+g.id(), "event", attrs, "", time.Time{})
	}
}

// sentMail adds a mail of partition pk sent at sent (sent_mail expiry).
func (g *sweepGen) sentMail(to itemList, pk string, tmpl mail.Template, sent time.Time) {
	id := g.id()
	first := g.pick(sweepFirstNames...)
	attrs := map[string]types.AttributeValue{
		"id": avS(id), "template": avS(string(tmpl)), "to": avS(strings.ToLower(first) + fmt.Sprintf(".%d@example.com", g.r.IntN(10000))),
		"data": avM(map[string]string{
			"first_name": first, "request_id": g.id(), "portal_url": "https://privacy.example.com/requests/status",
			"business": "Example Retail Inc.", "deadline": ddb.StampOf(sent.AddDate(0, 0, 45))[:10],
			"summary": g.text(120),
		}),
		"status": avS("sent"), "attempts": avN(1), "claimed_at": avS(ddb.StampOf(sent.Add(-2 * time.Second))),
		"sent_at": avS(ddb.StampOf(sent)), "message_id": avS("0100018e" + g.hash()[:52] + "-000000"),
	}
	g.add(to, pk, "MAIL#"+id, "mail", attrs, retention.SentMail, sent.Add(30*24*time.Hour))
}

func (g *sweepGen) token(to itemList, expires time.Time) {
	created := expires.Add(-72 * time.Hour)
	g.add(to, "TOKEN#"+g.hash(), "TOKEN", "token", map[string]types.AttributeValue{
		"request_id": avS(g.id()), "valid_until": avS(ddb.StampOf(created.Add(72 * time.Hour))),
	}, retention.VerificationToken, expires)
}

func (g *sweepGen) confirmToken(to itemList, expires time.Time) {
	created := expires.Add(-72 * time.Hour)
	g.add(to, "CTOKEN#"+g.hash(), "CTOKEN", "confirm_token", map[string]types.AttributeValue{
		"receipt_id": avS(g.id()), "subject_key": avS(g.hash()), "purpose": avS(string(consent.EmailMarketing)),
		"valid_until": avS(ddb.StampOf(created.Add(72 * time.Hour))),
	}, retention.ConfirmationToken, expires)
}

func (g *sweepGen) idempotency(to itemList, expires time.Time) {
	g.add(to, "IDEM#"+g.hash(), "IDEM", "idempotency", map[string]types.AttributeValue{
		"request_id": avS(g.id()), "body_hash": avS(g.hash()),
	}, retention.Idempotency, expires)
}

// consentState adds the current consent of subject sub to a purpose.
func (g *sweepGen) consentState(to itemList, sub string, p consent.Purpose, st consent.Status, since time.Time, exp retention.Kind, at time.Time) {
	g.add(to, "SUBJ#"+sub, "CONSENT#"+string(p), "consent_state", map[string]types.AttributeValue{
		"purpose": avS(string(p)), "status": avS(string(st)), "since": avS(ddb.StampOf(since)),
		"receipt_id": avS(g.id()), "seq": avN(int64(1 + g.r.IntN(9))),
	}, exp, at)
}

// ledger adds subject sub's ledger of n events and its head; consent events
// superseded carry their four years of expiry.
func (g *sweepGen) ledger(sub string, n int) {
	prev := strings.Repeat("0", 64)
	at := g.past(400 * 24 * time.Hour)
	for seq := 1; seq <= n; seq++ {
		h := g.hash()
		ev := g.pick("opt_out", "consent", "consent_confirmed")
		attrs := map[string]types.AttributeValue{
			"subject": avS(sub), "seq": avN(int64(seq)), "id": avS(g.id()), "at": avS(ddb.StampOf(at)), "event": avS(ev),
			"fields": avM(map[string]string{
				"purpose": string(consent.EmailMarketing), "status": string(consent.Granted), "source": "web_form",
				"disclosure": "newsletter-signup@2026-01", "ip_prefix": "203.0.113.0/24", "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)",
			}),
			"prev_hash": avS(prev), "hash": avS(h),
		}
		var exp retention.Kind
		var until time.Time
		if ev != "opt_out" && seq < n && g.r.IntN(3) == 0 {
			exp, until = retention.ConsentEvidence, g.future(4*365*24*time.Hour)
		}
		g.add(toKept, "SUBJ#"+sub, fmt.Sprintf("LEDGER#%012d", seq), "ledger", attrs, exp, until)
		prev = h
		at = at.Add(time.Duration(1+g.r.IntN(200)) * time.Hour)
	}
	g.add(toKept, "SUBJ#"+sub, "LEDGER", "ledger_head", map[string]types.AttributeValue{
		"seq": avN(int64(n)), "hash": avS(prev),
	}, "", time.Time{})
}

func (g *sweepGen) optOut(sub string, r optout.Right, since time.Time) {
	attrs := map[string]types.AttributeValue{
		"right": avS(string(r)), "id_kind": avS(g.pick("email", "phone", "browser")), "match": avS("exact"),
		"optout_id": avS(g.id()), "since": avS(ddb.StampOf(since)), "source": avS(g.pick("web_form", "gpc", "email")),
	}
	if r == optout.SaleSharing {
		attrs["gsi3pk"], attrs["gsi3sk"] = avS("SUPPRESSED"), avS(ddb.StampOf(since)+"#"+sub)
	}
	g.add(toKept, "SUBJ#"+sub, "OPTOUT#"+string(r), "optout", attrs, "", time.Time{})
}

func (g *sweepGen) link(sub string) {
	other := g.hash()
	g.add(toKept, "SUBJ#"+sub, "LINK#"+other, "link", map[string]types.AttributeValue{
		"other": avS(other), "id_kind": avS(g.pick("email", "phone", "browser")), "match": avS("exact"),
		"at": avS(ddb.StampOf(g.past(400 * 24 * time.Hour))),
	}, "", time.Time{})
}

// expiredCore adds the 1,000 due records: sent mail of requests and of
// opt-outs, verification and confirmation tokens, idempotency records,
// closed and unverified requests (with their events) and withdrawn consents,
// all due within the three days before the clock, with what shares their
// partitions and stays.
func (g *sweepGen) expiredCore() {
	// Requests still open whose first two mails are due (kept: the request
	// and its events).
	for range 150 {
		id := g.id()
		received := g.past(60 * 24 * time.Hour)
		g.request(toKept, id, request.InProgress, received, time.Time{}, "", time.Time{})
		g.events(toKept, id, received, 2)
		for _, t := range []mail.Template{mail.RequestReceived, mail.RequestVerified} {
			g.sentMail(toExpired, "REQ#"+id, t, g.due().Add(-30*24*time.Hour))
		}
	}
	// Opt-out confirmations, due; the opt-out and a link stay.
	for range 100 {
		sub := g.hash()
		g.optOut(sub, optout.SaleSharing, g.past(90*24*time.Hour))
		g.link(sub)
		g.sentMail(toExpired, "SUBJ#"+sub, mail.OptOutConfirmed, g.due().Add(-30*24*time.Hour))
	}
	for range 150 {
		g.token(toExpired, g.due())
	}
	for range 50 {
		g.confirmToken(toExpired, g.due())
	}
	for range 200 {
		g.idempotency(toExpired, g.due())
	}
	// Requests closed 24 months ago, with their history.
	for range 100 {
		id := g.id()
		at := g.due()
		closed := at.AddDate(0, -24, 0)
		g.request(toExpired, id, request.Completed, closed.AddDate(0, 0, -30), closed, retention.ClosedRequest, at)
		g.events(toDeps, id, closed.AddDate(0, 0, -30), 3)
	}
	// Requests never verified, expired 30 days ago.
	for range 50 {
		id := g.id()
		at := g.due()
		closed := at.Add(-30 * 24 * time.Hour)
		g.request(toExpired, id, request.ExpiredUnverified, closed.Add(-72*time.Hour), closed, retention.UnverifiedRequest, at)
		g.events(toDeps, id, closed.Add(-72*time.Hour), 2)
	}
	// Consents withdrawn four years ago; the ledger stays.
	for range 50 {
		sub := g.hash()
		at := g.due()
		g.ledger(sub, 2)
		g.consentState(toExpired, sub, consent.EmailMarketing, consent.Withdrawn, at.AddDate(-4, 0, 0), retention.ConsentEvidence, at)
	}
}

// openRequest adds a request in progress with its history, the mail sent
// for it (expiring within 30 days), and for some its token and idempotency
// record (expiring within days).
func (g *sweepGen) openRequest() {
	id := g.id()
	received := g.past(40 * 24 * time.Hour)
	st := request.Status(g.pick(string(request.PendingVerification), string(request.Verified), string(request.InProgress)))
	g.request(toKept, id, st, received, time.Time{}, "", time.Time{})
	g.events(toKept, id, received, 1+g.r.IntN(3))
	for range 1 + g.r.IntN(2) {
		g.sentMail(toKept, "REQ#"+id, mail.RequestReceived, g.future(30*24*time.Hour).Add(-30*24*time.Hour))
	}
	if st == request.PendingVerification {
		g.token(toKept, g.future(72*time.Hour))
	}
	if g.r.IntN(2) == 0 {
		g.idempotency(toKept, g.future(24*time.Hour))
	}
}

// closedRequest adds a request closed in the last 24 months with its
// history.
func (g *sweepGen) closedRequest() {
	id := g.id()
	at := g.future(2 * 365 * 24 * time.Hour)
	closed := at.AddDate(0, -24, 0)
	received := closed.AddDate(0, 0, -30)
	g.request(toKept, id, request.Status(g.pick(string(request.Completed), string(request.Denied), string(request.Cancelled))),
		received, closed, retention.ClosedRequest, at)
	g.events(toKept, id, received, 3+g.r.IntN(3))
}

// subject adds a person's partition: ledger, opt-outs, links, consents and
// now and then a recent mail.
func (g *sweepGen) subject() {
	sub := g.hash()
	g.ledger(sub, 1+g.r.IntN(4))
	since := g.past(400 * 24 * time.Hour)
	g.optOut(sub, optout.SaleSharing, since)
	if g.r.IntN(3) == 0 {
		g.optOut(sub, optout.LimitSensitive, since)
	}
	for range g.r.IntN(3) {
		g.link(sub)
	}
	for _, p := range []consent.Purpose{consent.EmailMarketing, consent.SMSMarketing, consent.CookiesAnalytics}[:g.r.IntN(4)] {
		if g.r.IntN(4) == 0 {
			g.consentState(toKept, sub, p, consent.Withdrawn, since, retention.ConsentEvidence, g.future(4*365*24*time.Hour))
		} else {
			g.consentState(toKept, sub, p, consent.Granted, since, "", time.Time{})
		}
	}
	if g.r.IntN(4) == 0 {
		g.sentMail(toKept, "SUBJ#"+sub, mail.OptOutConfirmed, g.future(30*24*time.Hour).Add(-30*24*time.Hour))
	}
}
