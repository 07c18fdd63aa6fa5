package ssokit

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// endSessions ends the active sessions t names, only ever within t's
// connection (and so its organization): a SAML LogoutRequest's NameID,
// narrowed to its SessionIndex values when it has any; an OIDC
// logout_token's sub and/or sid. Each session ended gets a session.ended
// event with reason idp_logout, written by the Store with the end.
func (s *SSO) endSessions(ctx context.Context, t logoutTarget, now time.Time) (int, error) {
	base := store.SessionSelector{OrgID: t.conn.OrgID, ConnectionID: t.conn.ID}
	end := store.SessionEnd{Reason: store.SessionEndedIdPLogout, Actor: "idp", At: now}
	var sels []store.SessionSelector
	switch {
	case t.nameID != "" && len(t.sessionIndexes) == 0:
		sel := base
		sel.NameID = t.nameID
		sels = append(sels, sel)
	case t.nameID != "":
		for _, si := range t.sessionIndexes {
			sel := base
			sel.NameID, sel.SessionIndex = t.nameID, si
			sels = append(sels, sel)
		}
	case t.subject != "" || t.sid != "":
		sel := base
		sel.Subject, sel.SID = t.subject, t.sid
		sels = append(sels, sel)
	default:
		return 0, nil // nothing named: end nothing
	}
	total := 0
	for _, sel := range sels {
		n, err := s.st.EndSessions(ctx, sel, end)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
