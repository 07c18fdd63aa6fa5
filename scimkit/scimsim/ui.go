package scimsim

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit/internal/devui"
	"github.com/onboardkit/onboardkit/internal/secret"
)

//go:embed static/refresh.js
var uiStatic embed.FS

// UIBanner is the warning every page of the simulator's UI shows.
const UIBanner = "Development simulator — not a real directory"

// Limits of what one run of the UI may do.
const (
	// MaxUIUsers is the largest FullSync the UI runs.
	MaxUIUsers = 2000
	// MaxUIGroups is the largest number of groups a UI FullSync creates.
	MaxUIGroups = 200
	// maxUIConcurrency bounds SyncSpec.Concurrency from the form.
	maxUIConcurrency = 8
	// maxRunning is how many runs may be in progress at once.
	maxRunning = 4
	// maxRunLog is how many exchanges a run keeps (the latest).
	maxRunLog = 1000
	// maxRunBody is how many bytes of each body a run keeps.
	maxRunBody = 16 << 10
	// maxUIForm bounds a form body.
	maxUIForm = 64 << 10
	// maxTargets bounds the target list shown.
	maxTargets = 200
)

// ErrNotDevelopment is returned by NewUI when UIConfig.Development is false.
var ErrNotDevelopment = errors.New("scimsim: refusing to start: the directory simulator UI is a development-only tool that provisions test users into any SCIM endpoint it is given; set UIConfig.Development = true to use it, and never mount it in production")

// Target is a SCIM directory endpoint the UI can provision.
type Target struct {
	// Name identifies the target in the list, e.g. "Acme (Okta)".
	// Required, unique among the targets.
	Name string
	// BaseURL is the directory's SCIM base URL, as in Config.BaseURL.
	// Required.
	BaseURL string
	// Token is the directory's bearer token. Required. It stays in the
	// process: never rendered, never logged.
	Token string
}

// Branding styles the UI's pages with the host's look.
type Branding struct {
	// Name is shown in the page header. Default "Directory simulator".
	Name string
	// AccentColor is a CSS hex colour ("#0a7" or "#00aa77"). Default
	// "#4f46e5".
	AccentColor string
	// LogoURL is an http(s) URL or an absolute path of the host's logo.
	// Its origin is added to the pages' img-src policy. Default: no logo.
	LogoURL string
}

// UIConfig configures the directory simulator's browser UI. Only
// Development is required.
type UIConfig struct {
	// Development must be true: NewUI refuses to build otherwise. The UI
	// sends requests with the tokens it is given to any URL typed into it;
	// it exists for development only.
	Development bool

	// Targets are the directories listed on the home page. Default none:
	// only the form for a base URL and token typed in by hand.
	Targets []Target

	// TargetsFunc, when set, is called on every page load and run to list
	// more targets (the host's directories, read from its Store). They are
	// listed after Targets; invalid or duplicate entries are skipped with a
	// warning in the log. Stores keep only digests of SCIM tokens, so a
	// host mints one token per directory for the simulator (for example
	// with scimkit's CreateToken, the first time the directory is listed)
	// and returns the same one afterwards, rather than a new token per
	// call. Default nil.
	TargetsFunc func(ctx context.Context) ([]Target, error)

	// Branding styles the pages. Default: neutral colours, no logo.
	Branding Branding

	// HTTPClient sends the SCIM requests. Default: a client with a 30s
	// timeout.
	HTTPClient *http.Client

	// RunTimeout bounds every run (a connection test, a sync, one user
	// change). Default 5 minutes.
	RunTimeout time.Duration

	// MaxRuns is how many runs are kept in memory for their results pages;
	// the oldest finished runs are forgotten first. Default 20.
	MaxRuns int

	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Rand is the source of run ids, CSRF keys and Entra's random GUIDs.
	// Default crypto/rand.
	Rand io.Reader

	// ExtensionAttributes are the attributes of schema extensions the
	// "Create a user" form offers a field for, in order, such as those of
	// the application's own extension (see ExtensionAttributesOf).
	// Default none.
	ExtensionAttributes []ExtensionAttribute

	// Logger receives one line per run started and finished, and refused
	// requests. Tokens and bodies are never logged. Default slog.Default().
	Logger *slog.Logger
}

// simUI is the directory simulator's browser UI, as NewUI returns it.
type simUI struct {
	cfg     UIConfig
	targets []Target // validated UIConfig.Targets
	theme   *devui.Theme
	csrf    *devui.CSRF
	rand    io.Reader
	log     *slog.Logger
	now     func() time.Time
	client  *http.Client
	mux     *http.ServeMux

	mu    sync.Mutex
	runs  map[string]*run
	order []string // run ids, oldest first
}

