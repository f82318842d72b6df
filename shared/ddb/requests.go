package ddb

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/deadline"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/mail"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Requests implements request.Store on one table: requests, their audit
// events, verification tokens and idempotency records.
type Requests struct {
	db    *dynamodb.Client
	table string
}

var _ request.Store = (*Requests)(nil)

// NewRequests returns the request store on the named table.
func NewRequests(db *dynamodb.Client, table string) *Requests {
	return &Requests{db: db, table: table}
}

// requestItem is a Data Rights Request.
//
//	pk = REQ#<id>          sk = REQ
//	gsi1pk = SUBJ#<key>    gsi1sk = REQ#<id>          (by-subject: all of a person's requests)
//	gsi2pk = STATUS#<st>   gsi2sk = <due_at>#<id>     (by-status-due: the staff queue by due date)
//	expiry once closed (closed_request) or expired unverified (unverified_request); see expiry
type requestItem struct {
	PK           string   `dynamodbav:"pk"`
	SK           string   `dynamodbav:"sk"`
	Kind         string   `dynamodbav:"kind"`
	GSI1PK       string   `dynamodbav:"gsi1pk"`
	GSI1SK       string   `dynamodbav:"gsi1sk"`
	GSI2PK       string   `dynamodbav:"gsi2pk"`
	GSI2SK       string   `dynamodbav:"gsi2sk"`
	ID           string   `dynamodbav:"id"`
	Types        []string `dynamodbav:"types"`
	Status       string   `dynamodbav:"status"`
	Channel      string   `dynamodbav:"channel"`
	FirstName    string   `dynamodbav:"first_name"`
	LastName     string   `dynamodbav:"last_name"`
	Email        string   `dynamodbav:"email"`
	Phone        string   `dynamodbav:"phone,omitempty"`
	PracticeName string   `dynamodbav:"practice_name,omitempty"`
	Country      string   `dynamodbav:"country,omitempty"`
	State        string   `dynamodbav:"state,omitempty"`
	Details      string   `dynamodbav:"details,omitempty"`
	Correction   string   `dynamodbav:"correction,omitempty"`
	OnBehalf     bool     `dynamodbav:"on_behalf"`
	AgentName    string   `dynamodbav:"agent_name,omitempty"`
	AgentEmail   string   `dynamodbav:"agent_email,omitempty"`
	Regime       string   `dynamodbav:"regime"`
	ReceivedAt   string   `dynamodbav:"received_at"`
	DueAt        string   `dynamodbav:"due_at"`
	SubjectKey   string   `dynamodbav:"subject_key"`
	Version      int      `dynamodbav:"version"`
	Extended     bool     `dynamodbav:"extended,omitempty"`
	ExtReason    string   `dynamodbav:"extension_reason,omitempty"`
	VerifiedAt   string   `dynamodbav:"verified_at,omitempty"`
	ClosedAt     string   `dynamodbav:"closed_at,omitempty"`
	Outcome      string   `dynamodbav:"outcome,omitempty"`
	DenialBasis  string   `dynamodbav:"denial_basis,omitempty"`
	appealAttrs
	corrections
	// Staff-entered requests and the other channels (request.Request).
	PostalAddress      string `dynamodbav:"postal_address,omitempty"`
	EnteredAt          string `dynamodbav:"entered_at,omitempty"`
	VerificationMethod string `dynamodbav:"verification_method,omitempty"`
	VerificationNote   string `dynamodbav:"verification_note,omitempty"`
	AgentPermission    string `dynamodbav:"agent_permission,omitempty"`
	AgentPermissionAt  string `dynamodbav:"agent_permission_at,omitempty"`
	TokenHash          string `dynamodbav:"token_hash,omitempty"`
	// An authorized agent's request by the Data Rights Protocol
	// (request.ProtocolAgent).
	DRPAgent          string `dynamodbav:"drp_agent,omitempty"`
	DRPAgentRequestID string `dynamodbav:"drp_agent_request_id,omitempty"`
	DRPCallback       string `dynamodbav:"drp_callback,omitempty"`
	// The origins the agent's return address may be on, as the register
	// listed them when the request came (request.ProtocolAgent.ReturnTo).
	DRPRedirectOrigins []string `dynamodbav:"drp_redirect_origins,omitempty"`
	expiry
}

