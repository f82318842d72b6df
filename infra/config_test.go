package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/claritru/privacy/shared/topology"
)

func validConfig() Config {
	return Config{
		MailFrom:         "privacy@example.com",
		PrivacyTeamEmail: "privacy-team@example.com",
		ReturnURL:        "https://www.example.com/privacy/thank-you",
		AllowedOrigins:   []string{"https://www.example.com"},
		StaffRoles:       []string{"arn:aws:iam::123456789012:role/PrivacyStaff"},
		PostalAddress:    "100 Example Street, Suite 200, Mobile, AL 36602, USA",
		StaffAuthDomain:  "example-privacy-staff",
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"public base url", func(c *Config) { c.PublicBaseURL = "https://privacy.example.com" }, ""},
		{"localhost origin", func(c *Config) { c.AllowedOrigins = []string{"http://localhost:3000"} }, ""},
		{"no sender", func(c *Config) { c.MailFrom = "" }, ctxMailFrom},
		{"display name sender", func(c *Config) { c.MailFrom = "Privacy <privacy@example.com>" }, ctxMailFrom},
		{"not an address", func(c *Config) { c.MailFrom = "privacy" }, ctxMailFrom},
		{"no privacy team", func(c *Config) { c.PrivacyTeamEmail = "" }, ctxPrivacyTeam},
		{"display name privacy team", func(c *Config) { c.PrivacyTeamEmail = "Team <team@example.com>" }, ctxPrivacyTeam},
		{"privacy team not an address", func(c *Config) { c.PrivacyTeamEmail = "team" }, ctxPrivacyTeam},
		{"two privacy team addresses", func(c *Config) { c.PrivacyTeamEmail = "a@example.com, b@example.com" }, ctxPrivacyTeam},
		{"http base url", func(c *Config) { c.PublicBaseURL = "http://privacy.example.com" }, ctxPublicBaseURL},
		{"relative return url", func(c *Config) { c.ReturnURL = "/thank-you" }, ctxReturnURL},
		{"no return url", func(c *Config) { c.ReturnURL = "" }, ctxReturnURL},
		{"two return pages", func(c *Config) { c.ReturnURL = "https://www.example.com/a, https://www.example.com/b" }, ""},
		{"one bad return page of two", func(c *Config) { c.ReturnURL = "https://www.example.com/a,http://www.example.com/b" }, ctxReturnURL},
		{"return page with a fragment", func(c *Config) { c.ReturnURL = "https://www.example.com/a#done" }, ctxReturnURL},
		{"return page with credentials", func(c *Config) { c.ReturnURL = "https://user:pw@www.example.com/a" }, ctxReturnURL},
		{"return page as javascript", func(c *Config) { c.ReturnURL = "javascript:alert(1)" }, ctxReturnURL},
		{"no staff role", func(c *Config) { c.StaffRoles = nil }, ctxStaffRoles},
		{"staff role with a path", func(c *Config) { c.StaffRoles = []string{"arn:aws:iam::123456789012:role/team/PrivacyStaff"} }, ""},
		{"staff user, not role", func(c *Config) { c.StaffRoles = []string{"arn:aws:iam::123456789012:user/ada"} }, ctxStaffRoles},
		{"staff role wildcard", func(c *Config) { c.StaffRoles = []string{"arn:aws:iam::123456789012:role/*"} }, ctxStaffRoles},
		{"staff role short account", func(c *Config) { c.StaffRoles = []string{"arn:aws:iam::1234:role/PrivacyStaff"} }, ctxStaffRoles},
		{"staff session, not role", func(c *Config) { c.StaffRoles = []string{"arn:aws:sts::123456789012:assumed-role/PrivacyStaff/ada"} }, ctxStaffRoles},
		{"plain http policy url", func(c *Config) { c.PolicyURL = "http://example.org/privacy" }, ctxPolicyURL},
		{"no origins", func(c *Config) { c.AllowedOrigins = nil }, ctxAllowedOrigins},
		{"wildcard origin", func(c *Config) { c.AllowedOrigins = []string{"*"} }, ctxAllowedOrigins},
		{"wildcard subdomain", func(c *Config) { c.AllowedOrigins = []string{"https://*.example.com"} }, ctxAllowedOrigins},
		{"origin with path", func(c *Config) { c.AllowedOrigins = []string{"https://www.example.com/privacy"} }, ctxAllowedOrigins},
		{"origin with slash", func(c *Config) { c.AllowedOrigins = []string{"https://www.example.com/"} }, ctxAllowedOrigins},
		{"plain http origin", func(c *Config) { c.AllowedOrigins = []string{"http://www.example.com"} }, ctxAllowedOrigins},
		{"retention cron", func(c *Config) { c.RetentionSchedule = "cron(0 4 ? * SUN *)" }, ""},
		{"retention rate", func(c *Config) { c.RetentionSchedule = "rate(12 hours)" }, ""},
		{"retention rate of one", func(c *Config) { c.RetentionSchedule = "rate(1 day)" }, ""},
		{"retention unix cron", func(c *Config) { c.RetentionSchedule = "cron(30 2 * * *)" }, ctxRetention},
		{"retention bare cron", func(c *Config) { c.RetentionSchedule = "30 2 * * ? *" }, ctxRetention},
		{"retention both day fields", func(c *Config) { c.RetentionSchedule = "cron(30 2 1 * MON *)" }, ctxRetention},
		{"retention no day field open", func(c *Config) { c.RetentionSchedule = "cron(30 2 ? * ? *)" }, ctxRetention},
		{"retention odd character", func(c *Config) { c.RetentionSchedule = "cron(30 2 * * ? *;)" }, ctxRetention},
		{"retention one-time", func(c *Config) { c.RetentionSchedule = "at(2030-01-01T02:30:00)" }, ctxRetention},
		{"retention zero rate", func(c *Config) { c.RetentionSchedule = "rate(0 days)" }, ctxRetention},
		{"retention plural of one", func(c *Config) { c.RetentionSchedule = "rate(1 days)" }, ctxRetention},
		{"retention singular of two", func(c *Config) { c.RetentionSchedule = "rate(2 day)" }, ctxRetention},
		{"retention weeks", func(c *Config) { c.RetentionSchedule = "rate(2 weeks)" }, ctxRetention},
		{"retention no unit", func(c *Config) { c.RetentionSchedule = "rate(24)" }, ctxRetention},
		{"no postal address", func(c *Config) { c.PostalAddress = "" }, ctxPostalAddress},
		{"postal address on two lines", func(c *Config) { c.PostalAddress = "100 Example Street\nMobile, AL 36602" }, ctxPostalAddress},
		{"postal address placeholder", func(c *Config) { c.PostalAddress = "TBD" }, ctxPostalAddress},
		{"postal address too long", func(c *Config) { c.PostalAddress = "1 " + strings.Repeat("a", 200) }, ctxPostalAddress},
		{"PO box", func(c *Config) { c.PostalAddress = "PO Box 1234, Mobile, AL 36601, USA" }, ""},
		{"retention words", func(c *Config) { c.RetentionSchedule = "every night" }, ctxRetention},
		{"time zone by name", func(c *Config) { c.TimeZone = "Europe/Zurich" }, ""},
		{"time zone unknown", func(c *Config) { c.TimeZone = "America/Atlantis" }, ctxTimeZone},
		{"time zone as words", func(c *Config) { c.TimeZone = "Pacific Time" }, ctxTimeZone},
		{"time zone of the machine", func(c *Config) { c.TimeZone = "Local" }, ctxTimeZone},
		{"no staff sign-in domain", func(c *Config) { c.StaffAuthDomain = "" }, ctxStaffAuth},
		{"staff sign-in domain with capitals", func(c *Config) { c.StaffAuthDomain = "Example-Staff" }, ctxStaffAuth},
		{"staff sign-in domain as a host", func(c *Config) { c.StaffAuthDomain = "staff.example.com" }, ctxStaffAuth},
		{"staff sign-in domain ending in a hyphen", func(c *Config) { c.StaffAuthDomain = "staff-" }, ctxStaffAuth},
		{"staff sign-in domain naming Cognito", func(c *Config) { c.StaffAuthDomain = "example-cognito" }, ctxStaffAuth},
		{"staff sign-in domain too long", func(c *Config) { c.StaffAuthDomain = strings.Repeat("a", 64) }, ctxStaffAuth},
		{"staff sign-in domain of 63", func(c *Config) { c.StaffAuthDomain = strings.Repeat("a", 63) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("accepted %+v", c)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("error %q does not name %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigFromContext(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{
		ctxMailFrom:       " privacy@example.org ",
		ctxPrivacyTeam:    " team@example.org",
		ctxReturnURL:      "https://example.org/thanks",
		ctxAllowedOrigins: "https://example.org, https://www.example.org,",
		ctxStaffRoles:     "arn:aws:iam::123456789012:role/A, arn:aws:iam::123456789012:role/B",
		ctxPostalAddress:  " 1 Main Street, Mobile, AL 36602, USA ",
		ctxStaffAuth:      "example-staff",
	}})
	cfg, err := ConfigFromContext(app)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		MailFrom:         "privacy@example.org",
		PrivacyTeamEmail: "team@example.org",
		ReturnURL:        "https://example.org/thanks",
		AllowedOrigins:   []string{"https://example.org", "https://www.example.org"},
		PolicyURL:        defaultPolicyURL,
		StaffRoles:       []string{"arn:aws:iam::123456789012:role/A", "arn:aws:iam::123456789012:role/B"},
		PostalAddress:    "1 Main Street, Mobile, AL 36602, USA",
		StaffAuthDomain:  "example-staff",
		// Unset, the company works in Pacific time.
		TimeZone: "America/Los_Angeles",
		// Without stages, the default stage; data is kept unless a stage
		// says otherwise.
		Stage:      defaultStage,
		RetainData: true,
	}
	if !sameJSON(cfg, want) {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if got := AssetRootFromContext(app); got != defaultAssetRoot {
		t.Errorf("asset root = %q, want %q", got, defaultAssetRoot)
	}
}

