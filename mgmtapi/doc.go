// Package mgmtapi is the management JSON API: the operations of the admin
// service (package admin) over HTTP, for the host's back office or
// scripts. It is off unless the host mounts it. Clients authenticate with
// management API keys (admin.Admin.CreateAPIKey, or the dashboard's API
// keys page) sent as "Authorization: Bearer okm_..."; keys are 256-bit
// secrets shown once and stored as SHA-256 digests. New documents the
// endpoints, the JSON shapes and the error codes.
package mgmtapi