// eventItem is one audit event of a request; sort keys are ids that sort by
// time, so a request's history is one query on its partition.
//
//	pk = REQ#<request id>  sk = EVENT#<event id>
type eventItem struct {
	PK     string `dynamodbav:"pk"`
	SK     string `dynamodbav:"sk"`
	Kind   string `dynamodbav:"kind"`
	At     string `dynamodbav:"at"`
	Action string `dynamodbav:"action"`
	From   string `dynamodbav:"from,omitempty"`
	To     string `dynamodbav:"to"`
	Actor  string `dynamodbav:"actor"`
	Note   string `dynamodbav:"note,omitempty"`
}

// tokenItem is a verification token, stored only as the SHA-256 of its raw
// value. Used once, by a conditional update.
//
//	pk = TOKEN#<sha256>    sk = TOKEN
//	expiry: verification_token, from creation
type tokenItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Kind      string `dynamodbav:"kind"`
	RequestID string `dynamodbav:"request_id"`
	// ValidUntil is when the link stops working; expires_at (the
	// retention expiry) is when the record goes.
	ValidUntil string `dynamodbav:"valid_until"`
	UsedAt     string `dynamodbav:"used_at,omitempty"`
	expiry
}

// idempotencyItem remembers which request an Idempotency-Key made, for 24
// hours.
//
//	pk = IDEM#<sha256 of key>   sk = IDEM
//	expiry: idempotency_record, from creation
type idempotencyItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Kind      string `dynamodbav:"kind"`
	RequestID string `dynamodbav:"request_id"`
	BodyHash  string `dynamodbav:"body_hash"`
	expiry
}

// dedupItem is the duplicate guard: the request a person's submission of
// a set of types made, for ten minutes (retention.DuplicateGuard, whose
// expiry is the end of the window).
//
//	pk = DEDUP#<subject key>#<sorted types>#<form digest>   sk = DEDUP
//	expiry: duplicate_guard, from the submission (moves when a later
//	request takes the key over)
type dedupItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Kind      string `dynamodbav:"kind"`
	RequestID string `dynamodbav:"request_id"`
	expiry
}

func toRequestItem(r request.Request) requestItem {
	types := make([]string, len(r.Types))
	for i, t := range r.Types {
		types[i] = string(t)
	}
	it := requestItem{
		expiry: requestExpiry(r),
		PK:     prefixRequest + r.ID, SK: sortRequest, Kind: "request",
		GSI1PK: prefixSubject + r.SubjectKey, GSI1SK: prefixRequest + r.ID,
		GSI2PK: prefixStatus + string(r.Status), GSI2SK: queueKey(r.DueAt, r.ID),
		ID: r.ID, Types: types, Status: string(r.Status), Channel: string(r.Channel),
		FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone,
		PracticeName: r.PracticeName, Country: r.Country, State: r.State,
		Details: r.Details, Correction: r.Correction,
		OnBehalf: r.OnBehalf, AgentName: r.AgentName, AgentEmail: r.AgentEmail,
		Regime: string(r.Regime), ReceivedAt: stamp(r.ReceivedAt), DueAt: stamp(r.DueAt),
		SubjectKey: r.SubjectKey, Version: r.Version,
		Extended: r.Extended, ExtReason: r.ExtensionReason, ClosedAt: optStamp(r.ClosedAt), VerifiedAt: optStamp(r.VerifiedAt),
		Outcome: r.Outcome, DenialBasis: r.DenialBasis, appealAttrs: appealAttrsOf(r.AppealState),
		corrections:   corrections{toCorrectionItems(r.Corrections)},
		PostalAddress: r.PostalAddress, EnteredAt: optStamp(r.EnteredAt),
		VerificationMethod: r.VerificationMethod, VerificationNote: r.VerificationNote,
		AgentPermission: r.AgentPermission, AgentPermissionAt: optStamp(r.AgentPermissionAt),
		TokenHash: r.TokenHash,
	}
	if p := r.Protocol; p != nil {
		it.DRPAgent, it.DRPAgentRequestID, it.DRPCallback = p.ID, p.RequestID, p.StatusCallback
		it.DRPRedirectOrigins = p.RedirectOrigins
	}
	return it
}

