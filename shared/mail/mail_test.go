package mail

import "testing"

// A copy shares no map with the intent it was made from: a store or fake
// that hands out its intents cannot have them changed under it.
func TestCloneSharesNoData(t *testing.T) {
	orig := []Intent{{ID: "m1", Template: RequestReceived, To: "a@example.test", Data: map[string]string{"ref": "1"}}, {ID: "m2"}}
	one := orig[0].Clone()
	one.Data["ref"] = "changed"
	all := CloneAll(orig)
	all[0].Data["ref"] = "changed too"
	all[1].ID = "other"
	if orig[0].Data["ref"] != "1" || orig[1].ID != "m2" {
		t.Errorf("the original changed: %+v", orig)
	}
	if len(all) != 2 || all[0].ID != "m1" || all[0].To != "a@example.test" || all[1].Data != nil {
		t.Errorf("CloneAll = %+v, want the same intents", all)
	}
}

// FirstName cuts at MaxNameRunes characters, not bytes, and leaves no
// trailing space or hyphen where it cut.
func TestFirstNameCut(t *testing.T) {
	long := "Ééééééééé Ééééééééé Ééééééééé Ééééééééé-Ééééééééé"
	got := FirstName(long)
	if got != "Ééééééééé Ééééééééé Ééééééééé Ééééééééé" {
		t.Errorf("FirstName(%q) = %q", long, got)
	}
	for _, s := range []string{"", "   ", "\xff\xfe", "Ada\u200bLovelace", "Ada.Lovelace", "Ada:", "Ada/", "1Ada"} {
		if got := FirstName(s); got != "" {
			t.Errorf("FirstName(%q) = %q, want it dropped", s, got)
		}
	}
}

// Only mail a stranger can cause by naming an address is capped, and only
// when it names the recipient's key; opt-out confirmations have a cap of
// their own, smaller than the receipts'.
func TestLimitFor(t *testing.T) {
	cases := []struct {
		in     Intent
		bucket string
		perDay int
	}{
		{Intent{Template: RequestReceived, RecipientKey: "k"}, BucketRequests, 3},
		{Intent{Template: ConsentReceipt, RecipientKey: "k"}, BucketConsents, 3},
		{Intent{Template: RequestExpired, RecipientKey: "k"}, BucketNotices, 3},
		{Intent{Template: OptOutConfirmed, RecipientKey: "k"}, BucketOptOut, 1},
		{Intent{Template: RequestReceived}, "", 0}, // staff-entered: no key
		{Intent{Template: RequestVerified, RecipientKey: "k"}, "", 0},
		{Intent{Template: RequestCompleted, RecipientKey: "k"}, "", 0},
		{Intent{Template: RequestDenied, RecipientKey: "k"}, "", 0},
		{Intent{Template: RequestExtended, RecipientKey: "k"}, "", 0},
		{Intent{Template: RequestCancelled, RecipientKey: "k"}, "", 0},
		{Intent{Template: DeadlineDigest, RecipientKey: "k"}, "", 0},
	}
	for _, c := range cases {
		l, ok := LimitFor(c.in)
		if ok != (c.perDay > 0) || l.Bucket != c.bucket || l.PerDay != c.perDay {
			t.Errorf("LimitFor(%s, key %q) = %+v, %v; want %s/%d", c.in.Template, c.in.RecipientKey, l, ok, c.bucket, c.perDay)
		}
	}
}

// The reason staff read names the cap and nothing of the recipient.
func TestHeldReason(t *testing.T) {
	got := Limit{Bucket: BucketOptOut, PerDay: 1}.HeldReason()
	if got != "held back: the address reached its limit of 1 optout mail(s) a day (per-recipient cap)" {
		t.Errorf("HeldReason = %q", got)
	}
}
