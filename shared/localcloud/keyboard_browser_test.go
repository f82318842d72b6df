package localcloud_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/claritru/privacy/shared/localcloud"
	"github.com/claritru/privacy/shared/localcloud/localtest"
)

// A person with a keyboard alone, and a browser that runs no script.

// describeFocus names the focused element the way the tests below name a
// form's controls: id, else name=value.
const describeFocus = `(() => { const e = document.activeElement;
  if (!e || e === document.body) return "";
  return (e.form ? e.form.id : "") + "|" + ` + controlName + `; })()`

// controlName names a control e: a box by its name and value, another
// control by its id, else its name, else its kind.
const controlName = `(e.type === "checkbox" ? e.name + "=" + e.value : (e.id || e.name || e.tagName.toLowerCase() + ":" + e.type))`

// formControls lists the form's controls a Tab can reach, in document
// order, named as describeFocus names them; a radio group is one stop.
const formControls = `(() => { const seen = new Set(), out = [];
  for (const e of document.getElementById(%q).elements) {
    if (e.disabled || e.type === "hidden" || e.tabIndex < 0 || e.tagName === "FIELDSET" || e.tagName === "OUTPUT") continue;
    if (!e.getClientRects().length) continue;
    if (e.type === "radio") { if (seen.has(e.name)) continue; seen.add(e.name); out.push("radio:" + e.name); continue; }
    out.push(e.form.id + "|" + ` + controlName + `);
  }
  return out; })()`

// TestBrowserKeyboardRequestForm fills and sends the Data Rights Request
// form with the keyboard alone: Tab from the top of the page through every
// control in document order, typing into the fields, Space on the boxes,
// Enter on the button; the request is received.
func TestBrowserKeyboardRequestForm(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	openPage(b, t, cloud.APIURL+"/", http.StatusOK)

	want, err := chromedp.Run(b, chromedp.Evaluate[[]string](fmt.Sprintf(formControls, "drr")))
	must(t, "list the form's controls", err)
	if len(want) < 10 || !slices.Contains(want, "drr|email") || !slices.Contains(want, "drr|declaration=true") {
		t.Fatalf("the form's controls are %q, want the request form's", want)
	}
	const email = "kay.keyboard@example.com"
	typed := map[string]string{"drr|first_name": "Kay", "drr|last_name": "Board", "drr|email": email}
	ticked := map[string]bool{"drr|types=access": true, "drr|declaration=true": true}

	var got []string
	for range 3 * (len(want) + 20) {
		press(b, t, kb.Tab)
		at, err := chromedp.Run(b, chromedp.Evaluate[string](describeFocus))
		must(t, "read the focus", err)
		if !strings.HasPrefix(at, "drr|") {
			if len(got) > 0 {
				break // past the form
			}
			continue
		}
		if radio, err := chromedp.Run(b, chromedp.Evaluate[string](`document.activeElement.type === "radio" ? "radio:" + document.activeElement.name : ""`)); err == nil && radio != "" {
			at = radio
		}
		got = append(got, at)
		if v, ok := typed[at]; ok {
			must(t, "type into "+at, chromedp.Do(b, chromedp.KeyEvent(v)))
		}
		if ticked[at] {
			press(b, t, " ")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Tab reached the form's controls in the order\n  %s\nwant every control in document order\n  %s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	t.Logf("Tab reached the form's %d controls in document order", len(got))
	for range len(got) + 1 { // back to the send button
		if at, _ := chromedp.Run(b, chromedp.Evaluate[string](describeFocus)); at == want[len(want)-1] {
			break
		}
		press(b, t, kb.Tab, chromedp.ModifierShift)
	}
	resp, err := chromedp.RunResponse(b, chromedp.KeyEvent(kb.Enter))
	must(t, "press Enter on the send button", err)
	// The form names no return page, so the service answers with its own
	// page: the reference and what happens next.
	loc := location(b, t)
	ref := text(b, t, ".ref")
	if resp.Status != http.StatusOK || loc.Path != "/v1/requests" || !ulidRE.MatchString(ref) {
		t.Fatalf("after Enter: %d %s with reference %q, want the service's page with a reference", resp.Status, loc, ref)
	}
	localtest.WaitForMail(t, cloud.SES.Endpoint, email, func(m localtest.Mail) bool {
		return strings.Contains(m.Body.Text, ref)
	})
}

// press sends one key, down and up, to the focused element (chromedp.KeyEvent
// dispatches Input.dispatchKeyEvent, as a keyboard does).
func press(b context.Context, t *testing.T, key string, mods ...chromedp.Modifier) {
	t.Helper()
	opts := []chromedp.KeyOption{}
	if len(mods) > 0 {
		opts = append(opts, chromedp.KeyModifiers(mods...))
	}
	must(t, fmt.Sprintf("press %q", key), chromedp.Do(b, chromedp.KeyEvent(key, opts...)))
}

// noScriptFill fills the forms the test knows so that the service accepts
// them, and says what the page after the post must show; any other form
// gets its required fields filled.
var noScriptFill = map[string]struct {
	fill   string // a script run by the test, not the page
	path   string // the page after the post
	show   string // words the page after the post shows
	button string // the button that sends it, when not its first
}{
	"drr": {`f.first_name.value = "Nora"; f.last_name.value = "Script"; f.email.value = "nora.noscript@example.com";
tick('input[name="types"][value="access"]'); tick('input[name="declaration"]');`, "/v1/requests", "Your reference", ""},
	"optout-form": {`f.email.value = "otto.noscript@example.com";`, "", "You have opted out", ""},
	// The scripted sign-up is hidden without JavaScript (the forms below
	// take its place); stopping works the same.
	"subscribe-form": {`f.email.value = "sue.noscript@example.com";`, "/v1/consents", "", "#sub-withdraw-email"},
	// The sign-up forms shown without JavaScript, each with its words.
	"signup-email_marketing": {`f.email.value = "sue.signup@example.com"; tick('input[name="age_confirmed"]');`, "/v1/consents", "confirm", ""},
	"signup-sms_marketing":   {`f.phone.value = "+14155550188"; tick('input[name="age_confirmed"]');`, "/v1/consents", "code", ""},
}

// fillRequired fills a form's required fields that are still empty.
const fillRequired = `for (const e of f.elements) {
  if (!e.required) continue;
  if (e.type === "checkbox" || e.type === "radio") e.checked = true;
  else if (e.tagName === "SELECT") { if (!e.value) e.selectedIndex = [...e.options].findIndex(o => o.value); }
  else if (!e.value) e.value = e.type === "email" ? "any.noscript@example.com" : "Test";
}`

// TestBrowserEveryFormWithoutJavaScript opens every page of web/ in a browser
// that runs no script: each shows its heading, and each form on it shows
// and posts, landing on a page that says what happened.
func TestBrowserEveryFormWithoutJavaScript(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	defer cancel()
	cloud, _ := startBrowserCloud(ctx, t)
	b := newBrowser(ctx, t)
	_, err := chromedp.Call(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(t, "turn off JavaScript", err)

	root, err := localcloud.Root()
	must(t, "find the repository root", err)
	files, err := filepath.Glob(filepath.Join(root, "web", "*.html"))
	must(t, "list web/*.html", err)
	sort.Strings(files)
	posted := 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			u := cloud.APIURL + "/" + name
			openPage(b, t, u, http.StatusOK)
			if !visible(b, t, "h1") {
				t.Fatal("no visible heading without JavaScript")
			}
			forms, err := chromedp.Run(b, chromedp.Evaluate[[]string](`[...document.forms].filter(f => f.querySelector('button:not([type]), button[type="submit"], input[type="submit"]')).map(f => f.id)`))
			must(t, "list the forms", err)
			for _, id := range forms {
				postWithoutScript(b, t, u, id)
				posted++
			}
		})
	}
	if posted < 3 {
		t.Errorf("%d forms posted without JavaScript, want at least the request, Do Not Sell and subscribe forms", posted)
	}
}

