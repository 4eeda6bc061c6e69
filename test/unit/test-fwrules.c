/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest firewall's rules as they apply to one NIC (fw-rules.c): the
 * macro table against Proxmox's macros.json, ports, ranges, ICMP types,
 * addresses, ipsets with '!', aliases and their scopes, security groups,
 * -i, disabled rules, and every rule pve-firewall refuses skipped with a
 * warning that names file and line. Matching is checked on packets, with
 * fw_rule_matches(), the reference the datapath is tested against.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "fw-classify.h"
#include "fw-rules.h"
#include "netdb-files.h"
#include "port-abi.h"
#include "pve-fwconf.h"
#include "tap.h"

static FwConfig *parse(FwFileKind kind, const char *name, const char *text)
{
	FwConfig *c = NULL;
	Diag d = {};

	if (fw_config_parse(name, kind, text, strlen(text), &c, &d) < 0)
		tap_diag("parse failed: %s", d.msg);
	return c;
}

/* The first rule (of dir) matching the packet: its index in s, or -1. */
static int first_match(const FwRuleSet *s, uint8_t dir, const char *src, const char *dst, int proto, unsigned sport,
		       unsigned dport)
{
	uint8_t a[16] = {}, b[16] = {};
	int family = strchr(src, ':') ? 6 : 4;

	inet_pton(family == 6 ? AF_INET6 : AF_INET, src, a);
	inet_pton(family == 6 ? AF_INET6 : AF_INET, dst, b);
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].dir == dir && fw_rule_matches(&s->rules[i], family, a, b, proto, (uint16_t)sport, (uint16_t)dport))
			return (int)i;
	return -1;
}

static size_t n_warnings(const FwRuleSet *s)
{
	size_t n = 0;

	while (s->warnings && s->warnings[n])
		n++;
	return n;
}

static bool warned(const FwRuleSet *s, const char *needle)
{
	for (size_t i = 0; s->warnings && s->warnings[i]; i++)
		if (strstr(s->warnings[i], needle))
			return true;
	return false;
}

/* The classifier finds the first matching rule the reference finds, for n random packets near the rules' values. */
static void classifier_agrees(const char *what, const FwRuleSet *s, unsigned n)
{
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	unsigned same = 0, matched = 0;
	static const int protos[] = { 6, 17, 1, 58, 47, 132 };

	int rc = fw_classify(s, &c);

	if (!ok(rc >= 0, "%s: classified (%zu entries, %zu chunk words)", what, c ? c->n_match : 0, c ? c->n_chunks : 0))
		return;
	for (unsigned i = 0; i < n; i++) {
		uint8_t src[16] = {}, dst[16] = {};
		int family = tap_random() % 4 ? 4 : 6, proto = protos[tap_random() % ELEMENTSOF(protos)], ref = -1, j = 0;
		uint8_t dir = (uint8_t)(tap_random() % 2);
		uint16_t sport = (uint16_t)(tap_random() % 4 ? tap_random() % 3000 : tap_random()), dport = (uint16_t)(tap_random() % 4 ? tap_random() % 3000 : tap_random());

		/* Near the rules' own prefixes, so that matches are common. */
		if (s->n_rules) {
			const FwRule *r = &s->rules[tap_random() % s->n_rules];

			if (r->n_src && r->src[0].family == family)
				memcpy(src, r->src[tap_random() % r->n_src].addr, 16);
			if (r->n_dst && r->dst[0].family == family)
				memcpy(dst, r->dst[tap_random() % r->n_dst].addr, 16);
			if (r->proto >= 0 && tap_random() % 2)
				proto = r->proto;
			if (r->n_dport && tap_random() % 2)
				dport = (uint16_t)(r->dport[0].addr[0] << 8 | r->dport[0].addr[1]);
		}
		src[family == 4 ? 3 : 15] ^= (uint8_t)(tap_random() % 4);
		dst[family == 4 ? 3 : 15] ^= (uint8_t)(tap_random() % 4);
		if (proto == 1 || proto == 58)
			sport = 0;
		for (size_t k = 0; k < s->n_rules; k++) {
			if (s->rules[k].dir != dir)
				continue;
			if (fw_rule_matches(&s->rules[k], family, src, dst, proto, sport, dport)) {
				ref = j;
				break;
			}
			j++;
		}
		if (fw_classifier_lookup(c, dir, family, src, dst, proto, sport, dport) == ref)
			same++;
		matched += ref >= 0;
	}
	ok(same == n, "%s: the classifier finds the reference's first rule for %u of %u packets (%u match a rule)", what, same,
	   n, matched);
}

