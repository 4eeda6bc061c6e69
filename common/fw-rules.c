/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fw-rules.h"
#include "netdb-files.h"
#include "../bpf/port-abi.h"
#include "strutil.h"

int fw_resolve_cidr(const FwConfig *cluster, const FwConfig *guest, const char *s, int *ret_family, uint8_t ret_addr[16],
		    unsigned *ret_prefixlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *name = s;
	bool dc = true, gst = true;
	InetPrefix p;

	if (strlen(s) + 5 > sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), strchr(s, '/') ? "%s" : strchr(s, ':') ? "%s/128" : "%s/32", s);
	if (inet_prefix_parse(buf, AF_UNSPEC, 0, &p) >= 0) {
		*ret_family = p.family == AF_INET6 ? 6 : 4;
		memset(ret_addr, 0, 16);
		/* Host bits off: the datapath's trie matches on the prefix. */
		for (unsigned i = 0; i < (p.family == AF_INET6 ? 16u : 4u); i++) {
			unsigned bits = p.len > i * 8 ? p.len - i * 8 : 0;

			ret_addr[i] = bits >= 8 ? p.addr[i] : (uint8_t)(p.addr[i] & (0xff00 >> bits));
		}
		*ret_prefixlen = p.len;
		return 0;
	}
	if (strncasecmp(s, "dc/", 3) == 0)
		name = s + 3, gst = false;
	else if (strncasecmp(s, "guest/", 6) == 0)
		name = s + 6, dc = false;
	if (strchr(name, '/') || strchr(name, ':'))
		return -EINVAL;
	for (int scope = 0; scope < 2; scope++) {
		const FwConfig *c = scope == 0 ? (gst ? guest : NULL) : (dc ? cluster : NULL);

		for (size_t i = 0; c && i < c->n_aliases; i++)
			if (strcasecmp(c->aliases[i].name, name) == 0)
				/* An alias holds an address or a network, never another alias: no configs to look in. */
				return fw_resolve_cidr(NULL, NULL, c->aliases[i].cidr, ret_family, ret_addr, ret_prefixlen);
	}
	return -ENOENT;
}

const FwMacro *fw_macro_find(const char *name)
{
	for (size_t i = 0; i < fw_n_macros; i++)
		if (strcasecmp(fw_macros[i].name, name) == 0)
			return &fw_macros[i];
	return NULL;
}

/* Macros pve-firewall applies to IPv6 only ($pve_ipv6fw_macros without an IPv4 one). */
static bool macro_ipv6_only(const FwMacro *m)
{
	return strcmp(m->name, "DHCPv6") == 0;
}

/* iptables' ICMP type names (iptables -p icmp -h): type, code (-1: any). */
static const struct IcmpName {
	const char *name;
	int type, code;
} icmp4_names[] = {
	{ "echo-reply", 0, -1 },
	{ "destination-unreachable", 3, -1 },
	{ "network-unreachable", 3, 0 },
	{ "host-unreachable", 3, 1 },
	{ "protocol-unreachable", 3, 2 },
	{ "port-unreachable", 3, 3 },
	{ "fragmentation-needed", 3, 4 },
	{ "source-route-failed", 3, 5 },
	{ "network-unknown", 3, 6 },
	{ "host-unknown", 3, 7 },
	{ "network-prohibited", 3, 9 },
	{ "host-prohibited", 3, 10 },
	{ "TOS-network-unreachable", 3, 11 },
	{ "TOS-host-unreachable", 3, 12 },
	{ "communication-prohibited", 3, 13 },
	{ "host-precedence-violation", 3, 14 },
	{ "precedence-cutoff", 3, 15 },
	{ "source-quench", 4, -1 },
	{ "redirect", 5, -1 },
	{ "network-redirect", 5, 0 },
	{ "host-redirect", 5, 1 },
	{ "TOS-network-redirect", 5, 2 },
	{ "TOS-host-redirect", 5, 3 },
	{ "echo-request", 8, -1 },
	{ "router-advertisement", 9, -1 },
	{ "router-solicitation", 10, -1 },
	{ "time-exceeded", 11, -1 },
	{ "ttl-zero-during-transit", 11, 0 },
	{ "ttl-zero-during-reassembly", 11, 1 },
	{ "parameter-problem", 12, -1 },
	{ "ip-header-bad", 12, 0 },
	{ "required-option-missing", 12, 1 },
	{ "timestamp-request", 13, -1 },
	{ "timestamp-reply", 14, -1 },
	{ "address-mask-request", 17, -1 },
	{ "address-mask-reply", 18, -1 },
	{ NULL, 0, 0 },
},
  /* ip6tables -p icmpv6 -h, and nftables' neighbour discovery names (proxmox-firewall's macros use them). */
  icmp6_names[] = {
	  { "destination-unreachable", 1, -1 },
	  { "no-route", 1, 0 },
	  { "communication-prohibited", 1, 1 },
	  { "beyond-scope", 1, 2 },
	  { "address-unreachable", 1, 3 },
	  { "port-unreachable", 1, 4 },
	  { "failed-policy", 1, 5 },
	  { "reject-route", 1, 6 },
	  { "packet-too-big", 2, -1 },
	  { "time-exceeded", 3, -1 },
	  { "ttl-zero-during-transit", 3, 0 },
	  { "ttl-zero-during-reassembly", 3, 1 },
	  { "parameter-problem", 4, -1 },
	  { "bad-header", 4, 0 },
	  { "unknown-header-type", 4, 1 },
	  { "unknown-option", 4, 2 },
	  { "echo-request", 128, -1 },
	  { "echo-reply", 129, -1 },
	  { "router-solicitation", 133, -1 },
	  { "router-advertisement", 134, -1 },
	  { "neighbor-solicitation", 135, -1 },
	  { "neighbour-solicitation", 135, -1 },
	  { "neighbor-advertisement", 136, -1 },
	  { "neighbour-advertisement", 136, -1 },
	  { "redirect", 137, -1 },
	  { "nd-router-solicit", 133, -1 },
	  { "nd-router-advert", 134, -1 },
	  { "nd-neighbor-solicit", 135, -1 },
	  { "nd-neighbor-advert", 136, -1 },
	  { NULL, 0, 0 },
  };