// requestExpiry is a request's retention: none while open; once closed, the
// request log's 24 months (11 CCR §7101); once expired unverified, 30 days.
// Removing a request removes its partition: its audit history and mail.
func requestExpiry(r request.Request) expiry {
	pk := prefixRequest + r.ID
	switch {
	case r.Status == request.ExpiredUnverified:
		return expires(retention.UnverifiedRequest, pk, sortRequest, r.ClosedAt)
	case !r.Status.Open() && !r.ClosedAt.IsZero():
		return expires(retention.ClosedRequest, pk, sortRequest, r.ClosedAt)
	case !r.Status.Open():
		// Closed without a closing time (stored before one was kept):
		// from receipt, the earliest it can have closed.
		return expires(retention.ClosedRequest, pk, sortRequest, r.ReceivedAt)
	}
	return expiry{}
}

// request is the stored request; an error when a stored time is corrupt.
func (it requestItem) request() (request.Request, error) {
	types := make([]request.Type, len(it.Types))
	for i, t := range it.Types {
		types[i] = request.Type(t)
	}
	var ts stampReader
	r := request.Request{
		ID: it.ID, Types: types, Status: request.Status(it.Status), Channel: request.Channel(it.Channel),
		FirstName: it.FirstName, LastName: it.LastName, Email: it.Email, Phone: it.Phone,
		PracticeName: it.PracticeName, Country: it.Country, State: it.State,
		Details: it.Details, Correction: it.Correction,
		OnBehalf: it.OnBehalf, AgentName: it.AgentName, AgentEmail: it.AgentEmail,
		Regime: deadline.Regime(it.Regime), ReceivedAt: ts.at(it.ReceivedAt), DueAt: ts.at(it.DueAt),
		SubjectKey: it.SubjectKey, Version: it.Version,
		Extended: it.Extended, ExtensionReason: it.ExtReason, ClosedAt: ts.at(it.ClosedAt), VerifiedAt: ts.at(it.VerifiedAt),
		Outcome: it.Outcome, DenialBasis: it.DenialBasis,
		PostalAddress: it.PostalAddress, EnteredAt: ts.at(it.EnteredAt),
		VerificationMethod: it.VerificationMethod, VerificationNote: it.VerificationNote,
		AgentPermission: it.AgentPermission, AgentPermissionAt: ts.at(it.AgentPermissionAt),
		TokenHash: it.TokenHash,
	}
	if it.DRPAgent != "" {
		r.Protocol = &request.ProtocolAgent{ID: it.DRPAgent, RequestID: it.DRPAgentRequestID, StatusCallback: it.DRPCallback,
			RedirectOrigins: it.DRPRedirectOrigins}
	}
	r.AppealState = it.appealAttrs.state(&ts)
	r.Corrections = ts.corrections(it.Corrections)
	return r, ts.err
}

// event is the stored audit event; an error when its time is corrupt.
func (it eventItem) event() (request.Event, error) {
	at, err := parseStamp(it.At)
	return request.Event{
		ID: strings.TrimPrefix(it.SK, prefixEvent), At: at, Action: it.Action,
		From: request.Status(it.From), To: request.Status(it.To), Actor: it.Actor, Note: it.Note,
	}, err
}

