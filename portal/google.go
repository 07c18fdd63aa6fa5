package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/gworkspace"
	"github.com/onboardkit/onboardkit/store"
)

// googleView is the Google Workspace part of a directory's page.
type googleView struct {
	Scopes        string // comma-separated, as the Admin console's field takes them
	ClientID      string // "" before a key is uploaded
	ClientEmail   string
	HasKey        bool
	AdminEmail    string
	Customer      string
	Domain        string
	IntervalMin   int
	SettingsURL   string
	KeyURL        string
	TestURL       string
	SyncURL       string
	LastSync      stamp // unset when never
	LastSuccess   stamp
	LastError     string
	Stats         string // summary of the last sync
	SyncRequested bool
	Ready         bool // settings and key present: Test and Turn on make sense
}

// googleCreate creates a Google Workspace directory, or when the
// organization already has one not set up yet (a reload, a second click),
// goes to that one; then redirects to its page.
func (p *Portal) googleCreate(w http.ResponseWriter, r *http.Request, s *session, name string) {
	ctx := r.Context()
	dirs, err := p.st.ListDirectories(ctx, s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading directories", err)
		return
	}
	for _, d := range dirs {
		if d.Provider != gworkspace.Provider || d.State != store.DirectoryInactive {
			continue
		}
		st, err := p.admin.GoogleDirectoryStatus(ctx, d.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !st.HasKey && st.LastSyncAt.IsZero()) {
			http.Redirect(w, r, p.dirPath(d.ID, ""), http.StatusSeeOther)
			return
		}
	}
	d, err := p.admin.CreateGoogleDirectory(ctx, s.org.ID, name, s.actor())
	if err != nil {
		p.serverError(w, r, "creating directory", err)
		return
	}
	p.log.InfoContext(ctx, "portal: directory created", "session_id", s.s.ID, "org_id", s.org.ID, "directory_id", d.ID, "provider", d.Provider)
	http.Redirect(w, r, p.dirPath(d.ID, "?done=google-created"), http.StatusSeeOther)
}

func (p *Portal) loadGoogle(ctx context.Context, d *store.Directory) (*googleView, error) {
	g := &googleView{
		Scopes:      strings.Join(gworkspace.Scopes, ","),
		IntervalMin: int(gworkspace.DefaultInterval / time.Minute),
		SettingsURL: p.dirPath(d.ID, "/google/settings"),
		KeyURL:      p.dirPath(d.ID, "/google/key"),
		TestURL:     p.dirPath(d.ID, "/google/test"),
		SyncURL:     p.dirPath(d.ID, "/google/sync"),
	}
	st, err := p.admin.GoogleDirectoryStatus(ctx, d.ID)
	if errors.Is(err, store.ErrNotFound) {
		return g, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading google status: %w", err)
	}
	g.ClientID, g.ClientEmail, g.HasKey = st.ClientID, st.ClientEmail, st.HasKey
	g.AdminEmail, g.Customer, g.Domain = st.AdminEmail, st.Customer, st.Domain
	g.IntervalMin = int(st.SyncInterval / time.Minute)
	g.LastSync, g.LastSuccess, g.LastError = timeStamp("", st.LastSyncAt), timeStamp("", st.LastSuccessAt), st.LastError
	g.SyncRequested = st.SyncRequested
	g.Ready = st.HasKey && st.AdminEmail != ""
	if ls := st.LastStats; ls != nil {
		g.Stats = fmt.Sprintf("%d users and %d groups in Google; %d users created, %d updated, %d deleted; %d groups created, %d updated, %d deleted; %d memberships added, %d removed.",
			ls.Users, ls.Groups, ls.UsersCreated, ls.UsersUpdated, ls.UsersDeleted, ls.GroupsCreated, ls.GroupsUpdated, ls.GroupsDeleted,
			ls.MembershipsAdded, ls.MembershipsRemoved)
	}
	return g, nil
}

// googleCauses are the explanations of a failed test, by cause: the cause
// travels in the redirect, the text is the server's.
func googleCauseMessage(c string) string {
	e := &gworkspace.APIError{Cause: gworkspace.Cause(c)}
	switch gworkspace.Cause(c) {
	case gworkspace.CauseDelegationMissing, gworkspace.CauseInvalidGrant, gworkspace.CauseNotAdmin,
		gworkspace.CauseAPIDisabled, gworkspace.CauseBadCustomer, gworkspace.CauseRateLimited, gworkspace.CauseUnreachable:
		return e.Message()
	case gworkspace.CauseScopeMissing:
		return "Domain-wide delegation is granted, but not for every scope: grant exactly the scopes listed in step 4."
	case "not-configured":
		return "Save the settings and upload the key first."
	}
	return "Google refused the test. Check each step of the guide and try again."
}

