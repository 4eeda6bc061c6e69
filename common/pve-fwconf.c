/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pve-fwconf.h"
#include "strutil.h"

typedef enum Section {
	SEC_NONE,
	SEC_OPTIONS,
	SEC_ALIASES,
	SEC_RULES,
	SEC_GROUP,
	SEC_IPSET,
} Section;

#define PROBLEM_MAX 200

typedef struct Parser {
	FwConfig *c;
	Section section;
	unsigned line;
} Parser;

static void line_free(FwLine *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
	free(l);
}

void fw_config_free(FwConfig *c)
{
	if (!c)
		return;
	free(c->name);
	line_free(c->unknown_options, c->n_unknown_options);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].cidr);
	}
	free(c->aliases);
	for (size_t i = 0; i < c->n_ipsets; i++) {
		for (size_t j = 0; j < c->ipsets[i].n_entries; j++)
			free(c->ipsets[i].entries[j].cidr);
		free(c->ipsets[i].entries);
		free(c->ipsets[i].name);
	}
	free(c->ipsets);
	line_free(c->rules, c->n_rules);
	for (size_t i = 0; i < c->n_groups; i++) {
		free(c->groups[i].name);
		line_free(c->groups[i].rules, c->groups[i].n_rules);
	}
	free(c->groups);
	strv_free(c->problems);
	free(c);
}

/* A line pve-firewall skips: kept as "<file>:<line>: <reason>". Only -ENOMEM is an error. */
static int _printf_(2, 3) problem(Parser *p, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *full = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	/* A 1 MiB line makes a short message. */
	if (strlen(msg) > PROBLEM_MAX)
		strcpy(msg + PROBLEM_MAX - 3, "...");
	if (asprintf(&full, "%s:%u: %s", p->c->name, p->line, msg) < 0)
		return -ENOMEM;
	r = strv_push(&p->c->problems, full);
	if (r < 0)
		return r;
	TAKE_PTR(full);
	p->c->n_problems++;
	return 0;
}

static int push_line(FwLine **l, size_t *n, const char *text, unsigned line)
{
	FwLine *e = array_grow(l, *n, sizeof(**l));

	if (!e || !(e->text = strdup(text)))
		return -ENOMEM;
	e->line = line;
	(*n)++;
	return 0;
}

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* [A-Za-z][A-Za-z0-9_-]+ of at most max characters: ipset, alias and group names. */
static bool name_valid(const char *s, size_t len, size_t max)
{
	if (len < 2 || len > max || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isascii((unsigned char)s[i]) || (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_'))
			return false;
	return true;
}

/* An address or a network: 192.0.2.1, 192.0.2.0/24, 2001:db8::1, 2001:db8::/32. */
static bool cidr_valid(const char *s)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned char addr[16];
	uint64_t plen;
	int family;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, buf, addr) != 1)
		return false;
	return !slash || parse_uint_range(slash + 1, 0, family == AF_INET ? 32 : 128, &plen) >= 0;
}

/* An alias reference as ipsets and rules use them: name, dc/name or guest/name. */
static bool alias_ref_valid(const char *s)
{
	if (strncasecmp(s, "dc/", 3) == 0)
		s += 3;
	else if (strncasecmp(s, "guest/", 6) == 0)
		s += 6;
	return name_valid(s, strlen(s), FW_NAME_MAX);
}

/* "# comment" at the end of a line goes (ipsets, aliases); the rest is trimmed. */
static void strip_comment(char *s)
{
	char *hash = strchr(s, '#');
	size_t len;

	if (hash)
		*hash = '\0';
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
}

static int parse_bool01(const char *v)
{
	return strcmp(v, "0") == 0 ? 0 : strcmp(v, "1") == 0 ? 1 : -1;
}

static FwVerdict parse_verdict(const char *v)
{
	return strcasecmp(v, "ACCEPT") == 0 ? FW_ACCEPT :
	       strcasecmp(v, "DROP") == 0   ? FW_DROP :
	       strcasecmp(v, "REJECT") == 0 ? FW_REJECT :
					      FW_VERDICT_UNSET;
}

/* Options pve-firewall accepts but lxcnet does not use: kept, no problem. */
static bool option_kept(FwFileKind kind, const char *key)
{
	static const char *const guest[] = { "log_level_in", "log_level_out", "ips", "ips_queues", "layer2_protocols", NULL };
	static const char *const cluster[] = { "ebtables", "log_ratelimit", "policy_forward", NULL };

	if (kind == FW_HOST)
		return true; /* host.fw has many options of the host's own firewall: only nftables matters here */
	return strv_contains((char **)(kind == FW_GUEST ? guest : cluster), key);
}