func eventPut(requestID string, e request.Event) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(eventItem{
		PK: prefixRequest + requestID, SK: prefixEvent + e.ID, Kind: "event",
		At: stamp(e.At), Action: e.Action, From: string(e.From), To: string(e.To), Actor: e.Actor, Note: e.Note,
	})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{Item: av}}, nil
}

// Create implements request.Store. The request, its event, mail, token,
// idempotency record and duplicate guard are one transaction. Of concurrent
// identical submissions one commits; the others find the guard taken and
// answer with its request. A conflict with another transaction is tried
// again.
func (s *Requests) Create(ctx context.Context, c request.Creation) error {
	items, at, err := s.creationItems(c)
	if err != nil {
		return err
	}
	return retry(ctx, busy, func(int) error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		failed := cancelled(err)
		switch {
		case failed == nil:
			return againIfBusy(classify(err))
		case at.idem >= 0 && failed[at.idem]:
			return request.IdempotencyHit{}
		case at.dedup >= 0 && failed[at.dedup]:
			return s.duplicate(ctx, c)
		}
		return fault.Wrap(fault.Internal, "the request's records already exist", err)
	})
}

// creationPositions are where the items whose failed condition has a
// meaning sit in a creation's transaction; -1 when absent.
type creationPositions struct{ idem, dedup int }

// creationItems are the writes of a creation.
func (s *Requests) creationItems(c request.Creation) ([]types.TransactWriteItem, creationPositions, error) {
	at := creationPositions{idem: -1, dedup: -1}
	req, err := attributevalue.MarshalMap(toRequestItem(c.Request))
	if err != nil {
		return nil, at, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		Item: req, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}}
	ev, err := eventPut(c.Request.ID, c.Event)
	if err != nil {
		return nil, at, err
	}
	items = append(items, ev)
	// A request staff entered without an email address has no mail; an
	// agent's request has the agent's receipt besides.
	for _, m := range append([]mail.Intent{c.Mail}, c.Extra...) {
		if m.ID == "" {
			continue
		}
		mp, err := mailPut(prefixRequest+c.Request.ID, m, c.Event.At)
		if err != nil {
			return nil, at, err
		}
		items = append(items, mp)
	}
	if c.TokenHash != "" {
		pk := prefixToken + c.TokenHash
		items, err = appendPut(items, tokenItem{
			PK: pk, SK: sortToken, Kind: "token",
			RequestID: c.Request.ID, ValidUntil: stamp(c.TokenExpiresAt),
			expiry: expires(retention.VerificationToken, pk, sortToken, c.Event.At),
		}, "attribute_not_exists(pk)", nil)
		if err != nil {
			return nil, at, err
		}
	}
	if c.IdempotencyKeyHash != "" {
		pk := prefixIdem + c.IdempotencyKeyHash
		at.idem = len(items)
		items, err = appendPut(items, idempotencyItem{
			PK: pk, SK: sortIdem, Kind: "idempotency",
			RequestID: c.Request.ID, BodyHash: c.BodyHash,
			expiry: expires(retention.Idempotency, pk, sortIdem, c.Event.At),
		}, "attribute_not_exists(pk)", nil)
		if err != nil {
			return nil, at, err
		}
	}
	if c.DuplicateKey != "" {
		pk := prefixDedup + c.DuplicateKey
		at.dedup = len(items)
		items, err = appendPut(items, dedupItem{
			PK: pk, SK: sortDedup, Kind: kindDedup, RequestID: c.Request.ID,
			expiry: expires(retention.DuplicateGuard, pk, sortDedup, c.Event.At),
		}, "attribute_not_exists(pk) OR expires_at <= :now", map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: stamp(c.Event.At)},
		})
		if err != nil {
			return nil, at, err
		}
	}
	for i := range items {
		if items[i].Put != nil {
			items[i].Put.TableName = aws.String(s.table)
		}
	}
	return items, at, nil
}

