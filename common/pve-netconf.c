/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pve-netconf.h"
#include "strutil.h"

static const char *const key_names[_PVE_NET_KEY_MAX] = {
	[PVE_NET_BRIDGE] = "bridge",
	[PVE_NET_FIREWALL] = "firewall",
	[PVE_NET_GW] = "gw",
	[PVE_NET_GW6] = "gw6",
	[PVE_NET_HOST_MANAGED] = "host-managed",
	[PVE_NET_HWADDR] = "hwaddr",
	[PVE_NET_IP] = "ip",
	[PVE_NET_IP6] = "ip6",
	[PVE_NET_LINK_DOWN] = "link_down",
	[PVE_NET_MTU] = "mtu",
	[PVE_NET_NAME] = "name",
	[PVE_NET_RATE] = "rate",
	[PVE_NET_TAG] = "tag",
	[PVE_NET_TRUNKS] = "trunks",
	[PVE_NET_TYPE] = "type",
};

const char *pve_net_key_name(PveNetKey k)
{
	return k < _PVE_NET_KEY_MAX ? key_names[k] : NULL;
}

static int key_from_name(const char *s)
{
	for (unsigned k = 0; k < _PVE_NET_KEY_MAX; k++)
		if (strcmp(s, key_names[k]) == 0)
			return (int)k;
	return -EINVAL;
}

#define ESC(v) diag_escape(esc, sizeof(esc), (v), strlen(v))

static int parse_ifname(const char *key, const char *v, char *ret, Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];

	if (!pve_word_valid(v))
		return diag_error(d, -EINVAL, "%s: '%s' contains characters other than A-Z a-z 0-9 - _ .",
				  key, ESC(v));
	/* The kernel names no interface so (dev_valid_name()). */
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return diag_error(d, -EINVAL, "%s: '%s' is not an interface name", key, v);
	if (strlen(v) >= IFNAMSIZ)
		return diag_error(d, -EINVAL, "%s: '%s' is longer than %d characters", key, ESC(v),
				  IFNAMSIZ - 1);
	strcpy(ret, v);
	return 0;
}

void pve_mac_link_local(const uint8_t mac[6], uint8_t ret[16])
{
	memset(ret, 0, 16);
	ret[0] = 0xfe, ret[1] = 0x80;
	ret[8] = mac[0] ^ 0x02, ret[9] = mac[1], ret[10] = mac[2], ret[11] = 0xff, ret[12] = 0xfe;
	ret[13] = mac[3], ret[14] = mac[4], ret[15] = mac[5];
}

int pve_parse_hwaddr(const char *v, uint8_t ret[6], Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];
	uint8_t mac[6];

	if (mac_parse(v, mac) < 0)
		return diag_error(d, -EINVAL, "hwaddr: '%s' is not a MAC address (XX:XX:XX:XX:XX:XX)", ESC(v));
	/* Like Proxmox: the I/G (multicast) bit must be clear. */
	if (mac[0] & 1)
		return diag_error(d, -EINVAL, "hwaddr: '%s' is not a unicast MAC address", ESC(v));
	memcpy(ret, mac, 6);
	return 0;
}

