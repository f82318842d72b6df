package localcloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	st "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamHandler is the signature of a stream consumer's handler.
type StreamHandler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// StreamPoller reads the table's stream and invokes a consumer the way the
// Lambda event source mapping does: batches in order per shard, partial batch
// failures retried from the first failed record, at most MaxRetries times,
// then dropped to the log (the local on-failure destination).
type StreamPoller struct {
	DB         *dynamodb.Client
	Streams    *dynamodbstreams.Client
	Table      string
	Consumer   string
	Handler    StreamHandler
	BatchSize  int
	MaxRetries int
	// View is the stream view the consumer is written for
	// (topology.PrivacyTable.StreamView); Run refuses a table whose stream
	// carries another, as a consumer would misread its records.
	View string
	// Inserts, when set, passes on only the insertion of items of these
	// kinds, as the event source mapping's filter does in AWS
	// (topology.StreamConsumer.Inserts).
	Inserts  []string
	Interval time.Duration
	Log      *slog.Logger
}

type shard struct {
	iterator *string
	pending  []events.DynamoDBEventRecord
	retries  int
	done     bool
}

// Run polls until ctx ends.
func (p *StreamPoller) Run(ctx context.Context) error {
	desc, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
	if err != nil {
		return fmt.Errorf("describe table: %w", err)
	}
	arn := desc.Table.LatestStreamArn
	if arn == nil {
		return errors.New("the table has no stream")
	}
	if spec := desc.Table.StreamSpecification; p.View != "" && (spec == nil || string(spec.StreamViewType) != p.View) {
		var got string
		if spec != nil {
			got = string(spec.StreamViewType)
		}
		return fmt.Errorf("the table's stream carries %q, the %s consumer needs %q", got, p.Consumer, p.View)
	}
	if p.Interval == 0 {
		p.Interval = 200 * time.Millisecond
	}
	shards := map[string]*shard{}
	lastDiscovery := time.Time{}
	for {
		if time.Since(lastDiscovery) > 5*time.Second {
			if err := p.discover(ctx, arn, shards); err != nil && ctx.Err() == nil {
				p.Log.Warn("stream discovery failed", "error", err.Error())
			}
			lastDiscovery = time.Now()
		}
		busy := false
		for id, s := range shards {
			if s.done {
				continue
			}
			n, err := p.poll(ctx, shards, id, s)
			if err != nil && ctx.Err() == nil {
				p.Log.Warn("stream poll failed", "shard", id, "error", err.Error())
			}
			busy = busy || n > 0
		}
		if !busy {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(p.Interval):
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (p *StreamPoller) discover(ctx context.Context, arn *string, shards map[string]*shard) error {
	var start *string
	for {
		out, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn, ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, ok := shards[id]; ok {
				continue
			}
			it, err := p.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: arn, ShardId: sh.ShardId, ShardIteratorType: st.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return err
			}
			shards[id] = &shard{iterator: it.ShardIterator}
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// poll reads more records when none are pending, then hands one batch to the
// consumer. It returns the number of records handled.
func (p *StreamPoller) poll(ctx context.Context, shards map[string]*shard, id string, s *shard) (int, error) {
	if len(s.pending) == 0 {
		if s.iterator == nil {
			s.done = true
			return 0, nil
		}
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator, Limit: aws.Int32(100)})
		if err != nil {
			var expired *st.ExpiredIteratorException
			if errors.As(err, &expired) {
				delete(shards, id) // discovered again, with a fresh iterator
			}
			return 0, err
		}
		s.iterator = out.NextShardIterator
		for _, r := range out.Records {
			if rec := toEventRecord(r); p.admits(rec) {
				s.pending = append(s.pending, rec)
			}
		}
	}
	if len(s.pending) == 0 {
		return 0, nil
	}
	n := min(len(s.pending), max(p.BatchSize, 1))
	batch := s.pending[:n]
	ictx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: newRequestID()})
	resp, err := p.Handler(ictx, events.DynamoDBEvent{Records: batch})
	failedAt := -1
	if err != nil {
		failedAt = 0
	} else {
		for _, f := range resp.BatchItemFailures {
			for i, r := range batch {
				if r.Change.SequenceNumber == f.ItemIdentifier && (failedAt < 0 || i < failedAt) {
					failedAt = i
				}
			}
		}
	}
	if failedAt < 0 {
		s.pending, s.retries = s.pending[n:], 0
		return n, nil
	}
	// Checkpoint before the first failure and retry from there.
	s.pending = s.pending[failedAt:]
	s.retries++
	if s.retries > p.MaxRetries {
		p.Log.Error("stream record dropped after retries", "consumer", p.Consumer, "shard", id,
			"sequence", s.pending[0].Change.SequenceNumber, "retries", p.MaxRetries)
		s.pending, s.retries = s.pending[1:], 0
		return failedAt + 1, nil
	}
	backoff := time.Duration(1<<min(s.retries, 5)) * 100 * time.Millisecond
	select {
	case <-ctx.Done():
	case <-time.After(backoff):
	}
	return failedAt, nil
}

