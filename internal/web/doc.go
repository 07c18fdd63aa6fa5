// Package web holds the web plumbing that onboardkit's pages share: the
// IT-admin portal (package portal) and the operator dashboard (package
// dashboard). It parses and checks the URL a surface is mounted at, builds
// the strict Content-Security-Policy and the security headers of every
// response, checks that a state-changing request comes from the surface's
// own origin, renders templ components buffered, serves the embedded
// stylesheet and scripts, and turns a brand's accent colour into a
// stylesheet with readable text colours.
//
// It is internal: its API follows the needs of those two packages.
package web

//go:generate go tool templ generate -include-version=false
