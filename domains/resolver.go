package domains

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/onboardkit/onboardkit/store"
)

// Resolver looks up TXT records. *net.Resolver implements it; so can a
// host's own DNS client (DNS over HTTPS, a fixed set of servers).
//
// LookupTXT is called with a fully qualified name (ending with a dot) so that
// no search domain is appended. A name that does not exist, or has no TXT
// records, must be reported as a *net.DNSError with IsNotFound set, as
// *net.Resolver does; a timeout as an error for which errors.Is(err,
// context.DeadlineExceeded) holds or a *net.DNSError with IsTimeout. Every
// other error is read as a server failure.
//
// If the Resolver also has a LookupMX method with the signature of
// (*net.Resolver).LookupMX, it is used to tell a domain that does not exist
// (KindNXDomain) from a missing record (KindNoRecord).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

type mxResolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// maxFound and maxFoundLen cap the TXT values reported in a CheckError.
const (
	maxFound    = 10
	maxFoundLen = 512
)

// lookup checks d's record. It returns nil when the expected value is
// published, a *CheckError describing what DNS showed otherwise, and a
// non-nil error only when ctx itself ended.
func (s *Service) lookup(ctx context.Context, d *store.Domain) (*CheckError, error) {
	name, want := s.Record(d)
	ce := &CheckError{Domain: d.Name, Record: name, Want: want}
	txts, err := s.lookupTXT(ctx, name+".")
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil {
		for _, t := range txts {
			if t == want {
				return nil, nil
			}
		}
		if len(txts) == 0 {
			ce.Kind = KindNoRecord
			return ce, nil
		}
		ce.Kind = KindWrongValue
		for _, t := range txts[:min(len(txts), maxFound)] {
			ce.Found = append(ce.Found, truncate(t, maxFoundLen))
		}
		return ce, nil
	}
	ce.Err = err
	switch kind := classify(err); kind {
	case KindNoRecord:
		exists, err := s.domainExists(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		if !exists {
			ce.Kind = KindNXDomain
		} else {
			ce.Kind = KindNoRecord
		}
	default:
		ce.Kind = kind
	}
	return ce, nil
}

// domainExists reports whether the domain has TXT or MX records. Any answer
// other than a definite "not found" counts as existing, so that an outage is
// never reported as a misspelt domain.
func (s *Service) domainExists(ctx context.Context, domain string) (bool, error) {
	_, err := s.lookupTXT(ctx, domain+".")
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err == nil || classify(err) != KindNoRecord {
		return true, nil
	}
	mx, ok := s.resolver.(mxResolver)
	if !ok {
		return false, nil
	}
	lctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel()
	_, err = mx.LookupMX(lctx, domain+".")
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return err == nil || classify(err) != KindNoRecord, nil
}

// lookupTXT runs one lookup under LookupTimeout. The lookup runs in its own
// goroutine so that a Resolver that ignores its context cannot hold the
// caller past the timeout.
func (s *Service) lookupTXT(ctx context.Context, name string) ([]string, error) {
	lctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel()
	type answer struct {
		txts []string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		txts, err := s.resolver.LookupTXT(lctx, name)
		ch <- answer{txts, err}
	}()
	select {
	case a := <-ch:
		return a.txts, a.err
	case <-lctx.Done():
		return nil, lctx.Err()
	}
}

// classify maps a resolver error to a kind: KindNoRecord for "not found",
// KindTimeout or KindServerFailure otherwise.
func classify(err error) CheckKind {
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return KindNoRecord
		case de.IsTimeout:
			return KindTimeout
		}
		if strings.Contains(de.Err, "i/o timeout") {
			return KindTimeout
		}
	}
	return KindServerFailure
}
