package scimsim

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/internal/devui"
)

// uiPage is what every page template reads.
type uiPage struct {
	devui.Chrome
	CSRF string

	// home
	Targets        []targetView
	TargetsError   bool
	Form           formView
	FormError      string
	Runs           []runView
	MaxRuns        int
	MaxUsers       int
	MaxGroups      int
	MaxConcurrency int

	// run
	Run       *runView
	Log       *logView
	MaxRunLog int

	// error
	Error string
}

type targetView struct{ Name, BaseURL string }

type logView struct {
	Exchanges             []Exchange
	From, To, Total, Kept int
	Page, Pages           int
	Problems              bool
}

var uiFuncs = template.FuncMap{
	"pretty":   prettyBody,
	"when":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"dur":      formatDuration,
	"dialect":  dialectName,
	"problem":  isProblem,
	"ok":       func(status int) bool { return status >= 200 && status <= 299 },
	"headers":  headerLines,
	"add":      func(a, b int) int { return a + b },
	"progress": progressText,
	"join":     strings.Join,
}

// prettyBody indents a JSON body; anything else is shown as it came. The
// template escapes the result.
func prettyBody(s string) string {
	if s == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	sort.Strings(out)
	return out
}

func progressText(v *runView) string {
	s := "Running"
	if p := v.Progress; p.Phase != "" {
		s += ": " + p.Phase
		if p.Total > 0 {
			s += " " + strconv.Itoa(p.Done) + " of " + strconv.Itoa(p.Total)
		}
	}
	return s + " · " + strconv.Itoa(v.Requests) + " requests sent"
}

