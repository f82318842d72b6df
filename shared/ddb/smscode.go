package ddb

import (
	"context"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/retention"
)

var _ consent.CodeStore = (*Consents)(nil)

// smsCodeItem is the one-time code that confirms a number's pending SMS
// marketing grant: only its keyed hash, one per number (a new grant's code
// replaces it), with the count of its tries and of the number's tries per
// UTC day, which a new code does not reset.
//
//	pk = SUBJ#<phone key>   sk = SMSCODE
//	expiry: sms_code from the latest code
type smsCodeItem struct {
	CodeHash         string         `dynamodbav:"code_hash"`
	ReceiptID        string         `dynamodbav:"receipt_id"`
	ValidUntil       string         `dynamodbav:"valid_until"`
	Attempts         int            `dynamodbav:"attempts"`
	Tries            map[string]int `dynamodbav:"tries"`
	UsedAt           string         `dynamodbav:"used_at,omitempty"`
	DisclosureSHA256 string         `dynamodbav:"disclosure_sha256"`
	TextID           string         `dynamodbav:"text_id"`
}

const kindSMSCode = "sms_code"

// triesDay is the key of a day in a code item's tries.
func triesDay(t time.Time) string { return "d" + t.UTC().Format(expiryDay) }

// smsCodeWrite writes the code of a recording, replacing the number's
// previous one but keeping its tries per day.
func (s *Consents) smsCodeWrite(c *consent.SMSCode, at time.Time) types.TransactWriteItem {
	pk := prefixSubject + c.SubjectKey
	exp, names, values := expires(retention.SMSCode, pk, sortSMSCode, at).set(":e")
	maps.Copy(values, map[string]types.AttributeValue{
		":h":    &types.AttributeValueMemberS{Value: c.CodeHash},
		":r":    &types.AttributeValueMemberS{Value: c.ReceiptID},
		":v":    &types.AttributeValueMemberS{Value: stamp(c.ExpiresAt)},
		":zero": &types.AttributeValueMemberN{Value: "0"},
		":d":    &types.AttributeValueMemberS{Value: c.DisclosureSHA256},
		":t":    &types.AttributeValueMemberS{Value: c.TextID},
		":kind": &types.AttributeValueMemberS{Value: kindSMSCode},
		":none": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
	})
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(s.table),
		Key:       key(pk, sortSMSCode),
		UpdateExpression: aws.String("SET code_hash = :h, receipt_id = :r, valid_until = :v, attempts = :zero, " +
			"disclosure_sha256 = :d, text_id = :t, kind = :kind, tries = if_not_exists(tries, :none), " + exp + " REMOVE used_at"),
		ExpressionAttributeNames:  nonEmpty(names),
		ExpressionAttributeValues: values,
	}}
}

// nonEmpty is nil for an empty map: DynamoDB refuses empty attribute maps.
func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// SMSCode implements consent.CodeStore; the hash of the text that carried
// the code comes from its stored intent.
func (s *Consents) SMSCode(ctx context.Context, subjectKey string, now time.Time) (consent.SMSCode, bool, error) {
	var it smsCodeItem
	found, err := getItem(ctx, s.db, s.table, prefixSubject+subjectKey, sortSMSCode, &it)
	if err != nil || !found {
		return consent.SMSCode{}, false, err
	}
	until, err := parseStamp(it.ValidUntil)
	if err != nil {
		return consent.SMSCode{}, false, err
	}
	c := consent.SMSCode{
		SubjectKey: subjectKey, ReceiptID: it.ReceiptID, CodeHash: it.CodeHash, ExpiresAt: until,
		Attempts: it.Attempts, Failures: it.Tries[triesDay(now)], Used: it.UsedAt != "",
		DisclosureSHA256: it.DisclosureSHA256, TextID: it.TextID,
	}
	var text mailItem
	if _, err := getItem(ctx, s.db, s.table, prefixSubject+subjectKey, prefixMail+it.TextID, &text); err != nil {
		return consent.SMSCode{}, false, err
	}
	c.TextSHA256 = text.TextSHA256
	return c, true, nil
}

// TryCode implements consent.CodeStore: one conditional update counts the
// try against the code and the number's day, so concurrent guesses never
// get more tries than the limits.
func (s *Consents) TryCode(ctx context.Context, c consent.SMSCode, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              key(prefixSubject+c.SubjectKey, sortSMSCode),
		UpdateExpression: aws.String("SET attempts = attempts + :one, tries.#d = if_not_exists(tries.#d, :zero) + :one"),
		ConditionExpression: aws.String("code_hash = :h AND attempts < :max AND valid_until > :now AND attribute_not_exists(used_at) " +
			"AND (attribute_not_exists(tries.#d) OR tries.#d < :day)"),
		ExpressionAttributeNames: map[string]string{"#d": triesDay(now)},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":  &types.AttributeValueMemberN{Value: "1"},
			":zero": &types.AttributeValueMemberN{Value: "0"},
			":h":    &types.AttributeValueMemberS{Value: c.CodeHash},
			":max":  &types.AttributeValueMemberN{Value: strconv.Itoa(consent.CodeAttempts)},
			":day":  &types.AttributeValueMemberN{Value: strconv.Itoa(consent.CodeFailuresPerDay)},
			":now":  &types.AttributeValueMemberS{Value: stamp(now)},
		},
	})
	ok, err := applied(err)
	if err == nil && !ok {
		return fault.New(fault.Gone, "The code is no longer usable.")
	}
	return err
}

// ConfirmCode implements consent.CodeStore: the code is used and the grant
// confirmed in one transaction, on the conditions that the code is still
// the one tried and unused and the grant still pending from its receipt.
func (s *Consents) ConfirmCode(ctx context.Context, c consent.SMSCode, fields map[string]string, at time.Time, eventID string) error {
	return retry(ctx, chainMoved, func(int) error {
		use := types.TransactWriteItem{Update: &types.Update{
			TableName:           aws.String(s.table),
			Key:                 key(prefixSubject+c.SubjectKey, sortSMSCode),
			UpdateExpression:    aws.String("SET used_at = :now"),
			ConditionExpression: aws.String("code_hash = :h AND attribute_not_exists(used_at) AND valid_until > :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": &types.AttributeValueMemberS{Value: stamp(at)},
				":h":   &types.AttributeValueMemberS{Value: c.CodeHash},
			},
		}}
		return s.grant(ctx, use, pendingGrant{subjectKey: c.SubjectKey, purpose: consent.SMSMarketing, receiptID: c.ReceiptID}, fields, at, eventID)
	})
}