static void macro_table(void)
{
	const char *samples = getenv("LXCNET_SAMPLES_DIR");
	_cleanup_free_ char *path = NULL;
	json_object *root;
	size_t n = 0, same = 0;

	ok(fw_n_macros == 88, "88 macros, as Proxmox has (%zu)", fw_n_macros);
	ok(fw_macro_find("http") && strcmp(fw_macro_find("http")->name, "HTTP") == 0,
	   "macro names are found case-insensitively (http is HTTP)");
	ok(!fw_macro_find("NoSuchMacro"), "an unknown macro is not found");
	if (!samples || !*samples || asprintf(&path, "%s/proxmox-ve-rs/proxmox-ve-config/resources/macros.json", samples) < 0 ||
	    !(root = json_object_from_file(path))) {
		tap_skip(1, "Proxmox's macros.json is not here (configure --with-pve-samples)");
		return;
	}
	json_object_object_foreach(root, name, m)
	{
		const FwMacro *mine = fw_macro_find(name);
		json_object *code = json_object_object_get(m, "code");
		bool eq = mine && strcmp(mine->name, name) == 0 && code &&
			  json_object_array_length(code) == mine->n_rules;

		n++;
		for (size_t i = 0; eq && i < mine->n_rules; i++) {
			json_object *r = json_object_array_get_idx(code, i);
			const char *keys[] = { "proto", "dport", "sport", "icmp-type" };
			const char *vals[] = { mine->rules[i].proto, mine->rules[i].dport, mine->rules[i].sport,
					       mine->rules[i].icmp_type };

			for (size_t k = 0; k < 4; k++) {
				json_object *v = json_object_object_get(r, keys[k]);

				if ((v != NULL) != (vals[k] != NULL) || (v && strcmp(json_object_get_string(v), vals[k]) != 0))
					eq = false;
			}
		}
		if (eq)
			same++;
		else
			tap_diag("macro %s differs from macros.json", name);
	}
	ok(n == fw_n_macros && same == n, "the table is Proxmox's macros.json, every rule of every macro (%zu of %zu)", same,
	   n);
	json_object_put(root);
}

static void ports_and_protocols(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = parse(FW_GUEST, "100.fw",
						       "[RULES]\n"
						       "IN ACCEPT -p tcp -dport 1000:2000\n"	     /* 0 */
						       "IN ACCEPT -p udp -dport 53,123,500:501\n"    /* 1 */
						       "IN ACCEPT -p tcp -dport ssh\n"		     /* 2 */
						       "IN DROP -p tcp -sport 7\n"		     /* 3 */
						       "IN ACCEPT -p icmp -dport host-unreachable\n" /* 4 */
						       "IN ACCEPT -p icmp -dport 0\n"		     /* 5 */
						       "IN ACCEPT -p icmpv6 -icmp-type echo-request\n" /* 6 */
						       "IN ACCEPT -p 47\n"			     /* 7 */
						       "OUT DROP\n");				     /* 8 */
	FwRuleSet s = {};
	Diag d = {};

	if (!ok(g && fw_rules_expand(NULL, g, 0, &s, &d) >= 0, "rules with ports and protocols expand"))
		return;
	is_int((int)s.n_rules, 9, "nine rules, no warning (%zu)", n_warnings(&s));
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 999), -1, "tcp 999: below the range");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 1000), 0, "tcp 1000: the range's first port");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 1517), 0, "tcp 1517: inside");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 2000), 0, "tcp 2000: the range's last port");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 2001), -1, "tcp 2001: past it");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 17, 5000, 1500), -1, "udp 1500: another protocol");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 17, 5000, 123), 1, "udp 123: in the list");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 17, 5000, 501), 1, "udp 501: in the list's range");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 17, 5000, 502), -1, "udp 502: not");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 5000, 22), 2, "tcp 22: the service ssh");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 7, 80), 3, "tcp from port 7: -sport");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 1, 0, 3 << 8 | 1), 4, "ICMP host-unreachable (3/1)");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 1, 0, 3 << 8 | 3), -1, "ICMP port-unreachable (3/3): no");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 1, 0, 0 << 8 | 0), 5, "ICMP type 0 (echo-reply), -dport 0");
	is_int(first_match(&s, LXCNET_TO_CT, "fd00::1", "fd00::2", 58, 0, 128 << 8), 6, "ICMPv6 echo-request");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 58, 0, 128 << 8), -1, "but not over IPv4");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 47, 0, 0), 7, "protocol 47 by number");
	is_int(first_match(&s, LXCNET_FROM_CT, "1.1.1.1", "2.2.2.2", 6, 1, 1000), 8, "OUT rules judge the other direction");
	ok(s.rules[8].verdict == FW_DROP && s.rules[0].verdict == FW_ACCEPT, "verdicts as written");
	ok(strcmp(s.rules[3].origin, "100.fw:5") == 0, "a rule says where it was written (%s)", s.rules[3].origin);
	classifier_agrees("ports and protocols", &s, 5000);
	fw_ruleset_done(&s);
}