const uiHomeTmpl = `{{define "content"}}
<h1>Directory simulator</h1>
<p class="muted">Provisions test users and groups into a SCIM 2.0 endpoint request for request the way Okta and Microsoft Entra ID do, and shows every request with the server's answer. It is a development tool: runs live in this process's memory (the last {{.MaxRuns}}) and are lost on restart.</p>
{{if .FormError}}<div class="error" role="alert" data-testid="form-error">{{.FormError}}</div>{{end}}

<h2 id="directories">Directories</h2>
{{if .TargetsError}}<p class="notice" data-testid="targets-error">The application's list of directories could not be read; see its log. Directories configured at start are still listed.</p>{{end}}
{{if .Targets}}<table data-testid="targets">
<caption class="muted">Directories the application configured for this simulator</caption>
<thead><tr><th scope="col">Name</th><th scope="col">SCIM base URL</th></tr></thead>
<tbody>{{range .Targets}}<tr data-testid="target"><td>{{.Name}}</td><td><code>{{.BaseURL}}</code></td></tr>{{end}}</tbody>
</table>{{else}}<p class="muted" data-testid="no-targets">No directory is configured: enter a SCIM base URL and bearer token below.</p>{{end}}

<h2 id="run">New run</h2>
<form method="post" action="runs" data-testid="run-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<fieldset>
<legend>Directory</legend>
{{if .Targets}}<label for="target">Directory</label>
<select id="target" name="target" data-testid="target-select">
<option value="">The SCIM base URL and token typed below</option>
{{range .Targets}}<option value="{{.Name}}"{{if eq .Name $.Form.Target}} selected{{end}}>{{.Name}}</option>{{end}}
</select>{{end}}
<div class="row">
<div><label for="base_url">SCIM base URL</label>
<input type="url" id="base_url" name="base_url" value="{{.Form.BaseURL}}" placeholder="https://app.example.com/scim/dir_123" autocomplete="off" spellcheck="false"></div>
<div><label for="token">Bearer token</label>
<input type="password" id="token" name="token" value="" autocomplete="off" spellcheck="false" aria-describedby="token-help"></div>
</div>
<p class="muted" id="token-help">{{if .Targets}}Used when no directory is chosen above. {{end}}The token is kept on the server for the run only and is never shown again: enter it for every run.</p>
</fieldset>

<fieldset>
<legend>Identity provider to imitate</legend>
<label class="inline"><input type="radio" name="dialect" value="okta"{{if eq .Form.Dialect "okta"}} checked{{end}} data-testid="dialect-okta"> Okta</label>
<label class="inline"><input type="radio" name="dialect" value="entra"{{if eq .Form.Dialect "entra"}} checked{{end}} data-testid="dialect-entra"> Microsoft Entra ID</label>
</fieldset>

<fieldset>
<legend>Test the connection</legend>
<p class="muted">Okta lists two users and the groups; Entra ID filters on a random userName and expects an empty <code>Resources</code> array.</p>
<button type="submit" name="action" value="test" data-testid="run-test">Test connection</button>
</fieldset>

<fieldset>
<legend>Full sync</legend>
<p class="muted">Generates a directory (user0001@domain, ...) and pushes it in the provider's order: connection test, users and managers, groups, members; then the changes below. At most {{.MaxUsers}} users and {{.MaxGroups}} groups.</p>
<div class="row3">
<div><label for="users">Users</label><input type="number" id="users" name="users" min="0" max="{{.MaxUsers}}" value="{{.Form.Users}}"></div>
<div><label for="groups">Groups</label><input type="number" id="groups" name="groups" min="0" max="{{.MaxGroups}}" value="{{.Form.Groups}}"></div>
<div><label for="domain">Domain</label><input type="text" id="domain" name="domain" value="{{.Form.Domain}}" autocomplete="off"></div>
<div><label for="updates">Profile updates</label><input type="number" id="updates" name="updates" min="0" value="{{.Form.Updates}}"></div>
<div><label for="removals">Membership removals</label><input type="number" id="removals" name="removals" min="0" value="{{.Form.Removals}}"></div>
<div><label for="deactivations">Deactivations</label><input type="number" id="deactivations" name="deactivations" min="0" value="{{.Form.Deactivations}}"></div>
<div><label for="deletions">Deletions (Entra ID only)</label><input type="number" id="deletions" name="deletions" min="0" value="{{.Form.Deletions}}"></div>
<div><label for="seed">Seed</label><input type="number" id="seed" name="seed" min="0" value="{{.Form.Seed}}"></div>
<div><label for="concurrency">Parallel requests</label><input type="number" id="concurrency" name="concurrency" min="1" max="{{.MaxConcurrency}}" value="{{.Form.Concurrency}}"></div>
</div>
<button type="submit" name="action" value="sync" data-testid="run-sync">Run full sync</button>
</fieldset>

<fieldset>
<legend>Create a user</legend>
<p class="muted">Looks the userName up first, as both providers do, and updates the user instead when the server already has it.</p>
<div class="row">
<div><label for="user_name">userName</label><input type="text" id="user_name" name="user_name" value="{{.Form.UserName}}" autocomplete="off" spellcheck="false"></div>
<div><label for="email">Work email (default: the userName)</label><input type="email" id="email" name="email" value="{{.Form.Email}}" autocomplete="off"></div>
<div><label for="given_name">Given name</label><input type="text" id="given_name" name="given_name" value="{{.Form.GivenName}}" autocomplete="off"></div>
<div><label for="family_name">Family name</label><input type="text" id="family_name" name="family_name" value="{{.Form.FamilyName}}" autocomplete="off"></div>
<div><label for="title">Title</label><input type="text" id="title" name="title" value="{{.Form.Title}}" autocomplete="off"></div>
<div><label for="department">Department</label><input type="text" id="department" name="department" value="{{.Form.Department}}" autocomplete="off"></div>
</div>
{{if .Form.Ext}}<p class="muted">Attributes of schema extensions, sent under their schema's URN (empty ones are not sent):</p>
<div class="row">{{range .Form.Ext}}
<div><label for="{{.ID}}">{{.Label}} <span class="muted">({{.Type}})</span></label>{{if eq .Type "boolean"}}<select id="{{.ID}}" name="{{.ID}}" data-testid="ext-field" data-schema="{{.Schema}}"><option value=""{{if eq .Value ""}} selected{{end}}>(not sent)</option><option value="true"{{if eq .Value "true"}} selected{{end}}>true</option><option value="false"{{if eq .Value "false"}} selected{{end}}>false</option></select>{{else}}<input type="{{if eq .Type "integer"}}number{{else}}text{{end}}" id="{{.ID}}" name="{{.ID}}" value="{{.Value}}" autocomplete="off" data-testid="ext-field" data-schema="{{.Schema}}"{{if eq .Type "string_list"}} placeholder="comma, separated"{{end}}>{{end}}</div>{{end}}
</div>{{end}}
<button type="submit" name="action" value="create" data-testid="run-create">Create user</button>
</fieldset>

<fieldset>
<legend>Deactivate a user</legend>
<p class="muted">Okta sends a path-less <code>replace</code> of <code>active</code>; Entra ID replaces <code>active</code> with the string <code>"False"</code>.</p>
<label for="ident">userName or SCIM id</label>
<input type="text" id="ident" name="ident" value="{{.Form.Ident}}" autocomplete="off" spellcheck="false">
<button type="submit" name="action" value="deactivate" data-testid="run-deactivate">Deactivate user</button>
</fieldset>

<fieldset>
<legend>Group membership</legend>
<p class="muted">Assigns a user to a group the way the provider pushes it, creating the group when the server has none of that name (Okta: <code>add</code> with <code>display</code>, removal by <code>members[value eq "id"]</code>; Entra ID: <code>Add</code>, <code>Remove</code> with a value list). Map the group to a role in the portal to see the member's role change.</p>
<div class="row">
<div><label for="group">Group name</label><input type="text" id="group" name="group" value="{{.Form.Group}}" autocomplete="off" spellcheck="false"></div>
<div><label for="member">Member's userName</label><input type="text" id="member" name="member" value="{{.Form.Member}}" autocomplete="off" spellcheck="false"></div>
</div>
<button type="submit" name="action" value="add_member" data-testid="run-add-member">Add to group</button>
<button type="submit" name="action" value="remove_member" data-testid="run-remove-member">Remove from group</button>
</fieldset>
</form>

<h2 id="runs">Recent runs</h2>
{{if .Runs}}<table data-testid="runs">
<thead><tr><th scope="col">Started</th><th scope="col">Run</th><th scope="col">Directory</th><th scope="col">Provider</th><th scope="col">State</th></tr></thead>
<tbody>{{range .Runs}}<tr data-testid="run-row"><td>{{when .Started}}</td><td><a href="runs/{{.ID}}">{{.What}}</a></td><td>{{if .Target}}{{.Target}}{{else}}<code>{{.BaseURL}}</code>{{end}}</td><td>{{dialect .Dialect}}</td><td>{{template "state" .State}}</td></tr>{{end}}</tbody>
</table>{{else}}<p class="muted">No run yet.</p>{{end}}
{{end}}`

