package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/onboardkit/onboardkit/admin"
	"github.com/onboardkit/onboardkit/domains"
	"github.com/onboardkit/onboardkit/internal/web"
	"github.com/onboardkit/onboardkit/store"
)

// domainsRoutes registers the domains section. Every route under
// /domains/{domain} loads the domain and refuses (404) one that is not the
// session's organization's.
func (p *Portal) domainsRoutes() {
	f := store.FeatureDomains
	p.page("GET /domains", f, p.domainsIndex)
	p.page("POST /domains", f, p.domainAdd)
	p.page("POST /domains/{domain}/verify", f, p.withDomain(p.domainVerify))
	p.page("GET /domains/{domain}/remove", f, p.withDomain(p.domainRemoveConfirm))
	p.page("POST /domains/{domain}/remove", f, p.goneOr(p.withDomain(p.domainRemove), func(r *http.Request, s *session) bool {
		_, err := p.st.GetDomain(r.Context(), r.PathValue("domain"))
		return errors.Is(err, store.ErrNotFound)
	}, "/domains", "The domain was removed."))
}

// maxDomainInput bounds the domain name field.
const maxDomainInput = 300

type domainsPageData struct {
	CanManage bool // Config.Domains is set
	AddAction string
	FormToken string // the add form's idempotency key
	Name      string // the add form's value after an error
	Error     string
	Message   string
	Domains   []domainView
}

// domainView is one domain on the page.
type domainView struct {
	ID          string
	Anchor      string
	Name        string
	State       string
	Label       string
	Method      string
	Added       stamp
	VerifiedAt  stamp
	CheckedAt   stamp
	RecordName  string // the TXT record to publish, while not verified by DNS
	RecordValue string
	VerifyURL   string // "" when "verify now" does not apply
	RemoveURL   string // the confirmation page of the removal
	// The last diagnosis: what DNS showed and how to fix it.
	FailureKind string
	Failure     string
	Fix         string
	// Set on the domain just checked.
	Checked  bool
	Verified bool
}

type domainHandler func(w http.ResponseWriter, r *http.Request, s *session, d *store.Domain)

// withDomain loads the domain of the path and checks that it belongs to
// the session's organization.
func (p *Portal) withDomain(h domainHandler) sessionHandler {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		id := r.PathValue("domain")
		d, err := p.st.GetDomain(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && d.OrgID != s.org.ID):
			if err == nil {
				p.log.WarnContext(r.Context(), "portal: domain of another organization refused", "session_id", s.s.ID, "org_id", s.org.ID, "domain_id", id, "domain_org_id", d.OrgID)
			}
			p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
			return
		case err != nil:
			p.serverError(w, r, "loading domain", err)
			return
		}
		h(w, r, s, d)
	}
}

func (p *Portal) domainsIndex(w http.ResponseWriter, r *http.Request, s *session) {
	f := p.takeFlash(w, r, s)
	data := domainsPageData{Message: f.Notice, Name: f.Form["domain"]}
	var ce *domains.CheckError
	if f.CheckKind != "" {
		ce = &domains.CheckError{Kind: domains.CheckKind(f.CheckKind)}
	}
	v := p.sessionView(r, s, "Domains", "/domains")
	v.Errors = f.summary([]string{"domain"}, func(string) string { return "domain-name" })
	data.Error = f.Errors["domain"]
	p.renderDomains(w, r, s, v, data, f.Checked, ce, f.CheckMsg)
}

// renderDomains renders the section; checked is the id of a domain just
// checked, with its DNS diagnosis ce and its text (nil when the record was
// found).
func (p *Portal) renderDomains(w http.ResponseWriter, r *http.Request, s *session, v *view, data domainsPageData, checked string, ce *domains.CheckError, failure string) {
	doms, err := p.admin.ListDomains(r.Context(), s.org.ID)
	if err != nil {
		p.serverError(w, r, "loading domains", err)
		return
	}
	data.CanManage = p.admin.Capabilities().Domains
	data.AddAction = p.path("/domains")
	data.FormToken = web.NewFormToken(p.rand)
	for i := range doms {
		dv := p.domainView(&doms[i])
		if d := doms[i].Domain; d.ID == checked {
			dv.Checked = true
			dv.Verified = ce == nil && d.State == store.DomainVerified
			if ce != nil {
				dv.FailureKind = string(ce.Kind)
				dv.Failure = failure
				dv.Fix = fixFor(ce.Kind, dv.RecordName, dv.RecordValue, d.Name)
			}
		}
		data.Domains = append(data.Domains, dv)
	}
	p.render(w, r, http.StatusOK, domainsSectionPage(v, data))
}

