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
