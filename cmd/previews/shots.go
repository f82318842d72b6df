package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chromedp/chromedp"
)

// shotWidth is the window the screenshots are taken in: wider than the
// mails' 600 px column, as in a desktop mail reader.
const shotWidth = 800

// screenshots takes a full-page PNG of each HTML preview in dir with
// headless Chromium, sets each preview's Shot, and returns the files'
// names.
func screenshots(ctx context.Context, browser, dir string, ps []preview) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "previews-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox, // root in containers and CI has no sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(shotWidth, 600),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	var names []string
	for i := range ps {
		if ps[i].SMS {
			continue
		}
		err := chromedp.Do(bctx,
			chromedp.EmulateViewport(shotWidth, 600),
			chromedp.Navigate("file://"+filepath.Join(abs, ps[i].Name+".html")),
			chromedp.WaitReady("body"),
		)
		// Quality 100 makes a PNG.
		png, err2 := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = err2
		}
		if err != nil {
			return nil, fmt.Errorf("screenshot of %s with %s: %w", ps[i].Name, browser, err)
		}
		name := ps[i].Name + ".png"
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			return nil, err
		}
		ps[i].Shot = name
		names = append(names, name)
	}
	return names, nil
}