func (p *Portal) domainView(di *admin.DomainInfo) domainView {
	d := &di.Domain
	dv := domainView{
		ID:         d.ID,
		Anchor:     "domain-" + d.ID,
		Name:       d.Name,
		State:      string(d.State),
		Label:      web.DomainStateLabel(d.State),
		Added:      dayStamp("Added", d.CreatedAt),
		VerifiedAt: dayStamp("Verified", d.VerifiedAt),
		CheckedAt:  timeStamp("Last checked", d.CheckedAt),
	}
	switch d.Method {
	case store.DomainDNSTXT:
		dv.Method = "DNS TXT record"
	case store.DomainManual:
		dv.Method = "Verified by your provider"
	}
	if p.admin.Capabilities().Domains {
		dv.RemoveURL = p.path("/domains/" + url.PathEscape(d.ID) + "/remove")
		if d.State != store.DomainVerified {
			dv.RecordName, dv.RecordValue = di.RecordName, di.RecordValue
			dv.VerifyURL = p.path("/domains/" + url.PathEscape(d.ID) + "/verify")
		}
	}
	if kind, msg := domains.FailureOf(d); msg != "" {
		dv.FailureKind, dv.Failure = string(kind), msg
		dv.Fix = fixFor(kind, dv.RecordName, dv.RecordValue, d.Name)
	}
	return dv
}

// fixFor tells the IT admin how to fix what a DNS check showed.
func fixFor(kind domains.CheckKind, record, value, domain string) string {
	switch kind {
	case domains.KindNoRecord:
		return "At your DNS provider, add a TXT record named " + record + " with the value " + value + ". New records can take a few minutes to appear; then verify again."
	case domains.KindWrongValue:
		return "Change the TXT record at " + record + " so that its value is exactly " + value + ", without added quotes or spaces. An old value from an earlier attempt can be deleted."
	case domains.KindNXDomain:
		return "DNS has no such domain as " + domain + ". Check its spelling; if it is right, check that the domain is registered and its name servers are set."
	case domains.KindTimeout:
		return "The domain's DNS servers did not answer in time. This is usually temporary: try again in a few minutes."
	case domains.KindServerFailure:
		return "The domain's DNS servers answered with an error. This is usually temporary: try again later, and check the domain's name server settings if it persists."
	case domains.KindExpired:
		return "The record was not found in time. Publish it, then verify again."
	case domains.KindTaken:
		return "Another organization verified this domain first. Contact your provider if it is yours."
	case domains.KindRecordRemoved:
		return "The TXT record that proved this domain is gone. Publish it again to keep the domain verified."
	}
	return ""
}