// googleNotice is the message of the page a Google action redirected to.
func (p *Portal) googleNotice(r *http.Request, n dirNotice) dirNotice {
	q := r.URL.Query()
	switch q.Get("done") {
	case "google-created":
		n.Message = "Directory created. Follow the steps below to connect Google Workspace."
	case "google-settings":
		n.Message = "Settings saved."
	case "google-key":
		n.Message = "Key uploaded. It is stored encrypted and never shown again."
	case "google-test":
		// The address comes from the redirect's query, so a crafted link
		// could carry any text: show it only when it is a bare address.
		if u := q.Get("user"); u != "" && isBareAddress(u) {
			n.Message = "Test passed: Google listed " + u + "."
		} else {
			n.Message = "Test passed: Google answered (the directory has no users yet)."
		}
	case "google-sync":
		n.Message = "Sync requested: it starts within a minute. Reload this page to see its result."
	}
	if c := q.Get("google-error"); c != "" {
		n.Error = "Test failed: " + googleCauseMessage(c)
	}
	return n
}

func (p *Portal) requireGoogle(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) bool {
	if !p.admin.GoogleEnabled() || d.Provider != gworkspace.Provider {
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
		return false
	}
	return true
}

func (p *Portal) googleSettings(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	if !p.requireGoogle(w, r, s, d) {
		return
	}
	mins, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("interval")))
	if err != nil || mins < 1 || mins > 24*60 {
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: "The sync interval is a number of minutes from 1 to 1440."})
		return
	}
	set := gworkspace.Settings{
		AdminEmail: r.PostFormValue("admin_email"), Customer: r.PostFormValue("customer"), Domain: r.PostFormValue("domain"),
		SyncInterval: time.Duration(mins) * time.Minute,
	}
	err = p.admin.ConfigureGoogleDirectory(r.Context(), d.ID, set)
	if errors.Is(err, gworkspace.ErrInvalidSettings) {
		msg := "Check the settings: the admin email must be an email address, the customer id and domain a single word."
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: msg})
		return
	}
	if err != nil {
		p.serverError(w, r, "saving google settings", err)
		return
	}
	http.Redirect(w, r, p.dirPath(d.ID, "?done=google-settings"), http.StatusSeeOther)
}

func (p *Portal) googleKey(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	if !p.requireGoogle(w, r, s, d) {
		return
	}
	f, _, err := r.FormFile("key")
	if err != nil {
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: "Choose the JSON key file of the service account."})
		return
	}
	defer f.Close()
	_, err = p.admin.PutGoogleKey(r.Context(), d.ID, f)
	if errors.Is(err, gworkspace.ErrBadKey) {
		p.redirect(w, r, s, p.dirPath(d.ID, ""), &flash{Alert: "This file is not a service-account key: download a JSON key of the service account (Keys > Add key > Create new key > JSON)."})
		return
	}
	if err != nil {
		p.serverError(w, r, "storing google key", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: google key uploaded", "session_id", s.s.ID, "directory_id", d.ID)
	http.Redirect(w, r, p.dirPath(d.ID, "?done=google-key"), http.StatusSeeOther)
}

func (p *Portal) googleTest(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	if !p.requireGoogle(w, r, s, d) {
		return
	}
	res, err := p.admin.TestGoogleDirectory(r.Context(), d.ID)
	var ae *gworkspace.APIError
	switch {
	case errors.Is(err, gworkspace.ErrNotConfigured):
		http.Redirect(w, r, p.dirPath(d.ID, "?google-error=not-configured"), http.StatusSeeOther)
		return
	case errors.As(err, &ae):
		p.log.InfoContext(r.Context(), "portal: google test failed", "directory_id", d.ID, "error", err)
		http.Redirect(w, r, p.dirPath(d.ID, "?google-error="+url.QueryEscape(string(ae.Cause))), http.StatusSeeOther)
		return
	case err != nil:
		p.serverError(w, r, "testing google directory", err)
		return
	}
	http.Redirect(w, r, p.dirPath(d.ID, "?done=google-test&user="+url.QueryEscape(res.User)), http.StatusSeeOther)
}

func (p *Portal) googleSyncNow(w http.ResponseWriter, r *http.Request, s *session, d *store.Directory) {
	if !p.requireGoogle(w, r, s, d) {
		return
	}
	if err := p.admin.SyncGoogleDirectoryNow(r.Context(), d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.serverError(w, r, "asking for a google sync", err)
		return
	}
	http.Redirect(w, r, p.dirPath(d.ID, "?done=google-sync"), http.StatusSeeOther)
}

// isBareAddress reports whether s is one plain email address (no name, no
// spaces, no more than an address needs).
func isBareAddress(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
