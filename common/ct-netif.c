/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "ct-netif.h"
#include "netlink-link.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_addr, nl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_addr, rtnl_addr_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_route, rtnl_route_put);

/* Is the namespace fd refers to the same as the one the file at path (or fd other) is? */
static bool same_netns(int fd, int other, const char *path)
{
	_cleanup_close_ int opened = -1;
	struct stat a, b;

	if (other < 0) {
		opened = open(path, O_RDONLY | O_CLOEXEC);
		other = opened;
	}
	return other >= 0 && fstat(fd, &a) == 0 && fstat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ct_netns_open(int pidfd, CtNetns *ret, Diag *d)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	*ret = (CtNetns){ .nsfd = -1 };
	if (self < 0)
		return diag_error(d, -errno, "cannot open this thread's network namespace: %m");
	/* Only this thread moves, and only for as long as it takes to open the socket there. */
	if (setns(pidfd, CLONE_NEWNET) < 0)
		return diag_error(d, errno == ESRCH ? -ESRCH : -errno, "cannot enter the container's network namespace: %m");
	ret->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = ret->nsfd < 0 ? -errno : 0;
	/*
	 * A container sharing the host's namespace (lxc.net.0.type = none, a
	 * host process's pid, /proc/self/ns/net): its "container end",
	 * addresses and routes would land on the host.
	 */
	if (r >= 0 && (same_netns(ret->nsfd, self, NULL) || same_netns(ret->nsfd, -1, "/proc/1/ns/net")))
		r = -EINVAL;
	if (r >= 0)
		r = netlink_open(&ret->nl);
	if (setns(self, CLONE_NEWNET) < 0)
		/* Staying in the container's namespace would plug host ports in there: never go on. */
		abort();
	if (r < 0) {
		ct_netns_close(ret);
		if (r == -EINVAL)
			return diag_error(d, r, "the network namespace is the host's own: lxcnet puts no container interface there");
		return diag_error(d, r, "cannot open rtnetlink in the container: %s", strerror(-r));
	}
	return 0;
}

void ct_netns_close(CtNetns *ns)
{
	if (ns->nsfd >= 0)
		close(ns->nsfd);
	nl_socket_free(ns->nl);
	*ns = (CtNetns){ .nsfd = -1 };
}

void ct_netif_random_hwaddr(uint8_t ret[6])
{
	ret[0] = 0xbc;
	ret[1] = 0x24;
	ret[2] = 0x11;
	if (getrandom(ret + 3, 3, 0) != 3) {
		/* No entropy at all is unheard of; a fixed but local tail is still a valid MAC. */
		ret[3] = 0x4c;
		ret[4] = 0x58;
		ret[5] = 0x01;
	}
}

static struct nl_addr *ip_addr(const PveIpConfig *c, int family)
{
	struct nl_addr *a = nl_addr_build(family, &c->addr, family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, (int)c->prefixlen);
	return a;
}

static int addr_change(struct nl_sock *nl, int ifindex, const PveIpConfig *c, int family, bool add)
{
	_cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *local = ip_addr(c, family);
	int r;

	if (!a || !local)
		return -ENOMEM;
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, family);
	r = rtnl_addr_set_local(a, local);
	if (r < 0)
		return nlerr_to_errno(r);
	if (add)
		r = rtnl_addr_add(nl, a, NLM_F_CREATE | NLM_F_REPLACE);
	else
		r = rtnl_addr_delete(nl, a, 0);
	r = nlerr_to_errno(r);
	return !add && (r == -EADDRNOTAVAIL || r == -ENODEV || r == -EIO) ? 0 : r;
}

/*
 * A route to dst/prefixlen through ifindex, via gw when not NULL (on-link:
 * the gateway need not be in the address's subnet, as Proxmox allows), else
 * straight on the link.
 */
