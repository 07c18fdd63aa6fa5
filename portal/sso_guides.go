package portal

import "github.com/onboardkit/onboardkit/store"

// guide is the step-by-step setup of one identity provider for one
// protocol. Steps name the values of the connection by their labels ("ACS
// URL", "SP entity ID", "Redirect URI"), which the page shows beside the
// guide with copy buttons.
type ssoGuide struct {
	Steps []string
	// Attributes are the SAML attribute statements to add in the IdP:
	// names that ssokit reads by default for this provider (see
	// ssokit.DefaultAttributeNames), with the IdP value to map to each.
	Attributes []ssoAttr
	// Note is shown after the steps.
	Note string
	// Logout says how to set up logout in the IdP (SAML Single Logout,
	// OIDC post-logout redirect and back-channel logout), where the
	// provider supports it; "" when it does not.
	Logout string
}

type ssoAttr struct {
	Name  string // the attribute name to type in the IdP
	Value string // what to map it to, in the IdP's words
}

// ssoBasicAttributes are the attribute names ssokit's SAML defaults try first
// for every provider that lets the admin name attributes.
func ssoBasicAttributes(email, first, last, groups string) []ssoAttr {
	return []ssoAttr{
		{"email", email},
		{"firstName", first},
		{"lastName", last},
		{"groups", groups},
	}
}

// ssoGuideFor returns the guide of a provider and protocol.
func ssoGuideFor(provider string, protocol store.Protocol) ssoGuide {
	var g ssoGuide
	if protocol == store.ProtocolOIDC {
		g = ssoOIDCGuide(provider)
		g.Logout = ssoOIDCLogout[provider]
		if g.Logout == "" {
			g.Logout = ssoOIDCLogout[""]
		}
		return g
	}
	g = ssoSAMLGuide(provider)
	if l, ok := ssoSAMLLogout[provider]; ok {
		g.Logout = l
	} else {
		g.Logout = ssoSAMLLogout[""]
	}
	return g
}

// ssoSAMLLogout says where each provider takes the Single Logout URL;
// providers without SAML Single Logout (Google Workspace) have "".
var ssoSAMLLogout = map[string]string{
	"okta":      "To sign people out of Okta too when they sign out here: in the app's SAML settings click Show Advanced Settings, check Enable Single Logout, paste the Single Logout URL into Single Logout URL and the SP entity ID into SP Issuer, and upload the signing certificate from the SP metadata.",
	"entra":     "To sign people out of Entra ID too when they sign out here: in Basic SAML Configuration, paste the Single Logout URL into Logout Url (Optional).",
	"google":    "",
	"onelogin":  "To sign people out of OneLogin too when they sign out here: on the Configuration tab, paste the Single Logout URL into SAML Single Logout URL.",
	"jumpcloud": "To sign people out of JumpCloud too when they sign out here: check Enable Single Logout and paste the Single Logout URL into Single Logout URL.",
	"ping":      "To sign people out of PingOne too when they sign out here: paste the Single Logout URL into SLO Endpoint.",
	"adfs":      "To sign people out of AD FS too when they sign out here: in the relying party trust's Properties › Endpoints, click Add SAML, choose SAML Logout with the POST or Redirect binding, and paste the Single Logout URL as Trusted URL.",
	"":          "If your identity provider supports SAML Single Logout, give it the Single Logout URL (HTTP-Redirect or HTTP-POST binding): signing out here then signs people out there, and the reverse.",
}

// ssoOIDCLogout says where each provider takes the logout URIs.
var ssoOIDCLogout = map[string]string{
	"okta":  "To sign people out of Okta too when they sign out here: add the Post-logout redirect URI to Sign-out redirect URIs.",
	"entra": "To sign people out of Entra ID too when they sign out here: add the Post-logout redirect URI as another Web redirect URI under Authentication.",
	"":      "If your identity provider supports RP-initiated logout, register the Post-logout redirect URI; if it supports OpenID Connect Back-Channel Logout, register the Back-channel logout URI so that signing out there ends sessions here.",
}

