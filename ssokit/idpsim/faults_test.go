package idpsim

import "testing"

func TestFaultCatalogue(t *testing.T) {
	for _, f := range append(SAMLFaults(), OIDCFaults()...) {
		if !f.valid() {
			t.Errorf("%s not valid", f)
		}
		if f.Description() == string(f) {
			t.Errorf("%s has no description", f)
		}
	}
	for _, f := range []Fault{FaultXSW1, FaultNameIDComment, FaultReplay} {
		if f.OIDC() || !f.SAML() {
			t.Errorf("%s should be SAML only", f)
		}
	}
	for _, f := range []Fault{FaultAlgNone, FaultWrongNonce} {
		if !f.OIDC() || f.SAML() {
			t.Errorf("%s should be OIDC only", f)
		}
	}
	if Fault("bogus").valid() {
		t.Error("bogus fault valid")
	}
}