// TestRetentionScheduleContext: retentionSchedule is read from context and
// trimmed; unset, the topology's expression stands.
func TestRetentionScheduleContext(t *testing.T) {
	base := map[string]any{
		ctxMailFrom:       "privacy@example.org",
		ctxPrivacyTeam:    "team@example.org",
		ctxReturnURL:      "https://example.org/thanks",
		ctxAllowedOrigins: "https://example.org",
		ctxStaffRoles:     "arn:aws:iam::123456789012:role/PrivacyStaff",
		ctxPostalAddress:  "1 Main Street, Mobile, AL 36602, USA",
		ctxStaffAuth:      "example-staff",
	}
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"unset", nil, ""},
		{"set", " cron(0 4 ? * SUN *) ", "cron(0 4 ? * SUN *)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := map[string]any{}
			for k, v := range base {
				ctx[k] = v
			}
			if tc.value != nil {
				ctx[ctxRetention] = tc.value
			}
			cfg, err := ConfigFromContext(awscdk.NewApp(&awscdk.AppProps{Context: &ctx}))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.RetentionSchedule != tc.want {
				t.Errorf("RetentionSchedule = %q, want %q", cfg.RetentionSchedule, tc.want)
			}
		})
	}
}

// The stack refuses a topology it cannot deploy faithfully, instead of
// deploying something that differs from the local runner.
func TestTopologyMismatchFails(t *testing.T) {
	base := func() topology.Service {
		svc := topology.ClariTru
		svc.Functions = append([]topology.Function{}, topology.ClariTru.Functions...)
		svc.Routes = append([]topology.Route{}, topology.ClariTru.Routes...)
		svc.Streams = append([]topology.StreamConsumer{}, topology.ClariTru.Streams...)
		svc.Schedules = append([]topology.Schedule{}, topology.ClariTru.Schedules...)
		return svc
	}
	if err := fakeAssets(topology.ClariTru.Functions); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		change  func(*topology.Service)
		wantErr string
	}{
		{"unknown variable", func(s *topology.Service) {
			s.Functions[0].Env = append(append([]string{}, s.Functions[0].Env...), "SOMETHING_ELSE")
		}, "SOMETHING_ELSE"},
		{"route to unknown function", func(s *topology.Service) {
			s.Routes = append(s.Routes, topology.Route{Method: "POST", Path: "/v1/x", Function: "nobody", Auth: topology.Public})
		}, "nobody"},
		{"unknown auth", func(s *topology.Service) {
			s.Routes[0].Auth = "cookie"
		}, "cookie"},
		{"stream to unknown function", func(s *topology.Service) {
			s.Streams = append(s.Streams, topology.StreamConsumer{Function: "ghost", BatchSize: 1})
		}, "ghost"},
		{"schedule of unknown function", func(s *topology.Service) {
			s.Schedules = append(s.Schedules, topology.Schedule{Function: "phantom", Expression: "rate(1 day)"})
		}, "phantom"},
		{"function scheduled twice", func(s *topology.Service) {
			s.Schedules = append(s.Schedules, s.Schedules[0])
		}, "scheduled twice"},
		{"not a schedule expression", func(s *topology.Service) {
			s.Schedules[0].Expression = "0 7 * * *"
		}, "0 7 * * *"},
		{"unknown time zone", func(s *topology.Service) {
			s.Schedules[0].Timezone = "Pacific/Nowhere"
		}, "Pacific/Nowhere"},
		{"fractional timeout", func(s *topology.Service) {
			s.Functions[0].Timeout = 1500 * time.Millisecond
		}, "timeout"},
		{"query of an index the table lacks", func(s *topology.Service) {
			s.Functions[0].Table.Indexes = []string{"by-nothing"}
		}, "by-nothing"},
		{"no bootstrap", func(s *topology.Service) {
			s.Functions = append(s.Functions, topology.Function{Name: "unbuilt", Memory: 128, Timeout: time.Second, ReservedConcurrency: 1})
		}, "make build"},
		{"no reserved concurrency", func(s *topology.Service) {
			s.Functions[0].ReservedConcurrency = 0
		}, "reserved concurrency"},
	}
	t.Run("stack outside the edge's region", func(t *testing.T) {
		app := awscdk.NewApp(nil)
		_, err := NewPrivacyStack(app, "Elsewhere", PrivacyStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}},
			Config:     validConfig(), AssetRoot: assetRoot,
		})
		if err == nil || !strings.Contains(err.Error(), "us-east-1") {
			t.Errorf("err = %v, want one naming us-east-1", err)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := base()
			tc.change(&svc)
			app := awscdk.NewApp(nil)
			_, err := NewPrivacyStack(app, "Bad", PrivacyStackProps{Config: validConfig(), AssetRoot: assetRoot, Service: &svc})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one naming %q", err, tc.wantErr)
			}
		})
	}
}

// TestNotifierGetsThePostalAddress: the postalAddress of the context is
// the notifier's POSTAL_ADDRESS, the footer of every mail it sends.
func TestNotifierGetsThePostalAddress(t *testing.T) {
	s := mainStack(t)
	if s.cfg.PostalAddress == "" {
		t.Fatal("the test context has no postalAddress")
	}
	fn := s.stack.Functions.ByName["notifier"]
	vars := asMap(asMap(s.resource(t, s.logicalID(fn.Lambda), "AWS::Lambda::Function").Properties["Environment"])["Variables"])
	if got := asString(vars[topology.EnvPostalAddress]); got != s.cfg.PostalAddress {
		t.Errorf("notifier %s = %q, want %q", topology.EnvPostalAddress, got, s.cfg.PostalAddress)
	}
}
