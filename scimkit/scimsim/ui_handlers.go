package scimsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit/internal/devui"
)

// formView holds what the run form shows again after a refusal. It never
// holds the token.
type formView struct {
	Target, BaseURL, Dialect                                  string
	Users, Groups, Domain, Seed                               string
	Updates, Deactivations, Removals, Deletions, Concurrency  string
	UserName, GivenName, FamilyName, Email, Title, Department string
	Ident, Group, Member                                      string
	Ext                                                       []extFieldView
}

func defaultForm() formView {
	return formView{Dialect: string(Okta), Users: "10", Groups: "2", Domain: "example.com", Seed: "1",
		Updates: "0", Deactivations: "0", Removals: "0", Deletions: "0", Concurrency: "1"}
}

// rootOf returns the relative path from r's page to the UI's root ("" at
// the root, "../" one level down...), so that the UI works under any
// prefix stripped by http.StripPrefix.
func rootOf(r *http.Request) string {
	return strings.Repeat("../", strings.Count(strings.TrimPrefix(r.URL.Path, "/"), "/"))
}

func (u *simUI) chrome(r *http.Request, title string) devui.Chrome {
	root := rootOf(r)
	home := root
	if home == "" {
		home = "./"
	}
	return devui.Chrome{Title: title, Banner: UIBanner, StaticURL: root + "static", HomeURL: home}
}

func (u *simUI) render(w http.ResponseWriter, r *http.Request, status int, page string, d *uiPage) {
	if err := devui.Render(w, uiPages[page], u.theme, status, d); err != nil {
		u.log.ErrorContext(r.Context(), "scimsim: UI: rendering page", "page", page, "err", err)
	}
}

// fail shows a generic page for a refused request; the cause goes to the
// log only.
func (u *simUI) fail(w http.ResponseWriter, r *http.Request, status int, public string, cause error) {
	u.log.WarnContext(r.Context(), "scimsim: UI: request refused", "status", status, "path", r.URL.Path, "err", cause)
	u.render(w, r, status, "error", &uiPage{Chrome: u.chrome(r, "Refused"), Error: public})
}

func (u *simUI) handleHome(w http.ResponseWriter, r *http.Request) {
	f := defaultForm()
	f.Ext = u.extFields(nil)
	u.showHome(w, r, http.StatusOK, f, "")
}

func (u *simUI) showHome(w http.ResponseWriter, r *http.Request, status int, f formView, formErr string) {
	tok, err := u.csrf.Token(w, r)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	targets, terr := u.listTargets(r.Context())
	if f.Target == "" && f.BaseURL == "" && len(targets) > 0 && r.Method == http.MethodGet {
		f.Target = targets[0].Name // a configured directory is the usual choice
	}
	d := &uiPage{Chrome: u.chrome(r, "Directory simulator"), CSRF: tok, Form: f, FormError: formErr,
		TargetsError: terr != nil, Runs: u.recentRuns(), MaxRuns: u.cfg.MaxRuns,
		MaxUsers: MaxUIUsers, MaxGroups: MaxUIGroups, MaxConcurrency: maxUIConcurrency}
	for _, t := range targets {
		d.Targets = append(d.Targets, targetView{Name: t.Name, BaseURL: t.BaseURL})
	}
	u.render(w, r, status, "home", d)
}

// formError is a refusal of the run form with a message for the page.
type formError string

func (e formError) Error() string { return string(e) }