static const struct IcmpName *icmp_name(const struct IcmpName *t, const char *name)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static void rule_free(FwRule *r)
{
	free(r->src);
	free(r->dst);
	free(r->sport);
	free(r->dport);
	free(r->origin);
}

void fw_ruleset_done(FwRuleSet *s)
{
	for (size_t i = 0; i < s->n_rules; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	strv_free(s->warnings);
	*s = (FwRuleSet){};
}

/* A rule line as pve-firewall's parse_fw_rule() splits it. */
typedef struct Spec {
	bool enable;
	char type[16];
	char action[FW_NAME_MAX + 1];
	char macro[FW_NAME_MAX + 1];
	const char *iface, *proto, *dport, *sport, *source, *dest, *icmp_type;
	char *buf; /* owns the strings above */
} Spec;

/* "-opt VALUE" or "--opt VALUE" at *p (one dash only for -i and -p): the value, NUL-terminated in place. */
static char *take_opt(char **p, const char *const *names)
{
	for (; *names; names++) {
		size_t n = strlen(*names);

		if (strncmp(*p, *names, n) == 0 && (*p)[n] == ' ') {
			char *v = *p + n + 1, *end;

			v += strspn(v, " \t");
			end = v + strcspn(v, " \t");
			if (end == v)
				return NULL;
			*p = end + strspn(end, " \t");
			*end = '\0';
			return v;
		}
	}
	return NULL;
}

/* -EINVAL with *why set when pve-firewall could not parse the line either. */
static int spec_parse(const char *text, Spec *s, const char **why)
{
	static const char *const i_opt[] = { "-i", NULL }, *const p_opt[] = { "-p", "--proto", "-proto", NULL },
				 *const dport_opt[] = { "--dport", "-dport", NULL }, *const sport_opt[] = { "--sport", "-sport", NULL },
				 *const src_opt[] = { "--source", "-source", NULL }, *const dst_opt[] = { "--dest", "-dest", NULL },
				 *const log_opt[] = { "--log", "-log", NULL },
				 *const icmp_opt[] = { "--icmp-type", "-icmp-type", NULL };
	char *p, *hash, *w1, *w2, *v;
	size_t n;

	*s = (Spec){ .enable = true };
	s->buf = strdup(text);
	if (!s->buf)
		return -ENOMEM;
	p = s->buf;
	hash = strchr(p, '#');
	if (hash)
		*hash = '\0';
	strstrip(p);
	if (*p == '|') {
		s->enable = false;
		p++;
	}
	w1 = p;
	n = strcspn(w1, " \t");
	if (!n || !w1[n]) {
		*why = "unable to parse rule";
		return -EINVAL;
	}
	w1[n] = '\0';
	w2 = w1 + n + 1;
	w2 += strspn(w2, " \t");
	n = strcspn(w2, " \t");
	if (!n) {
		*why = "unable to parse rule";
		return -EINVAL;
	}
	p = w2 + n;
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
	}
	if (strlen(w1) >= sizeof(s->type) || strlen(w2) > FW_NAME_MAX) {
		*why = "unable to parse rule";
		return -EINVAL;
	}
	for (size_t i = 0; w1[i]; i++)
		s->type[i] = (char)tolower((unsigned char)w1[i]);
	snprintf(s->action, sizeof(s->action), "%s", w2);
	if (strcmp(s->type, "in") == 0 || strcmp(s->type, "out") == 0) {
		char *open = strchr(s->action, '(');

		if (open && open != s->action && s->action[strlen(s->action) - 1] == ')') {
			char *act = open + 1;

			act[strlen(act) - 1] = '\0';
			if (strcmp(act, "ACCEPT") == 0 || strcmp(act, "DROP") == 0 || strcmp(act, "REJECT") == 0) {
				*open = '\0';
				snprintf(s->macro, sizeof(s->macro), "%s", s->action);
				memmove(s->action, act, strlen(act) + 1);
			} else
				act[strlen(act)] = ')';
		}
	}
	while (*p) {
		if ((v = take_opt(&p, i_opt))) {
			s->iface = v;
			continue;
		}
		if (strcmp(s->type, "group") == 0)
			break;
		if ((v = take_opt(&p, p_opt)))
			s->proto = v;
		else if ((v = take_opt(&p, dport_opt)))
			s->dport = v;
		else if ((v = take_opt(&p, sport_opt)))
			s->sport = v;
		else if ((v = take_opt(&p, src_opt)))
			s->source = v;
		else if ((v = take_opt(&p, dst_opt)))
			s->dest = v;
		else if ((v = take_opt(&p, log_opt))) {
			static const char *const levels[] = { "emerg", "alert", "crit",	 "err",	  "warning",
							      "notice", "info",	 "debug", "nolog", NULL };
			bool known = false;

			for (size_t i = 0; levels[i]; i++)
				known = known || strcmp(v, levels[i]) == 0;
			if (!known) {
				*why = "unable to parse rule parameters";
				return -EINVAL;
			}
		} else if ((v = take_opt(&p, icmp_opt)))
			s->icmp_type = v;
		else
			break;
	}
	if (*p) {
		*why = "unable to parse rule parameters";
		return -EINVAL;
	}
	return 0;
}

