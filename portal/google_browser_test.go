package portal

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/internal/testkit"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/store"
	"github.com/onboardkit/onboardkit/store/memstore"
)

// TestBrowserGoogleDirectory: the IT admin sets up a Google Workspace
// directory against the simulator, the way the guide says, and sees the
// users appear.
func TestBrowserGoogleDirectory(t *testing.T) {
	ctx := testkit.NewBrowser(t)
	g := newGoogleSim(t)
	env := &setupEnv{st: memstore.New()}
	mux := http.NewServeMux()
	_, port := testkit.Listen(t, mux)
	env.portalOrigin = "http://localhost:" + port
	logger := slog.New(slog.NewTextHandler(testkit.TestWriter{T: t}, nil))
	var err error
	env.scim, err = scimkit.New(scimkit.Config{Store: env.st, BaseURL: env.portalOrigin + "/scim", Logger: logger})
	must(t, err)
	syncer, err := gworkspace.New(gworkspace.Config{
		Store: env.st, Endpoint: g.srv.URL, TokenURL: g.srv.URL + "/token",
		HTTPClient: g.srv.Client(), Logger: logger, PollInterval: 100 * time.Millisecond,
	})
	must(t, err)
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { syncer.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	env.p, err = newPortal(Config{Store: env.st, BaseURL: env.portalOrigin + "/portal", SCIM: env.scim, Logger: logger},
		func(c *admin.Config) { c.Google = syncer })
	must(t, err)
	mux.Handle("/portal/", http.StripPrefix("/portal", env.p))
	now := time.Now().UTC()
	env.org = &store.Organization{ID: "org_megacorp", Name: "MegaCorp", CreatedAt: now, UpdatedAt: now}
	must(t, env.st.CreateOrganization(context.Background(), env.org))
	keyFile := filepath.Join(t.TempDir(), "sim-project-key.json")
	must(t, os.WriteFile(keyFile, g.key.JSON, 0o600))

	env.signIn(t, ctx, store.FeatureDirSync)
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := testkit.Within(ctx, func(ctx context.Context) error { return chromedp.Do(ctx, actions...) }); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("create a Google Workspace directory",
		chromedp.Click(chromedp.CSS(testkit.TID("nav-dir-sync"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("dir-create-form"))),
		chromedp.SetValue(chromedp.CSS(testkit.TID("dir-provider")), "google"),
		chromedp.SendKeys(chromedp.CSS(testkit.TID("dir-name")), "Workspace"),
		chromedp.Click(chromedp.CSS(testkit.TID("dir-create-submit"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("google-setup"))),
	)
	step("upload the key",
		chromedp.SetUploadFiles(chromedp.CSS(testkit.TID("google-key")), []string{keyFile}),
		chromedp.Click(chromedp.CSS(testkit.TID("google-upload"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("google-client-id"))),
	)
	if id, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("google-client-id")))); id != g.key.ClientID {
		t.Fatalf("client id shown %q, want %q", id, g.key.ClientID)
	}
	step("save the settings",
		chromedp.SendKeys(chromedp.CSS(testkit.TID("google-admin")), "admin@acme.example"),
		chromedp.Click(chromedp.CSS(testkit.TID("google-save"))),
		chromedp.WaitVisible(chromedp.CSS(testkit.TID("google-test"))),
	)
	step("test", chromedp.Click(chromedp.CSS(testkit.TID("google-test"))), chromedp.WaitVisible(chromedp.CSS(testkit.TID("dir-message"))))
	// The page before the test's redirect shows a message too ("Settings
	// saved."): wait for the test's own answer, then read it.
	_, _ = chromedp.Run(ctx, chromedp.Poll[bool](`(document.querySelector('[data-testid="dir-message"]')||{}).textContent.includes("Test ")`, chromedp.WithPollingTimeout(testkit.BrowserWait)))
	if msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("dir-message")))); !strings.Contains(msg, "Test passed") {
		t.Fatalf("test result %q", msg)
	}
	noOverflow(t, ctx, "the Google directory page")
	step("turn on", chromedp.Click(chromedp.CSS(testkit.TID("dir-activate"))), chromedp.WaitVisible(chromedp.CSS(testkit.TID("google-sync"))))
	dirs, err := env.st.ListDirectories(context.Background(), env.org.ID)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("directories: %v %v", dirs, err)
	}
	url := "/portal/directory-sync/" + dirs[0].ID
	deadline := time.Now().Add(testkit.BrowserWait)
	for {
		step("reload", chromedp.Navigate(env.portalOrigin+url), chromedp.WaitVisible(chromedp.CSS(testkit.TID("activity-users"))))
		users, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(testkit.TID("activity-users"))))
		if users == "2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("users shown %q, want 2 after the sync", users)
		}
		time.Sleep(200 * time.Millisecond)
	}
	step("browse the users", chromedp.Click(chromedp.CSS(testkit.TID("dir-users-link"))), chromedp.WaitVisible(chromedp.CSS("body")))
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(body, "alan@acme.example") {
		t.Fatalf("the users page does not list the synced user: %s", body)
	}
}
