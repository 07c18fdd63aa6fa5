package ssokit

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/onboardkit/onboardkit/store"
)

// metadataLease is the Store lease that makes one app instance at a time
// refresh metadata.
const metadataLease = "ssokit.metadata-refresh"

// FetchMetadata downloads and parses IdP metadata from url, with the
// guarded HTTP client (https only, no private addresses unless
// InsecureAllowPrivateNetworks) and the MaxResponseSize limit. It returns
// the parsed metadata and the raw document to store in
// SAMLConfig.MetadataXML.
func (s *SSO) FetchMetadata(ctx context.Context, metadataURL, entityID string) (*IdPMetadata, []byte, error) {
	if err := checkIdPURL(metadataURL, s.cfg.InsecureAllowPrivateNetworks); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ssokit: fetching metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("ssokit: fetching metadata: HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("ssokit: reading metadata: %w", err)
	}
	md, err := ParseIdPMetadata(body, entityID, s.cfg.MaxResponseSize, s.cfg.InsecureAllowPrivateNetworks)
	if err != nil {
		return nil, nil, err
	}
	return md, body, nil
}

// RefreshMetadata fetches the metadata URL of a SAML connection and stores
// the document when it changed, so that an IdP's certificate rotation is
// picked up. The update and its sso.connection.metadata_refreshed event are
// one Store write.
func (s *SSO) RefreshMetadata(ctx context.Context, connectionID string) error {
	conn, err := s.getConnection(ctx, connectionID)
	if err != nil {
		return err
	}
	if conn.Protocol != store.ProtocolSAML || conn.SAML == nil || conn.SAML.MetadataURL == "" {
		return fmt.Errorf("%w: connection has no metadata URL", ErrBadConnection)
	}
	md, body, err := s.FetchMetadata(ctx, conn.SAML.MetadataURL, conn.SAML.IdPEntityID)
	if err != nil {
		ev, evErr := s.event(EventMetadataRefreshFailed, conn.OrgID, conn.ID, "system", map[string]any{"error": truncate(err.Error(), 300)})
		if evErr == nil {
			_, _ = s.st.AppendEvents(ctx, ev)
		}
		return err
	}
	now := s.now().UTC()
	_, err = s.st.UpdateConnection(ctx, conn.ID, func(c *store.Connection) ([]store.Event, error) {
		if c.SAML == nil {
			return nil, fmt.Errorf("%w: not a SAML connection", ErrBadConnection)
		}
		changed := c.SAML.MetadataXML != string(body)
		c.SAML.MetadataFetchedAt = now
		if !changed {
			return nil, nil
		}
		c.SAML.MetadataXML = string(body)
		c.UpdatedAt = now
		var tps []string
		for _, crt := range md.Certificates {
			tps = append(tps, thumbprint(crt))
		}
		ev, err := s.event(EventMetadataRefreshed, c.OrgID, c.ID, "system", map[string]any{
			"entity_id": md.EntityID, "certificate_thumbprints": tps,
		})
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
	return err
}

// RefreshAll refreshes every SAML connection's metadata URL and reports
// IdP certificates that expire soon, if this instance holds the refresh
// lease. It returns the first error, after trying every connection.
func (s *SSO) RefreshAll(ctx context.Context, holder string) error {
	now := s.now().UTC()
	ok, err := s.st.AcquireLease(ctx, metadataLease, holder, now, now.Add(s.cfg.MetadataRefreshInterval))
	if err != nil || !ok {
		return err
	}
	conns, err := s.st.ListConnectionsByProtocol(ctx, store.ProtocolSAML)
	if err != nil {
		return err
	}
	var first error
	for i := range conns {
		c := &conns[i]
		if c.SAML == nil || c.State == store.ConnectionInactive {
			continue
		}
		if c.SAML.MetadataURL != "" {
			if err := s.RefreshMetadata(ctx, c.ID); err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "ssokit: metadata refresh failed", slog.String("connection", c.ID), slog.Any("err", err))
				if first == nil {
					first = err
				}
				continue
			}
			if fresh, err := s.st.GetConnection(ctx, c.ID); err == nil {
				c = fresh
			}
		}
		if err := s.reportExpiringCertificates(ctx, c, now); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Run is the background work the host must run for SSO, in one goroutine
// per app instance, until ctx is done. Every MetadataRefreshInterval
// (default: hourly) it refreshes metadata and reports expiring certificates
// (RefreshAll), then removes expired flow state and old events (Cleanup).
// Store leases let one instance at a time do each job.
func (s *SSO) Run(ctx context.Context) error {
	holder, err := s.newID("holder")
	if err != nil {
		return err
	}
	t := time.NewTicker(s.cfg.MetadataRefreshInterval)
	defer t.Stop()
	for {
		if err := s.RefreshAll(ctx, holder); err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "ssokit: refresh", slog.Any("err", err))
		}
		if _, err := s.Cleanup(ctx, holder); err != nil && ctx.Err() == nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "ssokit: cleanup", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			rctx := context.WithoutCancel(ctx)
			_ = s.st.ReleaseLease(rctx, metadataLease, holder)
			_ = s.st.ReleaseLease(rctx, cleanupLease, holder)
			return ctx.Err()
		case <-t.C:
		}
	}
}