static void spec_done(Spec *s)
{
	free(s->buf);
}

/* A growing array of prefixes. */
typedef struct Prefixes {
	FwPrefix *v;
	size_t n;
} Prefixes;

static int prefix_push(Prefixes *ps, const FwPrefix *p)
{
	FwPrefix *at = array_grow(&ps->v, ps->n, sizeof(*ps->v));

	if (!at)
		return -ENOMEM;
	*at = *p;
	ps->n++;
	return 0;
}

/* The smallest set of prefixes covering lo..hi (big-endian, nbytes long, lo <= hi). */
static int range_push(Prefixes *ps, uint8_t family, const uint8_t *lo_in, const uint8_t *hi, size_t nbytes)
{
	unsigned bits = (unsigned)nbytes * 8;
	uint8_t lo[16];

	memcpy(lo, lo_in, nbytes);
	for (;;) {
		FwPrefix p = { .family = family };
		unsigned k = 0;
		int r;

		/* The largest block aligned at lo whose last address is not past hi. */
		while (k < bits) {
			unsigned byte = (unsigned)nbytes - 1 - k / 8, bit = k % 8;
			uint8_t top[16];

			if (lo[byte] & (1u << bit))
				break; /* lo is not aligned to 2^(k+1) */
			memcpy(top, lo, nbytes);
			for (unsigned j = 0; j <= k; j++)
				top[nbytes - 1 - j / 8] |= (uint8_t)(1u << (j % 8));
			if (memcmp(top, hi, nbytes) > 0)
				break;
			k++;
		}
		memcpy(p.addr, lo, nbytes);
		p.len = (uint8_t)(bits - k);
		r = prefix_push(ps, &p);
		if (r < 0)
			return r;
		/* Done when the block reaches hi; else lo += 2^k (a carry out of the top: past the end). */
		{
			uint8_t top[16];
			unsigned carry = 1u << (k % 8);

			memcpy(top, lo, nbytes);
			for (unsigned j = 0; j < k; j++)
				top[nbytes - 1 - j / 8] |= (uint8_t)(1u << (j % 8));
			if (memcmp(top, hi, nbytes) >= 0)
				return 0;
			for (int byte = (int)nbytes - 1 - (int)(k / 8); byte >= 0 && carry; byte--) {
				unsigned sum = lo[byte] + carry;

				lo[byte] = (uint8_t)sum;
				carry = sum >> 8;
			}
			if (carry)
				return 0;
		}
	}
}

static int port_range_push(Prefixes *ps, unsigned lo, unsigned hi)
{
	uint8_t a[2] = { (uint8_t)(lo >> 8), (uint8_t)lo }, b[2] = { (uint8_t)(hi >> 8), (uint8_t)hi };

	return range_push(ps, 0, a, b, 2);
}

/* An ICMP type (code -1: any) as a prefix of the destination port field. */
static int icmp_push(Prefixes *ps, int type, int code)
{
	FwPrefix p = { .addr = { (uint8_t)type, (uint8_t)(code < 0 ? 0 : code) }, .len = (uint8_t)(code < 0 ? 8 : 16) };

	return prefix_push(ps, &p);
}

