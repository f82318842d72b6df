package request

// The GDPR's rights beyond the CCPA's (Arts. 18, 20, 21).
//
// They are offered to every requester, whatever their regime, rather than
// refused outside the EEA and the UK: the form cannot tell who holds them
// (GDPR Art. 3(2) covers people in the Union whatever their residence, a
// country may be left blank, and the UK GDPR gives the same rights), a
// refusal would deny a right to someone who has it, and honouring them
// for everyone harms no one. Each has a counterpart the company owes or
// may give anyone: a portable copy is what a CCPA access request must
// already deliver "in a portable and, to the extent technically feasible,
// readily useable format" (Cal. Civ. Code §1798.130(a)(3)(B)(iii)); an
// objection to direct marketing is a withdrawal of marketing consent,
// which anyone may make by any reasonable means (15 U.S.C. §7704(a)(4);
// 47 CFR 64.1200(a)(10)); a restriction only holds processing back. The
// requester's regime still sets the clock.
//
// All three need verification (NeedsVerification): the controller may ask
// for what it needs to confirm who asks where it has reasonable doubts
// (GDPR Art. 12(6)), and a form anyone can fill in with anyone's address
// gives them; a restriction and an objection change how the person's data
// is processed, and a portable copy discloses it. The one part that needs
// none is an objection to direct marketing, which only stops processing
// and is applied at once (objection.go).
const (
	// Restrict asks that the data be kept but not otherwise processed
	// while its accuracy or the lawfulness of its processing is settled
	// (GDPR Art. 18).
	Restrict Type = "restrict"
	// Portability asks for the data the person provided, in a structured,
	// commonly used and machine-readable form they can take elsewhere
	// (GDPR Art. 20): delivered like access, as a JSON document.
	Portability Type = "portability"
	// Object objects to processing based on legitimate interests (GDPR
	// Art. 21(1)), weighed by staff, and to direct marketing (Art. 21(2)),
	// which is absolute (Art. 21(3)) and applied at once (objection.go).
	Object Type = "object"
)