const uiStateTmpl = `{{define "state"}}{{if eq . "succeeded"}}<span class="ok">succeeded</span>{{else if eq . "running"}}<span class="warn">running</span>{{else}}<span class="bad">{{.}}</span>{{end}}{{end}}`

const uiRunTmpl = `{{define "content"}}{{with .Run}}
<h1>{{.What}}</h1>
<p><a href="../">Back to the simulator</a></p>
<table class="kv" data-testid="run-summary">
<caption class="muted">Run {{.ID}}</caption>
<tbody>
<tr><th scope="row">Directory</th><td>{{if .Target}}{{.Target}}{{else}}typed in by hand{{end}}</td></tr>
<tr><th scope="row">SCIM base URL</th><td><code>{{.BaseURL}}</code></td></tr>
<tr><th scope="row">Identity provider imitated</th><td data-testid="run-dialect">{{dialect .Dialect}}</td></tr>
<tr><th scope="row">Started</th><td>{{when .Started}}</td></tr>
{{if not .Finished.IsZero}}<tr><th scope="row">Finished</th><td>{{when .Finished}}</td></tr>{{end}}
<tr><th scope="row">State</th><td data-testid="run-state">{{template "state" .State}}</td></tr>
<tr><th scope="row">Requests sent</th><td data-testid="run-requests">{{.Requests}}</td></tr>
</tbody>
</table>
{{if eq .State "running"}}
<p id="progress" role="status" aria-live="polite" data-testid="run-progress" data-status-url="{{.ID}}/status">{{progress .}}</p>
<noscript><p>Reload this page to follow the run.</p></noscript>
<form method="post" action="{{.ID}}/cancel" data-testid="cancel-form">
<input type="hidden" name="csrf" value="{{$.CSRF}}">
<button type="submit" class="secondary">Cancel the run</button>
</form>
<script src="../static/refresh.js"></script>
{{end}}
{{if .Err}}<div class="error" role="alert" data-testid="run-error"><p>{{.Err}}</p></div>{{end}}
{{if .Result}}<p class="ok" data-testid="run-result">{{.Result}}</p>{{end}}
{{with .Report}}
<h2>Sync report</h2>
<table class="kv" data-testid="sync-report">
<tbody>
<tr><th scope="row">Users created</th><td data-testid="users-created">{{.UsersCreated}}</td></tr>
<tr><th scope="row">Users matched (already there, updated)</th><td data-testid="users-matched">{{.UsersMatched}}</td></tr>
<tr><th scope="row">Users updated</th><td>{{.UsersUpdated}}</td></tr>
<tr><th scope="row">Users deactivated</th><td>{{.UsersDeactivated}}</td></tr>
<tr><th scope="row">Users deleted</th><td>{{.UsersDeleted}}</td></tr>
<tr><th scope="row">Groups created</th><td data-testid="groups-created">{{.GroupsCreated}}</td></tr>
<tr><th scope="row">Groups matched</th><td>{{.GroupsMatched}}</td></tr>
<tr><th scope="row">Members added</th><td data-testid="members-added">{{.MembersAdded}}</td></tr>
<tr><th scope="row">Members removed</th><td>{{.MembersRemoved}}</td></tr>
<tr><th scope="row">Requests</th><td>{{.Requests}}</td></tr>
<tr><th scope="row">Failures</th><td data-testid="failure-count">{{len .Failures}}</td></tr>
</tbody>
</table>
{{if .Failures}}<h3>Failures</h3>
<ol data-testid="failures">{{range .Failures}}<li><strong>{{.Step}}</strong>: {{.Err}}</li>{{end}}</ol>{{end}}
{{end}}
{{end}}
{{with .Log}}
<h2 id="log">Exchange log</h2>
<p class="muted" data-testid="log-summary">{{if .Total}}Exchanges {{.From}}–{{.To}} of {{.Total}}{{if .Problems}} with a problem{{end}}.{{else}}No exchange{{if .Problems}} with a problem{{end}}.{{end}} The run keeps its last {{$.MaxRunLog}} exchanges; bodies are clipped to 16 KiB, passwords redacted, and the bearer token is never recorded.</p>
<p>{{if .Problems}}<a href="?">Show all exchanges</a>{{else}}<a href="?only=problems">Show only errors and notes</a>{{end}} · <a href="{{$.Run.ID}}/log.json" data-testid="log-json">Download the log as JSON</a></p>
{{range .Exchanges}}
<section class="exchange" data-testid="exchange" aria-labelledby="ex-{{.Seq}}">
<h3 id="ex-{{.Seq}}">#{{.Seq}} <span data-testid="ex-method">{{.Method}}</span> <code data-testid="ex-path">{{.Path}}</code> → <span data-testid="ex-status" class="{{if ok .Status}}ok{{else}}bad{{end}}">{{if .Status}}{{.Status}}{{else}}no answer{{end}}</span> <span class="muted">in {{dur .Duration}}</span></h3>
<p class="muted">{{.Step}}{{if .Truncated}} · a body was clipped{{end}}</p>
{{if .Err}}<p class="bad" data-testid="ex-error">{{.Err}}</p>{{end}}
{{if .Notes}}<ul data-testid="ex-notes">{{range .Notes}}<li class="warn">{{.}}</li>{{end}}</ul>{{end}}
{{if .RequestBody}}<details><summary>Request body{{if .RequestType}} ({{.RequestType}}){{end}}</summary>
<pre data-testid="request-body">{{pretty .RequestBody}}</pre></details>{{end}}
<details{{if problem .}} open{{end}}><summary>Response{{if .ResponseType}} ({{.ResponseType}}){{end}}</summary>
{{with headers .ResponseHeaders}}<pre data-testid="response-headers">{{join . "\n"}}</pre>{{end}}
{{if .ResponseBody}}<pre data-testid="response-body">{{pretty .ResponseBody}}</pre>{{else}}<p class="muted">No body.</p>{{end}}
</details>
</section>
{{end}}
{{if gt .Pages 1}}<nav class="pager" aria-label="Exchange log pages">
{{if gt .Page 1}}<a href="?page={{add .Page -1}}{{if .Problems}}&amp;only=problems{{end}}" rel="prev">Previous page</a>{{end}}
<span>Page {{.Page}} of {{.Pages}}</span>
{{if lt .Page .Pages}}<a href="?page={{add .Page 1}}{{if .Problems}}&amp;only=problems{{end}}" rel="next" data-testid="next-page">Next page</a>{{end}}
</nav>{{end}}
{{end}}
{{end}}`

const uiErrorTmpl = `{{define "content"}}
<h1>The simulator refused this request</h1>
<p class="error" role="alert" data-testid="error">{{.Error}}</p>
<p><a href="{{.HomeURL}}">Back to the simulator</a></p>
{{end}}`

// uiPages are parsed once; templates are immutable after parsing.
var uiPages = map[string]*template.Template{
	"home":  template.Must(devui.Parse(uiFuncs, uiStateTmpl, uiHomeTmpl)),
	"run":   template.Must(devui.Parse(uiFuncs, uiStateTmpl, uiRunTmpl)),
	"error": template.Must(devui.Parse(uiFuncs, uiErrorTmpl)),
}