// postWithoutScript opens u, checks that form id shows and posts, fills it
// and sends it with its button.
func postWithoutScript(b context.Context, t *testing.T, u, id string) {
	t.Helper()
	openPage(b, t, u, http.StatusOK)
	sel := "#" + id
	if !visible(b, t, sel) {
		t.Errorf("form %s is not shown without JavaScript", sel)
		return
	}
	method, err := chromedp.Run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).getAttribute("method") || ""`, id)))
	must(t, "read the form's method", err)
	if !strings.EqualFold(method, "post") {
		t.Errorf("form %s has method %q, want post", sel, method)
		return
	}
	spec, known := noScriptFill[id]
	if !known {
		// A form the test does not know may ask for one of several
		// fields, none required: its email fields are filled too.
		spec.fill = `for (const e of f.elements) if (e.type === "email" && !e.value) e.value = "any.noscript@example.com";`
	}
	_, err = chromedp.Run(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const f = document.getElementById(%q);
  const tick = sel => { const e = f.querySelector(sel); if (e) e.checked = true; };
  %s; %s; return true; })()`, id, spec.fill, fillRequired)))
	must(t, "fill "+sel, err)
	button := sel + ` button:not([type]), ` + sel + ` button[type="submit"], ` + sel + ` input[type="submit"]`
	if spec.button != "" {
		button = spec.button
	}
	resp, err := chromedp.RunResponse(b, chromedp.Click(chromedp.CSS(button)))
	must(t, "send "+sel, err)
	loc := location(b, t)
	if resp.Status < 200 || resp.Status > 299 {
		t.Errorf("form %s answered %d at %s, want a page that says what happened", sel, resp.Status, loc)
		return
	}
	if spec.path != "" && loc.Path != spec.path {
		t.Errorf("form %s landed on %s, want %s", sel, loc.Path, spec.path)
	}
	shown, err := chromedp.Run(b, chromedp.Evaluate[string](`document.body.innerText`))
	must(t, "read the page", err)
	if spec.show != "" && !strings.Contains(strings.ToLower(shown), strings.ToLower(spec.show)) {
		t.Errorf("after form %s the page does not say %q:\n%s", sel, spec.show, shown)
	}
	if id == "drr" {
		if ref := text(b, t, ".ref"); !ulidRE.MatchString(ref) {
			t.Errorf("without JavaScript the page after the request shows %q as the reference, want a ULID", ref)
		}
	}
}
