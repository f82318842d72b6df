package intakeapi

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/claritru/privacy/shared/fault"
	"github.com/claritru/privacy/shared/request"
)

// The form posts a correction as rows of four fields in step; a row left
// blank (the page shows two) is no item, and rows of unequal length are an
// error naming corrections.
func TestDecodeFormCorrections(t *testing.T) {
	v := url.Values{
		"types": {"correct"}, "first_name": {"Ada"}, "last_name": {"Lovelace"}, "email": {"ada@example.com"}, "declaration": {"on"},
		"correction_item":            {"surname", ""},
		"correction_current_value":   {"Lovelace", ""},
		"correction_corrected_value": {"Byron", " "},
		"correction_documentation":   {"birth certificate", ""},
	}
	in, _, bad, err := decodeForm([]byte(v.Encode()))
	if err != nil || len(bad) != 0 {
		t.Fatalf("decodeForm = %v, %v", bad, err)
	}
	want := []request.CorrectionInput{{Item: "surname", CurrentValue: "Lovelace", CorrectedValue: "Byron", Documentation: "birth certificate"}}
	if !reflect.DeepEqual(in.Corrections, want) {
		t.Errorf("corrections = %+v, want %+v", in.Corrections, want)
	}
	r, err := request.Validate(subjects, in, nil)
	if err != nil || len(r.Corrections) != 1 || r.Corrections[0].CorrectedValue != "Byron" {
		t.Errorf("validated: %+v, %v", r.Corrections, err)
	}

	v.Del("correction_documentation")
	if _, _, bad, _ := decodeForm([]byte(v.Encode())); !reflect.DeepEqual(names(bad), []string{"corrections"}) {
		t.Errorf("rows out of step: %v", bad)
	}
}

// A JSON body's items are checked by place, with the other fields.
func TestDecodeJSONCorrections(t *testing.T) {
	body := `{"types":["correct"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","declaration":true,` +
		`"corrections":[{"item":"surname","corrected_value":"Byron"},{"item":"city","corrected_value":7}],"nickname":"x"}`
	in, bad, err := decodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names(bad), []string{"corrections[1].corrected_value", "nickname"}) {
		t.Errorf("decode errors %v", bad)
	}
	if len(in.Corrections) != 2 || in.Corrections[0].CorrectedValue != "Byron" {
		t.Errorf("corrections %+v", in.Corrections)
	}
}

// A field the decoder could not read is reported once, not again by
// validation.
func TestCorrectionDecodeErrorReportedOnce(t *testing.T) {
	body := `{"types":["correct"],"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","declaration":true,` +
		`"corrections":[{"item":5,"corrected_value":7}]}`
	in, bad, err := decodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	_, err = request.Validate(subjects, in, bad)
	var fe *fault.Error
	if !errors.As(err, &fe) || !reflect.DeepEqual(names(fe.Fields), []string{"corrections[0].corrected_value", "corrections[0].item"}) {
		t.Errorf("errors %v", err)
	}
}
