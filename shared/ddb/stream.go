package ddb

import "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

// Change is one record of the table's stream: an item inserted, modified or
// removed, with its image after (New) and before (Old) the change; the
// stream carries both (topology.PrivacyTable.StreamView). The adapter that
// receives stream events (shared/notifierstream) converts them to it, so this
// package does not depend on the Lambda event types.
type Change struct {
	// Event is ChangeInsert, ChangeModify or ChangeRemove.
	Event    string
	New, Old map[string]types.AttributeValue
}

// The kinds of change, as the stream names them.
const (
	ChangeInsert = "INSERT"
	ChangeModify = "MODIFY"
	ChangeRemove = "REMOVE"
)