static int route_change(struct nl_sock *nl, int ifindex, int family, const void *dst_addr, unsigned prefixlen, const void *gw,
			bool add)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *dst = nl_addr_build(family, dst_addr, family == AF_INET ? 4 : 16);
	_cleanup_(nl_addr_putp) struct nl_addr *via = gw ? nl_addr_build(family, gw, family == AF_INET ? 4 : 16) : NULL;
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	int r;

	if (!rt || !dst || (gw && !via) || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(dst, (int)prefixlen);
	rtnl_route_set_family(rt, (uint8_t)family);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_type(rt, RTN_UNICAST);
	r = rtnl_route_set_dst(rt, dst);
	if (r < 0) {
		rtnl_route_nh_free(nh);
		return nlerr_to_errno(r);
	}
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (gw) {
		rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	}
	rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
	if (add)
		r = rtnl_route_add(nl, rt, NLM_F_CREATE | NLM_F_REPLACE);
	else
		r = rtnl_route_delete(nl, rt, 0);
	r = nlerr_to_errno(r);
	return !add && (r == -ESRCH || r == -ENODEV || r == -EIO) ? 0 : r;
}

/* The default route via gw. */
static int gw_change(struct nl_sock *nl, int ifindex, const void *gw, int family, bool add)
{
	static const uint8_t any[16];

	return route_change(nl, ifindex, family, any, 0, gw, add);
}

static bool has_static(const PveNet *n, PveNetKey k)
{
	return n && pve_net_has(n, k) && (k == PVE_NET_IP ? n->ip.mode : n->ip6.mode) == PVE_IP_STATIC;
}

static bool ip_equal(const PveNet *a, const PveNet *b, PveNetKey k)
{
	const PveIpConfig *x = k == PVE_NET_IP ? &a->ip : &a->ip6, *y = k == PVE_NET_IP ? &b->ip : &b->ip6;

	if (has_static(a, k) != has_static(b, k))
		return false;
	return !has_static(a, k) ||
	       (x->prefixlen == y->prefixlen && memcmp(&x->addr, &y->addr, k == PVE_NET_IP ? 4 : 16) == 0);
}

static bool gw_equal(const PveNet *a, const PveNet *b, PveNetKey k)
{
	if (pve_net_has(a, k) != pve_net_has(b, k))
		return false;
	if (!pve_net_has(a, k))
		return true;
	return k == PVE_NET_GW ? a->gw.s_addr == b->gw.s_addr : memcmp(&a->gw6, &b->gw6, 16) == 0;
}

/*
 * Addresses first, then gateways. The old address goes before the new one
 * comes: removing a primary address takes its subnet's secondaries with it
 * (promote_secondaries is off by default), and removing an interface's
 * last address flushes its routes, which is why the gateway is set again
 * after any address change. old NULL: a fresh interface.
 */
static int apply_addresses(struct nl_sock *nl, int ifindex, const PveNet *old, const PveNet *new, Diag *d)
{
	static const struct {
		PveNetKey ip, gw;
		int family;
	} fam[] = { { PVE_NET_IP, PVE_NET_GW, AF_INET }, { PVE_NET_IP6, PVE_NET_GW6, AF_INET6 } };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(fam); i++) {
		const PveIpConfig *nc = fam[i].ip == PVE_NET_IP ? &new->ip : &new->ip6;
		const char *key = pve_net_key_name(fam[i].ip);

		if (old && ip_equal(old, new, fam[i].ip))
			continue;
		if (has_static(old, fam[i].ip)) {
			r = addr_change(nl, ifindex, fam[i].ip == PVE_NET_IP ? &old->ip : &old->ip6, fam[i].family, false);
			if (r < 0)
				return diag_error(d, r, "%s: cannot remove the old address in the container: %s", key,
						  strerror(-r));
		}
		if (has_static(new, fam[i].ip)) {
			r = addr_change(nl, ifindex, nc, fam[i].family, true);
			if (r < 0)
				return diag_error(d, r, "%s: cannot add the address in the container: %s", key, strerror(-r));
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(fam); i++) {
		const char *key = pve_net_key_name(fam[i].gw);
		const void *ngw = fam[i].gw == PVE_NET_GW ? (const void *)&new->gw : (const void *)&new->gw6;

		/* An address change may have flushed the route: set it again then too. */
		if (old && gw_equal(old, new, fam[i].gw) && ip_equal(old, new, fam[i].ip))
			continue;
		if (pve_net_has(new, fam[i].gw)) {
			r = gw_change(nl, ifindex, ngw, fam[i].family, true);
			if (r < 0)
				return diag_error(d, r, "%s: cannot set the default route in the container: %s", key,
						  strerror(-r));
		} else if (old && pve_net_has(old, fam[i].gw)) {
			const void *ogw = fam[i].gw == PVE_NET_GW ? (const void *)&old->gw : (const void *)&old->gw6;

			r = gw_change(nl, ifindex, ogw, fam[i].family, false);
			if (r < 0)
				return diag_error(d, r, "%s: cannot remove the default route in the container: %s", key,
						  strerror(-r));
		}
	}
	return 0;
}

