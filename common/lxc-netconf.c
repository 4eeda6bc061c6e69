/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lxc-netconf.h"
#include "strutil.h"

bool ct_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= CT_NAME_MAX && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

int lxc_netconf_host_ifname(const char *vmid, unsigned idx, char ret[IFNAMSIZ])
{
	int n = snprintf(ret, IFNAMSIZ, "veth%si%u", vmid, idx);

	return n < 0 || n >= IFNAMSIZ ? -ENAMETOOLONG : 0;
}

int lxc_netconf_parse_host_ifname(const char *ifname, char *ret_ct, size_t size, unsigned *ret_idx)
{
	/* N has no 'i': the last one ends the container's name. */
	const char *i = strrchr(ifname, 'i');
	uint64_t n;
	size_t len;

	if (strncmp(ifname, "veth", 4) != 0 || !i || i <= ifname + 4)
		return -EINVAL;
	if ((i[1] == '0' && i[2]) || parse_uint_range(i + 1, 0, PVE_NET_MAX - 1, &n) < 0)
		return -EINVAL;
	len = (size_t)(i - ifname - 4);
	if (len >= size)
		return -EINVAL;
	memcpy(ret_ct, ifname + 4, len);
	ret_ct[len] = '\0';
	if (!ct_name_valid(ret_ct))
		return -EINVAL;
	*ret_idx = (unsigned)n;
	return 0;
}

static void print_addr(FILE *f, const char *prefix, const PveIpConfig *c, int family)
{
	char buf[INET6_ADDRSTRLEN];

	if (c->mode == PVE_IP_STATIC)
		fprintf(f, "%s%s/%u\n", prefix, inet_ntop(family, &c->addr, buf, sizeof(buf)), c->prefixlen);
}

int lxc_netconf_print(FILE *f, const char *vmid, unsigned idx, const PveNet *n, uint32_t bridge_mtu,
		      const char *netup_path, Diag *d)
{
	char ifname[IFNAMSIZ], buf[INET6_ADDRSTRLEN], prefix[64];
	uint32_t mtu = pve_net_has(n, PVE_NET_MTU) ? n->mtu : bridge_mtu;

	if (lxc_netconf_host_ifname(vmid, idx, ifname) < 0)
		return diag_error(d, -ENAMETOOLONG, "net%u: host interface name 'veth%si%u' is longer than %d characters",
				  idx, vmid, idx, IFNAMSIZ - 1);
	/* Like pve-container: keep the container from starting with an MTU the bridge cannot carry. */
	if (bridge_mtu && mtu > bridge_mtu)
		return diag_error(d, -EINVAL, "net%u: mtu: %u is bigger than the bridge MTU %u", idx, mtu, bridge_mtu);
	if (n->host_managed && !n->link_down && pve_net_has(n, PVE_NET_IP6) && n->ip6.mode == PVE_IP_AUTO)
		return diag_error(d, -EINVAL, "net%u: ip6: SLAAC is not supported for host-managed network configuration",
				  idx);

	snprintf(prefix, sizeof(prefix), "lxc.net.%u.", idx);
	fprintf(f, "%stype = veth\n", prefix);
	fprintf(f, "%sveth.pair = %s\n", prefix, ifname);
	if (pve_net_has(n, PVE_NET_HWADDR)) {
		fprintf(f, "%shwaddr = ", prefix);
		pve_net_print_value(n, PVE_NET_HWADDR, f);
		fputc('\n', f);
	}
	fprintf(f, "%sname = %s\n", prefix, n->name);
	if (mtu)
		fprintf(f, "%smtu = %u\n", prefix, mtu);
	if (netup_path)
		fprintf(f, "%sscript.up = %s\n", prefix, netup_path);
	if (n->host_managed && !n->link_down) {
		char p[80];

		snprintf(p, sizeof(p), "%sipv4.address = ", prefix);
		if (pve_net_has(n, PVE_NET_IP))
			print_addr(f, p, &n->ip, AF_INET);
		if (pve_net_has(n, PVE_NET_GW))
			fprintf(f, "%sipv4.gateway = %s\n", prefix, inet_ntop(AF_INET, &n->gw, buf, sizeof(buf)));
		snprintf(p, sizeof(p), "%sipv6.address = ", prefix);
		if (pve_net_has(n, PVE_NET_IP6))
			print_addr(f, p, &n->ip6, AF_INET6);
		if (pve_net_has(n, PVE_NET_GW6))
			fprintf(f, "%sipv6.gateway = %s\n", prefix, inet_ntop(AF_INET6, &n->gw6, buf, sizeof(buf)));
		fprintf(f, "%sflags = up\n", prefix);
	}
	return 0;
}

int lxc_netconf_read_mtu(const char *ifname, uint32_t *ret)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	uint64_t v;
	int r;

	if (!pve_word_valid(ifname) || strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	if (asprintf(&path, "/sys/class/net/%s/mtu", ifname) < 0)
		return -ENOMEM;
	r = read_full_file(path, 64, &data, NULL);
	if (r < 0)
		return r;
	r = parse_uint_range(strstrip(data), 1, UINT32_MAX, &v);
	if (r < 0)
		return r;
	*ret = (uint32_t)v;
	return 0;
}
