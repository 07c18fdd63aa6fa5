package idpsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// Preset shapes SAML attributes and OIDC claims like a real identity
// provider does.
type Preset string

const (
	// PresetGeneric (the zero value) sends NameID = email (emailAddress)
	// and attributes email, givenName, surname, displayName, groups; OIDC
	// standard claims plus groups.
	PresetGeneric Preset = ""
	// PresetOkta sends NameID = email (emailAddress) and the basic
	// attributes email, firstName, lastName, groups; OIDC claims with an
	// Okta-style sub ("00u..."), ver, idp, amr, groups.
	PresetOkta Preset = "okta"
	// PresetEntra sends the claim URIs of Microsoft Entra ID
	// (http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress,
	// .../givenname, .../surname, .../name, tenantid, objectidentifier,
	// http://schemas.microsoft.com/ws/2008/06/identity/claims/groups with
	// group object ids); OIDC v2.0 claims with tid, oid, a pairwise sub,
	// preferred_username and groups as object ids.
	PresetEntra Preset = "entra"
	// PresetGoogle sends only NameID = primary email (unspecified format)
	// and the user's custom attributes; OIDC claims with a numeric sub, hd
	// (hosted domain) and azp.
	PresetGoogle Preset = "google"
	// PresetADFS sends ADFS claim URIs (upn, emailaddress, givenname,
	// surname, windowsaccountname, http://schemas.xmlsoap.org/claims/Group);
	// OIDC claims upn, unique_name, appid, ver "1.0".
	PresetADFS Preset = "adfs"
)

// Presets lists the known presets.
var presets = []Preset{PresetGeneric, PresetOkta, PresetEntra, PresetGoogle, PresetADFS}

func (p Preset) valid() bool { return slices.Contains(presets, p) }

// String returns the preset name ("generic" for the zero value).
func (p Preset) String() string {
	if p == PresetGeneric {
		return "generic"
	}
	return string(p)
}

const (
	nameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	nameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	attrFormatBasic   = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
	attrFormatUnspec  = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
	attrFormatURI     = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

	claimsXMLSoap = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
	claimsMSIdent = "http://schemas.microsoft.com/identity/claims/"
)

type samlAttribute struct {
	Name, NameFormat, FriendlyName string
	Values                         []string
	// typed adds xsi:type="xs:string" to the values.
	typed bool
}

type samlShape struct {
	nameIDFormat string
	nameID       string
	attrs        []samlAttribute
	// emailAttr names the attribute holding the email, for faults that
	// rewrite the identity.
	emailAttr string
}

func (idp *IdP) shapeSAML(p Preset, u User) samlShape {
	var s samlShape
	add := func(name, format string, typed bool, values ...string) {
		var vs []string
		for _, v := range values {
			if v != "" {
				vs = append(vs, v)
			}
		}
		if len(vs) > 0 {
			s.attrs = append(s.attrs, samlAttribute{Name: name, NameFormat: format, Values: vs, typed: typed})
		}
	}
	customFormat := attrFormatBasic
	customTyped := true
	switch p {
	case PresetOkta:
		s.nameIDFormat, s.nameID = nameIDEmail, u.Email
		add("email", attrFormatUnspec, true, u.Email)
		add("firstName", attrFormatUnspec, true, u.GivenName)
		add("lastName", attrFormatUnspec, true, u.FamilyName)
		add("groups", attrFormatUnspec, true, u.Groups...)
		s.emailAttr = "email"
		customFormat = attrFormatUnspec
	case PresetEntra:
		s.nameIDFormat, s.nameID = nameIDEmail, u.Email
		add(claimsMSIdent+"tenantid", "", false, idp.tenantID)
		add(claimsMSIdent+"objectidentifier", "", false, entraOID(u))
		add(claimsMSIdent+"displayname", "", false, u.DisplayName)
		add(claimsMSIdent+"identityprovider", "", false, "https://sts.windows.net/"+idp.tenantID+"/")
		add("http://schemas.microsoft.com/claims/authnmethodsreferences", "", false, "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password")
		add(claimsXMLSoap+"givenname", "", false, u.GivenName)
		add(claimsXMLSoap+"surname", "", false, u.FamilyName)
		add(claimsXMLSoap+"emailaddress", "", false, u.Email)
		add(claimsXMLSoap+"name", "", false, u.Email)
		add("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", "", false, entraGroups(u.Groups)...)
		s.emailAttr = claimsXMLSoap + "emailaddress"
		customFormat, customTyped = "", false
	case PresetGoogle:
		s.nameIDFormat, s.nameID = nameIDUnspecified, u.Email
	case PresetADFS:
		s.nameIDFormat, s.nameID = nameIDEmail, u.Email
		add(claimsXMLSoap+"upn", "", false, u.Email)
		add(claimsXMLSoap+"emailaddress", "", false, u.Email)
		add(claimsXMLSoap+"givenname", "", false, u.GivenName)
		add(claimsXMLSoap+"surname", "", false, u.FamilyName)
		add(claimsXMLSoap+"name", "", false, u.DisplayName)
		add("http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname", "", false, windowsAccountName(u.Email))
		add("http://schemas.xmlsoap.org/claims/Group", "", false, u.Groups...)
		s.emailAttr = claimsXMLSoap + "emailaddress"
		customFormat, customTyped = "", false
	default:
		s.nameIDFormat, s.nameID = nameIDEmail, u.Email
		add("email", attrFormatBasic, true, u.Email)
		add("givenName", attrFormatBasic, true, u.GivenName)
		add("surname", attrFormatBasic, true, u.FamilyName)
		add("displayName", attrFormatBasic, true, u.DisplayName)
		add("groups", attrFormatBasic, true, u.Groups...)
		s.emailAttr = "email"
	}
	if s.nameID == "" {
		s.nameIDFormat, s.nameID = nameIDUnspecified, u.ID
	}
	for _, name := range sortedKeys(u.Attributes) {
		add(name, customFormat, customTyped, u.Attributes[name]...)
	}
	return s
}

