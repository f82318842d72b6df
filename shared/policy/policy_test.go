package policy

import (
	"testing"
	"time"

	"github.com/claritru/privacy/shared/fault"
)

// TestInForce: the version in force is the latest effective at or before
// the moment, whatever order the register lists them in.
func TestInForce(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, day, 8, 0, 0, 0, time.UTC) }
	vs := []Version{{ID: "c", EffectiveAt: d(20)}, {ID: "a", EffectiveAt: d(1)}, {ID: "b", EffectiveAt: d(10)}}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{d(1).Add(-time.Millisecond), ""}, {d(1), "a"}, {d(9), "a"}, {d(10), "b"}, {d(25), "c"},
	} {
		v, ok := InForce(vs, c.at)
		if ok != (c.want != "") || v.ID != c.want {
			t.Errorf("at %v: %q %v, want %q", c.at, v.ID, ok, c.want)
		}
	}
}

// TestCheckNamesEachField: each malformed field is named, and the hash is
// computed from the words, never taken from the caller.
func TestCheckNamesEachField(t *testing.T) {
	yes := true
	_, err := check(Input{ID: "-x", EffectiveAt: "2026-01-01", Text: "", Summary: "a\x00b"})
	fe, ok := err.(*fault.Error)
	if !ok || fe.Kind != fault.Invalid {
		t.Fatalf("%v", err)
	}
	named := map[string]bool{}
	for _, f := range fe.Fields {
		named[f.Field] = true
	}
	for _, f := range []string{"version", "effective_at", "text", "material", "summary"} {
		if !named[f] {
			t.Errorf("%s not named in %v", f, fe.Fields)
		}
	}
	v, err := check(Input{ID: "2026.1", EffectiveAt: "2026-01-01T00:00:00-08:00", Text: "Words.", Material: &yes, Summary: " Changed. "})
	if err != nil || v.TextSHA256 != Hash("Words.") || v.Summary != "Changed." || !v.EffectiveAt.Equal(time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v %v", v, err)
	}
	// sha256sum of the six bytes "Words.", computed apart.
	if Hash("Words.") != "44dcebcdcc564a642123c985ea211a70d843bbb02df908a1a46172c4ca15c11f" {
		t.Errorf("hash %s", Hash("Words."))
	}
}
