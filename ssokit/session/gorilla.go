package session

import (
	"net/http"

	"github.com/gorilla/sessions"

	"github.com/onboardkit/onboardkit/ssokit"
	"github.com/onboardkit/onboardkit/store"
)

// ProfileKey is the key of the *ssokit.Profile in the Values of a gorilla
// session that the Manager, as a sessions.Store, returns or saves.
const ProfileKey = "profile"

var _ sessions.Store = (*Manager)(nil)

// Get returns the session of name (the cookie name) for r, cached in the
// request's gorilla registry. See New.
func (m *Manager) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(m, name)
}

// New returns the session r carries: when its cookie names an active
// session, IsNew is false, ID is the stored session's id and
// Values[ProfileKey] its *ssokit.Profile; otherwise an empty new session.
// The Manager keeps only the verified profile: other Values are not
// stored.
func (m *Manager) New(r *http.Request, name string) (*sessions.Session, error) {
	gs := sessions.NewSession(m, name)
	gs.IsNew = true
	gs.Options = m.options()
	if name != m.name {
		return gs, nil
	}
	if e, ok, _ := m.lookup(r); ok {
		gs.IsNew = false
		gs.ID = e.s.ID
		p := *e.profile
		gs.Values[ProfileKey] = &p
	}
	return gs, nil
}

// Save starts a session when gs is new and holds a *ssokit.Profile under
// ProfileKey (as Start does), and ends the request's session when
// gs.Options.MaxAge is negative (as End does, reason "logout"). Saving an
// existing session changes nothing: its profile is what the login
// verified.
func (m *Manager) Save(r *http.Request, w http.ResponseWriter, gs *sessions.Session) error {
	if gs.Options != nil && gs.Options.MaxAge < 0 {
		_, err := m.End(w, r, store.SessionEndedLogout)
		return err
	}
	if !gs.IsNew {
		return nil
	}
	p, ok := gs.Values[ProfileKey].(*ssokit.Profile)
	if !ok {
		return nil
	}
	s, err := m.Start(w, r, p)
	if err != nil {
		return err
	}
	gs.ID, gs.IsNew = s.ID, false
	return nil
}

func (m *Manager) options() *sessions.Options {
	return &sessions.Options{
		Path: "/", MaxAge: int(m.cfg.AbsoluteTimeout.Seconds()),
		HttpOnly: true, Secure: !m.cfg.InsecureCookies, SameSite: http.SameSiteLaxMode,
	}
}
