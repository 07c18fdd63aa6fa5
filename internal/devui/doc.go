// Package devui holds what the pages of onboardkit's development simulators
// (the identity provider simulator and the directory simulator) share: the
// development banner and page chrome, the stylesheet, the host's branding
// validated into a theme, strict security headers and CSRF protection.
//
// Every page it renders carries a loud banner saying it is a development
// tool, is sent with Content-Security-Policy default-src 'self' (no inline
// script or style, no third-party asset; only the host's logo origin is
// added to img-src), frame-ancestors 'none', Cache-Control no-store,
// Referrer-Policy strict-origin and X-Robots-Tag noindex. The referrer
// policy sends no path or query to any site, yet keeps the Origin header
// on the pages' own form posts, which the CSRF check compares with the
// host (no-referrer would make browsers send "Origin: null").
//
// A simulator builds a Theme once from its Config's branding, parses its
// page templates with Parse (each page defines a "content" template; the
// shared "layout" wraps it), renders them with Render, serves style.css and
// theme.css with Theme.ServeAsset, and protects its forms with CSRF:
//
//	theme, err := devui.NewTheme(devui.ThemeConfig{Branding: b, DefaultName: "Directory simulator", FormActionSelf: true})
//	page := template.Must(devui.Parse(nil, contentTmpl))
//	csrf, err := devui.NewCSRF(rand, "myui_csrf")
//	// GET:  tok, err := csrf.Token(w, r); devui.Render(w, page, theme, 200, data)
//	// POST: r.ParseForm(); if err := csrf.Verify(r); err != nil { 403 }
//
// The package is internal: the simulators re-export what their users set
// (their own Branding types) and keep their own routes.
package devui