static int parse_option(Parser *p, char *s)
{
	FwOptions *o = &p->c->options;
	char *colon = strchr(s, ':'), *v;
	int *flag = NULL, b;

	if (!colon || colon == s)
		return problem(p, "can't parse option '%s'", s);
	*colon = '\0';
	for (v = colon + 1; isspace((unsigned char)*v); v++)
		;
	lowercase(s);
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(s)) {
		*colon = ':';
		return problem(p, "can't parse option '%s'", s);
	}

	if (strcmp(s, "policy_in") == 0 || strcmp(s, "policy_out") == 0) {
		FwVerdict verdict = parse_verdict(v);

		if (p->c->kind == FW_HOST)
			goto keep;
		if (!verdict)
			return problem(p, "%s: '%s' is not ACCEPT, DROP or REJECT", s, v);
		*(strcmp(s, "policy_in") == 0 ? &o->policy_in : &o->policy_out) = verdict;
		return 0;
	}
	if (strcmp(s, "enable") == 0 && p->c->kind == FW_CLUSTER) {
		uint64_t n;

		/* A number: 0, 1, or the time of a temporary enable. */
		if (parse_uint_range(v, 0, INT64_MAX, &n) < 0)
			return problem(p, "enable: '%s' is not a number", v);
		o->enable = (int64_t)n;
		return 0;
	}
	if (strcmp(s, "enable") == 0)
		flag = NULL;
	else if (p->c->kind == FW_GUEST && strcmp(s, "macfilter") == 0)
		flag = &o->macfilter;
	else if (p->c->kind == FW_GUEST && strcmp(s, "ipfilter") == 0)
		flag = &o->ipfilter;
	else if (p->c->kind == FW_GUEST && strcmp(s, "dhcp") == 0)
		flag = &o->dhcp;
	else if (p->c->kind == FW_GUEST && strcmp(s, "ndp") == 0)
		flag = &o->ndp;
	else if (p->c->kind == FW_GUEST && strcmp(s, "radv") == 0)
		flag = &o->radv;
	else if (p->c->kind == FW_HOST && strcmp(s, "nftables") == 0)
		flag = &o->nftables;
	else if (option_kept(p->c->kind, s))
		goto keep;
	else
		return problem(p, "can't parse option '%s: %s' (unknown option)", s, v);
	b = parse_bool01(v);
	if (b < 0)
		return problem(p, "%s: '%s' is not 0 or 1", s, v);
	if (flag)
		*flag = b;
	else
		o->enable = b;
	return 0;
keep:
	*colon = ':';
	return push_line(&p->c->unknown_options, &p->c->n_unknown_options, s, p->line);
}

static int parse_alias(Parser *p, char *s)
{
	FwAlias *a;
	char *sep, *name, *cidr;

	strip_comment(s);
	sep = strpbrk(s, " \t");
	if (!sep)
		return problem(p, "alias '%s': want NAME ADDRESS", s);
	*sep = '\0';
	name = s;
	for (cidr = sep + 1; isspace((unsigned char)*cidr); cidr++)
		;
	if (strpbrk(cidr, " \t"))
		return problem(p, "alias '%s': want NAME ADDRESS", name);
	if (!name_valid(name, strlen(name), FW_NAME_MAX))
		return problem(p, "alias '%s': not an alias name", name);
	if (!cidr_valid(cidr))
		return problem(p, "alias '%s': '%s' does not look like a valid IP address or CIDR network", name, cidr);
	lowercase(name);
	for (size_t i = 0; i < p->c->n_aliases; i++)
		if (strcmp(p->c->aliases[i].name, name) == 0)
			return problem(p, "alias '%s': defined already on line %u", name, p->c->aliases[i].line);
	a = array_grow(&p->c->aliases, p->c->n_aliases, sizeof(*a));
	if (!a || !(a->name = strdup(name)) || !(a->cidr = strdup(cidr))) {
		if (a)
			free(a->name);
		return -ENOMEM;
	}
	a->line = p->line;
	p->c->n_aliases++;
	return 0;
}

static int parse_ipset_entry(Parser *p, char *s)
{
	FwIpset *set = &p->c->ipsets[p->c->n_ipsets - 1];
	FwIpsetEntry *e;
	bool nomatch = false;
	size_t len;

	strip_comment(s);
	if (*s == '!') {
		nomatch = true;
		for (s++; isspace((unsigned char)*s); s++)
			;
	}
	if (!*s || strpbrk(s, " \t"))
		return problem(p, "ipset '%s': '%s' is not one address, network or alias", set->name, s);
	if (!cidr_valid(s) && !alias_ref_valid(s))
		return problem(p, "ipset '%s': '%s' does not look like a valid IP address, CIDR network or alias", set->name, s);
	len = strlen(s);
	if (strchr(s, '/') && s[len - 1] == '0' && strspn(strchr(s, '/') + 1, "0") == strlen(strchr(s, '/') + 1))
		return problem(p, "ipset '%s': a zero prefix is not allowed in ipset entries ('%s')", set->name, s);
	for (size_t i = 0; i < set->n_entries; i++)
		if (strcmp(set->entries[i].cidr, s) == 0)
			return problem(p, "ipset '%s': duplicate ipset entry for '%s'", set->name, s);
	e = array_grow(&set->entries, set->n_entries, sizeof(*e));
	if (!e || !(e->cidr = strdup(s)))
		return -ENOMEM;
	e->nomatch = nomatch;
	e->line = p->line;
	set->n_entries++;
	return 0;
}

