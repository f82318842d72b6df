package consent

import (
	"context"
	"time"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/subject"
)

// ChannelRequest is the channel of a withdrawal made by a Data Rights
// Request: an objection to direct marketing.
const ChannelRequest = "request"

// StopDirectMarketing withdraws consent to email marketing for email and,
// when phone is given, to SMS marketing for phone, at once: the person
// objected to direct marketing in a Data Rights Request, and such an
// objection must be honoured without weighing (GDPR Art. 21(3)). One ledger
// event per purpose and the states, in one transaction, name the request;
// a withdrawal is recorded even where nothing was granted, so the ledger
// proves the objection should a grant be claimed later (as a STOP from an
// unknown number is). It implements request.Marketing.
func (s *Service) StopDirectMarketing(ctx context.Context, email, phone, requestID string) (time.Time, error) {
	var errs fault.Fields
	ids, err := s.subjects.Identify(subject.Given{Email: email, Phone: phone},
		subject.Form{Count: subject.AtLeastOne}, &errs)
	if err != nil {
		return time.Time{}, err
	}
	if err := errs.Err(); err != nil {
		return time.Time{}, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	rec := Recording{ReceiptID: s.newID(), At: now, Fields: map[string]string{
		"channel": ChannelRequest, "source": "data_rights_request", "request_id": requestID,
		"legal_basis": "objection to direct marketing (GDPR Art. 21(2)-(3))",
	}}
	rec.Fields["receipt_id"] = rec.ReceiptID
	for _, p := range []Purpose{EmailMarketing, SMSMarketing} {
		id, ok := subject.Find(ids, p.Kind())
		if !ok {
			continue
		}
		rec.Records = append(rec.Records, Record{Purpose: p, Status: Withdrawn, Subject: id.KeyOnly(), EventID: s.newID()})
	}
	if len(rec.Records) == 0 {
		return now, nil
	}
	if err := s.store.Record(ctx, &rec); err != nil {
		return time.Time{}, err
	}
	return now, nil
}