static void addresses(void)
{
	_cleanup_(fw_config_freep) FwConfig *c = parse(FW_CLUSTER, "cluster.fw",
						       "[ALIASES]\n"
						       "mgmt 192.0.2.0/24\n"
						       "both 198.51.100.7\n"
						       "[IPSET admins]\n"
						       "10.1.0.0/16\n"
						       "!10.1.2.0/24\n"
						       "mgmt\n"
						       "[IPSET empty]\n");
	_cleanup_(fw_config_freep) FwConfig *g = parse(FW_GUEST, "100.fw",
						       "[ALIASES]\n"
						       "both 203.0.113.9\n"
						       "[IPSET local]\n"
						       "fd00:1::/64\n"
						       "[RULES]\n"
						       "IN ACCEPT -source +admins -p tcp -dport 22\n"	 /* 0 */
						       "IN ACCEPT -source 10.9.0.5-10.9.0.20\n"		 /* 1 */
						       "IN ACCEPT -source 10.8.0.1,10.8.1.0/24\n"	 /* 2 */
						       "IN ACCEPT -source both\n"			 /* 3: the guest's */
						       "IN ACCEPT -source dc/both\n"			 /* 4: the cluster's */
						       "IN ACCEPT -source +local\n"			 /* 5 */
						       "IN ACCEPT -source +empty\n"			 /* 6: nothing */
						       "IN ACCEPT -source fd00:2::10-fd00:2::1f\n"	 /* 7 */
						       "OUT ACCEPT -dest +dc/admins\n");		 /* 8 */
	FwRuleSet s = {};
	Diag d = {};

	if (!ok(c && g && fw_rules_expand(c, g, 0, &s, &d) >= 0, "rules with addresses expand"))
		return;
	is_int((int)n_warnings(&s), 0, "no warning");
	is_int(first_match(&s, LXCNET_TO_CT, "10.1.9.9", "10.0.0.1", 6, 1, 22), 0, "+admins: 10.1.9.9 (10.1.0.0/16)");
	is_int(first_match(&s, LXCNET_TO_CT, "10.1.2.3", "10.0.0.1", 6, 1, 22), -1, "+admins: not 10.1.2.3 (!10.1.2.0/24)");
	is_int(first_match(&s, LXCNET_TO_CT, "192.0.2.200", "10.0.0.1", 6, 1, 22), 0, "+admins: 192.0.2.200 (alias mgmt)");
	is_int(first_match(&s, LXCNET_TO_CT, "10.9.0.4", "10.0.0.1", 6, 1, 80), -1, "range: 10.9.0.4 is before it");
	is_int(first_match(&s, LXCNET_TO_CT, "10.9.0.5", "10.0.0.1", 6, 1, 80), 1, "range: 10.9.0.5, its first");
	is_int(first_match(&s, LXCNET_TO_CT, "10.9.0.20", "10.0.0.1", 6, 1, 80), 1, "range: 10.9.0.20, its last");
	is_int(first_match(&s, LXCNET_TO_CT, "10.9.0.21", "10.0.0.1", 6, 1, 80), -1, "range: 10.9.0.21 is past it");
	is_int(first_match(&s, LXCNET_TO_CT, "10.8.1.77", "10.0.0.1", 6, 1, 80), 2, "list: 10.8.1.77 (10.8.1.0/24)");
	is_int(first_match(&s, LXCNET_TO_CT, "203.0.113.9", "10.0.0.1", 6, 1, 80), 3, "alias both: the guest's first");
	is_int(first_match(&s, LXCNET_TO_CT, "198.51.100.7", "10.0.0.1", 6, 1, 80), 4, "dc/both: the cluster's");
	is_int(first_match(&s, LXCNET_TO_CT, "fd00:1::abc", "fd00::1", 6, 1, 80), 5, "+local: an IPv6 set");
	is_int(first_match(&s, LXCNET_TO_CT, "fd00:2::1f", "fd00::1", 6, 1, 80), 7, "an IPv6 range's last address");
	is_int(first_match(&s, LXCNET_TO_CT, "fd00:2::20", "fd00::1", 6, 1, 80), -1, "and past it");
	is_int(first_match(&s, LXCNET_FROM_CT, "10.0.0.1", "10.1.200.1", 17, 1, 80), 8, "+dc/admins as the destination");
	ok(s.rules[1].family == 4 && s.rules[5].family == 0, "an address list sets the rule's family, an ipset does not");
	classifier_agrees("addresses", &s, 5000);
	fw_ruleset_done(&s);
}