/* A rule is kept as written; only its type is checked here (IN, OUT, FORWARD, GROUP; '|' disables it). */
static int parse_rule(Parser *p, const char *s, FwLine **rules, size_t *n, bool in_group)
{
	const char *t = s[0] == '|' ? s + 1 : s;
	size_t len = strcspn(t, " \t");

	if (!((len == 2 && strncasecmp(t, "IN", 2) == 0) || (len == 3 && strncasecmp(t, "OUT", 3) == 0) ||
	      (len == 7 && strncasecmp(t, "FORWARD", 7) == 0) || (!in_group && len == 5 && strncasecmp(t, "GROUP", 5) == 0)))
		return problem(p, "unknown rule type in '%s'", s);
	return push_line(rules, n, s, p->line);
}

/* "[ipset name] # comment" or "[group name]": 1 and the name, lower-cased; 0 with a problem. */
static int named_header(Parser *p, const char *s, const char *what, size_t max, char **ret)
{
	const char *name = s + 1 + strlen(what), *t;
	size_t len;

	name += strspn(name, " \t");
	len = strcspn(name, " \t]");
	t = name + len;
	t += strspn(t, " \t");
	if (*t != ']' || (t[1 + strspn(t + 1, " \t")] != '\0' && t[1 + strspn(t + 1, " \t")] != '#'))
		return problem(p, "skip line - not a section header: '%s'", s);
	if (!name_valid(name, len, max))
		return problem(p, "invalid %s name '%.*s'", what, (int)len, name);
	*ret = strndup(name, len);
	if (!*ret)
		return -ENOMEM;
	lowercase(*ret);
	return 1;
}

static bool header_is(const char *s, const char *word)
{
	size_t n = strlen(word);

	return s[0] == '[' && strncasecmp(s + 1, word, n) == 0 && (s[1 + n] == ']' || isspace((unsigned char)s[1 + n]));
}

static int parse_header(Parser *p, char *s)
{
	FwFileKind k = p->c->kind;
	_cleanup_free_ char *name = NULL;
	int r;

	if (strcasecmp(s, "[options]") == 0) {
		p->section = SEC_OPTIONS;
		return 1;
	}
	if (strcasecmp(s, "[rules]") == 0) {
		p->section = SEC_RULES;
		return 1;
	}
	if (strcasecmp(s, "[aliases]") == 0 && k != FW_HOST) {
		p->section = SEC_ALIASES;
		return 1;
	}
	if ((header_is(s, "ipset") && k != FW_HOST) || (header_is(s, "group") && k == FW_CLUSTER)) {
		bool ipset = header_is(s, "ipset");

		/* A bad name ends the section: what follows is skipped, as pve-firewall does. */
		p->section = SEC_NONE;
		r = named_header(p, s, ipset ? "ipset" : "group", ipset ? FW_NAME_MAX : FW_GROUP_NAME_MAX, &name);
		if (r <= 0)
			return r < 0 ? r : 1;
		if (ipset) {
			FwIpset *set;

			if (fw_config_find_ipset(p->c, name))
				return problem(p, "ipset '%s' is defined twice", name), 1;
			set = array_grow(&p->c->ipsets, p->c->n_ipsets, sizeof(*set));
			if (!set)
				return -ENOMEM;
			set->name = TAKE_PTR(name);
			set->line = p->line;
			p->c->n_ipsets++;
			p->section = SEC_IPSET;
		} else {
			FwGroup *g;

			for (size_t i = 0; i < p->c->n_groups; i++)
				if (strcmp(p->c->groups[i].name, name) == 0)
					return problem(p, "group '%s' is defined twice", name), 1;
			g = array_grow(&p->c->groups, p->c->n_groups, sizeof(*g));
			if (!g)
				return -ENOMEM;
			g->name = TAKE_PTR(name);
			g->line = p->line;
			p->c->n_groups++;
			p->section = SEC_GROUP;
		}
		return 1;
	}
	return 0; /* not a header this kind of file has: a line of the current section */
}

