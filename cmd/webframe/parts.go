package main

import (
	"html/template"
	"slices"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// frame holds the marked parts; each named template is one part.
var frame = template.Must(template.New("frame").Funcs(template.FuncMap{
	"mailto": func(s Site) template.URL { return template.URL("mailto:" + s.Email) },
	"tel":    func(s Site) template.URL { return template.URL("tel:" + s.PhoneE164) },
}).Parse(`
{{- define "header"}}
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
  <a class="wordmark" href="/"><span class="wordmark-mark" aria-hidden="true">{{slice .Site.Company 0 1}}</span>{{.Site.Company}}</a>
  <span class="site-tagline">{{.Site.Tagline}}</span>
</header>
{{end -}}

{{- define "footer"}}
<footer class="site-footer">
  <nav aria-label="Privacy choices">
    <ul>
      <li><a href="/privacy-policy.html">Privacy Policy</a></li>
      <li><a href="/do-not-sell.html">Do Not Sell or Share My Personal Information</a></li>
      <li><a href="/limit-sensitive.html">Limit the Use of My Sensitive Personal Information</a></li>
      <li><a href="/">Data Rights Request</a></li>
      <li><a href="/subscribe.html">Email and text sign-up</a></li>
      <li><a id="cookie-settings" href="/cookies-demo.html#cookie-settings">Cookie settings</a></li>
    </ul>
  </nav>
  <address>
    {{.Site.Company}} · {{.Site.PostalAddress}}<br>
    Email: <a href="{{mailto .Site}}">{{.Site.Email}}</a> · Phone: <a href="{{tel .Site}}">{{.Site.Phone}}</a>
  </address>
</footer>
{{end -}}

{{- define "email"}}<a href="{{mailto .Site}}">{{.Site.Email}}</a>{{end -}}
{{- define "phone"}}<a href="{{tel .Site}}">{{.Site.Phone}}</a>{{end -}}
{{- define "address"}}{{.Site.PostalAddress}}{{end -}}

{{- define "countries"}}
<option value="">Choose your country</option>
{{- range .Countries}}
<option value="{{.Value}}">{{.Label}}</option>
{{- end}}
{{end -}}

{{- define "signup-noscript"}}
<noscript>
<p class="notice">Without JavaScript, sign up with one of these forms: each shows the exact words you
agree to, as we record them.</p>
{{- range .SignUps}}
<form id="signup-{{.Purpose}}" class="signup-noscript" method="post" action="/v1/consents">
  <h2>{{.Heading}}</h2>
  <input type="hidden" name="return_url" value="/subscribe.html">
  <input type="hidden" name="purposes" value="{{.Purpose}}">
  <input type="hidden" name="disclosure_id" value="{{.ID}}">
  <input type="hidden" name="disclosure_version" value="{{.Version}}">
  <p id="signup-{{.Purpose}}-words" class="disclosure">{{.Text}}</p>
  <label for="signup-{{.Purpose}}-{{.Field}}">{{.Label}}</label>
  <input type="{{.Type}}" id="signup-{{.Purpose}}-{{.Field}}" name="{{.Field}}" autocomplete="{{.Autocomplete}}" maxlength="254" required aria-describedby="signup-{{.Purpose}}-words">
  <label class="check"><input type="checkbox" name="age_confirmed" value="true" required> I am 18 or older</label>
  <p><button type="submit">{{.Button}}</button></p>
</form>
{{- end}}
</noscript>
{{end -}}

{{- define "states"}}
<option value="">Choose your state (US only)</option>
{{- range .States}}
<option value="{{.Value}}">{{.Label}}</option>
{{- end}}
{{end -}}
`))

// sortOptions orders options by label as an English reader expects, with
// first (if any) at the top.
func sortOptions(opts []Option, first string) {
	c := collate.New(language.English)
	slices.SortStableFunc(opts, func(a, b Option) int {
		switch {
		case a.Value == first:
			return -1
		case b.Value == first:
			return 1
		}
		return c.CompareString(a.Label, b.Label)
	})
}

// stateNames are the names of the codes shared/request accepts: the states,
// the District of Columbia and the territories (USPS codes).
var stateNames = map[string]string{
	"AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
	"CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
	"HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
	"KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
	"MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
	"MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
	"NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
	"OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
	"SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
	"VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
	"DC": "District of Columbia", "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands",
	"PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "UM": "U.S. Minor Outlying Islands",
}