static void groups_macros_iface(void)
{
	_cleanup_(fw_config_freep) FwConfig *c = parse(FW_CLUSTER, "cluster.fw",
						       "[group web]\n"
						       "IN HTTP(ACCEPT)\n"
						       "IN ACCEPT -p tcp -dport 443\n"
						       "OUT DROP -p udp -dport 53\n"
						       "|IN ACCEPT -p tcp -dport 8080\n");
	_cleanup_(fw_config_freep) FwConfig *g = parse(FW_GUEST, "100.fw",
						       "[RULES]\n"
						       "IN DROP -p tcp -dport 80 -i net1\n"	 /* net1 only */
						       "GROUP web -i net0\n"			 /* 0, 1 (IN), 2 (OUT) */
						       "|IN DROP -p tcp -dport 443\n"		 /* disabled */
						       "IN DROP -p tcp -dport 443\n"		 /* 3 */
						       "IN Ping(ACCEPT)\n"			 /* 4 (icmp), 5 (icmpv6) */
						       "IN DHCPv6(ACCEPT)\n"			 /* v6 only */
						       "IN SSH(DROP) -source 10.0.0.0/8\n"	 /* IPv4 */
						       "GROUP web -i net1\n");			 /* another NIC's */
	FwRuleSet s = {}, s1 = {};
	Diag d = {};
	int i;

	if (!ok(c && g && fw_rules_expand(c, g, 0, &s, &d) >= 0 && fw_rules_expand(c, g, 1, &s1, &d) >= 0,
		"a guest with a security group and macros expands for net0 and net1"))
		return;
	is_int((int)n_warnings(&s), 0, "no warning");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 1, 80), 0, "net0: tcp 80 by the group's HTTP macro");
	ok(strstr(s.rules[0].origin, "cluster.fw:2 (group web of 100.fw:3)") != NULL, "its origin says the group (%s)",
	   s.rules[0].origin);
	is_int(first_match(&s1, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 1, 80), 0, "net1: tcp 80 dropped by its -i net1 rule");
	ok(s1.rules[0].verdict == FW_DROP, "which drops");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 1, 443), 1, "tcp 443: the group's rule comes first");
	is_int(first_match(&s, LXCNET_FROM_CT, "1.1.1.1", "2.2.2.2", 17, 1, 53), 2, "the group's OUT rule in OUT");
	is_int(first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 6, 1, 8080), -1, "the group's disabled rule is not there");
	i = first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 1, 0, 8 << 8);
	ok(i >= 0 && s.rules[i].proto == 1, "Ping: ICMP echo-request");
	i = first_match(&s, LXCNET_TO_CT, "fd00::1", "fd00::2", 58, 0, 128 << 8);
	ok(i >= 0 && s.rules[i].proto == 58, "Ping: ICMPv6 echo-request");
	i = first_match(&s, LXCNET_TO_CT, "1.1.1.1", "2.2.2.2", 17, 546, 547);
	ok(i < 0, "DHCPv6 does not apply to IPv4");
	i = first_match(&s, LXCNET_TO_CT, "fd00::1", "fd00::2", 17, 546, 547);
	ok(i >= 0, "DHCPv6 applies to IPv6");
	i = first_match(&s, LXCNET_TO_CT, "10.1.1.1", "2.2.2.2", 6, 1, 22);
	ok(i >= 0 && s.rules[i].verdict == FW_DROP, "SSH(DROP) -source 10.0.0.0/8");
	ok(first_match(&s, LXCNET_TO_CT, "11.1.1.1", "2.2.2.2", 6, 1, 22) < 0, "not from 11.1.1.1");
	classifier_agrees("groups and macros", &s, 5000);
	fw_ruleset_done(&s);
	fw_ruleset_done(&s1);
}

