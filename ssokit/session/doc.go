// Package session gives a host application end-user sessions for the
// users ssokit signs in, built on github.com/gorilla/sessions, that end
// when their access ends: on every app instance, within Config.CacheTTL.
//
// # Mounting
//
//	sess, err := session.New(session.Config{
//		Store:    st,            // the onboardkit Store, shared by every instance
//		LoginURL: "/sso/start",  // RequireLogin sends browsers here
//	})
//	if err != nil {
//		return err
//	}
//	sso, err := ssokit.New(ssokit.Config{
//		Store:   st,
//		BaseURL: "https://app.example.com/sso",
//		OnLogin: sess.OnLogin, // starts the session, redirects to ReturnTo
//	})
//	if err != nil {
//		return err
//	}
//	mux.Handle("/sso/", http.StripPrefix("/sso", sso))
//	mux.Handle("POST /logout", sess.Logout())
//	mux.Handle("/app/", sess.RequireLogin(app))
//
// and in a handler behind RequireLogin:
//
//	p, _ := session.ProfileFromContext(r.Context())
//	fmt.Fprintf(w, "Hello %s", p.Email)
//
// A logout form posts the token of CSRFToken:
//
//	<form method="post" action="/logout">
//	  <input type="hidden" name="csrf_token" value="{{.CSRF}}">
//	  <button>Sign out</button>
//	</form>
//
// # Flow
//
//  1. ssokit verifies a login and calls OnLogin (or the host calls Start
//     from its own OnLogin). Start ends the session the browser held, if
//     any, draws a new 256-bit random session id, stores a store.Session
//     with the id's SHA-256 digest, the profile, the directory user, the
//     SAML NameID and SessionIndex or the OIDC sid, an idle and an
//     absolute expiry, appends a session.started event, and sets the
//     cookie.
//  2. RequireLogin reads the cookie, finds the session (from the
//     instance's cache when it was read less than CacheTTL ago, else from
//     the Store: one indexed read by digest), checks that it has not ended
//     or expired and that it belongs to the organization the route pins
//     (Config.Org), and passes the profile on in the request's context. An
//     instance writes the moved idle expiry at most once per
//     min(IdleTimeout/10, 1 minute) per session: a warm request reads and
//     writes nothing.
//  3. The session ends at its idle or absolute expiry, at Logout, or when
//     the Store ends it: a SCIM deactivation or deletion of the user, the
//     connection deactivated or deleted, the email's domain no longer
//     verified, the organization deleted, or an operator's or IT admin's
//     "sign out" (EndUserSessions, EndOrganizationSessions). Each of those
//     writes ends the sessions it concerns in its own transaction, with a
//     session.ended event per session (see store.SessionStore). Every
//     instance refuses the session at its first request more than
//     CacheTTL after it last read it.
//
// # Security model
//
//   - The cookie carries only the random id (or, with Config.Cookies, a
//     host's gorilla session carries it): the Store holds its digest, so a
//     database dump yields no usable session, and a tampered or guessed
//     cookie names no session (it is deleted).
//   - Cookies are HttpOnly, SameSite=Lax, Secure, and named with the
//     __Host- prefix (no Domain, Path /), unless InsecureCookies is set for
//     plain-http development.
//   - Every login draws a new id: an id planted in a browser before the
//     login (session fixation) is ended, not promoted.
//   - Logout is a POST only (a GET never logs out: link prefetchers would),
//     refused across origins (http.CrossOriginProtection) and without the
//     session's CSRF token.
//   - With Config.Org, a session of organization A is never accepted for
//     organization B's routes.
//   - return_to is kept to same-origin paths (ssokit.SanitizeReturnTo).
//   - Revocation reaches every instance within CacheTTL (default 1
//     second): that is the price of a warm request that reads nothing.
//
// # Gorilla sessions
//
// Manager implements sessions.Store: Get and New return a session whose
// Values[ProfileKey] is the signed-in *ssokit.Profile, and saving a new
// session holding a profile starts it (as Start does), saving one with
// Options.MaxAge < 0 ends it. With Config.Cookies set to a host's own
// sessions.Store (a sessions.CookieStore, say), the session id lives in
// the host's session beside its own values, and the Store still decides
// whether the session is active, cached for at most CacheTTL.
package session
