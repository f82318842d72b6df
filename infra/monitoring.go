package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// What the alarms watch. Every alarm looks at one period and goes off on
// one breaching datapoint: each of these is worth a look the first time.
const (
	alarmPeriod = 5 * time.Minute
	// maxIteratorAge is how far a stream consumer may fall behind the
	// table's stream before someone is told (mail intents wait that long).
	maxIteratorAge = 15 * time.Minute
	// maxServerErrors is how many 5xx responses per period the API may
	// give before someone is told; a few are a cold start or a throttled
	// dependency, more are an outage.
	maxServerErrors = 5
	// The rates at which SES places an account under review (Amazon SES
	// Developer Guide, "Sending review process FAQs").
	sesReviewBounceRate    = 0.05
	sesReviewComplaintRate = 0.001
)

// Monitoring tells the privacy team when the service needs a person: a
// dead letter waiting, a function failing, the stream falling behind, the
// API failing its callers.
type Monitoring struct {
	// Topic receives every alarm; the privacy team's address subscribes.
	Topic  awssns.Topic
	Alarms []awscloudwatch.Alarm
}

type monitoringProps struct {
	// Email is Config.PrivacyTeamEmail.
	Email     string
	API       API
	Functions Functions
	Streams   Streams
	Topics    Topics
	Schedules Schedules
}

// newMonitoring builds the alarm topic and one alarm per thing to watch,
// all derived from what the stack built: every dead-letter queue, every
// function, every stream consumer and the API.
func newMonitoring(scope constructs.Construct, id string, p monitoringProps) Monitoring {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	// Alarm names start with the stack's name: two installations in one
	// account and region stay apart, an alarm mail says which service it
	// is about, and the topic's grants to CloudWatch can be scoped to the
	// alarms of this stack.
	prefix := *stack.StackName() + "-"
	topic := newAlarmTopic(c, prefix, p.Email)

	a := &alarms{
		c:      c,
		prefix: prefix,
		notify: awscloudwatchactions.NewSnsAction(topic),
		period: awscdk.Duration_Seconds(jsii.Number(alarmPeriod.Seconds())),
	}
	a.deadLetters(p.Streams, p.Schedules)
	a.topicDeadLetters(p.Topics)
	a.functionErrors(p.Functions)
	a.iteratorAge(p.Streams, p.Functions)
	a.apiErrors(p.API)
	a.mailReputation()
	return Monitoring{Topic: topic, Alarms: a.all}
}

// newAlarmTopic builds the encrypted topic the alarms of this stack (named
// prefix*) publish to, with the privacy team's address subscribed.
func newAlarmTopic(c constructs.Construct, prefix, email string) awssns.Topic {
	stack := awscdk.Stack_Of(c)
	alarmArns := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("cloudwatch"),
		Resource:     jsii.String("alarm"),
		ResourceName: jsii.String(prefix + "*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	fromOurAlarms := &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		"ArnLike":      map[string]any{"aws:SourceArn": alarmArns},
	}

	// A key of its own rather than the AWS-managed aws/sns key, whose
	// policy CloudWatch cannot be added to (alarms could not publish), or
	// the data key, which CloudWatch has no business using. Alarm mails
	// carry resource names and metric values, no personal data.
	topic, _ := publishedTopic(c, publisher{
		topicID: "Topic", displayName: "ClariTru privacy alarms",
		keyDescription: "ClariTru alarm notifications (" + *stack.StackName() + ")",
		service:        "cloudwatch.amazonaws.com", keySid: "AlarmsOfThisStackPublishToTheEncryptedTopic", topicSid: "AlarmsOfThisStackPublish",
		conditions: fromOurAlarms,
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	return topic
}

// alarms adds the alarms of one Monitoring construct, each notifying the
// topic.
type alarms struct {
	c      constructs.Construct
	prefix string
	notify awscloudwatch.IAlarmAction
	period awscdk.Duration
	all    []awscloudwatch.Alarm
}

// add adds one alarm, with construct id cid, named prefix+name, that goes
// off above threshold.
func (a *alarms) add(cid, name, description string, metric awscloudwatch.IMetric, threshold float64) {
	a.addCompared(cid, name, description, metric, threshold, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD)
}

// addCompared adds one alarm comparing the metric to threshold with op.
func (a *alarms) addCompared(cid, name, description string, metric awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator) {
	al := awscloudwatch.NewAlarm(a.c, jsii.String(cid), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String(a.prefix + name),
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: op,
		EvaluationPeriods:  jsii.Number(1),
		DatapointsToAlarm:  jsii.Number(1),
		// No datapoint is no failure: an idle function, an empty queue.
		TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	al.AddAlarmAction(a.notify)
	a.all = append(a.all, al)
}

func (a *alarms) visible(q awssqs.Queue) awscloudwatch.IMetric {
	return q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    a.period,
		Statistic: jsii.String("Maximum"),
	})
}

// deadLetters: something the service could not do on its own.
func (a *alarms) deadLetters(streams Streams, schedules Schedules) {
	for _, name := range sortedKeys(streams.ByFunction) {
		a.add(name+"StreamDeadLetters", name+"-stream-dead-letters",
			"Stream records the "+name+" function could not process after its retries are waiting in its "+
				"dead-letter queue. The items are still in the table: fix the cause, then re-drive them.",
			a.visible(streams.ByFunction[name].DeadLetters), 0)
	}
	// One alarm per queue: the schedules of a function share theirs.
	alarmed := map[string]bool{}
	for _, key := range sortedKeys(schedules.ByName) {
		sc := schedules.ByName[key]
		name := sc.Def.Function
		if alarmed[name] {
			continue
		}
		alarmed[name] = true
		a.add(name+"ScheduleDeadLetters", name+"-schedule-dead-letters",
			"A scheduled run of "+name+" failed or could not be delivered after its retries and is waiting in "+
				"the schedule's dead-letter queue: the run did not happen.",
			a.visible(sc.DeadLetters), 0)
	}
}

// topicDeadLetters: events of the topics (replies to texts, a STOP among
// them; bounces and complaints) that were not acted on.
func (a *alarms) topicDeadLetters(topics Topics) {
	for _, name := range sortedKeys(topics.DeadLetters) {
		a.add(name+"TopicDeadLetters", name+"-topic-dead-letters",
			"Events of its topics (replies to texts, mail bounces and complaints) the "+name+" function could not "+
				"act on after its retries are waiting in its dead-letter queue; a STOP or a complaint among them "+
				"must still be honoured: fix the cause, then re-drive them.",
			a.visible(topics.DeadLetters[name]), 0)
	}
}

// functionErrors: one alarm per function.
func (a *alarms) functionErrors(fns Functions) {
	for _, name := range sortedKeys(fns.ByName) {
		fn := fns.ByName[name]
		a.add(name+"Errors", name+"-errors",
			"The "+name+" function ("+fn.Def.Purpose+") returned errors. See its log group for the request ids.",
			fn.Lambda.MetricErrors(&awscloudwatch.MetricOptions{Period: a.period, Statistic: jsii.String("Sum")}), 0)
	}
}

// iteratorAge: the stream falling behind, so mail intents wait.
func (a *alarms) iteratorAge(streams Streams, fns Functions) {
	for _, name := range sortedKeys(streams.ByFunction) {
		fn := fns.ByName[name]
		a.add(name+"IteratorAge", name+"-iterator-age",
			fmt.Sprintf("The %s function is more than %.0f minutes behind the table's stream: "+
				"queued mail is late.", name, maxIteratorAge.Minutes()),
			fn.Lambda.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{
				Period:    a.period,
				Statistic: jsii.String("Maximum"),
			}), float64(maxIteratorAge.Milliseconds()))
	}
}