/*
 * Debian's /etc/protocols has mptcp as 262. pve-firewall takes "-p mptcp",
 * and the rule never matches (iptables compares the 8-bit protocol); lxcnet
 * leaves it out, saying so, rather than match protocol 262 & 0xff (TCP).
 */
static void beyond_ip(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = NULL;
	FwRuleSet s = {};
	unsigned n = 0;
	Diag d = {};

	if (netdb_protocol_number(NETDB_PROTOCOLS, "mptcp", &n) < 0 || n <= 255) {
		tap_skip(1, "no protocol above 255 in /etc/protocols here");
		return;
	}
	g = parse(FW_GUEST, "100.fw", "[RULES]\nIN ACCEPT -p tcp -dport 1\nIN DROP -p mptcp\n");
	if (!g || fw_rules_expand(NULL, g, 0, &s, &d) < 0) {
		ok(0, "-p mptcp expands: %s", d.msg);
		return;
	}
	ok(s.n_rules == 1 && warned(&s, "100.fw:3: ") && warned(&s, "'mptcp' is above 255") && warned(&s, "never matches") &&
		   first_match(&s, LXCNET_TO_CT, "10.0.0.1", "10.0.0.2", 6, 1, 80) < 0,
	   "-p mptcp (262): left out, said so, TCP not dropped (%s)", s.warnings ? s.warnings[0] : "none");
	fw_ruleset_done(&s);
}

