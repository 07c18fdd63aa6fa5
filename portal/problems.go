package portal

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// problemsWindow is how far back the "what went wrong" page looks.
const problemsWindow = 7 * 24 * time.Hour

// problemsLimit caps the entries of each list of the page.
const problemsLimit = 100

type problemsData struct {
	ShowSSO, ShowSCIM bool
	Logins, Requests  []problemRow
	Since             stamp
}

// problemRow is one refused sign-in or SCIM request: its reason in words,
// and the fix. It carries nothing secret: the events it comes from never
// hold tokens, assertions or secrets.
type problemRow struct {
	When                                      stamp
	Source, Title, Fix, Reason, Detail, Email string
	Count                                     int
}

// scimRefusalHelp is the headline and the fix of a refused SCIM request,
// by scimkit's reason.
var scimRefusalHelp = map[string][2]string{
	scimkit.RefusalNoToken: {"Requests came without a SCIM token",
		"In your identity provider's provisioning settings, set the token shown when the token was created, as the Bearer token (Authorization header). If it was lost, create a new token in Directory sync."},
	scimkit.RefusalTokenInQuery: {"The token was sent in the URL",
		"Tokens in URLs end up in logs, so they are refused: configure the token as an HTTP header (Bearer token) instead."},
	scimkit.RefusalUnknownToken: {"The token is not one this app issued",
		"It was mistyped, or belongs to a deleted directory. Create a new token in Directory sync and paste it into your identity provider."},
	scimkit.RefusalRevokedToken: {"The token was revoked or has expired",
		"Create a new token in Directory sync and paste it into your identity provider's provisioning settings."},
	scimkit.RefusalOtherDirectory: {"The token belongs to another directory",
		"Each directory has its own endpoint and token: paste this directory's SCIM endpoint URL and its own token together."},
	scimkit.RefusalDirectoryInactive: {"The directory is inactive",
		"Activate the directory in Directory sync, or turn provisioning off in your identity provider."},
}

func (p *Portal) problems(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	now := p.now()
	since := now.Add(-problemsWindow)
	d := problemsData{ShowSSO: s.s.Features.Has(store.FeatureSSO), ShowSCIM: s.s.Features.Has(store.FeatureDirSync), Since: timeStamp("", since)}
	names := map[string]string{}
	if d.ShowSSO {
		conns, err := p.st.ListConnections(ctx, s.org.ID)
		if err != nil {
			p.serverError(w, r, "listing connections", err)
			return
		}
		for i := range conns {
			names[conns[i].ID] = ssoConnName(&conns[i])
		}
		evs, err := p.admin.RecentEvents(ctx, s.org.ID, []string{ssokit.EventLoginFailed}, since, problemsLimit)
		if err != nil {
			p.serverError(w, r, "listing refused sign-ins", err)
			return
		}
		for _, ev := range slices.Backward(evs) {
			le := &ssokit.LoginError{}
			if ev.Type != ssokit.EventLoginFailed || json.Unmarshal(ev.Data, le) != nil {
				continue
			}
			row := problemRow{When: timeStamp("Refused", ev.CreatedAt), Source: ssoSourceName(names, ev.Subject), Reason: string(le.Reason), Detail: le.Detail, Email: le.Email}
			row.Title, row.Fix = ssoDiagnosis(le.Reason)
			d.Logins = append(d.Logins, row)
		}
	}
	if d.ShowSCIM {
		dirs, err := p.st.ListDirectories(ctx, s.org.ID)
		if err != nil {
			p.serverError(w, r, "listing directories", err)
			return
		}
		for _, dir := range dirs {
			names[dir.ID] = dir.Name
		}
		evs, err := p.admin.RecentEvents(ctx, s.org.ID, []string{scimkit.EventRequestRefused}, since, problemsLimit)
		if err != nil {
			p.serverError(w, r, "listing refused SCIM requests", err)
			return
		}
		for _, ev := range slices.Backward(evs) {
			var data struct {
				Reason string `json:"reason"`
				Method string `json:"method"`
				Path   string `json:"path"`
				Count  int    `json:"count"`
			}
			if ev.Type != scimkit.EventRequestRefused || json.Unmarshal(ev.Data, &data) != nil {
				continue
			}
			help, ok := scimRefusalHelp[data.Reason]
			if !ok {
				help = [2]string{"The request was refused", "Check the SCIM endpoint URL and token in your identity provider."}
			}
			d.Requests = append(d.Requests, problemRow{When: timeStamp("Refused", ev.CreatedAt), Source: ssoSourceName(names, ev.Subject),
				Title: help[0], Fix: help[1], Reason: data.Reason, Detail: data.Method + " " + data.Path, Count: max(data.Count, 1)})
		}
	}
	p.render(w, r, http.StatusOK, problemsPage(p.sessionView(r, s, "What went wrong", "/problems"), d))
}

// ssoSourceName names the connection or directory of an event, or says it
// was deleted.
func ssoSourceName(names map[string]string, id string) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	if _, ok := names[id]; ok {
		return "Unnamed"
	}
	return "A deleted connection or directory"
}
