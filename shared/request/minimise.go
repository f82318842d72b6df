package request

// Minimised is the request as the 11 CCR §7101 log keeps it: the date, the
// types, the channel, the response date, the status as the outcome and the
// basis of a denial (§7101(b)), with its id, regime, due date, version and
// subject key (a keyed hash, so that a later erasure still finds it). The
// name, contact details, location and free text, which identify or describe
// the person, are removed; the same fields erasure removes from the store.
func (r Request) Minimised() Request {
	r.FirstName, r.LastName, r.Email, r.Phone, r.PracticeName = "", "", "", "", ""
	r.Country, r.State = "", ""
	r.Details, r.Correction = "", ""
	r.AgentName, r.AgentEmail = "", ""
	r.Outcome, r.ExtensionReason = "", ""
	r.Corrections, r.AppealReason = nil, ""
	r.PostalAddress, r.VerificationNote, r.AgentPermission = "", "", ""
	return r
}