static int parse_ipcfg(const char *key, const char *v, int family, PveIpConfig *ret, Diag *d)
{
	const unsigned maxlen = family == AF_INET ? 32 : 128;
	const char *modes = family == AF_INET ? "dhcp, manual" : "auto, dhcp, manual";
	char addr[INET6_ADDRSTRLEN + 1], esc[DIAG_ESCAPE_MAX];
	const char *slash;
	PveIpConfig c = {};
	InetPrefix p;
	size_t alen;

	if (strcmp(v, "dhcp") == 0) {
		c.mode = PVE_IP_DHCP;
		goto done;
	}
	if (strcmp(v, "manual") == 0) {
		c.mode = PVE_IP_MANUAL;
		goto done;
	}
	if (family == AF_INET6 && strcmp(v, "auto") == 0) {
		c.mode = PVE_IP_AUTO;
		goto done;
	}
	slash = strchr(v, '/');
	alen = slash ? (size_t)(slash - v) : 0;
	if (!slash || alen >= sizeof(addr))
		return diag_error(d, -EINVAL, "%s: '%s' is not %s or an address/prefix-length", key, ESC(v),
				  modes);
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	switch (inet_prefix_parse(v, family, 8, &p)) {
	case 0:
		break;
	case -ERANGE:
		return diag_error(d, -ERANGE, "%s: prefix length %s is out of range 8..%u", key,
				  ESC(slash + 1), maxlen);
	case -EDOM:
		return diag_error(d, -EINVAL, "%s: prefix length '%s' is not a number", key, ESC(slash + 1));
	default:
		return diag_error(d, -EINVAL, "%s: '%s' is not an IPv%c address", key, ESC(addr),
				  family == AF_INET ? '4' : '6');
	}
	memcpy(&c.addr, p.addr, sizeof(c.addr));
	c.mode = PVE_IP_STATIC;
	c.prefixlen = p.len;
done:
	*ret = c;
	return 0;
}

static int parse_range(const char *key, const char *v, uint64_t min, uint64_t max, uint64_t *ret, Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];

	switch (parse_uint_range(v, min, max, ret)) {
	case 0:
		return 0;
	case -ERANGE:
		return diag_error(d, -ERANGE, "%s: %s is out of range %llu..%llu", key, ESC(v),
				  (unsigned long long)min, (unsigned long long)max);
	default:
		return diag_error(d, -EINVAL, "%s: '%s' is not an integer", key, ESC(v));
	}
}

static int parse_trunks(const char *v, PveNet *n, Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];
	const char *p = v;

	memset(n->trunks, 0, sizeof(n->trunks));
	n->n_trunks = 0;
	for (;;) {
		size_t len = strcspn(p, ";");
		char item[32];
		uint64_t vid;
		int r;

		if (len == 0 || len >= sizeof(item))
			return diag_error(d, -EINVAL, "trunks: '%s' is not a list of VLAN ids (vlanid[;vlanid...])",
					  ESC(v));
		memcpy(item, p, len);
		item[len] = '\0';
		r = parse_range("trunks", item, PVE_VLAN_MIN, PVE_VLAN_MAX, &vid, d);
		if (r < 0)
			return r;
		if (!pve_net_trunk_has(n, (unsigned)vid)) {
			n->trunks[vid / 64] |= UINT64_C(1) << (vid % 64);
			n->n_trunks++;
		}
		p += len;
		if (!*p)
			return 0;
		p++;
	}
}

