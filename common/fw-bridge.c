/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fw-bridge.h"
#include "lxc-netconf.h"

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int fw_bridge_names(const char *ifname, FwBridge *ret)
{
	char vmid[IFNAMSIZ];
	unsigned idx;
	int n;

	if (lxc_netconf_parse_host_ifname(ifname, vmid, sizeof(vmid), &idx) < 0 || !all_digits(vmid, strlen(vmid)))
		return -EINVAL;
	*ret = (FwBridge){};
	/* fwbr and fwln are as long as the veth's name; fwpr<vmid>p<N> too. */
	n = snprintf(ret->fwbr, sizeof(ret->fwbr), "fwbr%si%u", vmid, idx);
	if (n < 0 || (size_t)n >= sizeof(ret->fwbr))
		return -ENAMETOOLONG;
	snprintf(ret->fwln, sizeof(ret->fwln), "fwln%si%u", vmid, idx);
	snprintf(ret->fwpr, sizeof(ret->fwpr), "fwpr%sp%u", vmid, idx);
	return 0;
}

int fw_bridge_remove(struct nl_sock *nl, const FwBridge *fb, int *ret_fwpr_ifindex)
{
	LinkInfo li;
	int r, q;

	if (ret_fwpr_ifindex)
		*ret_fwpr_ifindex = link_get(nl, fb->fwpr, &li) >= 0 ? li.ifindex : 0;
	/* As pve-common's cleanup_firewall_bridge: the pair through fwln, then the bridge. */
	r = link_delete(nl, fb->fwln);
	if (r == -ENODEV)
		r = 0;
	q = link_delete(nl, fb->fwbr);
	if (q == -ENODEV)
		q = 0;
	return r < 0 ? r : q;
}

int fw_bridge_create(struct nl_sock *nl, FwBridge *fb, int bridge_ifindex, uint32_t mtu)
{
	const char *names[] = { fb->fwbr, fb->fwln, fb->fwpr };
	int *ifindexes[] = { &fb->fwbr_ifindex, &fb->fwln_ifindex, &fb->fwpr_ifindex };
	bool made_bridge = false;
	LinkInfo li;
	int r;

	r = bridge_create_like(nl, fb->fwbr, bridge_ifindex, mtu);
	if (r < 0)
		goto fail;
	made_bridge = true;
	r = veth_pair_create(nl, fb->fwln, fb->fwpr, mtu);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		r = link_get(nl, names[i], &li);
		if (r >= 0)
			r = link_disable_ipv6(names[i]);
		if (r < 0)
			goto fail;
		*ifindexes[i] = li.ifindex;
	}
	r = link_set(nl, fb->fwbr_ifindex, 0, mtu, true);
	if (r >= 0)
		r = link_set(nl, fb->fwln_ifindex, fb->fwbr_ifindex, mtu, true);
	if (r >= 0)
		r = link_set(nl, fb->fwpr_ifindex, 0, mtu, true);
	if (r >= 0)
		return 0;
fail:
	/* Only what this call made: a name taken by something else stays as it was. */
	if (made_bridge) {
		(void)link_delete(nl, fb->fwln);
		(void)link_delete(nl, fb->fwbr);
	}
	fb->fwbr_ifindex = fb->fwln_ifindex = fb->fwpr_ifindex = 0;
	return r;
}