// appendPut appends a conditional put of item.
func appendPut(items []types.TransactWriteItem, item any, cond string, values map[string]types.AttributeValue) ([]types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return nil, err
	}
	return append(items, types.TransactWriteItem{Put: &types.Put{
		Item: av, ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
	}}), nil
}

// duplicate answers a creation whose duplicate guard was taken: with the
// request it names while the window lasts; when the guard lapsed or went
// meanwhile, the creation is tried again.
func (s *Requests) duplicate(ctx context.Context, c request.Creation) error {
	var it dedupItem
	found, err := s.get(ctx, prefixDedup+c.DuplicateKey, sortDedup, &it)
	if err != nil {
		return err
	}
	if !found || it.ExpiresAt <= stamp(c.Event.At) {
		return again(fault.New(fault.TooMany, "The service is busy; try again shortly."))
	}
	return &request.Duplicate{RequestID: it.RequestID}
}

// Get implements request.Store.
func (s *Requests) Get(ctx context.Context, id string) (request.Request, error) {
	var it requestItem
	found, err := s.get(ctx, prefixRequest+id, sortRequest, &it)
	if err != nil {
		return request.Request{}, err
	}
	if !found {
		return request.Request{}, fault.New(fault.NotFound, "No such request.")
	}
	return it.request()
}

// Token implements request.Store.
func (s *Requests) Token(ctx context.Context, hash string) (request.Token, error) {
	var it tokenItem
	found, err := s.get(ctx, prefixToken+hash, sortToken, &it)
	if err != nil {
		return request.Token{}, err
	}
	if !found {
		return request.Token{}, fault.New(fault.Gone, "No such token.")
	}
	until, err := parseStamp(it.ValidUntil)
	return request.Token{RequestID: it.RequestID, ExpiresAt: until, Used: it.UsedAt != ""}, err
}

// IdempotentRequest implements request.Store.
func (s *Requests) IdempotentRequest(ctx context.Context, keyHash string) (string, string, error) {
	var it idempotencyItem
	found, err := s.get(ctx, prefixIdem+keyHash, sortIdem, &it)
	if err != nil {
		return "", "", err
	}
	if !found {
		return "", "", fault.New(fault.NotFound, "No such idempotency key.")
	}
	return it.RequestID, it.BodyHash, nil
}

// Verify implements request.Store: the token is consumed (when the link was
// followed) and the request verified in one transaction with its event,
// mail, jobs and the vouched links of a staff verification, or none of it.
func (s *Requests) Verify(ctx context.Context, v request.Verification) error {
	at := &types.AttributeValueMemberS{Value: stamp(v.At)}
	r := v.Request
	var items []types.TransactWriteItem
	if v.TokenHash != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:           aws.String(s.table),
			Key:                 key(prefixToken+v.TokenHash, sortToken),
			UpdateExpression:    aws.String("SET used_at = :now"),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND valid_until > :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": at,
			},
		}})
	}
	items = append(items, s.verifiedUpdate(v, at))
	if v.VoidTokenHash != "" {
		items = append(items, voidToken(s.table, v.VoidTokenHash, at))
	}
	ev, err := eventPut(r.ID, v.Event)
	if err != nil {
		return err
	}
	ev.Put.TableName = aws.String(s.table)
	items = append(items, ev)
	if v.Mail.ID != "" {
		mp, err := mailPut(prefixRequest+r.ID, v.Mail, v.At)
		if err != nil {
			return err
		}
		mp.Put.TableName = aws.String(s.table)
		items = append(items, mp)
	}
	jobs, err := jobPuts(s.table, v.Jobs)
	if err != nil {
		return err
	}
	links, err := s.vouchedLinks(v)
	if err != nil {
		return err
	}
	items = append(append(items, jobs...), links...)
	after := r
	after.Status = request.Verified
	cb, err := callbackPut(s.table, r, after, v.Event.ID, v.At)
	if err != nil {
		return err
	}
	if cb != nil {
		items = append(items, *cb)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed := cancelled(err); failed != nil {
		if v.TokenHash != "" && failed[0] {
			return fault.Wrap(fault.Gone, "The token was used or has expired.", err)
		}
		return fault.Wrap(fault.Conflict, "The request changed meanwhile.", err)
	}
	return classify(err)
}