// domainAdd claims a domain for the organization, to be verified by DNS.
// The form's one-time token is the creation's idempotency key: posted
// twice (a double click, a re-sent POST), it shows the domain the first
// post added rather than an error, and a domain removed can be added again
// at once from a fresh form.
func (p *Portal) domainAdd(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostForm.Get("domain"))
	fail := func(msg string) {
		if len(name) > maxDomainInput {
			name = ""
		}
		p.redirect(w, r, s, p.path("/domains"), &flash{ErrForm: "add", Errors: map[string]string{"domain": msg}, Form: map[string]string{"domain": name}})
	}
	if !p.admin.Capabilities().Domains {
		p.redirect(w, r, s, p.path("/domains"), &flash{Alert: "Domains can't be added here yet. Ask your provider to turn domain verification on."})
		return
	}
	if name == "" || len(name) > maxDomainInput {
		fail("Enter a domain name, such as example.com.")
		return
	}
	di, err := p.admin.AddDomain(r.Context(), s.org.ID, admin.DomainInput{Name: name, IdempotencyKey: idempotencyKey(r, s)}, s.actor())
	var msg string
	switch {
	case err == nil:
		d := di.Domain
		p.log.InfoContext(r.Context(), "portal: domain added", "session_id", s.s.ID, "org_id", s.org.ID, "domain_id", d.ID, "domain", d.Name)
		p.redirect(w, r, s, p.path("/domains")+"#domain-"+url.PathEscape(d.ID), &flash{Notice: d.Name + " was added. Publish its TXT record, then verify it."})
		return
	case errors.Is(err, domains.ErrInvalidDomain):
		msg = "That isn't a valid domain name. Enter a name such as example.com, without http:// or a path."
	case errors.Is(err, domains.ErrConsumerDomain):
		msg = "Domains of public email providers (such as gmail.com) can't be claimed by an organization."
	case errors.Is(err, domains.ErrAlreadyAdded):
		msg = "This domain has already been added."
	case errors.Is(err, domains.ErrDomainTaken):
		msg = "This domain is verified by another organization. Contact your provider if it is yours."
	default:
		p.serverError(w, r, "adding domain", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: domain refused", "session_id", s.s.ID, "org_id", s.org.ID, "reason", err)
	fail(msg)
}

// domainVerify looks the TXT record up now and shows the precise result.
func (p *Portal) domainVerify(w http.ResponseWriter, r *http.Request, s *session, d *store.Domain) {
	back := p.path("/domains") + "#domain-" + url.PathEscape(d.ID)
	if !p.admin.Capabilities().Domains {
		p.redirect(w, r, s, back, &flash{Alert: "Domains can't be verified here yet."})
		return
	}
	_, ce, err := p.admin.CheckDomain(r.Context(), d.ID)
	switch {
	case err == nil && ce == nil:
		p.log.InfoContext(r.Context(), "portal: domain checked", "session_id", s.s.ID, "domain_id", d.ID, "domain", d.Name)
		p.redirect(w, r, s, back, &flash{Checked: d.ID})
	case err == nil:
		p.log.InfoContext(r.Context(), "portal: domain check did not find the record", "session_id", s.s.ID, "domain_id", d.ID, "domain", d.Name, "kind", ce.Kind, "error", err)
		p.redirect(w, r, s, back, &flash{Checked: d.ID, CheckKind: string(ce.Kind), CheckMsg: ce.Error()})
	case errors.Is(err, domains.ErrDomainTaken):
		p.log.InfoContext(r.Context(), "portal: domain taken by another organization", "session_id", s.s.ID, "domain_id", d.ID, "domain", d.Name)
		p.redirect(w, r, s, back, &flash{Alert: "Another organization verified " + d.Name + " first. Contact your provider if it is yours."})
	case errors.Is(err, store.ErrNotFound):
		p.renderSessionProblem(w, r, s, http.StatusNotFound, problemNotFound)
	default:
		p.serverError(w, r, "checking domain", err)
	}
}

func (p *Portal) domainRemoveConfirm(w http.ResponseWriter, r *http.Request, s *session, d *store.Domain) {
	p.confirm(w, r, s, "/domains", confirmData{
		Title:   "Remove " + d.Name + "?",
		Message: "People with an address in this domain will no longer be recognised as your organization's, and its verification is lost: adding it again means publishing a new TXT record.",
		Facts:   []ssoKV{{"Domain", d.Name}, {"State", web.DomainStateLabel(d.State)}},
		Action:  p.path("/domains/" + url.PathEscape(d.ID) + "/remove"), Button: "Remove the domain",
		CancelURL: p.path("/domains") + "#domain-" + url.PathEscape(d.ID),
	})
}

func (p *Portal) domainRemove(w http.ResponseWriter, r *http.Request, s *session, d *store.Domain) {
	if !p.admin.Capabilities().Domains {
		p.redirect(w, r, s, p.path("/domains"), &flash{Alert: "Domains can't be removed here."})
		return
	}
	if err := p.admin.RemoveDomain(r.Context(), d.ID, s.actor()); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.serverError(w, r, "removing domain", err)
		return
	}
	p.log.InfoContext(r.Context(), "portal: domain removed", "session_id", s.s.ID, "org_id", s.org.ID, "domain_id", d.ID, "domain", d.Name)
	p.redirect(w, r, s, p.path("/domains"), &flash{Notice: d.Name + " was removed."})
}
