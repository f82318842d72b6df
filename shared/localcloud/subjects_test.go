package localcloud_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/adminapi"
	"github.com/claritru/privacy/shared/subjectdata"
)

// TestSubjectExportAndErasureThroughTheGateway: staff export everything the
// system holds about a person (GDPR Art. 20, CCPA access) without the data 11
// CCR §7024(d) forbids disclosing, then erase it, keeping only the minimised
// §7101 request log and the hashed opt-out entry.
func TestSubjectExportAndErasureThroughTheGateway(t *testing.T) {
	l := startLocal(t)
	staff := []string{"Authorization", staffBearer(t, l.cloud, "admin")}
	const email = "erin@example.com"

	resp, out := l.do("POST", "/v1/requests", "application/json", "",
		`{"types":["access","opt_out"],"first_name":"Erin","last_name":"Export","email":"`+email+`","country":"US","state":"CA","details":"My SSN is 123-45-6789, please find my records.","declaration":true}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("request: %d %s", resp.StatusCode, out)
	}
	resp, out = l.do("POST", "/v1/consents", "application/json", "",
		`{"subject":{"email":"`+email+`"},"events":[{"purpose":"email_marketing","granted":true}],"disclosure":{"id":"email-optin","version":"2026-11"},"age_confirmed":true}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("consent: %d %s", resp.StatusCode, out)
	}

	export := func() subjectdata.Document {
		t.Helper()
		resp, out := l.do("GET", "/v1/admin/subjects/export?email="+email, "", "", "", staff...)
		var d subjectdata.Document
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &d) != nil {
			t.Fatalf("export: %d %s", resp.StatusCode, out)
		}
		if strings.Contains(out, "123-45-6789") {
			t.Fatalf("export discloses an SSN: %s", out)
		}
		return d
	}
	d := export()
	if len(d.Requests) != 1 || d.Requests[0].Email != email || d.Redactions == 0 ||
		len(d.Consents.Events) == 0 || len(d.OptOuts) == 0 {
		t.Fatalf("export before erasure: %+v", d)
	}

	resp, out = l.do("POST", "/v1/admin/subjects/erase", "application/json", "", `{"email":"`+email+`","reason":"Verified deletion request"}`, staff...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("erase: %d %s", resp.StatusCode, out)
	}
	d = export()
	if len(d.Requests) != 1 || d.Requests[0].Email != "" || d.Requests[0].FirstName != "" || d.Requests[0].ID == "" ||
		len(d.Consents.Events) != 0 || len(d.Consents.Current) != 0 {
		t.Fatalf("export after erasure: %+v", d)
	}
	if strings.Contains(out, email) {
		t.Fatalf("erasure report names the person: %s", out)
	}

	// The person stays opted out: the suppression list still has the hash.
	resp, out = l.do("GET", "/v1/admin/suppression?format=json", "", "", "", staff...)
	var list adminapi.SuppressionList
	sum := sha256.Sum256([]byte(email))
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &list) != nil || !strings.Contains(out, hex.EncodeToString(sum[:])) {
		t.Fatalf("suppression after erasure: %d %s", resp.StatusCode, out)
	}
	if strings.Contains(l.logs.String(), email) || strings.Contains(l.logs.String(), "123-45-6789") {
		t.Error("personal data in the logs")
	}
}