// voidToken marks a link used because another took its place (a new link,
// or staff verifying the person); it must exist and be unused.
func voidToken(table, hash string, at types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(table),
		Key:                       key(prefixToken+hash, sortToken),
		UpdateExpression:          aws.String("SET used_at = :now, replaced_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(used_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": at},
	}}
}

// verifiedUpdate moves the request to verified on the condition that it is
// as read, with how staff verified the person when they did.
func (s *Requests) verifiedUpdate(v request.Verification, at types.AttributeValue) types.TransactWriteItem {
	r := v.Request
	set := "SET #st = :to, gsi2pk = :queue, version = :next, verified_at = :now, verification_method = :method"
	values := map[string]types.AttributeValue{
		":to":      &types.AttributeValueMemberS{Value: string(request.Verified)},
		":from":    &types.AttributeValueMemberS{Value: string(r.Status)},
		":queue":   &types.AttributeValueMemberS{Value: prefixStatus + string(request.Verified)},
		":version": &types.AttributeValueMemberN{Value: fmt.Sprint(r.Version)},
		":next":    &types.AttributeValueMemberN{Value: fmt.Sprint(r.Version + 1)},
		":now":     at,
		":method":  &types.AttributeValueMemberS{Value: "link"},
	}
	if v.Method != "" {
		values[":method"] = &types.AttributeValueMemberS{Value: v.Method}
		set += ", verification_note = :note"
		values[":note"] = &types.AttributeValueMemberS{Value: v.Note}
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       key(prefixRequest+r.ID, sortRequest),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("version = :version AND #st = :from"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: values,
	}}
}

// vouchedLinks are the links, both directions, between each pair of the
// identifiers staff vouched are one person's. Vouched is the strongest
// evidence, so the link is written whatever was there (a claimed or
// proven link is strengthened, never weakened).
func (s *Requests) vouchedLinks(v request.Verification) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for _, x := range v.Vouch {
		for _, y := range v.Vouch {
			if x.Key == y.Key {
				continue
			}
			av, err := attributevalue.MarshalMap(linkItem{
				PK: prefixSubject + x.Key, SK: sortLink + y.Key, Kind: "link", Other: y.Key,
				Type: string(y.Kind), Match: y.Match, At: stamp(v.At), Evidence: string(optout.Vouched),
			})
			if err != nil {
				return nil, err
			}
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}})
		}
	}
	return out, nil
}

// get reads one item with a strongly consistent read.
func (s *Requests) get(ctx context.Context, pk, sk string, out any) (bool, error) {
	return getItem(ctx, s.db, s.table, pk, sk, out)
}

// PendingOf implements request.Pending: a query of the by-subject index,
// newest request first, read until limit requests waiting for
// verification are found or the person's requests end.
func (s *Requests) PendingOf(ctx context.Context, subjectKey string, limit int) ([]request.Request, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(topology.IndexBySubject),
		KeyConditionExpression:   aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :req)"),
		FilterExpression:         aws.String("#st = :pending"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":      &types.AttributeValueMemberS{Value: prefixSubject + subjectKey},
			":req":     &types.AttributeValueMemberS{Value: prefixRequest},
			":pending": &types.AttributeValueMemberS{Value: string(request.PendingVerification)},
		},
		ScanIndexForward: aws.Bool(false),
	})
	var out []request.Request
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		var items []requestItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			r, err := it.request()
			if err != nil {
				return nil, err
			}
			if len(out) < limit {
				out = append(out, r)
			}
		}
	}
	return out, nil
}
