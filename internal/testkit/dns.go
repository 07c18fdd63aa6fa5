package testkit

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// DNSServer is an authoritative DNS server on 127.0.0.1 (UDP and TCP) whose
// records a test changes while it runs. A name exists when it or a name
// under it has a record; other names get NXDOMAIN.
type DNSServer struct {
	udpAddr, tcpAddr string

	mu       sync.Mutex
	txt      map[string][]string // fqdn -> TXT values
	mx       map[string]bool     // fqdn -> has an MX record
	hang     map[string]bool     // fqdn -> never answer
	servfail map[string]bool     // fqdn -> SERVFAIL
	queries  map[string]int      // "fqdn TYPE" -> count
}

// NewDNSServer starts a DNSServer that stops when the test ends.
func NewDNSServer(t testing.TB) *DNSServer {
	t.Helper()
	s := &DNSServer{
		txt: map[string][]string{}, mx: map[string]bool{},
		hang: map[string]bool{}, servfail: map[string]bool{}, queries: map[string]int{},
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	s.udpAddr, s.tcpAddr = pc.LocalAddr().String(), l.Addr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: l, Handler: s}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
	})
	return s
}

func fqdn(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// Resolver returns a pure-Go resolver that sends every query to s.
func (s *DNSServer) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(network, "tcp") {
				return d.DialContext(ctx, "tcp", s.tcpAddr)
			}
			return d.DialContext(ctx, "udp", s.udpAddr)
		},
	}
}

// SetTXT publishes values at name; no values removes its TXT records.
func (s *DNSServer) SetTXT(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(values) == 0 {
		delete(s.txt, fqdn(name))
		return
	}
	s.txt[fqdn(name)] = values
}

// AddZone makes name exist with an MX and an SPF record, like a real mail
// domain.
func (s *DNSServer) AddZone(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mx[fqdn(name)] = true
	s.txt[fqdn(name)] = []string{"v=spf1 -all"}
}

// RemoveZone makes name and everything under it not exist (NXDOMAIN).
func (s *DNSServer) RemoveZone(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := fqdn(name)
	for k := range s.txt {
		if k == n || strings.HasSuffix(k, "."+n) {
			delete(s.txt, k)
		}
	}
	for k := range s.mx {
		if k == n || strings.HasSuffix(k, "."+n) {
			delete(s.mx, k)
		}
	}
}

// SetHang makes queries for name go unanswered (on) or answered again.
func (s *DNSServer) SetHang(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang[fqdn(name)] = on
}

// SetServfail makes queries for name get SERVFAIL (on) or answers again.
func (s *DNSServer) SetServfail(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servfail[fqdn(name)] = on
}

// Count returns how many queries of type qtype name has had.
func (s *DNSServer) Count(name string, qtype uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[fqdn(name)+" "+dns.TypeToString[qtype]]
}

// existsLocked reports whether name has records or is an ancestor of a name that
// has (an empty non-terminal answers NOERROR, not NXDOMAIN).
func (s *DNSServer) existsLocked(name string) bool {
	for n := range s.txt {
		if n == name || strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	for n := range s.mx {
		if n == name || strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}

// ServeDNS answers one query.
func (s *DNSServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries[name+" "+dns.TypeToString[q.Qtype]]++
	hang, servfail := s.hang[name], s.servfail[name]
	txt := append([]string(nil), s.txt[name]...)
	mx := s.mx[name]
	exists := s.existsLocked(name)
	s.mu.Unlock()

	if hang {
		return // never answer: the client times out
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.RecursionAvailable = true
	switch {
	case servfail:
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeTXT:
		for _, v := range txt {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: splitTXT(v),
			})
		}
	case q.Qtype == dns.TypeMX && mx:
		m.Answer = append(m.Answer, &dns.MX{
			Hdr:        dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60},
			Preference: 10, Mx: "mx." + q.Name,
		})
	}
	if w.LocalAddr().Network() == "udp" {
		size := dns.MinMsgSize
		if opt := r.IsEdns0(); opt != nil {
			size = max(size, int(opt.UDPSize()))
		}
		m.Truncate(size) // sets TC when the answer does not fit: the client retries over TCP
	}
	_ = w.WriteMsg(m)
}

// splitTXT splits a value into 255-octet character-strings, as a zone would.
func splitTXT(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