// ssoSAMLGuide returns the SAML setup steps of a provider.
func ssoSAMLGuide(provider string) ssoGuide {
	switch provider {
	case "okta":
		return ssoGuide{
			Steps: []string{
				"In the Okta Admin Console, go to Applications › Applications and click Create App Integration.",
				"Choose SAML 2.0 and click Next. Name the app and click Next.",
				"Paste the ACS URL into Single sign-on URL and keep “Use this for Recipient URL and Destination URL” checked.",
				"Paste the SP entity ID into Audience URI (SP Entity ID). Set Name ID format to EmailAddress and Application username to Email.",
				"Under Attribute Statements, add the attributes listed below. Under Group Attribute Statements, add “groups” with the filter Matches regex “.*” to send group names.",
				"Click Next, then Finish. On the Sign On tab, copy the Metadata URL and paste it below.",
				"On the Assignments tab, assign the people or groups who should sign in.",
			},
			Attributes: ssoBasicAttributes("user.email", "user.firstName", "user.lastName", "(group attribute statement)"),
		}
	case "entra":
		return ssoGuide{
			Steps: []string{
				"In the Microsoft Entra admin center, go to Identity › Applications › Enterprise applications and click New application.",
				"Click Create your own application, name it, choose “Integrate any other application you don't find in the gallery (Non-gallery)” and click Create.",
				"Open Single sign-on and choose SAML. In Basic SAML Configuration, click Edit.",
				"Paste the SP entity ID into Identifier (Entity ID) and the ACS URL into Reply URL (Assertion Consumer Service URL). Save.",
				"Attributes & Claims already sends the email address, given name and surname claims this app reads. To send groups, click Add a group claim and choose Groups assigned to the application.",
				"In SAML Certificates, copy App Federation Metadata Url and paste it below.",
				"In Users and groups, assign the people or groups who should sign in.",
			},
			Note: "Entra ID sends group object IDs, not names.",
		}
	case "google":
		return ssoGuide{
			Steps: []string{
				"In the Google Admin console, go to Apps › Web and mobile apps, click Add app and choose Add custom SAML app.",
				"Name the app and click Continue.",
				"On Google Identity Provider details, click Download metadata (Option 1) and keep the file: you will upload it below. Click Continue.",
				"Paste the ACS URL into ACS URL and the SP entity ID into Entity ID. Set Name ID format to EMAIL and Name ID to Basic Information › Primary email. Click Continue.",
				"Under Attribute mapping, add the attributes listed below, then click Finish.",
				"Open the app's User access panel, turn it ON for everyone or for the right organizational units, and save.",
			},
			Attributes: ssoBasicAttributes("Basic Information › Primary email", "Basic Information › First name", "Basic Information › Last name", "Group membership (choose the groups)"),
			Note:       "Google Workspace has no metadata URL: upload the file you downloaded.",
		}
	case "onelogin":
		return ssoGuide{
			Steps: []string{
				"In OneLogin Administration, go to Applications › Applications and click Add App.",
				"Search for “SAML Custom Connector (Advanced)”, select it, name it and click Save.",
				"On the Configuration tab, paste the SP entity ID into Audience (EntityID) and the ACS URL into ACS (Consumer) URL and Recipient. Set ACS (Consumer) URL Validator to the ACS URL with every dot written as \\. and SAML initiator to Service Provider. Save.",
				"On the Parameters tab, add the parameters listed below, each with “Include in SAML assertion” checked.",
				"On the SSO tab, copy Issuer URL (it is the metadata URL) and paste it below.",
				"On the Access tab or under Users, give the app to the people who should sign in.",
			},
			Attributes: ssoBasicAttributes("Email", "First Name", "Last Name", "User Roles (or MemberOf)"),
		}
	case "jumpcloud":
		return ssoGuide{
			Steps: []string{
				"In the JumpCloud Admin Portal, go to SSO Applications, click Add New Application and choose Custom Application, then Manage Single Sign-On (SSO) with SAML.",
				"On the SSO tab, set IdP Entity ID to a value unique to this app, paste the SP entity ID into SP Entity ID and the ACS URL into ACS URLs.",
				"Set SAMLSubject NameID to email and NameID format to emailAddress; check Sign Assertion.",
				"Under Attributes, add the user attributes listed below. Check Include group attribute and name it “groups”.",
				"Save, then click Export Metadata (top of the SSO tab) to download the metadata file and upload it below.",
				"On the User Groups tab, bind the groups whose members should sign in.",
			},
			Attributes: ssoBasicAttributes("email", "firstname", "lastname", "(group attribute)"),
		}
	case "ping":
		return ssoGuide{
			Steps: []string{
				"In the PingOne admin console, go to Applications › Applications and click +.",
				"Name the application, choose SAML Application and click Configure.",
				"Choose Manually Enter, paste the ACS URL into ACS URLs and the SP entity ID into Entity ID. Save.",
				"On the Attribute Mappings tab, keep saml_subject mapped to Email Address and add the attributes listed below.",
				"On the Configuration tab, copy IdP Metadata URL and paste it below.",
				"On the Access tab, choose the groups who may sign in, then turn the application on.",
			},
			Attributes: ssoBasicAttributes("Email Address", "Given Name", "Family Name", "Group Names"),
		}
	case "adfs":
		return ssoGuide{
			Steps: []string{
				"In AD FS Management, right-click Relying Party Trusts and choose Add Relying Party Trust. Choose Claims aware and click Start.",
				"Choose “Import data about the relying party published online”, paste the SP metadata URL and click Next. (If the AD FS server cannot reach it, enter the data manually with the SP entity ID as identifier and the ACS URL as SAML 2.0 SSO service URL.)",
				"Name the trust, choose who may sign in with the access control policy, and finish.",
				"Right-click the trust, choose Edit Claim Issuance Policy and add a rule “Send LDAP Attributes as Claims” with Active Directory: E-Mail-Addresses → E-Mail Address, Given-Name → Given Name, Surname → Surname, Token-Groups - Unqualified Names → Group.",
				"Add a rule “Transform an Incoming Claim”: E-Mail Address → Name ID, format Email.",
				"Paste https://your-adfs-host/FederationMetadata/2007-06/FederationMetadata.xml below (with your AD FS host name), or upload that file if the server is not reachable from the internet.",
			},
			Note: "AD FS sends the standard claim types (…/claims/emailaddress, …/givenname, …/surname, …/claims/Group); this app reads them without any mapping.",
		}
	}
	return ssoGuide{
		Steps: []string{
			"In your identity provider, create a SAML 2.0 application (also called a service provider or relying party).",
			"Paste the ACS URL as the Assertion Consumer Service URL (HTTP-POST binding), and the SP entity ID as the Audience or Entity ID. If your provider can import service provider metadata, give it the SP metadata URL instead.",
			"Send the user's email address as the NameID (emailAddress format), and sign the assertion or the response with SHA-256.",
			"Add the attributes listed below.",
			"Assign the app to the people who should sign in, then paste your provider's metadata URL below, upload its metadata file, or enter its entity ID, SSO URL and signing certificate.",
		},
		Attributes: ssoBasicAttributes("email address", "first name", "last name", "group names"),
	}
}