static void refused(void)
{
	static const struct {
		const char *rule, *warning;
	} cases[] = {
		{ "IN ACCEPT -p nosuchproto", "unknown protocol" },
		{ "IN ACCEPT -dport 22", "'dport' requires a protocol" },
		{ "IN ACCEPT -p icmp -sport 22", "does not support ports" },
		{ "IN ACCEPT -p tcp -dport 70000", "invalid port" },
		{ "IN ACCEPT -p tcp -dport 30:20", "backwards port range" },
		{ "IN ACCEPT -p tcp -dport nosuchservice", "invalid port" },
		{ "IN ACCEPT -p tcp -dport 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "too many entries" },
		{ "IN ACCEPT -p tcp -icmp-type echo-request", "'icmp-type' requires" },
		{ "IN ACCEPT -p icmp -icmp-type nosuchtype", "invalid icmp-type" },
		{ "IN NoSuchMacro(ACCEPT)", "unknown macro" },
		{ "IN HTTP(ACCEPT) -p udp", "already defined in macro" },
		{ "IN ACCEPT -source +nosuchset", "no such ipset" },
		{ "IN ACCEPT -source nosuchalias", "no such alias" },
		{ "IN ACCEPT -source 10.0.0.1 -dest fd00::1", "mixed ipv4/ipv6" },
		{ "IN ACCEPT -source 10.0.0.1,fd00::1", "mixed ipv4/ipv6" },
		{ "IN ACCEPT -source 10.0.0.1-10.0.0.5,10.0.0.9", "range in a list" },
		{ "IN ACCEPT -p icmpv6 -source 10.0.0.1", "mixed ipv4/ipv6" },
		{ "IN REFUSE", "unknown action" },
		{ "IN ACCEPT -i eth0", "does not match" },
		{ "GROUP nosuchgroup", "no such security group" },
		{ "IN ACCEPT -x 1", "unable to parse rule parameters" },
		{ "IN", "unable to parse rule" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_(fw_config_freep) FwConfig *g = NULL;
		FwRuleSet s = {};
		Diag d = {};

		if (asprintf(&text, "[RULES]\nIN ACCEPT -p tcp -dport 1\n%s\n", cases[i].rule) < 0)
			return;
		g = parse(FW_GUEST, "100.fw", text);
		if (!g || fw_rules_expand(NULL, g, 0, &s, &d) < 0) {
			ok(0, "'%s' expands", cases[i].rule);
			continue;
		}
		ok(s.n_rules == 1 && n_warnings(&s) == 1 && warned(&s, "100.fw:3: ") && warned(&s, cases[i].warning),
		   "'%s': skipped, warned with file and line (%s)", cases[i].rule, s.warnings ? s.warnings[0] : "none");
		fw_ruleset_done(&s);
	}
	beyond_ip();
}

/* pve-firewall's and proxmox-firewall's fixture files expand; what is skipped is said. */
static void fixtures(void)
{
	const char *samples = getenv("LXCNET_SAMPLES_DIR");
	static const char *const dirs[] = { "pve-firewall/test/test-basic1",	  "pve-firewall/test/test-group1",
					    "pve-firewall/test/test-ipset2",	  "pve-firewall/test/test-vm-aliases1",
					    "pve-firewall/test/test-default-rules1", "proxmox-firewall/tests/input" };
	static const char *const guests[] = { "100.fw", "101.fw", "200.fw", "201.fw" };
	size_t files = 0, rules = 0;
	bool all = true;

	if (!samples || !*samples) {
		tap_skip(1, "no Proxmox samples (configure --with-pve-samples)");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *cpath = NULL;
		_cleanup_(fw_config_freep) FwConfig *c = NULL;
		Diag d = {};

		if (asprintf(&cpath, "%s/%s/cluster.fw", samples, dirs[i]) < 0)
			return;
		(void)fw_config_load(cpath, FW_CLUSTER, &c, &d);
		for (size_t j = 0; j < ELEMENTSOF(guests); j++) {
			_cleanup_free_ char *gpath = NULL;
			_cleanup_(fw_config_freep) FwConfig *g = NULL;
			FwRuleSet s = {};

			if (asprintf(&gpath, "%s/%s/%s", samples, dirs[i], guests[j]) < 0)
				return;
			if (fw_config_load(gpath, FW_GUEST, &g, &d) < 0)
				continue;
			files++;
			if (fw_rules_expand(c, g, 0, &s, &d) < 0) {
				all = false;
				continue;
			}
			rules += s.n_rules;
			for (size_t k = 0; s.warnings && s.warnings[k]; k++)
				tap_diag("%s/%s: %s", dirs[i], guests[j], s.warnings[k]);
			fw_ruleset_done(&s);
		}
	}
	ok(all && files >= 8, "Proxmox's fixture guests expand (%zu files, %zu rules for net0)", files, rules);
}

/* A guest's 100.fw of n generated IN rules (line() writes rule i), then tail. */
static FwConfig *generated(unsigned n, void (*line)(FILE *f, unsigned i), const char *tail)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	fputs("[RULES]\n", f);
	for (unsigned i = 0; i < n; i++)
		line(f, i);
	fputs(tail, f);
	fclose(f);
	return parse(FW_GUEST, "100.fw", text);
}

static void many_rules_line(FILE *f, unsigned i)
{
	fprintf(f, "IN %s -source 10.%u.%u.0/24 -p %s -dport %u\n", i % 3 ? "ACCEPT" : "DROP", i / 250, i % 250,
		i % 2 ? "tcp" : "udp", 1000 + i % 700);
}

/* Rules beyond the first 256 of a direction: the chunks outside the entries themselves. */
static void many_rules(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = generated(3000, many_rules_line, "IN DROP -p tcp\nOUT ACCEPT -dest 192.168.0.0/16\n");
	FwRuleSet s = {};
	Diag d = {};

	if (g && fw_rules_expand(NULL, g, 0, &s, &d) < 0)
		g = NULL;
	if (!ok(g && s.n_rules == 3002, "3,002 rules expand (%zu)", s.n_rules))
		return;
	classifier_agrees("3,002 rules", &s, 3000);
	fw_ruleset_done(&s);
}

/* The match entry of (dir, field, family) with exactly this prefix. */
static const FwMatchEntry *entry(const FwClassifier *c, uint8_t dir, uint8_t field, uint16_t family, const char *addr,
				 uint8_t len)
{
	uint8_t v[16] = {};

	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, v);
	for (size_t i = 0; i < c->n_match; i++)
		if (c->match[i].dir == dir && c->match[i].field == field && c->match[i].family == family &&
		    c->match[i].len == len && memcmp(c->match[i].value, v, 16) == 0)
			return &c->match[i];
	return NULL;
}

