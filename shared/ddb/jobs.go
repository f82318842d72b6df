package ddb

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/reach"
	"github.com/claritru/privacy/shared/retention"
	"github.com/claritru/privacy/shared/topology"
)

// Jobs stores the jobs that carry a right to the company's other systems
// (shared/reach).
type Jobs struct {
	db    *dynamodb.Client
	table string
}

var _ reach.Store = (*Jobs)(nil)

// NewJobs returns the job store.
func NewJobs(db *dynamodb.Client, table string) *Jobs { return &Jobs{db: db, table: table} }

// jobItem is one system's part in one right.
//
//	pk = JOB#<id>             sk = JOB
//	gsi1pk = JOBS#<subject key>  gsi1sk = <created>#<id>   (by-subject: a person's jobs)
//	gsi2pk = JOBSEND#queued   gsi2sk = <next attempt>#<id> while a webhook awaits delivery;
//	         JOBS#open        gsi2sk = <due>#<id>          while told, awaiting its answer;
//	         none once answered                            (by-status-due)
//	expiry: none while open; reach_job from the answer, which also removes the identifiers
type jobItem struct {
	PK             string             `dynamodbav:"pk"`
	SK             string             `dynamodbav:"sk"`
	Kind           string             `dynamodbav:"kind"`
	GSI1PK         string             `dynamodbav:"gsi1pk"`
	GSI1SK         string             `dynamodbav:"gsi1sk"`
	GSI2PK         string             `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK         string             `dynamodbav:"gsi2sk,omitempty"`
	ID             string             `dynamodbav:"id"`
	System         string             `dynamodbav:"system"`
	Action         string             `dynamodbav:"action"`
	Reach          string             `dynamodbav:"reach"`
	RequestID      string             `dynamodbav:"request_id,omitempty"`
	SubjectKey     string             `dynamodbav:"subject_key"`
	Identifiers    []reach.Identifier `dynamodbav:"identifiers,omitempty"`
	Status         string             `dynamodbav:"status"`
	CreatedAt      string             `dynamodbav:"created_at"`
	DueAt          string             `dynamodbav:"due_at"`
	Attempts       int                `dynamodbav:"attempts"`
	NextAttemptAt  string             `dynamodbav:"next_attempt_at,omitempty"`
	ClaimedUntil   string             `dynamodbav:"claimed_until,omitempty"`
	LastError      string             `dynamodbav:"last_error,omitempty"`
	CallbackHashes []string           `dynamodbav:"callback_hashes,omitempty"`
	ToldAt         string             `dynamodbav:"told_at,omitempty"`
	AnsweredAt     string             `dynamodbav:"answered_at,omitempty"`
	Outcome        string             `dynamodbav:"outcome,omitempty"`
	AnsweredBy     string             `dynamodbav:"answered_by,omitempty"`
	Note           string             `dynamodbav:"note,omitempty"`
	expiry
}

const (
	prefixJob     = "JOB#"
	sortJob       = "JOB"
	prefixJobs    = "JOBS#"
	jobsQueued    = "JOBSEND#queued"
	jobsOpen      = "JOBS#open"
	kindJob       = topology.KindReachJob
	answeredBySys = "system"
)

func jobSort(t time.Time, id string) string { return stamp(t) + "#" + id }

func toJobItem(j reach.Job) jobItem {
	it := jobItem{
		PK: prefixJob + j.ID, SK: sortJob, Kind: kindJob,
		GSI1PK: prefixJobs + j.SubjectKey, GSI1SK: jobSort(j.CreatedAt, j.ID),
		ID: j.ID, System: j.System, Action: string(j.Action), Reach: string(j.Reach),
		RequestID: j.RequestID, SubjectKey: j.SubjectKey, Identifiers: j.Identifiers,
		Status: string(j.Status), CreatedAt: stamp(j.CreatedAt), DueAt: stamp(j.DueAt),
		Attempts: j.Attempts, NextAttemptAt: optStamp(j.NextAttemptAt), ToldAt: optStamp(j.ToldAt),
	}
	switch j.Status {
	case reach.Queued:
		it.GSI2PK, it.GSI2SK = jobsQueued, jobSort(j.NextAttemptAt, j.ID)
	case reach.Told:
		it.GSI2PK, it.GSI2SK = jobsOpen, jobSort(j.DueAt, j.ID)
	}
	return it
}

func (it jobItem) job() (reach.Job, error) {
	var p stampReader
	j := reach.Job{
		ID: it.ID, System: it.System, Action: reach.Action(it.Action), Reach: reach.Channel(it.Reach),
		RequestID: it.RequestID, SubjectKey: it.SubjectKey, Identifiers: it.Identifiers,
		Status: reach.Status(it.Status), CreatedAt: p.at(it.CreatedAt), DueAt: p.at(it.DueAt),
		Attempts: it.Attempts, LastError: it.LastError, CallbackHashes: it.CallbackHashes,
		Outcome: reach.Outcome(it.Outcome), AnsweredBy: it.AnsweredBy, Note: it.Note,
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&j.NextAttemptAt, it.NextAttemptAt}, {&j.ToldAt, it.ToldAt}, {&j.AnsweredAt, it.AnsweredAt}} {
		if f.src != "" {
			*f.dst = p.at(f.src)
		}
	}
	if p.err != nil {
		return reach.Job{}, fmt.Errorf("job %s: %w", it.ID, p.err)
	}
	return j, nil
}

// jobPuts are the writes of new jobs, for the transaction of the record
// that invokes them (a verification, an opt-out): the job is written with
// the right or not at all. A vendor mail job brings its mail.
func jobPuts(table string, jobs []reach.Job) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for _, j := range jobs {
		av, err := attributevalue.MarshalMap(toJobItem(j))
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(table), Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
		if j.Mail != nil {
			mp, err := mailPut(prefixJob+j.ID, *j.Mail, j.CreatedAt)
			if err != nil {
				return nil, err
			}
			mp.Put.TableName = aws.String(table)
			out = append(out, mp)
		}
	}
	return out, nil
}

// Job returns one job; fault.NotFound when there is none.
func (s *Jobs) Job(ctx context.Context, id string) (reach.Job, error) {
	var it jobItem
	ok, err := getItem(ctx, s.db, s.table, prefixJob+id, sortJob, &it)
	if err != nil {
		return reach.Job{}, err
	}
	if !ok || it.Kind != kindJob {
		return reach.Job{}, fault.New(fault.NotFound, "No such job.")
	}
	return it.job()
}

// Due returns queued webhook jobs whose next attempt is due at at.
func (s *Jobs) Due(ctx context.Context, at time.Time, limit int) ([]reach.Job, error) {
	return s.index(ctx, jobsQueued, stamp(at)+"#~", limit, "")
}

// Overdue returns the jobs still open whose due date is before at, the
// earliest first, at most limit: those told and unanswered, and webhooks
// never delivered.
func (s *Jobs) Overdue(ctx context.Context, at time.Time, limit int) ([]reach.Job, error) {
	told, err := s.index(ctx, jobsOpen, stamp(at), limit, "")
	if err != nil {
		return nil, err
	}
	queued, err := s.index(ctx, jobsQueued, "~", limit, stamp(at))
	if err != nil {
		return nil, err
	}
	out := append(told, queued...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Open returns the jobs still awaiting their answer, at most limit: those
// told, by due date, then webhooks not yet delivered, by next attempt.
func (s *Jobs) Open(ctx context.Context, limit int) ([]reach.Job, error) {
	told, err := s.index(ctx, jobsOpen, "~", limit, "")
	if err != nil || (limit > 0 && len(told) >= limit) {
		return told, err
	}
	rest := 0
	if limit > 0 {
		rest = limit - len(told)
	}
	queued, err := s.index(ctx, jobsQueued, "~", rest, "")
	if err != nil {
		return nil, err
	}
	return append(told, queued...), nil
}

// index reads a by-status-due partition up to sk before, filtering on
// due_at before dueBefore when it is set.
func (s *Jobs) index(ctx context.Context, pk, before string, limit int, dueBefore string) ([]reach.Job, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexByStatus),
		KeyConditionExpression: aws.String("gsi2pk = :pk AND gsi2sk < :before"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: pk}, ":before": &types.AttributeValueMemberS{Value: before},
		},
	}
	if dueBefore != "" {
		in.FilterExpression = aws.String("due_at < :due")
		in.ExpressionAttributeValues[":due"] = &types.AttributeValueMemberS{Value: dueBefore}
	}
	return s.query(ctx, in, limit)
}

// OfSubject returns every job concerning a person, oldest first.
func (s *Jobs) OfSubject(ctx context.Context, subjectKey string) ([]reach.Job, error) {
	return s.query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexBySubject),
		KeyConditionExpression: aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: prefixJobs + subjectKey},
		},
	}, 0)
}

// OfRequest returns the jobs of one request of a person, oldest first.
func (s *Jobs) OfRequest(ctx context.Context, subjectKey, requestID string) ([]reach.Job, error) {
	return s.query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		IndexName:              aws.String(topology.IndexBySubject),
		KeyConditionExpression: aws.String("gsi1pk = :pk"),
		FilterExpression:       aws.String("request_id = :req"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: prefixJobs + subjectKey},
			":req": &types.AttributeValueMemberS{Value: requestID},
		},
	}, 0)
}

// query reads every page (limit > 0: stops once it has limit jobs).
func (s *Jobs) query(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]reach.Job, error) {
	var out []reach.Job
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, classify(err)
		}
		var its []jobItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &its); err != nil {
			return nil, err
		}
		for _, it := range its {
			j, err := it.job()
			if err != nil {
				return nil, err
			}
			out = append(out, j)
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// Claim takes the job's next delivery attempt (reach.Store).
func (s *Jobs) Claim(ctx context.Context, j reach.Job, at time.Time, lease time.Duration, callbackHash string) (reach.Job, error) {
	until := at.Add(lease)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       key(prefixJob+j.ID, sortJob),
		UpdateExpression: aws.String("SET attempts = attempts + :one, claimed_until = :until, " +
			"callback_hashes = list_append(if_not_exists(callback_hashes, :none), :h), gsi2sk = :sk"),
		ConditionExpression:      aws.String("#st = :queued AND attempts < :max AND (attribute_not_exists(claimed_until) OR claimed_until < :now)"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"}, ":until": &types.AttributeValueMemberS{Value: stamp(until)},
			":h":      &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: callbackHash}}},
			":none":   &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":max":    &types.AttributeValueMemberN{Value: fmt.Sprint(reach.MaxAttempts)},
			":sk":     &types.AttributeValueMemberS{Value: jobSort(until, j.ID)},
			":queued": &types.AttributeValueMemberS{Value: string(reach.Queued)}, ":now": &types.AttributeValueMemberS{Value: stamp(at)},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if ok, err := applied(err); !ok {
		if err == nil {
			return reach.Job{}, fault.New(fault.Conflict, "The job is no longer waiting for delivery, or another attempt holds it.")
		}
		return reach.Job{}, err
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return reach.Job{}, err
	}
	return it.job()
}

// Told records the delivered webhook; a job answered meanwhile (its
// callback came before the webhook's own answer) stays answered.
func (s *Jobs) Told(ctx context.Context, j reach.Job, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(prefixJob+j.ID, sortJob),
		UpdateExpression:         aws.String("SET #st = :told, told_at = :at, gsi2pk = :open, gsi2sk = :sk REMOVE claimed_until, next_attempt_at, last_error"),
		ConditionExpression:      aws.String("#st = :queued"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":told": &types.AttributeValueMemberS{Value: string(reach.Told)}, ":at": &types.AttributeValueMemberS{Value: stamp(at)},
			":open": &types.AttributeValueMemberS{Value: jobsOpen}, ":sk": &types.AttributeValueMemberS{Value: jobSort(j.DueAt, j.ID)},
			":queued": &types.AttributeValueMemberS{Value: string(reach.Queued)},
		},
	})
	_, err = applied(err)
	return err
}

// Failed records a failed attempt and when the next is due.
func (s *Jobs) Failed(ctx context.Context, j reach.Job, at, next time.Time, reason string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      key(prefixJob+j.ID, sortJob),
		UpdateExpression:         aws.String("SET next_attempt_at = :next, last_error = :why, gsi2sk = :sk REMOVE claimed_until"),
		ConditionExpression:      aws.String("#st = :queued"),
		ExpressionAttributeNames: map[string]string{"#st": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":next": &types.AttributeValueMemberS{Value: stamp(next)}, ":why": &types.AttributeValueMemberS{Value: reason},
			":sk": &types.AttributeValueMemberS{Value: jobSort(next, j.ID)}, ":queued": &types.AttributeValueMemberS{Value: string(reach.Queued)},
		},
	})
	_, err = applied(err)
	return err
}

// Answer records the outcome (reach.Store): the job leaves the index of
// open jobs, loses the identifiers it carried and is kept as proof for
// reach_job's period.
func (s *Jobs) Answer(ctx context.Context, j reach.Job, a reach.Resolution) error {
	pk := prefixJob + j.ID
	exp, names, values := expires(retention.ReachJob, pk, sortJob, a.At).set(":e")
	names["#st"], names["#note"] = "status", "note"
	values[":answered"] = &types.AttributeValueMemberS{Value: string(reach.Answered)}
	values[":at"] = &types.AttributeValueMemberS{Value: stamp(a.At)}
	values[":o"] = &types.AttributeValueMemberS{Value: string(a.Outcome)}
	values[":by"] = &types.AttributeValueMemberS{Value: a.By}
	values[":note"] = &types.AttributeValueMemberS{Value: a.Note}
	cond := "attribute_exists(pk) AND #st <> :answered"
	if a.CallbackHash != "" {
		cond += " AND contains(callback_hashes, :h)"
		values[":h"] = &types.AttributeValueMemberS{Value: a.CallbackHash}
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       key(pk, sortJob),
		UpdateExpression: aws.String("SET #st = :answered, answered_at = :at, outcome = :o, answered_by = :by, #note = :note, " +
			"told_at = if_not_exists(told_at, :at), " + exp +
			" REMOVE identifiers, gsi2pk, gsi2sk, claimed_until, next_attempt_at, callback_hashes"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	ok, err := applied(err)
	if err == nil && !ok {
		return fault.New(fault.Gone, "The job was answered already, or the token is not the latest.")
	}
	return err
}

// Decode finds the new webhook job a change of the table writes: an
// inserted job still queued. Any other change is not a job to deliver.
func (s *Jobs) Decode(c Change) (reach.Job, bool, error) {
	if c.Event != ChangeInsert || c.New == nil {
		return reach.Job{}, false, nil
	}
	var it jobItem
	if err := attributevalue.UnmarshalMap(c.New, &it); err != nil {
		return reach.Job{}, false, err
	}
	if it.Kind != kindJob || it.SK != sortJob || it.Status != string(reach.Queued) {
		return reach.Job{}, false, nil
	}
	j, err := it.job()
	return j, err == nil, err
}
