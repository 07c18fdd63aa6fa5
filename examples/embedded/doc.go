// Command embedded is a host application whose settings page embeds the
// onboardkit admin portal in an iframe, the way a SaaS puts "Single sign-on
// and directory sync" inside its own customer settings:
//
//	go run ./examples/embedded
//
// then open http://127.0.0.1:8081/settings. Flags: -addr (default
// 127.0.0.1:8081) and -db (default onboardkit-embedded.db).
//
// Every load of the settings page generates a fresh embedded portal link:
// single-use and valid one minute, so the URL in the page's source is
// worthless to anyone who copies it later. The portal's Content-Security-
// Policy allows framing only by the origins in portal.Config.FrameAncestors,
// here the host's own origin. The page listens to the portal's UI events
// (PORTAL_LOAD_SUCCESS, ORGANIZATION_SSO_ENABLED, PORTAL_SESSION_EXPIRY...)
// with postMessage, checks their origin, and shows them; on
// PORTAL_SESSION_EXPIRY it reloads itself to get a new link.
//
// The host's own sign-in is out of scope: the settings page stands for a
// page behind the host's login, for the customer "Acme Inc".
package main