static int parse_line(Parser *p, char *s)
{
	int r;

	if (s[0] == '[') {
		r = parse_header(p, s);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	switch (p->section) {
	case SEC_NONE:
		return problem(p, "skip line - no section: '%s'", s);
	case SEC_OPTIONS:
		return parse_option(p, s);
	case SEC_ALIASES:
		return parse_alias(p, s);
	case SEC_IPSET:
		return parse_ipset_entry(p, s);
	case SEC_RULES:
		return parse_rule(p, s, &p->c->rules, &p->c->n_rules, false);
	case SEC_GROUP: {
		FwGroup *g = &p->c->groups[p->c->n_groups - 1];

		return parse_rule(p, s, &g->rules, &g->n_rules, true);
	}
	}
	return 0;
}

int fw_config_parse(const char *name, FwFileKind kind, const char *data, size_t size, FwConfig **ret, Diag *d)
{
	_cleanup_(fw_config_freep) FwConfig *c = calloc(1, sizeof(*c));
	Parser p = { .c = c };
	size_t pos = 0;

	if (!c || !(c->name = strdup(name)))
		return -ENOMEM;
	if (size > FW_FILE_SIZE_MAX)
		return diag_error(d, -EFBIG, "%s: file is larger than %u bytes", name, FW_FILE_SIZE_MAX);
	if (memchr(data, '\0', size))
		return diag_error(d, -EINVAL, "%s: contains a NUL byte", name);
	c->kind = kind;
	c->options = (FwOptions){ .enable = -1, .macfilter = -1, .ipfilter = -1, .dhcp = -1, .ndp = -1, .radv = -1,
				  .nftables = -1 };

	while (pos < size) {
		const char *s = data + pos, *nl = memchr(s, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - s) : size - pos;
		_cleanup_free_ char *line = NULL;
		char *t;
		int r;

		pos += len + (nl ? 1 : 0);
		p.line++;
		while (len > 0 && isspace((unsigned char)*s))
			s++, len--;
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		if (len == 0 || s[0] == '#')
			continue;
		line = strndup(s, len);
		if (!line)
			return -ENOMEM;
		t = line;
		r = parse_line(&p, t);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int fw_config_load(const char *path, FwFileKind kind, FwConfig **ret, Diag *d)
{
	_cleanup_free_ char *data = NULL;
	const char *slash = strrchr(path, '/');
	size_t size;
	int r;

	r = read_config_file(path, FW_FILE_SIZE_MAX, &data, &size, d);
	if (r < 0)
		return r;
	return fw_config_parse(slash ? slash + 1 : path, kind, data, size, ret, d);
}

const char *fw_config_option(const FwConfig *c, const char *key)
{
	size_t len = strlen(key);

	for (size_t i = 0; c && i < c->n_unknown_options; i++) {
		const char *t = c->unknown_options[i].text;

		if (strncmp(t, key, len) == 0 && t[len] == ':')
			return t + len + 1 + strspn(t + len + 1, " \t");
	}
	return NULL;
}

const FwIpset *fw_config_find_ipset(const FwConfig *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_ipsets; i++)
		if (strcasecmp(c->ipsets[i].name, name) == 0)
			return &c->ipsets[i];
	return NULL;
}

bool fw_cluster_enabled(const FwConfig *cluster, time_t now)
{
	int64_t e = cluster ? cluster->options.enable : -1;

	return e == 1 || (e > 1 && (int64_t)now - e <= 60);
}

void fw_nic_policy(const FwConfig *cluster, const FwConfig *guest, unsigned idx, const PveNet *n, time_t now,
		   FwNicPolicy *ret)
{
	const FwOptions *o = guest ? &guest->options : NULL;
	char set[16];

	snprintf(set, sizeof(set), "ipfilter-net%u", idx);
	*ret = (FwNicPolicy){
		.effective = n->firewall && fw_cluster_enabled(cluster, now) && o && o->enable == 1,
		.policy_in = o && o->policy_in ? o->policy_in : FW_DROP,
		.policy_out = o && o->policy_out ? o->policy_out : FW_ACCEPT,
		.ipfilter_set = fw_config_find_ipset(guest, set),
	};
	if (!ret->effective)
		return;
	ret->macfilter = o->macfilter != 0;
	ret->ipfilter = o->ipfilter == 1 || ret->ipfilter_set;
	ret->dhcp = o->dhcp != 0;
	ret->ndp = o->ndp != 0;
	ret->radv = o->radv == 1;
}

FwBackend fw_backend(const FwConfig *host, bool force_disabled, bool nft_installed)
{
	return !force_disabled && host && host->options.nftables == 1 && nft_installed ? FW_BACKEND_NFTABLES :
											 FW_BACKEND_IPTABLES;
}

const char *fw_verdict_name(FwVerdict v)
{
	return v == FW_ACCEPT ? "ACCEPT" : v == FW_DROP ? "DROP" : v == FW_REJECT ? "REJECT" : "";
}

const char *fw_backend_name(FwBackend b)
{
	return b == FW_BACKEND_NFTABLES ? "proxmox-nftables" : "proxmox-iptables";
}
