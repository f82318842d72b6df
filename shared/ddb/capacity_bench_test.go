package ddb_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/claritru/privacy/shared/consent"
	"github.com/claritru/privacy/shared/ddb"
	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
	"github.com/claritru/privacy/shared/optout"
	"github.com/claritru/privacy/shared/request"
	"github.com/claritru/privacy/shared/subject"
)

func meteredTable(b testing.TB) (*dynamodb.Client, string, *meter) {
	b.Helper()
	_, table := localtest.NewTable(b)
	m := &meter{}
	db := dynamodb.NewFromConfig(localcloud.LocalAWS(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(localtest.DynamoDBEndpoint())
	}, m.option)
	return db, table, m
}

func benchKeyer(b testing.TB) *subject.Keyer {
	k, err := subject.NewKeyer(bytes.Repeat([]byte("b"), 32))
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkSubmitRequest: one Data Rights Request taken (validation, the
// transaction of request + event + token + mail).
func BenchmarkSubmitRequest(b *testing.B) {
	db, table, m := meteredTable(b)
	svc := request.NewService(ddb.NewRequests(db, table), request.Config{PublicBaseURL: "https://api.example", Keyer: benchKeyer(b)})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		_, err := svc.Submit(ctx, request.Submission{Input: request.Input{
			Types: []string{"access"}, FirstName: "Ada", LastName: "Lovelace",
			Email: fmt.Sprintf("ada%d@example.com", i), Declaration: true,
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}

// BenchmarkOptOutNew and BenchmarkOptOutRepeat: a first opt-out of an email
// and a browser (links, ledger events, states, mail) and the same opt-out
// repeated, which reads and writes nothing new. The repeat is the baseline.
func BenchmarkOptOutNew(b *testing.B) {
	db, table, m := meteredTable(b)
	svc := optout.NewService(ddb.NewOptOuts(db, table), benchKeyer(b), nil, nil)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.OptOut(ctx, optout.Input{Email: fmt.Sprintf("o%d@example.com", i), BrowserID: fmt.Sprintf("browser-%08d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}

func BenchmarkOptOutRepeat(b *testing.B) {
	db, table, m := meteredTable(b)
	svc := optout.NewService(ddb.NewOptOuts(db, table), benchKeyer(b), nil, nil)
	ctx := context.Background()
	in := optout.Input{Email: "same@example.com", BrowserID: "browser-same-1"}
	if _, err := svc.OptOut(ctx, in); err != nil {
		b.Fatal(err)
	}
	m.reset()
	b.ResetTimer()
	for range b.N {
		if _, err := svc.OptOut(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}

// BenchmarkCookieBannerSave: three cookie choices for one browser, appended
// to a chain that grows with every save.
func BenchmarkCookieBannerSave(b *testing.B) {
	db, table, m := meteredTable(b)
	svc := consent.NewService(ddb.NewConsents(db, table), consent.Config{Keyer: benchKeyer(b), Now: time.Now})
	ctx := context.Background()
	t, f := true, false
	in := consent.Input{
		BrowserID: "browser-banner-1",
		Choices: []consent.Choice{
			{Purpose: consent.CookiesFunctional, Granted: &t},
			{Purpose: consent.CookiesAnalytics, Granted: &f},
			{Purpose: consent.CookiesAdvertising, Granted: &f},
		},
		Disclosure: &consent.Disclosure{ID: "cookie-banner", Version: "2026-11"},
	}
	b.ResetTimer()
	for range b.N {
		if _, err := svc.Give(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b)
}