// NewUI validates cfg and returns the directory simulator's browser UI: a
// page listing the targets, with a form to run, against one of them or
// against a base URL and token typed in, in the Okta or Microsoft Entra ID
// dialect, a connection test, a full sync of a generated directory (at
// most MaxUIUsers users and MaxUIGroups groups), the creation of one user
// (with the attributes of schema extensions UIConfig.ExtensionAttributes
// lists, such as the application's own) or the deactivation of one, adding a user to a named group (created when
// missing, as a group push does) or removing it (Client.SetMembership), to
// try the portal's group-to-role mappings; and a results page per run with its
// SyncReport and its exchange log (every request and the server's answer,
// bodies pretty-printed, and the notes on what a real provider would object
// to).
//
//	ui, err := scimsim.NewUI(scimsim.UIConfig{
//		Development: true, // required: NewUI refuses to build otherwise
//		Targets:     []scimsim.Target{{Name: "Acme (dev)", BaseURL: scimURL + "/" + dir.ID, Token: token}},
//		Branding:    scimsim.Branding{Name: "Acme", AccentColor: "#0a7"},
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/dev/scim/", http.StripPrefix("/dev/scim", ui))
//
// Routes, below the mount point (links are relative, so any prefix works):
//
//	GET  /                    targets, run form, recent runs
//	POST /runs                start a run (303 to its page)
//	GET  /runs/{id}           results; ?page=N, ?only=problems
//	GET  /runs/{id}/status    JSON progress, polled by the page while running
//	GET  /runs/{id}/log.json  the exchange log as JSON
//	POST /runs/{id}/cancel    cancel a run in progress
//	GET  /static/{file}       stylesheets and the polling script
//
// Safety: every page says it is a development simulator; pages carry a
// strict Content-Security-Policy (default-src 'self', no inline script,
// form-action 'self', frame-ancestors 'none'), Cache-Control no-store and
// Referrer-Policy strict-origin; every POST needs the page's CSRF token
// (signed double-submit cookie) and a same-origin request. Tokens, of
// targets or typed in, are never rendered, logged or recorded: a typed-in
// token lives in the run's client until the run ends, then is dropped.
// Server answers are shown as escaped text.
//
// Runs execute in the background, one goroutine each, bounded by
// RunTimeout, at most a few at once; they and their logs (the last 1000
// exchanges, bodies clipped to 16 KiB) are kept in memory, the last
// MaxRuns of them. The UI is for one development process, not for several
// instances behind a load balancer, and never for production.
func NewUI(cfg UIConfig) (http.Handler, error) {
	if !cfg.Development {
		return nil, ErrNotDevelopment
	}
	u := &simUI{cfg: cfg, runs: map[string]*run{}, now: cfg.Now, log: cfg.Logger, client: cfg.HTTPClient}
	if u.now == nil {
		u.now = time.Now
	}
	if u.log == nil {
		u.log = slog.Default()
	}
	if u.client == nil {
		u.client = &http.Client{Timeout: 30 * time.Second}
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	u.rand = devui.LockedReader(r)
	switch {
	case cfg.RunTimeout < 0:
		return nil, errors.New("scimsim: UIConfig.RunTimeout must not be negative")
	case cfg.RunTimeout == 0:
		u.cfg.RunTimeout = 5 * time.Minute
	}
	switch {
	case cfg.MaxRuns < 0:
		return nil, errors.New("scimsim: UIConfig.MaxRuns must not be negative")
	case cfg.MaxRuns == 0:
		u.cfg.MaxRuns = 20
	}
	theme, err := devui.NewTheme(devui.ThemeConfig{
		Branding:       devui.Branding{Name: cfg.Branding.Name, AccentColor: cfg.Branding.AccentColor, LogoURL: cfg.Branding.LogoURL},
		DefaultName:    "Directory simulator",
		FormActionSelf: true,
	})
	if err != nil {
		return nil, fmt.Errorf("scimsim: UIConfig.%w", err)
	}
	u.theme = theme
	if u.csrf, err = devui.NewCSRF(u.rand, "onboardkit_scimsim_csrf"); err != nil {
		return nil, fmt.Errorf("scimsim: %w", err)
	}
	for i, a := range cfg.ExtensionAttributes {
		if err := checkExtensionAttribute(a); err != nil {
			return nil, fmt.Errorf("scimsim: UIConfig.ExtensionAttributes[%d]: %w", i, err)
		}
	}
	seen := map[string]bool{}
	for i, t := range cfg.Targets {
		if err := checkTarget(t); err != nil {
			return nil, fmt.Errorf("scimsim: UIConfig.Targets[%d]: %w", i, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("scimsim: UIConfig.Targets[%d]: duplicate name %q", i, t.Name)
		}
		seen[t.Name] = true
		u.targets = append(u.targets, t)
	}
	u.routes()
	return u, nil
}

func checkTarget(t Target) error {
	if strings.TrimSpace(t.Name) == "" || len(t.Name) > 200 {
		return errors.New("Name is required (at most 200 bytes)")
	}
	if err := checkBaseURL(t.BaseURL); err != nil {
		return err
	}
	if t.Token == "" || strings.ContainsAny(t.Token, "\r\n") {
		return errors.New("Token is required and must be one line")
	}
	return nil
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("BaseURL must be an absolute http(s) URL without query or credentials")
	}
	return nil
}

// listTargets returns the static targets followed by TargetsFunc's valid,
// distinct ones. An error of TargetsFunc is logged and reported with the
// static list.
func (u *simUI) listTargets(ctx context.Context) ([]Target, error) {
	out := slices.Clone(u.targets)
	if u.cfg.TargetsFunc == nil {
		return out, nil
	}
	more, err := u.cfg.TargetsFunc(ctx)
	if err != nil {
		u.log.WarnContext(ctx, "scimsim: UI: listing targets failed", "err", err)
		return out, err
	}
	seen := map[string]bool{}
	for _, t := range out {
		seen[t.Name] = true
	}
	for i, t := range more {
		if len(out) >= maxTargets {
			u.log.WarnContext(ctx, "scimsim: UI: too many targets, the rest are not listed", "max", maxTargets)
			break
		}
		if err := checkTarget(t); err != nil {
			u.log.WarnContext(ctx, "scimsim: UI: skipping invalid target", "index", i, "name", t.Name, "err", err)
			continue
		}
		if seen[t.Name] {
			u.log.WarnContext(ctx, "scimsim: UI: skipping duplicate target", "index", i, "name", t.Name)
			continue
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	return out, nil
}

func (u *simUI) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", u.handleHome)
	m.HandleFunc("POST /runs", u.handleStart)
	m.HandleFunc("GET /runs/{id}", u.handleRun)
	m.HandleFunc("GET /runs/{id}/status", u.handleStatus)
	m.HandleFunc("GET /runs/{id}/log.json", u.handleLogJSON)
	m.HandleFunc("POST /runs/{id}/cancel", u.handleCancel)
	m.HandleFunc("GET /static/{file}", u.handleStatic)
	u.mux = m
}

// ServeHTTP serves the UI.
func (u *simUI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mux.ServeHTTP(w, r)
}

func (u *simUI) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if u.theme.ServeAsset(w, name) {
		return
	}
	if name != "refresh.js" {
		http.NotFound(w, r)
		return
	}
	b, err := uiStatic.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// ----- runs -----

type runState string

const (
	runRunning   runState = "running"
	runSucceeded runState = "succeeded"
	runFailed    runState = "failed"
	runCancelled runState = "cancelled"
)

// Run actions.
const (
	actionTest         = "test"
	actionSync         = "sync"
	actionCreate       = "create"
	actionDeactivate   = "deactivate"
	actionAddMember    = "add_member"
	actionRemoveMember = "remove_member"
)

// run is one action against one target. The fields below "guarded by
// simUI.mu" change while the run goes on; the others are set once.
type run struct {
	id      string
	action  string
	what    string // human description of the action and its parameters
	target  string // target name, or "" when typed in by hand
	baseURL string
	dialect Dialect
	started time.Time
	cancel  context.CancelFunc

	// guarded by simUI.mu
	client   *Client // nil once finished: the token is dropped with it
	state    runState
	finished time.Time
	progress Progress
	report   *SyncReport
	result   string
	errText  string
	log      []Exchange
	requests int
}

// errTooBusy: too many runs in progress to start another.
var errTooBusy = errors.New("scimsim: UI: too many runs in progress")

// addRun registers rn, forgetting the oldest finished runs beyond MaxRuns.
func (u *simUI) addRun(rn *run) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	running := 0
	for _, r := range u.runs {
		if r.state == runRunning {
			running++
		}
	}
	if running >= maxRunning {
		return errTooBusy
	}
	for len(u.order) >= u.cfg.MaxRuns {
		i := slices.IndexFunc(u.order, func(id string) bool { return u.runs[id].state != runRunning })
		if i < 0 {
			return errTooBusy
		}
		delete(u.runs, u.order[i])
		u.order = slices.Delete(u.order, i, i+1)
	}
	u.runs[rn.id] = rn
	u.order = append(u.order, rn.id)
	return nil
}

func (u *simUI) getRun(id string) *run {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.runs[id]
}

// runView is a consistent copy of a run for rendering.
type runView struct {
	ID, Action, What, Target, BaseURL string
	Dialect                           Dialect
	State                             runState
	Started, Finished                 time.Time
	Progress                          Progress
	Report                            *SyncReport
	Result, Err                       string
	Log                               []Exchange
	Requests                          int
}

func (u *simUI) view(rn *run, withLog bool) runView {
	u.mu.Lock()
	v := runView{ID: rn.id, Action: rn.action, What: rn.what, Target: rn.target, BaseURL: rn.baseURL, Dialect: rn.dialect,
		State: rn.state, Started: rn.started, Finished: rn.finished, Progress: rn.progress, Report: rn.report,
		Result: rn.result, Err: rn.errText, Requests: rn.requests}
	c := rn.client
	if withLog && c == nil {
		v.Log = rn.log
	}
	u.mu.Unlock()
	if c != nil {
		v.Requests = c.Requests()
		if withLog {
			v.Log = c.Log()
		}
	}
	return v
}

func (u *simUI) recentRuns() []runView {
	u.mu.Lock()
	rs := make([]*run, 0, len(u.order))
	for i := len(u.order) - 1; i >= 0; i-- {
		rs = append(rs, u.runs[u.order[i]])
	}
	u.mu.Unlock()
	out := make([]runView, 0, len(rs))
	for _, rn := range rs {
		out = append(out, u.view(rn, false))
	}
	return out
}

// runRequest is a validated form.
type runRequest struct {
	action  string
	target  Target
	named   bool // the target comes from the list
	dialect Dialect
	sync    SyncSpec
	user    UserSpec
	ident   string // user to deactivate (userName or id), or member's userName
	group   string // group displayName, for a membership change
}

// execute runs rq in the background under rn; ctx is bounded by
// RunTimeout and cancelled by rn.cancel.
func (u *simUI) execute(ctx context.Context, rn *run, rq *runRequest, c *Client) {
	cancel := rn.cancel
	go func() {
		defer cancel()
		var (
			rep    *SyncReport
			result string
			err    error
		)
		switch rq.action {
		case actionTest:
			if err = c.TestConnection(ctx); err == nil {
				result = "The connection test passed: the server answered as " + dialectName(rq.dialect) + " expects."
			}
		case actionSync:
			spec := rq.sync
			spec.Progress = func(p Progress) {
				u.mu.Lock()
				rn.progress = p
				u.mu.Unlock()
			}
			rep, err = c.FullSync(ctx, spec)
			if rep != nil {
				rep.UserIDs, rep.GroupIDs = nil, nil // not shown; can be large
			}
		case actionCreate:
			var (
				id      string
				created bool
			)
			id, created, err = c.provisionUser(ctx, rq.user)
			switch {
			case err == nil && created:
				result = "Created user " + rq.user.UserName + " with id " + id + "."
			case err == nil:
				result = "User " + rq.user.UserName + " already existed (id " + id + "): it was updated instead, as " + dialectName(rq.dialect) + " does."
			}
		case actionAddMember, actionRemoveMember:
			add := rq.action == actionAddMember
			var gid, uid string
			gid, uid, err = c.SetMembership(ctx, rq.group, rq.ident, add)
			switch {
			case err == nil && add:
				result = "Added user " + uid + " to group " + rq.group + " (id " + gid + ")."
			case err == nil:
				result = "Removed user " + uid + " from group " + rq.group + " (id " + gid + ")."
			case errors.Is(err, ErrNotFound):
				err = fmt.Errorf("the server has no such user or group: %w", err)
			}
		case actionDeactivate:
			id := rq.ident
			var found Resource
			found, err = c.FindUser(ctx, rq.ident)
			switch {
			case err == nil:
				id = found.ID()
				err = c.DeactivateUser(ctx, id)
			case errors.Is(err, ErrNotFound):
				// Not a userName: try it as the server's id.
				err = c.DeactivateUser(ctx, id)
			}
			if err == nil {
				result = "Deactivated user " + id + "."
			}
		}
		state := runSucceeded
		switch {
		case err != nil && errors.Is(ctx.Err(), context.Canceled):
			state = runCancelled
		case err != nil:
			state = runFailed
		case rep != nil && len(rep.Failures) > 0:
			state = runFailed
		}
		errText := ""
		switch {
		case err == nil:
		case errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded):
			errText = fmt.Sprintf("The run was stopped after %s (UIConfig.RunTimeout): %v", u.cfg.RunTimeout, err)
		default:
			errText = err.Error()
		}
		log, requests := c.Log(), c.Requests()
		u.mu.Lock()
		rn.state = state
		rn.finished = u.now().UTC()
		rn.report = rep
		rn.result = result
		rn.errText = errText
		rn.log = log
		rn.requests = requests
		rn.client = nil // the token goes with the client
		u.mu.Unlock()
		u.log.Info("scimsim: UI run finished", "run", rn.id, "state", state, "requests", requests, "err", err)
	}()
}

func dialectName(d Dialect) string {
	if d == Okta {
		return "Okta"
	}
	return "Microsoft Entra ID"
}

func (u *simUI) newRunID() (string, error) {
	return secret.NewID(u.rand, "run")
}
