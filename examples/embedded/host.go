package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/portal"
	"github.com/onboardkit/onboardkit/scimkit"
	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// customerExternalID is the host's own id of the customer whose settings
// page this example shows.
const customerExternalID = "cus_acme"

// hostConfig is what the host application is built from.
type hostConfig struct {
	Store  store.Store
	Origin string // the host's origin, "http://127.0.0.1:8081"
	Logger *slog.Logger
}

// host is the host application: a settings page that embeds the portal.
type host struct {
	sso     *ssokit.SSO
	domains *domains.Service
	scim    *scimkit.Server
	admin   *admin.Admin
	portal  *portal.Portal
	orgID   string
	logger  *slog.Logger
	page    *template.Template
}

func newHost(ctx context.Context, cfg hostConfig) (*host, error) {
	ds, err := domains.New(domains.Config{Store: cfg.Store, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	// The kits the portal sets up connections and directories with.
	sso, err := ssokit.New(ssokit.Config{
		Store:   cfg.Store,
		BaseURL: cfg.Origin + "/sso",
		OnLogin: func(w http.ResponseWriter, r *http.Request, p *ssokit.Profile) {
			// The host signs the user in here (keyed by p.ID).
			http.Redirect(w, r, p.ReturnTo, http.StatusSeeOther)
		},
		Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	scim, err := scimkit.New(scimkit.Config{Store: cfg.Store, BaseURL: cfg.Origin + "/scim", Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	svc, err := admin.New(admin.Config{
		Store:     cfg.Store,
		PortalURL: cfg.Origin + "/portal",
		// Enabling and disabling connections and directories follows the
		// kits' rules (a connection is tested before it is active).
		Connections: sso,
		Directories: scim,
		Domains:     ds,
		Branding:    admin.Branding{ProductName: "Acme Cloud", AccentColor: "#b45309"},
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	p, err := portal.New(portal.Config{
		Store: cfg.Store,
		Admin: svc,
		SSO:   sso,
		SCIM:  scim,
		// The settings page frames the portal: its origin must be listed,
		// else the portal answers with frame-ancestors 'none'.
		FrameAncestors: []string{cfg.Origin},
		Logger:         cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("portal: %w", err)
	}
	org, err := customerOrganization(ctx, cfg.Store, svc, ds)
	if err != nil {
		return nil, fmt.Errorf("setting up the customer: %w", err)
	}
	page, err := template.New("settings").Parse(settingsHTML)
	if err != nil {
		return nil, err
	}
	return &host{sso: sso, domains: ds, scim: scim, admin: svc, portal: p, orgID: org.ID, logger: cfg.Logger, page: page}, nil
}

// customerOrganization finds the organization of the host's customer, or
// creates it with a domain waiting for its DNS record, so that the portal
// has something to show.
func customerOrganization(ctx context.Context, st store.Store, svc *admin.Admin, ds *domains.Service) (*store.Organization, error) {
	org, err := st.GetOrganizationByExternalID(ctx, customerExternalID)
	if !errors.Is(err, store.ErrNotFound) {
		return org, err
	}
	org, err = svc.CreateOrganization(ctx, admin.OrganizationInput{Name: "Acme Inc", ExternalID: customerExternalID}, "system")
	if err != nil {
		return nil, err
	}
	if _, err := ds.Add(ctx, org.ID, "acme.example", store.DomainDNSTXT, "system"); err != nil {
		return nil, err
	}
	return org, nil
}

func (h *host) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/settings", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /settings", h.settings)
	mux.HandleFunc("GET /settings.js", serveSettingsJS)
	mux.Handle("/portal/", http.StripPrefix("/portal", h.portal))
	mux.Handle("/sso/", http.StripPrefix("/sso", h.sso))
	mux.Handle("/scim/", http.StripPrefix("/scim", h.scim))
	return mux
}

// settings renders the settings page with a fresh, single-use embedded
// link: one per page load, never cached.
func (h *host) settings(w http.ResponseWriter, r *http.Request) {
	// A real host records its signed-in user as the actor.
	link, err := h.admin.GenerateLink(r.Context(), h.orgID, admin.LinkOptions{Embedded: true}, "host:settings-page")
	if err != nil {
		h.logger.ErrorContext(r.Context(), "embedded: generating a portal link", "err", err)
		http.Error(w, "The settings are unavailable right now.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := h.page.Execute(&buf, link); err != nil {
		h.logger.ErrorContext(r.Context(), "embedded: rendering settings", "err", err)
		http.Error(w, "The settings are unavailable right now.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The link is single-use: a cached page would hold a spent link.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	buf.WriteTo(w)
}

func serveSettingsJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write([]byte(settingsJS))
}

const settingsHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Settings · Acme Cloud</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem;color:#1f2937}
iframe{border:1px solid #e5e7eb;border-radius:.5rem;width:100%}
#portal-events{font:13px/1.4 ui-monospace,monospace;background:#f9fafb;padding:.5rem 1.5rem;max-height:12rem;overflow:auto}
</style>
<script src="/settings.js" defer></script>
</head><body>
<h1>Settings</h1>
<h2>Single sign-on and directory sync</h2>
<p>Set up SSO and user provisioning for your organization. This panel is valid for one visit; reload the page for a new one.</p>
<iframe id="portal" src="{{.URL}}" title="Admin portal" width="100%" height="600" allow="clipboard-write" data-testid="portal-frame"></iframe>
<h2>Portal events</h2>
<p>Messages the portal posted to this page:</p>
<ul id="portal-events" data-testid="portal-events"></ul>
</body></html>`

// settingsJS listens to the portal's UI events. It accepts messages only
// from the portal's origin and from the iframe itself.
const settingsJS = `"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const frame = document.getElementById("portal");
  const portalOrigin = new URL(frame.src).origin;
  const list = document.getElementById("portal-events");
  window.addEventListener("message", (event) => {
    if (event.origin !== portalOrigin || event.source !== frame.contentWindow) return;
    const msg = event.data || {};
    if (typeof msg.type !== "string") return;
    const item = document.createElement("li");
    item.dataset.type = msg.type;
    item.textContent = new Date().toLocaleTimeString() + "  " + msg.type + "  " + JSON.stringify(msg.data || {});
    list.prepend(item);
    if (msg.type === "PORTAL_SESSION_EXPIRY") {
      // The session is over: a reload generates a new link.
      window.location.reload();
    }
  });
});
`