/* A port list (parse_port_name_number_or_range): numbers, a:b ranges, service names; ICMP type names when icmp is set. */
static int ports_parse(const char *spec, bool dport, int icmp_family, Prefixes *ret, const char **why)
{
	_cleanup_free_ char *copy = strdup(spec);
	unsigned count = 0;
	bool icmp_name_seen = false;
	char *save = NULL, *item;
	int r;

	if (!copy)
		return -ENOMEM;
	if (!*spec || spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,")) {
		*why = "extraneous commas in list";
		return -EINVAL;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		uint64_t a, b;
		char *colon = strchr(item, ':');

		if (colon) {
			*colon = '\0';
			if (parse_uint_range(item, 0, 65535, &a) < 0 || parse_uint_range(colon + 1, 0, 65535, &b) < 0) {
				*why = "invalid port";
				return -EINVAL;
			}
			if (a > b) {
				*why = "backwards port range";
				return -EINVAL;
			}
			count += 2;
			if (icmp_family) {
				/* A range of ICMP types, any code. */
				if (b > 255) {
					*why = "invalid icmp-type";
					return -EINVAL;
				}
				for (uint64_t t = a; t <= b; t++)
					if ((r = icmp_push(ret, (int)t, -1)) < 0)
						return r;
				continue;
			}
			r = port_range_push(ret, (unsigned)a, (unsigned)b);
		} else if (item[0] >= '0' && item[0] <= '9') {
			if (parse_uint_range(item, 0, 65535, &a) < 0) {
				*why = "invalid port";
				return -EINVAL;
			}
			count++;
			if (icmp_family) {
				if (a > 255) {
					*why = "invalid icmp-type";
					return -EINVAL;
				}
				r = icmp_push(ret, (int)a, -1);
			} else
				r = port_range_push(ret, (unsigned)a, (unsigned)a);
		} else if (dport && icmp_family) {
			const struct IcmpName *n;

			if (strcmp(item, "any") == 0 && icmp_family == 4) {
				/* Any type: the whole field (a prefix of length 0, which the caller takes as no restriction). */
				FwPrefix all = {};

				icmp_name_seen = true;
				r = prefix_push(ret, &all);
				if (r < 0)
					return r;
				continue;
			}
			n = icmp_name(icmp_family == 4 ? icmp4_names : icmp6_names, item);
			if (!n) {
				*why = "unknown icmp-type";
				return -EINVAL;
			}
			icmp_name_seen = true;
			r = icmp_push(ret, n->type, n->code);
		} else {
			uint16_t port;

			/* pve-firewall also knows ICMP names in -dport of other protocols, but rejects them there later. */
			if (netdb_service_port(NETDB_SERVICES, item, &port) < 0) {
				*why = "invalid port";
				return -EINVAL;
			}
			r = port_range_push(ret, port, port);
		}
		if (r < 0)
			return r;
	}
	if (icmp_name_seen && count > 0) {
		*why = "ICMP ports not allowed in port range";
		return -EINVAL;
	}
	if (count > 15) {
		*why = "too many entries in port list (> 15 numbers)";
		return -EINVAL;
	}
	return 0;
}

/* An address, CIDR or a-b range (parse_address_list's elements); its family in *family. */
static int addr_elem(const char *s, Prefixes *ret, int *family, const char **why)
{
	const char *dash = strchr(s, '-');
	uint8_t addr[16], hi[16];
	unsigned plen;
	int fam, fam2;

	if (dash) {
		char a[INET6_ADDRSTRLEN + 1], b[INET6_ADDRSTRLEN + 1];
		size_t alen = (size_t)(dash - s);

		if (alen >= sizeof(a) || strlen(dash + 1) >= sizeof(b)) {
			*why = "invalid IP address";
			return -EINVAL;
		}
		memcpy(a, s, alen);
		a[alen] = '\0';
		strcpy(b, dash + 1);
		fam = strchr(a, ':') ? 6 : 4;
		fam2 = strchr(b, ':') ? 6 : 4;
		memset(addr, 0, sizeof(addr));
		memset(hi, 0, sizeof(hi));
		if (fam != fam2 || inet_pton(fam == 6 ? AF_INET6 : AF_INET, a, addr) != 1 ||
		    inet_pton(fam == 6 ? AF_INET6 : AF_INET, b, hi) != 1 || memcmp(addr, hi, fam == 6 ? 16 : 4) > 0) {
			*why = "invalid IP address range";
			return -EINVAL;
		}
		*family = fam;
		return range_push(ret, (uint8_t)fam, addr, hi, fam == 6 ? 16 : 4);
	}
	if (fw_resolve_cidr(NULL, NULL, s, &fam, addr, &plen) < 0) {
		*why = "invalid IP address";
		return -EINVAL;
	}
	*family = fam;
	{
		FwPrefix p = { .family = (uint8_t)fam, .len = (uint8_t)plen };

		memcpy(p.addr, addr, 16);
		return prefix_push(ret, &p);
	}
}