// apiErrors: the API failing its callers.
func (a *alarms) apiErrors(api API) {
	a.add("ApiServerErrors", "api-5xx",
		fmt.Sprintf("The privacy API answered with more than %d server errors (5xx) in %.0f minutes: "+
			"visitors' requests, opt-outs or consents may be failing.", maxServerErrors, alarmPeriod.Minutes()),
		api.HTTP.MetricServerError(&awscloudwatch.MetricOptions{Period: a.period, Statistic: jsii.String("Sum")}),
		maxServerErrors)
}

// mailReputation: the account's bounce and complaint rates reaching the
// levels at which SES places an account under review (a bounce rate of 5%,
// a complaint rate of 0.1%); past those SES may pause the account's
// sending, and no one would get an answer by mail.
func (a *alarms) mailReputation() {
	for _, r := range []struct {
		cid, name, metric, what string
		level                   float64
	}{
		{"MailBounceRate", "mail-bounce-rate", "Reputation.BounceRate", "bounce rate", sesReviewBounceRate},
		{"MailComplaintRate", "mail-complaint-rate", "Reputation.ComplaintRate", "complaint rate", sesReviewComplaintRate},
	} {
		a.addCompared(r.cid, r.name,
			fmt.Sprintf("The SES account's %s reached %g%%, the level at which SES places an account under review: "+
				"find the addresses (the mail events topic, the inbound function's marks) before sending stops.", r.what, r.level*100),
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/SES"), MetricName: jsii.String(r.metric),
				Period: a.period, Statistic: jsii.String("Maximum"),
			}), r.level, awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
	}
}

// sortedKeys keeps construct order, and so the template, stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// publisher describes a topic one AWS service publishes to, encrypted with
// a key of its own: the AWS-managed aws/sns key's policy cannot admit the
// service, and the data key is none of its business.
type publisher struct {
	topicID, displayName, keyDescription string
	// service is the publishing service's principal; conditions narrow it
	// (to this account, to this stack's resources).
	service string
	// keySid and topicSid name the statements admitting the service to
	// the key and the topic; no topicSid when the publishing construct
	// adds the topic's statement itself.
	keySid, topicSid string
	conditions       *map[string]any
}

// publishedTopic builds the key (construct id "Key", rotated, removed with
// the topic: nothing stays encrypted under it) and the TLS-only topic, each
// admitting only p's service under p's conditions. The alarm topic, the
// two-way SMS topic and the mail events topic are all built here.
func publishedTopic(c constructs.Construct, p publisher) (awssns.Topic, awskms.Key) {
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String(p.keyDescription),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	service := awsiam.NewServicePrincipal(jsii.String(p.service), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(p.keySid),
		Principals: &[]awsiam.IPrincipal{service},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: p.conditions,
	}), nil)
	topic := awssns.NewTopic(c, jsii.String(p.topicID), &awssns.TopicProps{
		DisplayName: jsii.String(p.displayName),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if p.topicSid != "" {
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(p.topicSid),
			Principals: &[]awsiam.IPrincipal{service},
			Actions:    jsii.Strings("sns:Publish"),
			Resources:  jsii.Strings(*topic.TopicArn()),
			Conditions: p.conditions,
		}))
	}
	return topic, key
}
