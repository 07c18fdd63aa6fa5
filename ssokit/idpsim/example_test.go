package idpsim_test

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/onboardkit/onboardkit/ssokit/idpsim"
)

func ExampleNew() {
	// The simulator refuses to exist outside development.
	_, err := idpsim.New(idpsim.Config{BaseURL: "http://localhost:8080/idp"})
	fmt.Println(errors.Is(err, idpsim.ErrNotDevelopment))

	idp, err := idpsim.New(idpsim.Config{
		Development: true,
		BaseURL:     "http://localhost:8080/idp",
		SPs: []idpsim.SP{{
			EntityID: "http://localhost:8080/sso/saml/metadata",
			ACSURL:   "http://localhost:8080/sso/saml/acs",
			Preset:   idpsim.PresetOkta,
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.StripPrefix("/idp", idp))
	fmt.Println(idp.MetadataURL())
	fmt.Println(idp.Issuer())
	// Output:
	// true
	// http://localhost:8080/idp/saml/metadata
	// http://localhost:8080/idp/oidc
}

func ExampleIdP_SAMLResponse() {
	idp, err := idpsim.New(idpsim.Config{
		Development: true,
		BaseURL:     "http://localhost:8080/idp",
		SPs:         []idpsim.SP{{EntityID: "https://sp.example/metadata", ACSURL: "https://sp.example/acs", Preset: idpsim.PresetOkta}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	b64, err := idp.SAMLResponse(idpsim.ResponseOptions{
		SP:           "https://sp.example/metadata",
		User:         idpsim.User{Email: "ada@corp.example", GivenName: "Ada", FamilyName: "Lovelace"},
		InResponseTo: "id-request-1",
		Faults:       []idpsim.Fault{idpsim.FaultWrongAudience},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	raw, _ := base64.StdEncoding.DecodeString(b64)
	var resp struct {
		InResponseTo string `xml:",attr"`
		Assertion    struct {
			NameID   string `xml:"Subject>NameID"`
			Audience string `xml:"Conditions>AudienceRestriction>Audience"`
		}
	}
	if err := xml.Unmarshal(raw, &resp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.InResponseTo, resp.Assertion.NameID, resp.Assertion.Audience)
	// Output: id-request-1 ada@corp.example https://attacker.example/sp
}
