package localcloud_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/claritru/privacy/shared/localcloud"
)

// Another web page open in the developer's browser cannot reply STOP or
// START through the sink: cross-site posts and non-JSON bodies to /inbound
// are refused before they reach the service.
func TestSMSSinkRefusesCrossSitePosts(t *testing.T) {
	s, err := localcloud.StartSMSSink(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	post := func(path, contentType, origin, body string) int {
		req, err := http.NewRequest("POST", s.Endpoint+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	js := `{"from":"+14155550123","body":"STOP"}`
	for _, c := range []struct {
		path, contentType, origin, body string
		want                            int
	}{
		{"/inbound", "application/json", "https://evil.example", js, http.StatusForbidden},
		{"/inbound", "text/plain", "", js, http.StatusUnsupportedMediaType},
		{"/reply", "application/x-www-form-urlencoded", "https://evil.example", "from=%2B14155550123&body=START", http.StatusForbidden},
		{"/reply", "application/x-www-form-urlencoded", "http://localhost:1", "from=%2B14155550123&body=START", http.StatusForbidden},
	} {
		if got := post(c.path, c.contentType, c.origin, c.body); got != c.want {
			t.Errorf("POST %s (%s, origin %q): %d, want %d", c.path, c.contentType, c.origin, got, c.want)
		}
	}
	resp, err := http.Get(s.Endpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Replies []json.RawMessage `json:"replies"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil || len(store.Replies) != 0 {
		t.Errorf("refused posts were taken as replies: %+v, %v", store.Replies, err)
	}
}