func (u *simUI) handleStart(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUIForm)
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, http.StatusRequestEntityTooLarge, "The form is too large or unreadable.", err)
		return
	}
	if err := u.csrf.Verify(r); err != nil {
		u.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this page: go back, reload it and try again.", err)
		return
	}
	f := formFromRequest(r)
	f.Ext = u.extFields(func(id string) string { return strings.TrimSpace(r.PostForm.Get(id)) })
	rq, err := u.parseRun(r.Context(), r, f)
	if err != nil {
		var fe formError
		if !errors.As(err, &fe) {
			fe = "The request could not be prepared."
		}
		u.log.InfoContext(r.Context(), "scimsim: UI: run form refused", "err", err)
		u.showHome(w, r, http.StatusBadRequest, f, string(fe))
		return
	}
	id, err := u.newRunID()
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	rn := &run{id: id, action: rq.action, what: describeRun(rq), baseURL: rq.target.BaseURL, dialect: rq.dialect,
		started: u.now().UTC(), state: runRunning}
	if rq.named {
		rn.target = rq.target.Name
	}
	c, err := New(Config{
		BaseURL: rq.target.BaseURL, Token: rq.target.Token, Dialect: rq.dialect, HTTPClient: u.client,
		MaxLogEntries: maxRunLog, MaxLoggedBody: maxRunBody, Now: u.now, Rand: u.rand, Logger: u.log,
	})
	if err != nil {
		// parseRun checked everything New checks; keep the message generic.
		u.showHome(w, r, http.StatusBadRequest, f, "The base URL or token is not usable.")
		return
	}
	rn.client = c
	ctx, cancel := context.WithTimeout(context.Background(), u.cfg.RunTimeout)
	rn.cancel = cancel
	if err := u.addRun(rn); err != nil {
		cancel()
		u.fail(w, r, http.StatusTooManyRequests, fmt.Sprintf("%d runs are already in progress: wait for one to finish or cancel it.", maxRunning), err)
		return
	}
	u.log.InfoContext(r.Context(), "scimsim: UI run started", "run", id, "action", rq.action, "target", rn.target, "base_url", rq.target.BaseURL, "dialect", rq.dialect)
	u.execute(ctx, rn, rq, c)
	// Relative to .../runs: the browser resolves it to .../runs/<id>.
	w.Header().Set("Location", "runs/"+id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

func formFromRequest(r *http.Request) formView {
	g := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	return formView{
		Target: r.PostForm.Get("target"), BaseURL: g("base_url"), Dialect: g("dialect"),
		Users: g("users"), Groups: g("groups"), Domain: g("domain"), Seed: g("seed"),
		Updates: g("updates"), Deactivations: g("deactivations"), Removals: g("removals"), Deletions: g("deletions"),
		Concurrency: g("concurrency"),
		UserName:    g("user_name"), GivenName: g("given_name"), FamilyName: g("family_name"), Email: g("email"),
		Title: g("title"), Department: g("department"), Ident: g("ident"), Group: g("group"), Member: g("member"),
	}
}

func intField(v, label string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, formError(fmt.Sprintf("%s must be a whole number from %d to %d.", label, lo, hi))
	}
	return n, nil
}

