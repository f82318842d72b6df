package ddb

import "github.com/claritru/privacy/shared/request"

// appealAttrs are a request item's record of its denial's basis and its
// appeal (request.AppealState), embedded in requestItem:
//
//	denial_code, appeal_received_at, appeal_due_at, appeal_decision,
//	appeal_decided_at, appeal_reason   (absent until set)
//
// An appealed request is filed in the queue index under STATUS#appealed
// with its due_at, which is the appeal's due date, so the staff queue
// lists appeals by the date their decision is due.
type appealAttrs struct {
	DenialCode       string `dynamodbav:"denial_code,omitempty"`
	AppealReceivedAt string `dynamodbav:"appeal_received_at,omitempty"`
	AppealDueAt      string `dynamodbav:"appeal_due_at,omitempty"`
	AppealDecision   string `dynamodbav:"appeal_decision,omitempty"`
	AppealDecidedAt  string `dynamodbav:"appeal_decided_at,omitempty"`
	AppealReason     string `dynamodbav:"appeal_reason,omitempty"`
}

func appealAttrsOf(a request.AppealState) appealAttrs {
	return appealAttrs{
		DenialCode: string(a.DenialCode), AppealReceivedAt: optStamp(a.AppealReceivedAt), AppealDueAt: optStamp(a.AppealDueAt),
		AppealDecision: string(a.AppealDecision), AppealDecidedAt: optStamp(a.AppealDecidedAt), AppealReason: a.AppealReason,
	}
}

func (a appealAttrs) state(ts *stampReader) request.AppealState {
	return request.AppealState{
		DenialCode: request.DenialCode(a.DenialCode), AppealReceivedAt: ts.at(a.AppealReceivedAt), AppealDueAt: ts.at(a.AppealDueAt),
		AppealDecision: request.AppealDecision(a.AppealDecision), AppealDecidedAt: ts.at(a.AppealDecidedAt), AppealReason: a.AppealReason,
	}
}