/* pve-firewall's ip_alias_pattern, with the scopes: [dc/|guest/]letter, then letters, digits, '-' and '_'. */
static bool is_alias_name(const char *s)
{
	if (strncasecmp(s, "dc/", 3) == 0)
		s += 3;
	else if (strncasecmp(s, "guest/", 6) == 0)
		s += 6;
	if (!isalpha((unsigned char)s[0]) || !s[1])
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static const FwIpset *ipset_find(const FwConfig *c, const char *name)
{
	return c ? fw_config_find_ipset(c, name) : NULL;
}

/*
 * -source/-dest: "+ipset" (the guest's, then the cluster's; "+dc/x" and
 * "+guest/x" pick one), an alias, or a list of addresses and networks, or
 * one a-b range. *family: 4, 6, or 0 when an ipset may hold both.
 */
static int addr_parse(const FwConfig *cluster, const FwConfig *guest, const char *spec, Prefixes *ret, int *family,
		      const char **why)
{
	int fam = 0, r;

	*family = 0;
	if (spec[0] == '+') {
		const char *name = spec + 1;
		const FwIpset *set = NULL;
		const FwConfig *owner = NULL;

		if (strncasecmp(name, "dc/", 3) == 0)
			set = ipset_find(cluster, name + 3), owner = cluster;
		else if (strncasecmp(name, "guest/", 6) == 0)
			set = ipset_find(guest, name + 6), owner = guest;
		else if ((set = ipset_find(guest, name)))
			owner = guest;
		else
			set = ipset_find(cluster, name), owner = cluster;
		if (!set) {
			*why = "no such ipset";
			return -EINVAL;
		}
		for (size_t i = 0; i < set->n_entries; i++) {
			const FwIpsetEntry *e = &set->entries[i];
			FwPrefix p = { .nomatch = e->nomatch };
			unsigned plen;
			int f;

			/* An alias in a guest's set may be the cluster's; in the cluster's set only the cluster's. */
			if (fw_resolve_cidr(cluster, owner == guest ? guest : NULL, e->cidr, &f, p.addr, &plen) < 0 || plen == 0)
				continue; /* pve-firewall leaves out entries with errors */
			p.family = (uint8_t)f;
			p.len = (uint8_t)plen;
			r = prefix_push(ret, &p);
			if (r < 0)
				return r;
		}
		/* An empty set matches nothing: one nomatch entry per family says so. */
		if (ret->n == 0) {
			FwPrefix none4 = { .family = 4, .nomatch = true }, none6 = { .family = 6, .nomatch = true };

			if ((r = prefix_push(ret, &none4)) < 0 || (r = prefix_push(ret, &none6)) < 0)
				return r;
		}
		return 0;
	}
	if (is_alias_name(spec)) {
		FwPrefix p = {};
		unsigned plen;
		int f;

		r = fw_resolve_cidr(cluster, guest, spec, &f, p.addr, &plen);
		if (r < 0) {
			*why = "no such alias";
			return -EINVAL;
		}
		p.family = (uint8_t)f;
		p.len = (uint8_t)plen;
		*family = f;
		return prefix_push(ret, &p);
	}
	if (spec[0] == ',' || spec[strlen(spec) - 1] == ',' || strstr(spec, ",,")) {
		*why = "extraneous commas in list";
		return -EINVAL;
	}
	{
		_cleanup_free_ char *copy = strdup(spec);
		char *save = NULL, *item;
		unsigned count = 0;
		bool range = false;

		if (!copy)
			return -ENOMEM;
		for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
			int f;

			count++;
			range = range || strchr(item, '-');
			r = addr_elem(item, ret, &f, why);
			if (r < 0)
				return r;
			if (fam && f != fam) {
				*why = "detected mixed ipv4/ipv6 addresses in address list";
				return -EINVAL;
			}
			fam = f;
		}
		if (range && count > 1) {
			*why = "you can't use a range in a list";
			return -EINVAL;
		}
	}
	*family = fam;
	return 0;
}

/* pve-firewall's $PROTOCOLS_WITH_PORTS. */
static bool proto_has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

#define PROTO_BEYOND_IP (-2)

/*
 * A protocol name or number of /etc/protocols (and "icmpv6"); -1 when it is
 * neither, PROTO_BEYOND_IP for a name whose number no IP header can carry
 * (Debian's mptcp, 262).
 */
static int proto_parse(const char *s)
{
	uint64_t n;
	unsigned p;

	if (strcmp(s, "icmpv6") == 0)
		return FW_PROTO_ICMPV6;
	if (parse_uint_range(s, 0, 255, &n) >= 0)
		return netdb_protocol_known(NETDB_PROTOCOLS, (unsigned)n) ? (int)n : -1;
	if (netdb_protocol_number(NETDB_PROTOCOLS, s, &p) < 0)
		return -1;
	return p <= 255 ? (int)p : PROTO_BEYOND_IP;
}