// parseRun validates the form. Its errors are formError values, safe to
// show.
func (u *simUI) parseRun(ctx context.Context, r *http.Request, f formView) (*runRequest, error) {
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if len(v) > 2048 {
				return nil, formError("The field " + strconv.Quote(k) + " is too long.")
			}
		}
	}
	rq := &runRequest{action: r.PostForm.Get("action"), dialect: Dialect(f.Dialect)}
	switch rq.action {
	case actionTest, actionSync, actionCreate, actionDeactivate, actionAddMember, actionRemoveMember:
	default:
		return nil, formError("Choose what to run with one of the buttons.")
	}
	if !rq.dialect.Valid() {
		return nil, formError("Choose the identity provider to imitate: Okta or Microsoft Entra ID.")
	}
	if f.Target != "" {
		targets, _ := u.listTargets(ctx)
		i := -1
		for j, t := range targets {
			if t.Name == f.Target {
				i = j
				break
			}
		}
		if i < 0 {
			return nil, formError("The chosen directory is no longer listed: reload the page.")
		}
		rq.target, rq.named = targets[i], true
	} else {
		token := strings.TrimSpace(r.PostForm.Get("token"))
		switch {
		case checkBaseURL(f.BaseURL) != nil:
			return nil, formError("Choose a directory, or enter its SCIM base URL: an absolute http or https URL without a query, such as https://app.example.com/scim/dir_123.")
		case token == "" || strings.ContainsAny(token, "\r\n"):
			return nil, formError("Enter the directory's bearer token (it is never shown again: enter it for every run).")
		}
		rq.target = Target{BaseURL: f.BaseURL, Token: token}
	}
	var err error
	switch rq.action {
	case actionSync:
		s := &rq.sync
		if s.Users, err = intField(f.Users, "Users", 10, 0, MaxUIUsers); err != nil {
			return nil, err
		}
		if s.Groups, err = intField(f.Groups, "Groups", 2, 0, MaxUIGroups); err != nil {
			return nil, err
		}
		if s.Updates, err = intField(f.Updates, "Profile updates", 0, 0, s.Users); err != nil {
			return nil, err
		}
		if s.Deactivations, err = intField(f.Deactivations, "Deactivations", 0, 0, s.Users); err != nil {
			return nil, err
		}
		if s.MemberRemovals, err = intField(f.Removals, "Membership removals", 0, 0, MaxUIUsers); err != nil {
			return nil, err
		}
		if s.Deletions, err = intField(f.Deletions, "Deletions", 0, 0, s.Deactivations); err != nil {
			return nil, err
		}
		if s.Deletions > 0 && rq.dialect == Okta {
			return nil, formError("Okta never deletes users: set Deletions to 0 or imitate Microsoft Entra ID.")
		}
		if s.Concurrency, err = intField(f.Concurrency, "Parallel requests", 1, 1, maxUIConcurrency); err != nil {
			return nil, err
		}
		seed, err := intField(f.Seed, "Seed", 1, 0, 1<<31-1)
		if err != nil {
			return nil, err
		}
		s.Seed = int64(seed)
		s.Domain = f.Domain
		if _, err := s.normalized(rq.dialect); err != nil {
			return nil, formError("The full sync settings are invalid: the domain must be a domain name such as example.com.")
		}
	case actionCreate:
		if f.UserName == "" {
			return nil, formError("Enter the userName of the user to create.")
		}
		rq.user = UserSpec{UserName: f.UserName, GivenName: f.GivenName, FamilyName: f.FamilyName, Email: f.Email,
			Title: f.Title, Department: f.Department}
		if rq.user.Extensions, err = u.extensionValues(f); err != nil {
			return nil, err
		}
	case actionDeactivate:
		if f.Ident == "" || strings.ContainsAny(f.Ident, "/?#") {
			return nil, formError("Enter the userName or the SCIM id of the user to deactivate.")
		}
		rq.ident = f.Ident
	case actionAddMember, actionRemoveMember:
		if f.Group == "" || f.Member == "" {
			return nil, formError("Enter the group's name and the userName of the member.")
		}
		rq.group, rq.ident = f.Group, f.Member
	}
	return rq, nil
}

func describeRun(rq *runRequest) string {
	switch rq.action {
	case actionTest:
		return "Connection test"
	case actionSync:
		s := rq.sync
		d := fmt.Sprintf("Full sync: %d users, %d groups", s.Users, s.Groups)
		var extra []string
		for _, x := range []struct {
			n    int
			what string
		}{{s.Updates, "updates"}, {s.MemberRemovals, "membership removals"}, {s.Deactivations, "deactivations"}, {s.Deletions, "deletions"}} {
			if x.n > 0 {
				extra = append(extra, fmt.Sprintf("%d %s", x.n, x.what))
			}
		}
		if len(extra) > 0 {
			d += ", then " + strings.Join(extra, ", ")
		}
		return d
	case actionCreate:
		return "Create user " + rq.user.UserName
	case actionAddMember:
		return "Add " + rq.ident + " to group " + rq.group
	case actionRemoveMember:
		return "Remove " + rq.ident + " from group " + rq.group
	default:
		return "Deactivate user " + rq.ident
	}
}