/* Rules as one test in their simple fields, and values with few of them listing them as candidates. */
static void simple_rules(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = parse(FW_GUEST, "100.fw",
						       "[IPSET set1]\n10.5.0.0/16\n!10.5.1.0/24\n"
						       "[RULES]\n"
						       "IN ACCEPT -source 10.0.0.1 -p tcp -dport 80,443\n"
						       "IN DROP -source 10.0.0.2 -p udp -dport 1000:2000,2001:2100\n"
						       "IN ACCEPT -source 10.0.0.3 -p tcp -dport 1,3,5,7,9\n"
						       "IN ACCEPT -source +set1\n"
						       "IN DROP -source 10.0.0.4,10.0.0.5\n"
						       "IN ACCEPT -dest fd00::/64 -p tcp -sport 1024:65535\n");
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	const struct lxcnet_fw_test *t;
	const FwMatchEntry *e;
	FwRuleSet s = {};
	Diag d = {};

	if (!ok(g && fw_rules_expand(NULL, g, 0, &s, &d) >= 0 && s.n_rules == 6 && fw_classify(&s, &c) >= 0,
		"simple rules: six rules compiled"))
		return;
	t = c->tests[LXCNET_TO_CT];
	ok(!t[0].complex && t[0].family == 4 && t[0].proto == 6 && t[0].src_len == 32 && t[0].src[3] == 1 &&
		   t[0].dport[0][0] == 80 && t[0].dport[0][1] == 80 && t[0].dport[1][0] == 443 && t[0].dport[1][1] == 443 &&
		   t[0].sport[0][0] == 0 && t[0].sport[0][1] == 65535 && t[0].dst_len == 0,
	   "simple rules: one address, tcp, ports 80 and 443 as two ranges");
	ok(!t[1].complex && t[1].dport[0][0] == 1000 && t[1].dport[0][1] == 2100 && t[1].dport[3][0] == 1000 &&
		   t[1].dport[3][1] == 2100,
	   "simple rules: 1000:2000,2001:2100 as one range");
	ok(t[2].complex == 1 << LXCNET_FW_DPORT && t[2].dport[0][0] == 0 && t[2].dport[0][1] == 65535 && t[2].src_len == 32 &&
		   t[2].proto == 6,
	   "simple rules: five port ranges are not one test: left out of it, the address and protocol in it");
	ok(t[3].complex == 1 << LXCNET_FW_SRC && t[3].src_len == 0 && t[4].complex == 1 << LXCNET_FW_SRC && t[4].src_len == 0,
	   "simple rules: a set with '!' and two addresses are not one test either: any source in it");
	ok(c->whole_only[LXCNET_TO_CT] == (1 << LXCNET_FW_PROTO) && c->nothing_else[LXCNET_TO_CT] == 0,
	   "simple rules: only the protocol has whole values alone (a prefix, ranges elsewhere), and rules without one");
	ok(!t[5].complex && t[5].family == 6 && t[5].proto == 6 && t[5].dst_len == 64 && t[5].sport[0][0] == 1024 &&
		   t[5].sport[0][1] == 65535,
	   "simple rules: an IPv6 destination prefix and a source port range");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "10.0.0.1", 32);
	ok(e && e->val.n_cand == 1 && e->val.cand[0] == 0 && e->val.tested && !e->val.need,
	   "simple rules: 10.0.0.1's entry lists rule 0 as its candidate, one test");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "10.0.0.3", 32);
	ok(e && e->val.n_cand == 1 && e->val.cand[0] == 2 && !e->val.tested && e->val.need == 1 << LXCNET_FW_DPORT,
	   "simple rules: 10.0.0.3's entry lists rule 2, whose ports are not one test: the port is looked up, its test "
	   "judges the rest");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "10.0.0.4", 32);
	ok(e && e->val.n_cand == 1 && e->val.cand[0] == 4 && e->val.tested,
	   "simple rules: 10.0.0.4's entry lists rule 4, whose address list is the field the entry decides: its test");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "10.5.0.0", 16);
	ok(e && e->val.n_cand == 1 && e->val.cand[0] == 3, "simple rules: the set's prefix lists its rule");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "10.5.1.0", 24);
	ok(e && e->val.n_cand == 0, "simple rules: the set's '!' prefix lists none");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_DPORT, 0, "0.1.0.0", 16); /* port 1, big-endian */
	ok(e && e->val.n_cand == 4 && e->val.cand[0] == 2 && e->val.cand[3] == 5 && !e->val.tested &&
		   e->val.need == ((1 << LXCNET_FW_SRC) | (1 << LXCNET_FW_DPORT)),
	   "simple rules: port 1 lists four rules, some of them with sources that are not one test: not tested, the "
	   "source needed (and the port itself)");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 4, "0.0.0.0", 0);
	ok(e && e->val.n_cand == 0 && e->val.tested,
	   "simple rules: IPv4 sources no rule names have no candidate at all (and so nothing else to look up)");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_SRC, 6, "::", 0);
	ok(e && e->val.n_cand == 1 && e->val.cand[0] == 5, "simple rules: an IPv6 source has rule 5 only");
	ok(c->fields[LXCNET_TO_CT] == ((1 << LXCNET_FW_SRC) | (1 << LXCNET_FW_DST) | (1 << LXCNET_FW_PROTO) |
				       (1 << LXCNET_FW_SPORT) | (1 << LXCNET_FW_DPORT)) &&
		   c->fields[LXCNET_FROM_CT] == 0,
	   "simple rules: IN restricts every field, OUT has no rule");
	classifier_agrees("simple rules", &s, 5000);
	fw_ruleset_done(&s);
}