typedef struct Expander {
	const FwConfig *cluster, *guest;
	unsigned idx;
	FwRuleSet *out;
} Expander;

/* A warning "origin: msg (how)" onto the rule set's. */
static int warn_as(Expander *x, const char *origin, const char *how, const char *msg)
{
	_cleanup_free_ char *full = NULL;
	char **at;
	size_t n = 0;

	if (asprintf(&full, "%s: %s (%s)", origin, msg, how) < 0)
		return -ENOMEM;
	while (x->out->warnings && x->out->warnings[n])
		n++;
	at = realloc(x->out->warnings, (n + 2) * sizeof(char *));
	if (!at)
		return -ENOMEM;
	at[n] = TAKE_PTR(full);
	at[n + 1] = NULL;
	x->out->warnings = at;
	return 0;
}

static int _printf_(3, 4) warn(Expander *x, const char *origin, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	return r < 0 ? -ENOMEM : warn_as(x, origin, "skipped, as pve-firewall skips it", msg);
}

/* The macro's rule fields over the rule's: a field both set differently is an error. */
static const char *merge(const char *rule, const char *macro, bool *conflict)
{
	if (rule && macro && strcmp(rule, macro) != 0)
		*conflict = true;
	return macro ? macro : rule;
}

/*
 * The ports, the ICMP type, the protocol of one rule (after the macro) into r; -EINVAL with *why when
 * pve-firewall refuses it, -EDOM with *why when it takes a rule that never matches (*why may point into
 * msg, msg_size bytes of the caller's).
 */
static int rule_l4(FwRule *r, int *family, const char *proto_s, const char *dport_s, const char *sport_s, const char *icmp_s,
		   Prefixes *sp, Prefixes *dp, const char **why, char *msg, size_t msg_size)
{
	int proto = -1, k;

	if (proto_s) {
		proto = proto_parse(proto_s);
		if (proto == PROTO_BEYOND_IP) {
			/*
			 * pve-firewall takes it, and iptables compares it with the
			 * packet's 8-bit protocol: the rule never matches, which is
			 * what leaving it out does.
			 */
			snprintf(msg, msg_size, "protocol '%.40s' is above 255, which no packet carries", proto_s);
			*why = msg;
			return -EDOM;
		}
		if (proto < 0) {
			/* msg is the caller's: rules are expanded in more than one thread of lxcnetd. */
			snprintf(msg, msg_size, "unknown protocol '%.60s'", proto_s);
			*why = msg;
			return -EINVAL;
		}
		if ((proto == FW_PROTO_ICMP && *family == 6) || (proto == FW_PROTO_ICMPV6 && *family == 4)) {
			*why = "detected mixed ipv4/ipv6 addresses in rule";
			return -EINVAL;
		}
		if (proto == FW_PROTO_ICMP)
			*family = 4;
		else if (proto == FW_PROTO_ICMPV6)
			*family = 6;
	}
	r->proto = proto;
	if (icmp_s && dport_s) {
		*why = "'icmp-type' cannot be specified together with 'dport'";
		return -EINVAL;
	}
	if (icmp_s) {
		const struct IcmpName *n = NULL;

		if (proto != FW_PROTO_ICMP && proto != FW_PROTO_ICMPV6) {
			*why = "'icmp-type' requires protocol icmp, icmpv6 or ipv6-icmp";
			return -EINVAL;
		}
		if (!(strcmp(icmp_s, "any") == 0 && proto == FW_PROTO_ICMP) &&
		    !(n = icmp_name(proto == FW_PROTO_ICMP ? icmp4_names : icmp6_names, icmp_s))) {
			*why = "invalid icmp-type";
			return -EINVAL;
		}
		if (n && (k = icmp_push(dp, n->type, n->code)) < 0)
			return k;
	}
	if (dport_s) {
		int icmp = proto == FW_PROTO_ICMP ? 4 : proto == FW_PROTO_ICMPV6 ? 6 : 0;

		if (!proto_s) {
			*why = "missing property - 'dport' requires a protocol";
			return -EINVAL;
		}
		if (!icmp && !proto_has_ports(proto)) {
			*why = "the protocol does not support ports";
			return -EINVAL;
		}
		k = ports_parse(dport_s, true, icmp, dp, why);
		if (k < 0)
			return k;
		/* The ICMP type "any": no restriction. */
		for (size_t i = 0; i < dp->n; i++)
			if (dp->v[i].len == 0)
				dp->n = 0;
	}
	if (sport_s) {
		if (!proto_s) {
			*why = "missing property - 'sport' requires a protocol";
			return -EINVAL;
		}
		if (!proto_has_ports(proto)) {
			*why = "the protocol does not support ports";
			return -EINVAL;
		}
		k = ports_parse(sport_s, false, 0, sp, why);
		if (k < 0)
			return k;
	}
	return 0;
}