const logPageSize = 50

func (u *simUI) handleRun(w http.ResponseWriter, r *http.Request) {
	rn := u.getRun(r.PathValue("id"))
	if rn == nil {
		u.fail(w, r, http.StatusNotFound, "This run is unknown: runs are kept in memory, only the most recent ones, until the process restarts.", errors.New("unknown run"))
		return
	}
	tok, err := u.csrf.Token(w, r)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The simulator failed.", err)
		return
	}
	v := u.view(rn, true)
	problems := r.URL.Query().Get("only") == "problems"
	log := v.Log
	if problems {
		log = nil
		for _, e := range v.Log {
			if isProblem(e) {
				log = append(log, e)
			}
		}
	}
	pages := max(1, (len(log)+logPageSize-1)/logPageSize)
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, pages)
	from := (page - 1) * logPageSize
	to := min(len(log), from+logPageSize)
	d := &uiPage{Chrome: u.chrome(r, v.What), CSRF: tok, Run: &v, MaxRunLog: maxRunLog,
		Log: &logView{Exchanges: log[from:to], From: from + 1, To: to, Total: len(log), Kept: len(v.Log), Page: page, Pages: pages, Problems: problems}}
	u.render(w, r, http.StatusOK, "run", d)
}

func isProblem(e Exchange) bool {
	return e.Status < 200 || e.Status > 299 || len(e.Notes) > 0 || e.Err != ""
}

// runStatus is the JSON the run page's script polls.
type runStatus struct {
	State    runState `json:"state"`
	Phase    string   `json:"phase,omitempty"`
	Done     int      `json:"done"`
	Total    int      `json:"total"`
	Requests int      `json:"requests"`
}

// jsonRun sets the headers of a JSON answer about the run the path names
// and returns the run, or answers Not Found and returns nil.
func (u *simUI) jsonRun(w http.ResponseWriter, r *http.Request) *run {
	rn := u.getRun(r.PathValue("id"))
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Content-Type", "application/json")
	if rn == nil {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"unknown run"}` + "\n"))
	}
	return rn
}

func (u *simUI) handleStatus(w http.ResponseWriter, r *http.Request) {
	rn := u.jsonRun(w, r)
	if rn == nil {
		return
	}
	v := u.view(rn, false)
	_ = json.NewEncoder(w).Encode(runStatus{State: v.State, Phase: v.Progress.Phase, Done: v.Progress.Done, Total: v.Progress.Total, Requests: v.Requests})
}

func (u *simUI) handleCancel(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUIForm)
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, http.StatusRequestEntityTooLarge, "The form is too large or unreadable.", err)
		return
	}
	if err := u.csrf.Verify(r); err != nil {
		u.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this page: go back, reload it and try again.", err)
		return
	}
	id := r.PathValue("id")
	rn := u.getRun(id)
	if rn == nil {
		u.fail(w, r, http.StatusNotFound, "This run is unknown.", errors.New("unknown run"))
		return
	}
	rn.cancel()
	u.log.InfoContext(r.Context(), "scimsim: UI run cancelled", "run", id)
	// Relative to .../runs/<id>/cancel: resolves to .../runs/<id>.
	w.Header().Set("Location", "../"+id)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// handleLogJSON serves the run's exchange log (what the run keeps) as a
// JSON array, for tools and bug reports.
func (u *simUI) handleLogJSON(w http.ResponseWriter, r *http.Request) {
	rn := u.jsonRun(w, r)
	if rn == nil {
		return
	}
	v := u.view(rn, true)
	if v.Log == nil {
		v.Log = []Exchange{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v.Log); err != nil {
		u.log.WarnContext(r.Context(), "scimsim: UI: writing the log", "run", v.ID, "err", err)
	}
}