static int parse_value(PveNet *n, PveNetKey k, const char *v, Diag *d)
{
	const char *key = key_names[k];
	char esc[DIAG_ESCAPE_MAX];
	uint64_t u;
	bool b;
	int r;

	switch (k) {
	case PVE_NET_NAME:
		return parse_ifname(key, v, n->name, d);
	case PVE_NET_BRIDGE:
		return parse_ifname(key, v, n->bridge, d);
	case PVE_NET_HWADDR:
		return pve_parse_hwaddr(v, n->hwaddr, d);
	case PVE_NET_IP:
		return parse_ipcfg(key, v, AF_INET, &n->ip, d);
	case PVE_NET_IP6:
		return parse_ipcfg(key, v, AF_INET6, &n->ip6, d);
	case PVE_NET_GW:
		if (inet_pton(AF_INET, v, &n->gw) != 1)
			return diag_error(d, -EINVAL, "gw: '%s' is not an IPv4 address", ESC(v));
		return 0;
	case PVE_NET_GW6:
		if (inet_pton(AF_INET6, v, &n->gw6) != 1)
			return diag_error(d, -EINVAL, "gw6: '%s' is not an IPv6 address", ESC(v));
		return 0;
	case PVE_NET_FIREWALL:
	case PVE_NET_LINK_DOWN:
	case PVE_NET_HOST_MANAGED:
		if (parse_bool(v, &b) < 0)
			return diag_error(d, -EINVAL, "%s: '%s' is not a boolean (1/0, on/off, yes/no, true/false)",
					  key, ESC(v));
		if (k == PVE_NET_FIREWALL)
			n->firewall = b;
		else if (k == PVE_NET_LINK_DOWN)
			n->link_down = b;
		else
			n->host_managed = b;
		return 0;
	case PVE_NET_TAG:
		r = parse_range(key, v, PVE_VLAN_MIN, PVE_VLAN_MAX, &u, d);
		if (r >= 0)
			n->tag = (uint16_t)u;
		return r;
	case PVE_NET_MTU:
		r = parse_range(key, v, PVE_MTU_MIN, PVE_MTU_MAX, &u, d);
		if (r >= 0)
			n->mtu = (uint32_t)u;
		return r;
	case PVE_NET_TRUNKS:
		return parse_trunks(v, n, d);
	case PVE_NET_RATE:
		if (v[0] == '-')
			return diag_error(d, -ERANGE, "rate: %s is negative", ESC(v));
		if (parse_decimal(v, &n->rate) < 0)
			return diag_error(d, -EINVAL, "rate: '%s' is not a number (MiB/s)", ESC(v));
		return 0;
	case PVE_NET_TYPE:
		if (strcmp(v, "veth") != 0)
			return diag_error(d, -EINVAL, "type: '%s' is not supported (only veth)", ESC(v));
		return 0;
	default:
		return -EINVAL;
	}
}

int pve_net_parse(const char *s, PveNet *ret, Diag *d)
{
	_cleanup_free_ char *copy = NULL;
	char esc[DIAG_ESCAPE_MAX];
	size_t len = strlen(s);
	PveNet n = {};
	char *p;

	if (len > PVE_NET_STRING_MAX)
		return diag_error(d, -E2BIG, "property string is too long (%zu bytes, at most %d)", len,
				  PVE_NET_STRING_MAX);
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;

	p = copy;
	for (;;) {
		char *part = p, *eq, *comma = strchr(p, ',');
		int k, r;

		if (comma)
			*comma = '\0';
		/* Like Proxmox, an empty item (",," or a trailing comma) is skipped. */
		if (part[strspn(part, " \t\r\n\v\f")] == '\0')
			goto next;
		eq = strchr(part, '=');
		if (!eq)
			return diag_error(d, -EINVAL, "'%s' is not a key=value pair", ESC(part));
		*eq = '\0';
		if (!*part)
			return diag_error(d, -EINVAL, "'=%s' has no key", ESC(eq + 1));
		k = key_from_name(part);
		if (k < 0)
			return diag_error(d, -EINVAL, "'%s' is not a known key", ESC(part));
		if (pve_net_has(&n, (PveNetKey)k))
			return diag_error(d, -EINVAL, "%s: duplicate key", part);
		if (!eq[1])
			return diag_error(d, -EINVAL, "%s: empty value", part);
		r = parse_value(&n, (PveNetKey)k, eq + 1, d);
		if (r < 0)
			return r;
		n.keys |= 1u << k;
	next:
		if (!comma)
			break;
		p = comma + 1;
	}

	if (!pve_net_has(&n, PVE_NET_NAME))
		return diag_error(d, -EINVAL, "name: missing (required)");
	*ret = n;
	return 0;
}

static void print_ipcfg(const PveIpConfig *c, int family, FILE *f)
{
	char buf[INET6_ADDRSTRLEN];

	switch (c->mode) {
	case PVE_IP_DHCP:
		fputs("dhcp", f);
		break;
	case PVE_IP_MANUAL:
		fputs("manual", f);
		break;
	case PVE_IP_AUTO:
		fputs("auto", f);
		break;
	case PVE_IP_STATIC:
		fprintf(f, "%s/%u", inet_ntop(family, &c->addr, buf, sizeof(buf)), c->prefixlen);
		break;
	}
}