static FwPrefix *prefixes_dup(const Prefixes *p)
{
	FwPrefix *v = p->n ? calloc(p->n, sizeof(FwPrefix)) : NULL;

	if (v)
		memcpy(v, p->v, p->n * sizeof(FwPrefix));
	return v;
}

/* One rule (after the macro), verified and added; a rule pve-firewall refuses is a warning. */
static int add_one(Expander *x, const char *origin, uint8_t dir, FwVerdict verdict, int family, const char *proto_s,
		   const char *dport_s, const char *sport_s, const char *icmp_s, const Prefixes *src, const Prefixes *dst)
{
	FwRule rule = { .dir = dir, .verdict = (uint8_t)verdict };
	Prefixes sp = {}, dp = {};
	const char *why = NULL;
	char msg[96];
	FwRule *at;
	int r;

	r = rule_l4(&rule, &family, proto_s, dport_s, sport_s, icmp_s, &sp, &dp, &why, msg, sizeof(msg));
	if (r == -EINVAL)
		r = warn(x, origin, "%s", why);
	else if (r == -EDOM)
		r = warn_as(x, origin, "skipped: pve-firewall keeps it, and it never matches", why);
	else if (r >= 0) {
		rule.family = (uint8_t)family;
		rule.origin = strdup(origin);
		rule.src = prefixes_dup(src);
		rule.dst = prefixes_dup(dst);
		rule.n_src = src->n;
		rule.n_dst = dst->n;
		rule.sport = TAKE_PTR(sp.v);
		rule.n_sport = sp.n;
		rule.dport = TAKE_PTR(dp.v);
		rule.n_dport = dp.n;
		at = array_grow(&x->out->rules, x->out->n_rules, sizeof(*x->out->rules));
		if (!at || !rule.origin || (src->n && !rule.src) || (dst->n && !rule.dst)) {
			rule_free(&rule);
			return -ENOMEM;
		}
		*at = rule;
		x->out->n_rules++;
		return 0;
	}
	free(sp.v);
	free(dp.v);
	return r;
}

/* One rule line of the guest (env "ct") or of a security group (env "group"). */
static int expand_line(Expander *x, const FwLine *l, const char *file, bool group_env, const char *via)
{
	Prefixes src = {}, dst = {};
	char origin[160], net[16];
	const char *why = NULL;
	int family = 0, f, r;
	uint8_t dir;
	FwVerdict verdict;
	Spec s;

	snprintf(origin, sizeof(origin), "%s:%u%s", file, l->line, via ? via : "");
	r = spec_parse(l->text, &s, &why);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		r = warn(x, origin, "%s", why);
		goto out;
	}
	if (!s.enable || strcmp(s.type, "forward") == 0)
		goto out;
	snprintf(net, sizeof(net), "net%u", x->idx);
	if (s.iface && !group_env) {
		if (strncmp(s.iface, "net", 3) != 0 || !isdigit((unsigned char)s.iface[3])) {
			r = warn(x, origin, "-i '%s' does not match 'net\\d+'", s.iface);
			goto out;
		}
		if (strcmp(s.iface, net) != 0)
			goto out; /* another NIC's */
	} else if (s.iface) {
		r = warn(x, origin, "parameter -i not allowed for this rule type");
		goto out;
	}
	if (strcmp(s.type, "group") == 0) {
		const FwGroup *g = NULL;
		char via_buf[96];

		if (group_env) {
			r = warn(x, origin, "security groups not allowed");
			goto out;
		}
		for (size_t i = 0; x->cluster && i < x->cluster->n_groups; i++)
			if (strcasecmp(x->cluster->groups[i].name, s.action) == 0)
				g = &x->cluster->groups[i];
		if (!g) {
			r = warn(x, origin, "no such security group '%s'", s.action);
			goto out;
		}
		snprintf(via_buf, sizeof(via_buf), " (group %s of %s:%u)", g->name, file, l->line);
		for (size_t i = 0; i < g->n_rules; i++) {
			r = expand_line(x, &g->rules[i], x->cluster->name, true, via_buf);
			if (r < 0)
				goto out;
		}
		r = 0;
		goto out;
	}
	if (strcmp(s.type, "in") != 0 && strcmp(s.type, "out") != 0) {
		r = warn(x, origin, "unknown rule type '%s'", s.type);
		goto out;
	}
	dir = strcmp(s.type, "in") == 0 ? LXCNET_TO_CT : LXCNET_FROM_CT;
	if (strcmp(s.action, "ACCEPT") == 0)
		verdict = FW_ACCEPT;
	else if (strcmp(s.action, "DROP") == 0)
		verdict = FW_DROP;
	else if (strcmp(s.action, "REJECT") == 0)
		verdict = FW_REJECT;
	else {
		r = warn(x, origin, "unknown action '%s'", s.action);
		goto out;
	}
	if (s.source) {
		r = addr_parse(x->cluster, x->guest, s.source, &src, &f, &why);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = warn(x, origin, "source '%s': %s", s.source, why);
			goto out;
		}
		family = f;
	}
	if (s.dest) {
		r = addr_parse(x->cluster, x->guest, s.dest, &dst, &f, &why);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = warn(x, origin, "dest '%s': %s", s.dest, why);
			goto out;
		}
		if (family && f && f != family) {
			r = warn(x, origin, "detected mixed ipv4/ipv6 addresses in rule");
			goto out;
		}
		family = family ? family : f;
	}
	if (s.macro[0]) {
		const FwMacro *m = fw_macro_find(s.macro);

		if (!m) {
			r = warn(x, origin, "unknown macro '%s'", s.macro);
			goto out;
		}
		if (macro_ipv6_only(m)) {
			if (family == 4)
				goto out; /* pve-firewall skips a macro of the other family */
			family = 6;
		}
		/* A macro rule conflicting with the rule's own field is an error for the whole rule. */
		for (size_t i = 0; i < m->n_rules; i++) {
			bool conflict = false;

			merge(s.proto, m->rules[i].proto, &conflict);
			merge(s.dport, m->rules[i].dport, &conflict);
			merge(s.sport, m->rules[i].sport, &conflict);
			merge(s.icmp_type, m->rules[i].icmp_type, &conflict);
			if (conflict) {
				r = warn(x, origin, "a parameter is already defined in macro '%s'", m->name);
				goto out;
			}
		}
		for (size_t i = 0; i < m->n_rules; i++) {
			const FwMacroRule *mr = &m->rules[i];
			bool conflict = false;
			int fam = family;

			/* A macro rule of ICMP or ICMPv6 applies to its family only (pve-firewall's per-family macros). */
			if (mr->proto && ((strcmp(mr->proto, "icmp") == 0 && fam == 6) || (strcmp(mr->proto, "icmpv6") == 0 && fam == 4)))
				continue;
			r = add_one(x, origin, dir, verdict, fam, merge(s.proto, mr->proto, &conflict),
				    merge(s.dport, mr->dport, &conflict), merge(s.sport, mr->sport, &conflict),
				    merge(s.icmp_type, mr->icmp_type, &conflict), &src, &dst);
			if (r < 0)
				goto out;
		}
		r = 0;
		goto out;
	}
	r = add_one(x, origin, dir, verdict, family, s.proto, s.dport, s.sport, s.icmp_type, &src, &dst);
