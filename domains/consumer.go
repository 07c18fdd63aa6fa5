package domains

import "strings"

// consumerDomains are mail domains where anyone can open an address: no
// organization may claim them. The list covers the large providers and their
// main country variants; Config.BlockedDomains adds more. It is never
// modified after initialisation.
var consumerDomains = setOf(strings.Fields(`
		gmail.com googlemail.com
		outlook.com outlook.fr outlook.de outlook.es outlook.it outlook.jp outlook.co.uk
		hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.es hotmail.it hotmail.nl
		hotmail.be hotmail.ca hotmail.com.br hotmail.com.ar hotmail.co.jp
		live.com live.co.uk live.fr live.de live.nl live.it live.ca live.com.au
		msn.com passport.com windowslive.com
		yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.ca yahoo.co.jp
		yahoo.co.in yahoo.com.au yahoo.com.br yahoo.com.mx yahoo.com.ar yahoo.in
		ymail.com rocketmail.com
		aol.com aim.com love.com
		icloud.com me.com mac.com
		protonmail.com protonmail.ch proton.me pm.me
		tutanota.com tutanota.de tutamail.com tuta.io tuta.com keemail.me
		gmx.com gmx.net gmx.de gmx.at gmx.ch gmx.fr gmx.us gmx.co.uk
		web.de freenet.de t-online.de arcor.de posteo.de posteo.net mailbox.org
		mail.com email.com usa.com post.com
		zoho.com zohomail.com
		yandex.com yandex.ru ya.ru mail.ru inbox.ru list.ru bk.ru rambler.ru
		qq.com foxmail.com 163.com 126.com yeah.net sina.com sina.cn sohu.com aliyun.com
		naver.com daum.net hanmail.net
		fastmail.com fastmail.fm hey.com hushmail.com mailfence.com runbox.com
		laposte.net orange.fr wanadoo.fr free.fr sfr.fr libero.it virgilio.it tiscali.it
		seznam.cz wp.pl o2.pl interia.pl onet.pl
		rediffmail.com
		comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net
		charter.net earthlink.net optonline.net
		btinternet.com virginmedia.com blueyonder.co.uk ntlworld.com talktalk.net
		bigpond.com optusnet.com.au shaw.ca rogers.com sympatico.ca
		uol.com.br bol.com.br terra.com.br ig.com.br
		inbox.com lycos.com excite.com juno.com netzero.net
		mailinator.com guerrillamail.com 10minutemail.com temp-mail.org
`))

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// IsConsumer reports whether domain is, or is under, a consumer or free mail
// provider's domain (gmail.com, outlook.com, yahoo.com, ...). The name is
// normalised first; a name that does not normalise is compared in lower case.
func IsConsumer(domain string) bool {
	n, err := Normalize(domain)
	if err != nil {
		n = strings.TrimSuffix(strings.ToLower(domain), ".")
	}
	return underAny(n, consumerDomains)
}

// underAny reports whether name or one of its parent domains is in set.
func underAny(name string, set map[string]bool) bool {
	for {
		if set[name] {
			return true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return false
		}
		name = name[i+1:]
	}
}
