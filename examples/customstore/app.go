package main

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/store/sqlitestore"
)

// hostApp is the application: a customer list on its own table, with
// onboardkit's portal mounted.
type hostApp struct {
	store  *sqlitestore.Store
	admin  *admin.Admin
	portal *portal.Portal
	logger *slog.Logger
	page   *template.Template
}

func newHostApp(st *sqlitestore.Store, baseURL string, logger *slog.Logger) (*hostApp, error) {
	svc, err := admin.New(admin.Config{Store: st, PortalURL: baseURL + "/portal", Logger: logger})
	if err != nil {
		return nil, err
	}
	p, err := portal.New(portal.Config{Store: st, Admin: svc, Logger: logger})
	if err != nil {
		return nil, err
	}
	page, err := template.New("customers").Parse(customersHTML)
	if err != nil {
		return nil, err
	}
	return &hostApp{store: st, admin: svc, portal: p, logger: logger, page: page}, nil
}

func (h *hostApp) routes() http.Handler {
	mux := http.NewServeMux()
	csrf := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /{$}", h.customers)
	mux.Handle("POST /customers", csrf.Handler(http.HandlerFunc(h.createCustomer)))
	mux.Handle("POST /customers/{org}/portal-link", csrf.Handler(http.HandlerFunc(h.portalLink)))
	mux.Handle("/portal/", http.StripPrefix("/portal", h.portal))
	return mux
}

// customer is a row of the host's table with its organization's name, read
// with the host's own query.
type customer struct {
	ID    int64
	OrgID string
	Name  string
	Plan  string
}

func (h *hostApp) customers(w http.ResponseWriter, r *http.Request) {
	rows, err := h.store.ReadDB().QueryContext(r.Context(),
		`SELECT c.id, c.org_id, o.name, c.plan FROM customers c JOIN organizations o ON o.id = c.org_id ORDER BY c.id`)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rows.Close()
	var list []customer
	for rows.Next() {
		var c customer
		if err := rows.Scan(&c.ID, &c.OrgID, &c.Name, &c.Plan); err != nil {
			h.fail(w, r, err)
			return
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.page.Execute(w, list); err != nil {
		h.logger.ErrorContext(r.Context(), "rendering customers", "err", err)
	}
}

// createCustomer signs up a customer: onboardkit's admin API creates the
// organization, and the Store's hook writes its customers row, with the
// plan the request's context carries, in the same transaction.
func (h *hostApp) createCustomer(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.FormValue("name"))
	plan := r.FormValue("plan")
	if plan != "team" && plan != "enterprise" {
		plan = "trial"
	}
	_, err := h.admin.CreateOrganization(withPlan(r.Context(), plan), admin.OrganizationInput{Name: name}, "host:signup")
	if err != nil {
		var ae *admin.AdminError
		if errors.As(err, &ae) {
			http.Error(w, ae.Message, http.StatusBadRequest)
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// portalLink sends the operator to a new shareable portal link of the
// customer.
func (h *hostApp) portalLink(w http.ResponseWriter, r *http.Request) {
	link, err := h.admin.GenerateLink(r.Context(), r.PathValue("org"), admin.LinkOptions{}, "host:operator")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, link.URL, http.StatusSeeOther)
}

func (h *hostApp) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.logger.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong.", http.StatusInternalServerError)
}

const customersHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customers</title></head><body>
<h1>Customers</h1>
<table data-testid="customers"><tr><th>#</th><th>Name</th><th>Plan</th><th>Organization</th><th></th></tr>
{{range .}}<tr data-org="{{.OrgID}}"><td>{{.ID}}</td><td>{{.Name}}</td><td data-testid="plan">{{.Plan}}</td><td><code>{{.OrgID}}</code></td>
<td><form method="post" action="/customers/{{.OrgID}}/portal-link"><button type="submit">Open admin portal</button></form></td></tr>
{{else}}<tr><td colspan="5">No customers yet.</td></tr>{{end}}</table>
<h2>New customer</h2>
<form method="post" action="/customers"><label>Name <input name="name" required></label>
<label>Plan <select name="plan"><option>trial</option><option>team</option><option>enterprise</option></select></label>
<button type="submit">Create</button></form>
</body></html>`
