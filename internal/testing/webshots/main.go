// Command webshots photographs the Temporal Web UI of a running demo for
// the README, with headless Chromium: the workflow list filtered by
// BackorderStage, one backorder workflow's timeline with its step
// summaries, and that workflow's user metadata (summary, lines, what it
// waits on now). `make screenshots` runs it after `make demo`.
//
//	go run ./internal/testing/webshots [--ui http://localhost:8233] [--out docs/images]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// The list's columns: the backorder's search attributes beside the
// workflow id, instead of the run id and type, which say nothing here.
// The Web UI keeps its column choice in the browser's local storage.
const listColumns = `[{"label":"Status","pinned":true},{"label":"Workflow ID","pinned":true},` +
	`{"label":"BackorderStage","pinned":false},{"label":"BackorderValue","pinned":false},` +
	`{"label":"DelayDays","pinned":false},{"label":"Start","pinned":false}]`

// stageFilter is the list's filter, as a user types it.
const stageFilter = `BackorderStage="awaiting_fulfillment"`

func main() {
	port := os.Getenv("TEMPORAL_UI_PORT")
	if port == "" {
		port = "8233"
	}
	ui := flag.String("ui", "http://localhost:"+port, "the Web UI of the running demo (make demo)")
	namespace := flag.String("namespace", envOr("TEMPORAL_NAMESPACE", "default"), "the demo's Temporal namespace")
	out := flag.String("out", filepath.Join("docs", "images"), "directory the pictures are written to")
	browser := flag.String("browser", "", "Chromium or Chrome binary (default: chromium, chromium-browser or google-chrome on PATH)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./internal/testing/webshots [flags]\n\n"+
			"Writes webui-list.png, webui-timeline.png and webui-metadata.png of a running demo's Web UI.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *ui, *namespace, *out, *browser); err != nil {
		fmt.Fprintln(os.Stderr, "webshots:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, ui, namespace, out, browser string) error {
	if browser == "" {
		var err error
		if browser, err = findBrowser(); err != nil {
			return err
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.Flag("hide-scrollbars", true))
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox on (containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	allocator, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	tab, cancel := chromedp.NewContext(allocator)
	defer cancel()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	workflows := ui + "/namespaces/" + url.PathEscape(namespace) + "/workflows"
	list := workflows + "?query=" + url.QueryEscape(stageFilter)
	columns := fmt.Sprintf(`localStorage.setItem("namespace-workflow-table-columns", JSON.stringify({%s: %s}))`,
		strconv.Quote(namespace), listColumns)
	err := chromedp.Do(tab,
		chromedp.EmulateViewport(width, 1000),
		chromedp.Navigate(workflows),
		chromedp.Evaluate[chromedp.Void](columns),
		chromedp.Navigate(list),
		chromedp.WaitVisible(`[data-testid="workflows-summary-configurable-table-row"]`),
	)
	if err != nil {
		return fmt.Errorf("the workflow list at %s shows no workflow (is `make demo` running?): %w", list, err)
	}
	if err := shoot(tab, filepath.Join(out, "webui-list.png"), 660); err != nil {
		return err
	}

	// The first backorder listed: its timeline, then its user metadata.
	first, err := chromedp.Run(tab, chromedp.Evaluate[string](
		`document.querySelector('[data-testid="workflows-summary-configurable-table-row"] a[href*="/workflows/backorder-"]').getAttribute("href")`))
	if err != nil {
		return fmt.Errorf("finding a backorder workflow in the list: %w", err)
	}
	// The link leads to the history tab; the other tabs are its siblings.
	page, err := url.JoinPath(ui, strings.TrimSuffix(first, "/history"))
	if err != nil {
		return err
	}
	if err := open(tab, page+"/history", `wait until ETA`); err != nil {
		return err
	}
	if err := shoot(tab, filepath.Join(out, "webui-timeline.png"), 900); err != nil {
		return err
	}
	// The summary and details are drawn in frames of their own: wait for
	// the list of steps beside them.
	if err := open(tab, page+"/user-metadata", `email customer`); err != nil {
		return err
	}
	return shoot(tab, filepath.Join(out, "webui-metadata.png"), 1000)
}

// open loads a page and waits until it shows text: the Web UI fetches
// and draws after the page has loaded.
func open(tab context.Context, page, text string) error {
	err := chromedp.Do(tab,
		chromedp.Navigate(page),
		chromedp.Poll[chromedp.Void](`document.body.textContent.includes(`+strconv.Quote(text)+`)`,
			chromedp.WithPollingInterval(250*time.Millisecond)),
	)
	if err != nil {
		return fmt.Errorf("%s never showed %q: %w", page, text, err)
	}
	return nil
}

// width is the pictures' width in pixels; each is as high as its page's
// content.
const width = 1440

// shoot saves the window, height pixels high, once the page has settled
// (fonts, the timeline's layout).
func shoot(tab context.Context, path string, height int64) error {
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, height), chromedp.Sleep(time.Second)); err != nil {
		return err
	}
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("screenshot for %s: %w", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}

func findBrowser() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("no Chromium found: install it (Debian: apt-get install chromium) or pass --browser")
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