void pve_net_print_value(const PveNet *n, PveNetKey k, FILE *f)
{
	char buf[INET6_ADDRSTRLEN];
	bool first = true;

	switch (k) {
	case PVE_NET_NAME:
		fputs(n->name, f);
		break;
	case PVE_NET_BRIDGE:
		fputs(n->bridge, f);
		break;
	case PVE_NET_HWADDR:
		fprintf(f, "%02X:%02X:%02X:%02X:%02X:%02X", n->hwaddr[0], n->hwaddr[1], n->hwaddr[2],
			n->hwaddr[3], n->hwaddr[4], n->hwaddr[5]);
		break;
	case PVE_NET_IP:
		print_ipcfg(&n->ip, AF_INET, f);
		break;
	case PVE_NET_IP6:
		print_ipcfg(&n->ip6, AF_INET6, f);
		break;
	case PVE_NET_GW:
		fputs(inet_ntop(AF_INET, &n->gw, buf, sizeof(buf)), f);
		break;
	case PVE_NET_GW6:
		fputs(inet_ntop(AF_INET6, &n->gw6, buf, sizeof(buf)), f);
		break;
	case PVE_NET_FIREWALL:
		fputc(n->firewall ? '1' : '0', f);
		break;
	case PVE_NET_LINK_DOWN:
		fputc(n->link_down ? '1' : '0', f);
		break;
	case PVE_NET_HOST_MANAGED:
		fputc(n->host_managed ? '1' : '0', f);
		break;
	case PVE_NET_TAG:
		fprintf(f, "%u", n->tag);
		break;
	case PVE_NET_MTU:
		fprintf(f, "%u", n->mtu);
		break;
	case PVE_NET_RATE: {
		char r[FORMAT_DOUBLE_MAX];

		format_double(r, sizeof(r), n->rate);
		fputs(r, f);
		break;
	}
	case PVE_NET_TRUNKS:
		for (unsigned vid = PVE_VLAN_MIN; vid <= PVE_VLAN_MAX; vid++)
			if (pve_net_trunk_has(n, vid)) {
				fprintf(f, "%s%u", first ? "" : ";", vid);
				first = false;
			}
		break;
	case PVE_NET_TYPE:
		fputs("veth", f);
		break;
	default:
		break;
	}
}

int pve_net_format(const PveNet *n, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	fputs("name=", f);
	pve_net_print_value(n, PVE_NET_NAME, f);
	for (unsigned k = 0; k < _PVE_NET_KEY_MAX; k++) {
		if (k == PVE_NET_NAME || !pve_net_has(n, (PveNetKey)k))
			continue;
		fprintf(f, ",%s=", key_names[k]);
		pve_net_print_value(n, (PveNetKey)k, f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int pve_net_index_from_key(const char *key)
{
	uint64_t idx;
	int r;

	if (strncmp(key, "net", 3) != 0)
		return -EINVAL;
	/* "net01" is not net1 for Proxmox either. */
	if (key[3] == '0' && key[4])
		return -EINVAL;
	r = parse_uint_range(key + 3, 0, PVE_NET_MAX - 1, &idx);
	if (r < 0)
		return r;
	return (int)idx;
}

bool pve_net_equal(const PveNet *a, const PveNet *b)
{
	_cleanup_free_ char *fa = NULL, *fb = NULL;

	if (pve_net_format(a, &fa) < 0 || pve_net_format(b, &fb) < 0)
		return false;
	return strcmp(fa, fb) == 0;
}

void pve_net_key_order(unsigned ret[PVE_NET_MAX])
{
	char keys[PVE_NET_MAX][8];

	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "net%u", i);
		ret[i] = i;
	}
	for (unsigned i = 1; i < PVE_NET_MAX; i++)
		for (unsigned j = i; j > 0 && strcmp(keys[ret[j - 1]], keys[ret[j]]) > 0; j--) {
			unsigned t = ret[j];

			ret[j] = ret[j - 1];
			ret[j - 1] = t;
		}
}
