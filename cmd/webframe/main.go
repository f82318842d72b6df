// Command webframe writes the parts the static pages in web/ share: the
// site's header and footer, the contact details in the text, and the
// country and state lists of the request form. The pages are plain files
// served as they are, so these parts are written into them, between
// comment markers, rather than assembled when a page is served: they work
// without JavaScript.
//
//	<!-- site:header -->...<!-- /site:header -->
//
// The contact details come from one place, web/site.json, which holds the
// values the service is configured with (MAIL_FROM as the contact email,
// POSTAL_ADDRESS, the phone the privacy policy gives). The country list is
// the one the service validates against (shared/subject), the states those
// a request accepts (shared/request). Run it from the repository root:
//
//	go generate ./cmd/webframe
//
// With -check it changes nothing and fails when a page is out of date.
package main

//go:generate go run . -dir ../../web

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	dir := flag.String("dir", "web", "the directory of the static pages")
	check := flag.Bool("check", false, "fail when a page is out of date instead of writing it")
	flag.Parse()
	stale, err := Write(os.DirFS(*dir), *dir, !*check)
	if err != nil {
		fmt.Fprintln(os.Stderr, "webframe:", err)
		os.Exit(1)
	}
	if *check && len(stale) > 0 {
		fmt.Fprintln(os.Stderr, "webframe: out of date:", stale, "(run go generate ./cmd/webframe)")
		os.Exit(1)
	}
}