func ssoOIDCGuide(provider string) ssoGuide {
	switch provider {
	case "okta":
		return ssoGuide{Steps: []string{
			"In the Okta Admin Console, go to Applications › Applications and click Create App Integration.",
			"Choose OIDC - OpenID Connect, then Web Application, and click Next.",
			"Paste the Redirect URI into Sign-in redirect URIs and remove the sample one. Under Assignments, choose who may sign in. Save.",
			"Copy the Client ID and a Client secret from the General tab and paste them below.",
			"The issuer is your Okta domain, such as https://yourcompany.okta.com.",
			"To send groups, on the Sign On tab edit OpenID Connect ID Token: Groups claim type Filter, name “groups”, Matches regex “.*”.",
		}}
	case "entra":
		return ssoGuide{Steps: []string{
			"In the Microsoft Entra admin center, go to Identity › Applications › App registrations and click New registration.",
			"Name it, choose “Accounts in this organizational directory only”, set Redirect URI to Web and paste the Redirect URI. Register.",
			"Copy Application (client) ID and Directory (tenant) ID from the Overview page.",
			"In Certificates & secrets, create a client secret and copy its Value (not its ID).",
			"In Token configuration, add the optional claims email, given_name and family_name to the ID token, and a groups claim if you need groups.",
			"Enter https://login.microsoftonline.com/<Directory (tenant) ID>/v2.0 as the issuer, with the client ID and secret, below.",
		}, Note: "If you enter the multi-tenant issuer …/common/v2.0 or …/organizations/v2.0, also enter your tenant ID: only sign-ins from your tenant are accepted."}
	case "google":
		return ssoGuide{Steps: []string{
			"In the Google Cloud console of your organization, go to APIs & Services › OAuth consent screen and configure it as Internal.",
			"Go to APIs & Services › Credentials, click Create credentials › OAuth client ID and choose Web application.",
			"Add the Redirect URI under Authorized redirect URIs and click Create.",
			"Paste the client ID and client secret below. The issuer is https://accounts.google.com.",
		}, Note: "Google does not send groups in ID tokens; use directory sync for groups."}
	case "onelogin":
		return ssoGuide{Steps: []string{
			"In OneLogin Administration, go to Applications › Applications, click Add App and choose “OpenId Connect (OIDC)”.",
			"On the Configuration tab, paste the Redirect URI into Redirect URI's. Save.",
			"On the SSO tab, set Token Endpoint Authentication Method to POST or Basic, and copy the Client ID, Client Secret and Issuer URL below.",
			"On the Access tab, give the app to the people who should sign in.",
		}}
	case "jumpcloud":
		return ssoGuide{Steps: []string{
			"In the JumpCloud Admin Portal, go to SSO Applications, click Add New Application, choose Custom Application and select Manage Single Sign-On (SSO) with OIDC.",
			"Paste the Redirect URI into Redirect URIs, set Client Authentication Type to Client Secret Basic, and under Attribute Mapping include email and profile.",
			"Activate the app and copy the client ID and secret shown once. The issuer is https://oauth.id.jumpcloud.com/.",
			"On the User Groups tab, bind the groups whose members should sign in.",
		}}
	case "ping":
		return ssoGuide{Steps: []string{
			"In the PingOne admin console, go to Applications › Applications, click + and choose OIDC Web App.",
			"Paste the Redirect URI into Redirect URIs and save.",
			"On the Configuration tab, copy the Issuer, Client ID and Client Secret below. On the Resources tab, allow the email and profile scopes.",
			"On the Access tab, choose the groups who may sign in, then turn the application on.",
		}}
	case "adfs":
		return ssoGuide{Steps: []string{
			"In AD FS Management, right-click Application Groups and choose Add Application Group, template “Server application accessing a web API” or “Web browser accessing a web application”.",
			"Paste the Redirect URI, copy the client identifier, and generate a shared secret.",
			"Give the application the openid, email and profile scopes.",
			"The issuer is https://your-adfs-host/adfs.",
		}}
	}
	return ssoGuide{Steps: []string{
		"In your identity provider, create an OpenID Connect web application (confidential client, authorization code flow).",
		"Register the Redirect URI exactly as shown.",
		"Allow the openid, email and profile scopes; send the email claim, and groups if you need them.",
		"Paste the issuer URL, client ID and client secret below. The issuer must publish /.well-known/openid-configuration.",
	}}
}