out:
	free(src.v);
	free(dst.v);
	spec_done(&s);
	return r;
}

int fw_rules_expand(const FwConfig *cluster, const FwConfig *guest, unsigned idx, FwRuleSet *ret, Diag *d)
{
	Expander x = { .cluster = cluster, .guest = guest, .idx = idx, .out = ret };
	int r = 0;

	*ret = (FwRuleSet){};
	for (size_t i = 0; r >= 0 && i < guest->n_rules; i++)
		r = expand_line(&x, &guest->rules[i], guest->name, false, NULL);
	if (r < 0) {
		fw_ruleset_done(ret);
		return diag_error(d, r, "%s: %s", guest->name, strerror(-r));
	}
	return 0;
}

/* Whether v (nbytes, big-endian) is under prefix p. */
static bool under(const FwPrefix *p, const uint8_t *v)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, v, full) != 0)
		return false;
	return !rest || ((p->addr[full] ^ v[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* The set's longest prefix (of family) containing v decides; none: not in it. */
static bool set_has(const FwPrefix *set, size_t n, int family, const uint8_t *v)
{
	int best = -1;
	bool in = false;

	for (size_t i = 0; i < n; i++)
		if (set[i].family == family && under(&set[i], v) && (int)set[i].len > best) {
			best = set[i].len;
			in = !set[i].nomatch;
		}
	return in;
}

bool fw_rule_matches(const FwRule *r, int family, const uint8_t src[16], const uint8_t dst[16], int proto, uint16_t sport,
		     uint16_t dport)
{
	uint8_t sp[2] = { (uint8_t)(sport >> 8), (uint8_t)sport }, dp[2] = { (uint8_t)(dport >> 8), (uint8_t)dport };

	if (r->family && r->family != family)
		return false;
	if (r->proto >= 0 && r->proto != proto)
		return false;
	if (r->n_src && !set_has(r->src, r->n_src, family, src))
		return false;
	if (r->n_dst && !set_has(r->dst, r->n_dst, family, dst))
		return false;
	if (r->n_sport && !set_has(r->sport, r->n_sport, 0, sp))
		return false;
	if (r->n_dport && !set_has(r->dport, r->n_dport, 0, dp))
		return false;
	return true;
}