// reservedClaims are never overwritten by custom attributes.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "at_hash", "auth_time", "jti"}

func (idp *IdP) shapeClaims(p Preset, u User, clientID string) map[string]any {
	c := map[string]any{}
	set := func(k string, v any) {
		if s, ok := v.(string); ok && s == "" {
			return
		}
		c[k] = v
	}
	switch p {
	case PresetOkta:
		set("sub", oktaID("00u", u.ID))
		set("ver", 1)
		set("idp", oktaID("00o", idp.entityID))
		set("amr", []string{"pwd"})
		set("email", u.Email)
		set("email_verified", true)
		set("preferred_username", u.Email)
		set("name", u.DisplayName)
		set("given_name", u.GivenName)
		set("family_name", u.FamilyName)
		if len(u.Groups) > 0 {
			set("groups", u.Groups)
		}
	case PresetEntra:
		set("sub", entraPairwiseSub(u, clientID))
		set("oid", entraOID(u))
		set("tid", idp.tenantID)
		set("ver", "2.0")
		set("preferred_username", u.Email)
		set("email", u.Email)
		set("name", u.DisplayName)
		set("given_name", u.GivenName)
		set("family_name", u.FamilyName)
		if len(u.Groups) > 0 {
			set("groups", entraGroups(u.Groups))
		}
	case PresetGoogle:
		set("sub", googleSub(u))
		set("azp", clientID)
		set("email", u.Email)
		set("email_verified", true)
		if d := emailDomain(u.Email); d != "" && d != "gmail.com" && d != "googlemail.com" {
			set("hd", d)
		}
		set("name", u.DisplayName)
		set("given_name", u.GivenName)
		set("family_name", u.FamilyName)
	case PresetADFS:
		set("sub", u.ID)
		set("upn", u.Email)
		set("unique_name", windowsAccountName(u.Email))
		set("appid", clientID)
		set("apptype", "Confidential")
		set("authmethod", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
		set("ver", "1.0")
		set("scp", "openid")
		if len(u.Groups) > 0 {
			set("group", u.Groups)
		}
	default:
		set("sub", u.ID)
		set("email", u.Email)
		set("email_verified", true)
		set("name", u.DisplayName)
		set("given_name", u.GivenName)
		set("family_name", u.FamilyName)
		if len(u.Groups) > 0 {
			set("groups", u.Groups)
		}
	}
	for _, name := range sortedKeys(u.Attributes) {
		if slices.Contains(reservedClaims, name) {
			continue
		}
		vs := u.Attributes[name]
		switch len(vs) {
		case 0:
		case 1:
			c[name] = vs[0]
		default:
			c[name] = append([]string(nil), vs...)
		}
	}
	for name, v := range u.Claims {
		if !slices.Contains(reservedClaims, name) {
			c[name] = v
		}
	}
	return c
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func entraOID(u User) string { return guidFrom("oid|" + u.ID) }

func entraGroups(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = EntraGroupID(n)
	}
	return out
}

func entraPairwiseSub(u User, clientID string) string {
	sum := sha256.Sum256([]byte("sub|" + clientID + "|" + u.ID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func oktaID(prefix, s string) string {
	sum := sha256.Sum256([]byte(prefix + "|" + s))
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b strings.Builder
	b.WriteString(prefix)
	for _, x := range sum[:17] {
		b.WriteByte(alphabet[int(x)%len(alphabet)])
	}
	return b.String()
}

func googleSub(u User) string {
	sum := sha256.Sum256([]byte("google|" + u.ID))
	n := binary.BigEndian.Uint64(sum[:8]) % 1e18
	return fmt.Sprintf("10%019d", n)
}

func emailDomain(email string) string {
	_, d, ok := strings.Cut(email, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(d)
}

// windowsAccountName renders DOMAIN\user the way ADFS does for an Active
// Directory account.
func windowsAccountName(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return ""
	}
	netbios, _, _ := strings.Cut(domain, ".")
	return strings.ToUpper(netbios) + `\` + local
}