/* Up to four port ranges are one test, the last repeated. */
static void port_ranges_test(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = parse(FW_GUEST, "100.fw", "[RULES]\nIN ACCEPT -p tcp -dport 8000:8080,443,80,21\n");
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	const struct lxcnet_fw_test *t;
	FwRuleSet s = {};
	Diag d = {};

	if (!ok(g && fw_rules_expand(NULL, g, 0, &s, &d) >= 0 && s.n_rules == 1 && fw_classify(&s, &c) >= 0,
		"port ranges: compiled"))
		return;
	t = c->tests[LXCNET_TO_CT];
	ok(!t[0].complex && t[0].dport[0][0] == 21 && t[0].dport[0][1] == 21 && t[0].dport[1][0] == 80 &&
		   t[0].dport[2][0] == 443 && t[0].dport[3][0] == 8000 && t[0].dport[3][1] == 8080,
	   "port ranges: four ranges are one test, sorted");
	fw_ruleset_done(&s);
}

static void unrestricted_line(FILE *f, unsigned i)
{
	fprintf(f, "IN DROP -p tcp -dport %u,%u,%u\n", 1000 + i, 3000 + i, 5000 + i);
}

/* A field no rule restricts is not looked up; a value matching every rule of a chunk has no word for it. */
static void unrestricted(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = generated(700, unrestricted_line, "");
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	const FwMatchEntry *e;
	size_t words = 0;
	FwRuleSet s = {};
	Diag d = {};

	if (!ok(g && fw_rules_expand(NULL, g, 0, &s, &d) >= 0 && fw_classify(&s, &c) >= 0, "unrestricted: 700 rules compiled"))
		return;
	ok(c->fields[LXCNET_TO_CT] == ((1 << LXCNET_FW_PROTO) | (1 << LXCNET_FW_DPORT)),
	   "unrestricted: only the protocol and the destination port are looked up");
	ok(c->whole_only[LXCNET_TO_CT] == c->fields[LXCNET_TO_CT] && c->nothing_else[LXCNET_TO_CT] == c->fields[LXCNET_TO_CT],
	   "unrestricted: both have whole values only, and every rule names one: another value matches none at once");
	e = entry(c, LXCNET_TO_CT, LXCNET_FW_PROTO, 0, "6.0.0.0", 8);
	for (size_t i = 0; e && i < c->n_chunks; i++)
		words += c->chunks[i].id == e->val.id;
	ok(e && e->val.summary[0] == 0x7f0 && e->val.full[0] == 0x7f0 && words == 0,
	   "unrestricted: tcp matches every rule: chunks 4..10 full, no word stored");
	classifier_agrees("unrestricted", &s, 3000);
	fw_ruleset_done(&s);
}

int main(void)
{
	macro_table();
	ports_and_protocols();
	addresses();
	groups_macros_iface();
	refused();
	fixtures();
	many_rules();
	simple_rules();
	port_ranges_test();
	unrestricted();
	return tap_done();
}
