package portal

// providerGuide tells an IT admin where, in their provider's console, SCIM
// provisioning is set up: which field takes the endpoint URL and which the
// token, and which attribute mappings matter.
type providerGuide struct {
	Provider      string
	Steps         []string
	EndpointField string // the provider's label of the field for the endpoint URL
	TokenField    string // the provider's label of the field for the token
	Mappings      []string
	Note          string
}

// guideFor returns the guide of a provider id (the generic one for an
// unknown id).
func guideFor(provider string) providerGuide {
	switch provider {
	case "okta":
		return providerGuide{
			Provider: "Okta",
			Steps: []string{
				"In the Okta Admin Console, open Applications > Applications and select the app your people use (or create it with Create App Integration).",
				"On the General tab, under App Settings, click Edit, set Provisioning to SCIM and save. A Provisioning tab appears.",
				"On Provisioning > Integration, click Edit. Paste the endpoint URL, set Unique identifier field for users to userName, tick Push New Users, Push Profile Updates and Push Groups, and choose HTTP Header as the authentication mode.",
				"Paste the token, click Test Connector Configuration, then Save.",
				"On Provisioning > To App, click Edit and enable Create Users, Update User Attributes and Deactivate Users.",
				"Assign people and groups on the Assignments tab; push groups on the Push Groups tab.",
			},
			EndpointField: "SCIM connector base URL",
			TokenField:    "Authorization (HTTP Header, Bearer)",
			Mappings: []string{
				"userName: the user's email address (Okta's default is the Okta username, usually the email).",
				"givenName, familyName and email: keep Okta's default mappings.",
			},
		}
	case "entra":
		return providerGuide{
			Provider: "Microsoft Entra ID",
			Steps: []string{
				"In the Microsoft Entra admin center, open Identity > Applications > Enterprise applications and select the app (or New application > Create your own application, non-gallery).",
				"Open Provisioning, click Get started (or Connect your application) and set Provisioning Mode to Automatic.",
				"Under Admin Credentials, paste the endpoint URL and the token, click Test Connection, then Save.",
				"Under Mappings, check Provision Microsoft Entra ID Users and Groups (see below).",
				"Under Settings, set Scope to Sync only assigned users and groups, and Provisioning Status to On.",
				"Assign people and groups under Users and groups. Entra ID syncs every 40 minutes; Provision on demand tries one user at once.",
			},
			EndpointField: "Tenant URL",
			TokenField:    "Secret Token",
			Mappings: []string{
				"userName ← userPrincipalName (or mail, if people sign in with their email address).",
				"active ← Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\"), Entra's default.",
				"emails[type eq \"work\"].value ← mail; name.givenName ← givenName; name.familyName ← surname.",
				"externalId ← objectId gives a stable id that survives renames.",
			},
		}
	case "google":
		return providerGuide{
			Provider: "Google Workspace",
			Steps: []string{
				"In the Google Admin console, open Apps > Web and mobile apps and select the app.",
				"Open Auto-provisioning and click Set up auto-provisioning.",
				"Paste the token as the access token and the endpoint URL as the endpoint URL, then continue.",
				"Review the attribute mapping, choose the provisioning scope (groups or organizational units), and turn auto-provisioning on.",
			},
			EndpointField: "Endpoint URL",
			TokenField:    "Access token",
			Mappings: []string{
				"userName ← Primary email.",
				"name.givenName ← First name; name.familyName ← Last name.",
			},
			Note: "Google offers auto-provisioning only for apps of its catalogue that support it. For a custom app, ask your provider to turn on Google Workspace sync, which reads your directory through the Admin SDK instead.",
		}
	case "onelogin":
		return providerGuide{
			Provider: "OneLogin",
			Steps: []string{
				"In OneLogin, open Applications > Applications > Add App and add SCIM Provisioner with SAML (SCIM v2 Enterprise), or open the app you already use.",
				"On the Configuration tab, paste the endpoint URL and the token, then click Enable under API Connection.",
				"On the Provisioning tab, tick Enable provisioning and choose what happens when a user is deleted or suspended (Delete, or Suspend to deactivate).",
				"On the Parameters tab, make sure Groups is included in user provisioning if you sync groups.",
				"Assign the app to people (Users, or Roles), then approve the pending provisioning tasks if OneLogin asks.",
			},
			EndpointField: "SCIM Base URL",
			TokenField:    "SCIM Bearer Token",
			Mappings: []string{
				"In SCIM JSON Template, userName must be the email address: \"userName\": \"{$parameters.scimusername}\" with scimusername mapped to Email.",
			},
		}
	case "jumpcloud":
		return providerGuide{
			Provider: "JumpCloud",
			Steps: []string{
				"In the JumpCloud Admin Portal, open SSO Applications and select the app (or Add New Application > Custom Application).",
				"Open the Identity Management tab and choose SCIM 2.0 as the API type.",
				"Paste the endpoint URL and the token, keep the Bearer token header, click Test Connection, then Activate.",
				"Turn on Group Management if you sync groups, then save.",
				"Bind the user groups that should be provisioned on the User Groups tab.",
			},
			EndpointField: "Base URL",
			TokenField:    "Token Key",
			Mappings: []string{
				"userName ← email: JumpCloud sends the user's email as userName by default.",
			},
		}
	case "ping":
		return providerGuide{
			Provider: "Ping Identity",
			Steps: []string{
				"In PingOne, open Integrations > Provisioning and add a connection (+) of type SCIM Outbound.",
				"Under Configure authentication, paste the endpoint URL, choose OAuth 2 Bearer Token and paste the token, then Test Connection.",
				"Under Configure preferences, allow Create, Update and Disable users, and groups if you sync them.",
				"Add a rule (Provisioning > Rules) that uses this connection, with a user filter for the people to provision, and turn it on.",
			},
			EndpointField: "SCIM Base URL",
			TokenField:    "OAuth Access Token",
			Mappings: []string{
				"userName ← Email Address (or Username when it is the email address).",
				"name.givenName ← Given Name; name.familyName ← Family Name; active ← Enabled.",
			},
		}
	}
	return providerGuide{
		Provider: "Your SCIM 2.0 client",
		Steps: []string{
			"Configure your identity provider's SCIM 2.0 provisioning with the endpoint URL as base URL: it appends /Users and /Groups.",
			"Authenticate with the token as a bearer token: the header Authorization: Bearer <token>.",
			"Test the connection (a GET on /Users), then enable creating, updating and deactivating users.",
		},
		EndpointField: "SCIM base URL",
		TokenField:    "Bearer token",
		Mappings: []string{
			"userName: unique per person, preferably the email address.",
			"externalId: your directory's stable id for the person.",
			"active: false deactivates a person; their sign-in is refused at once.",
		},
	}
}