// cleanupLease is the Store lease that makes one app instance at a time
// remove expired state.
const cleanupLease = store.CleanupLease

// Cleanup runs store.Cleanup with the lease taken for one
// MetadataRefreshInterval and EventRetention: if this instance holds the
// cleanup lease, it removes the Store's expired flow state of every kit
// (pending login requests, consumed assertion ids, portal sessions and
// links) and the events older than EventRetention that every durable
// consumer has processed. It returns how many rows it removed.
func (s *SSO) Cleanup(ctx context.Context, holder string) (int, error) {
	n, err := store.Cleanup(ctx, s.st, holder, s.now().UTC(), s.cfg.MetadataRefreshInterval, s.cfg.EventRetention)
	if n > 0 {
		s.log.LogAttrs(ctx, slog.LevelInfo, "ssokit: cleanup", slog.Int("rows_removed", n))
	}
	return n, err
}

// reportExpiringCertificates writes an sso.connection.certificate_expiring
// event when a trusted IdP certificate crosses CertificateExpiryWarning, 7
// days or 1 day before its expiry, and sso.connection.certificate_expired
// when it expires. Each threshold is reported by the refresh run that
// crosses it (a window of one MetadataRefreshInterval), so no state is
// needed to avoid repeats.
func (s *SSO) reportExpiringCertificates(ctx context.Context, c *store.Connection, now time.Time) error {
	sp, err := s.buildSAMLSP(c)
	if err != nil {
		return nil // misconfigured connections are reported at login
	}
	interval := s.cfg.MetadataRefreshInterval
	var events []store.Event
	for _, crt := range sp.certs {
		typ, left := expiryEvent(crt, now, interval, s.cfg.CertificateExpiryWarning)
		if typ == "" {
			continue
		}
		ev, err := s.event(typ, c.OrgID, c.ID, "system", map[string]any{
			"certificate_thumbprint": thumbprint(crt), "not_after": crt.NotAfter.UTC(),
			"subject": crt.Subject.String(), "days_left": int(left.Hours() / 24),
		})
		if err != nil {
			return err
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		return nil
	}
	_, err = s.st.AppendEvents(ctx, events...)
	return err
}

func expiryEvent(c *x509.Certificate, now time.Time, interval, warning time.Duration) (string, time.Duration) {
	left := c.NotAfter.Sub(now)
	if left <= 0 {
		if left > -interval {
			return EventCertificateHasExpired, left
		}
		return "", left
	}
	for _, th := range []time.Duration{warning, 7 * 24 * time.Hour, 24 * time.Hour} {
		if th > warning {
			continue
		}
		if left <= th && left > th-interval {
			return EventCertificateExpiring, left
		}
	}
	return "", left
}
