package localcloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Mail is one mail as the SES stand-in's GET /store lists it.
type Mail struct {
	MessageID   string `json:"messageId"`
	From        string `json:"from"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
}

// Mails returns every mail the SES stand-in at endpoint has received.
func Mails(endpoint string) ([]Mail, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(endpoint + "/store")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SES stand-in store: status %d", resp.StatusCode)
	}
	var store struct {
		Emails []Mail `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		return nil, err
	}
	return store.Emails, nil
}