int ct_netif_add(struct nl_sock *host, CtNetns *ns, const char *host_ifname, const PveNet *n, uint32_t mtu, Diag *d)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;
	_cleanup_(nl_addr_putp) struct nl_addr *mac = nl_addr_build(AF_LLC, n->hwaddr, 6);
	LinkInfo li;
	int r;

	if (!l || !mac) {
		if (l)
			rtnl_link_veth_release(l);
		return -ENOMEM;
	}
	peer = rtnl_link_veth_get_peer(l); /* a new reference */
	rtnl_link_set_name(l, host_ifname);
	rtnl_link_set_mtu(l, mtu);
	rtnl_link_set_name(peer, n->name);
	rtnl_link_set_mtu(peer, mtu);
	rtnl_link_set_addr(peer, mac);
	rtnl_link_set_ns_fd(peer, ns->nsfd);
	r = nlerr_to_errno(rtnl_link_add(host, l, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_veth_release(l);
	if (r < 0)
		return diag_error(d, r, "cannot create the veth pair '%s' / '%s': %s", host_ifname, n->name, strerror(-r));

	r = link_get(ns->nl, n->name, &li);
	if (r >= 0)
		r = link_set(ns->nl, li.ifindex, 0, mtu, true);
	if (r < 0)
		r = diag_error(d, r, "cannot bring '%s' up in the container: %s", n->name, strerror(-r));
	else
		r = apply_addresses(ns->nl, li.ifindex, NULL, n, d);
	if (r < 0)
		(void)link_delete(host, host_ifname);
	return r;
}

int ct_netif_update(CtNetns *ns, const PveNet *old, const PveNet *new, uint32_t mtu, Diag *d)
{
	LinkInfo li;
	int r;

	r = link_get(ns->nl, new->name, &li);
	if (r < 0)
		return diag_error(d, r, "name: '%s' is not in the container: %s", new->name, strerror(-r));
	if (li.mtu != mtu) {
		r = link_set(ns->nl, li.ifindex, 0, mtu, li.up);
		if (r < 0)
			return diag_error(d, r, "mtu: cannot set %u in the container: %s", mtu, strerror(-r));
	}
	return apply_addresses(ns->nl, li.ifindex, old, new, d);
}

int ct_netif_addr_add(CtNetns *ns, const char *ifname, int family, const void *addr, unsigned prefixlen)
{
	PveIpConfig c = { .prefixlen = prefixlen };
	LinkInfo li;
	int r;

	r = link_get(ns->nl, ifname, &li);
	if (r < 0)
		return r;
	memcpy(&c.addr, addr, family == AF_INET ? 4 : 16);
	return addr_change(ns->nl, li.ifindex, &c, family, true);
}

int ct_netif_route_add(CtNetns *ns, const char *ifname, int family, const void *dst, unsigned prefixlen, const void *gw)
{
	LinkInfo li;
	int r;

	r = link_get(ns->nl, ifname, &li);
	if (r < 0)
		return r;
	return route_change(ns->nl, li.ifindex, family, dst, prefixlen, gw, true);
}

int ct_netif_has_addr(CtNetns *ns, const char *ifname, int family, const void *addr, unsigned prefixlen)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	LinkInfo li;
	int r;

	r = link_get(ns->nl, ifname, &li);
	if (r < 0)
		return r;
	r = rtnl_addr_alloc_cache(ns->nl, &cache);
	if (r < 0)
		return nlerr_to_errno(r);
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);

		if (rtnl_addr_get_ifindex(a) != li.ifindex || rtnl_addr_get_family(a) != family || !local)
			continue;
		if ((unsigned)rtnl_addr_get_prefixlen(a) == prefixlen &&
		    memcmp(nl_addr_get_binary_addr(local), addr, family == AF_INET ? 4 : 16) == 0)
			return 1;
	}
	return 0;
}
