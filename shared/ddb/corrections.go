package ddb

import "github.com/claritru/privacy/shared/request"

// correctionItem is one item of a request to correct, kept on the request
// item (attribute corrections, a list): the person's values and staff's
// decision. It is personal data, removed with the request's other fields
// when the person is erased (minimisedAttributes).
type correctionItem struct {
	Item           string `dynamodbav:"item"`
	CurrentValue   string `dynamodbav:"current_value,omitempty"`
	CorrectedValue string `dynamodbav:"corrected_value"`
	Documentation  string `dynamodbav:"documentation,omitempty"`
	Decision       string `dynamodbav:"decision,omitempty"`
	AppliedValue   string `dynamodbav:"applied_value,omitempty"`
	Reason         string `dynamodbav:"reason,omitempty"`
	Contested      bool   `dynamodbav:"contested,omitempty"`
	Statement      string `dynamodbav:"statement,omitempty"`
	DecidedAt      string `dynamodbav:"decided_at,omitempty"`
	DecidedBy      string `dynamodbav:"decided_by,omitempty"`
}

// corrections is the attribute on the request item.
type corrections struct {
	Corrections []correctionItem `dynamodbav:"corrections,omitempty"`
}

func toCorrectionItems(cs []request.Correction) []correctionItem {
	if len(cs) == 0 {
		return nil
	}
	out := make([]correctionItem, len(cs))
	for i, c := range cs {
		out[i] = correctionItem{
			Item: c.Item, CurrentValue: c.CurrentValue, CorrectedValue: c.CorrectedValue, Documentation: c.Documentation,
			Decision: string(c.Decision), AppliedValue: c.AppliedValue, Reason: c.Reason,
			Contested: c.Contested, Statement: c.Statement, DecidedAt: optStamp(c.DecidedAt), DecidedBy: c.DecidedBy,
		}
	}
	return out
}

func (ts *stampReader) corrections(items []correctionItem) []request.Correction {
	if len(items) == 0 {
		return nil
	}
	out := make([]request.Correction, len(items))
	for i, it := range items {
		out[i] = request.Correction{
			Item: it.Item, CurrentValue: it.CurrentValue, CorrectedValue: it.CorrectedValue, Documentation: it.Documentation,
			Decision: request.Decision(it.Decision), AppliedValue: it.AppliedValue, Reason: it.Reason,
			Contested: it.Contested, Statement: it.Statement, DecidedAt: ts.at(it.DecidedAt), DecidedBy: it.DecidedBy,
		}
	}
	return out
}
