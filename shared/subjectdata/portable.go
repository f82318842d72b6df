package subjectdata

import "time"

// PortableFormat names the layout of a portable copy, so that another
// service reading it knows what it holds.
const PortableFormat = "claritru.portable.v1"

// Portable is the data a person provided to the company, in a structured,
// commonly used and machine-readable form they can take to another
// controller (GDPR Art. 20(1)): what they wrote in their requests (names,
// contact details, practice, residence, details, corrections asked for),
// the consents they gave or withdrew and their opt-outs. What the company
// derived (histories, outcomes, jobs, mail logs) is the export's, not the
// portable copy's; Art. 20 covers data "provided by" the person. It is made
// from the export, so its values are redacted as the export's are (11 CCR
// §7024(d)), and its handover is recorded like the export's.
type Portable struct {
	Format      string            `json:"format"`
	GeneratedAt time.Time         `json:"generated_at"`
	Subject     Reference         `json:"subject"`
	Requests    []PortableRequest `json:"requests"`
	Consents    []PortableConsent `json:"consents"`
	OptOuts     []PortableOptOut  `json:"opt_outs"`
}

// PortableRequest is what the person wrote in one request.
type PortableRequest struct {
	ReceivedAt   time.Time            `json:"received_at"`
	Types        []string             `json:"types"`
	FirstName    string               `json:"first_name,omitempty"`
	LastName     string               `json:"last_name,omitempty"`
	Email        string               `json:"email,omitempty"`
	Phone        string               `json:"phone,omitempty"`
	PracticeName string               `json:"practice_name,omitempty"`
	Country      string               `json:"country,omitempty"`
	State        string               `json:"state,omitempty"`
	Details      string               `json:"details,omitempty"`
	Correction   string               `json:"correction,omitempty"`
	Corrections  []PortableCorrection `json:"corrections,omitempty"`
}

// PortableCorrection is one item of a correction as the person asked it.
type PortableCorrection struct {
	Item           string `json:"item"`
	CurrentValue   string `json:"current_value,omitempty"`
	CorrectedValue string `json:"corrected_value"`
	Documentation  string `json:"documentation,omitempty"`
}

// PortableConsent is a consent the person gave or withdrew, as it stands.
type PortableConsent struct {
	Purpose string    `json:"purpose"`
	Status  string    `json:"status"`
	Since   time.Time `json:"since"`
}

// PortableOptOut is an opt-out the person made.
type PortableOptOut struct {
	Right  string    `json:"right"`
	Since  time.Time `json:"since"`
	Source string    `json:"source"`
}

// PortableOf is the portable copy of an export.
func PortableOf(doc Document) Portable {
	p := Portable{
		Format: PortableFormat, GeneratedAt: doc.GeneratedAt, Subject: doc.Subject,
		Requests: []PortableRequest{}, Consents: []PortableConsent{}, OptOuts: []PortableOptOut{},
	}
	for _, r := range doc.Requests {
		pr := PortableRequest{
			ReceivedAt: r.ReceivedAt, Types: r.Types, FirstName: r.FirstName, LastName: r.LastName,
			Email: r.Email, Phone: r.Phone, PracticeName: r.PracticeName, Country: r.Country, State: r.State,
			Details: r.Details, Correction: r.Correction,
		}
		for _, c := range r.Corrections {
			pr.Corrections = append(pr.Corrections, PortableCorrection{Item: c.Item, CurrentValue: c.CurrentValue,
				CorrectedValue: c.CorrectedValue, Documentation: c.Documentation})
		}
		p.Requests = append(p.Requests, pr)
	}
	for _, c := range doc.Consents.Current {
		p.Consents = append(p.Consents, PortableConsent{Purpose: c.Purpose, Status: c.Status, Since: c.Since})
	}
	for _, o := range doc.OptOuts {
		p.OptOuts = append(p.OptOuts, PortableOptOut{Right: o.Right, Since: o.Since, Source: o.Source})
	}
	return p
}