// admits tells whether the consumer's filter lets r through.
func (p *StreamPoller) admits(r events.DynamoDBEventRecord) bool {
	if len(p.Inserts) == 0 {
		return true
	}
	kind, ok := r.Change.NewImage["kind"]
	return r.EventName == "INSERT" && ok && kind.DataType() == events.DataTypeString && slices.Contains(p.Inserts, kind.String())
}

func toEventRecord(r st.Record) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{
		EventID:      aws.ToString(r.EventID),
		EventName:    string(r.EventName),
		EventSource:  aws.ToString(r.EventSource),
		EventVersion: aws.ToString(r.EventVersion),
		AWSRegion:    aws.ToString(r.AwsRegion),
	}
	if c := r.Dynamodb; c != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys:           toEventImage(c.Keys),
			NewImage:       toEventImage(c.NewImage),
			OldImage:       toEventImage(c.OldImage),
			SequenceNumber: aws.ToString(c.SequenceNumber),
			SizeBytes:      aws.ToInt64(c.SizeBytes),
			StreamViewType: string(c.StreamViewType),
		}
		if c.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *c.ApproximateCreationDateTime}
		}
	}
	return out
}

func toEventImage(m map[string]st.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = toEventValue(v)
	}
	return out
}

func toEventValue(v st.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *st.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *st.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *st.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *st.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *st.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *st.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *st.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *st.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = toEventValue(e)
		}
		return events.NewListAttribute(l)
	case *st.AttributeValueMemberM:
		return events.NewMapAttribute(toEventImage(v.Value))
	}
	return events.NewNullAttribute()
}

// StreamRecords reads every record now on the table's stream, from the trim
// horizon of each shard, as Lambda would deliver them. Tests use it to feed a
// stream handler directly.
func StreamRecords(ctx context.Context, db *dynamodb.Client, streams *dynamodbstreams.Client, table string) ([]events.DynamoDBEventRecord, error) {
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return nil, err
	}
	if desc.Table.LatestStreamArn == nil {
		return nil, errors.New("the table has no stream")
	}
	p := &StreamPoller{Streams: streams}
	shards := map[string]*shard{}
	if err := p.discover(ctx, desc.Table.LatestStreamArn, shards); err != nil {
		return nil, err
	}
	var out []events.DynamoDBEventRecord
	for _, s := range shards {
		for s.iterator != nil {
			res, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator})
			if err != nil {
				return nil, err
			}
			for _, r := range res.Records {
				out = append(out, toEventRecord(r))
			}
			if len(res.Records) == 0 {
				break // an open shard has no more records for now
			}
			s.iterator = res.NextShardIterator
		}
	}
	return out, nil
}

// StreamsClient returns a DynamoDB Streams client for a DynamoDB Local
// endpoint.
func StreamsClient(endpoint string) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(LocalAWS(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}
