/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The container side of a NIC, for hotplug: a running container's network
 * namespace (from its init's pidfd), the veth pair created with its peer
 * directly in there, and the NIC's MTU, link state, addresses and gateways
 * set over rtnetlink inside it. No `ip`, no lxc-device, no /proc/1.
 */

#include <net/if.h>
#include <netlink/netlink.h>
#include <stdbool.h>
#include <sys/types.h>

#include "diag.h"
#include "macro.h"
#include "pve-netconf.h"

typedef struct CtNetns {
	int nsfd;	     /* the container's network namespace */
	struct nl_sock *nl;  /* rtnetlink inside it */
} CtNetns;

/*
 * Open the network namespace of the process behind pidfd (or a namespace
 * fd) and an rtnetlink socket in it. -EINVAL when that namespace is the
 * host's own (this process's, or PID 1's): never a container's.
 */
int ct_netns_open(int pidfd, CtNetns *ret, Diag *d);
void ct_netns_close(CtNetns *ns);

/*
 * Create the pair: host_ifname on the host, n->name with n->hwaddr inside,
 * both with MTU mtu; the inside end up, with n's static addresses and
 * gateways. The host end is left down and unplugged (plug_host_veth() does
 * that). On failure nothing is left.
 */
int ct_netif_add(struct nl_sock *host, CtNetns *ns, const char *host_ifname, const PveNet *n, uint32_t mtu, Diag *d);

/*
 * Change the inside end from old to new in place (same name and MAC): MTU,
 * static addresses and gateways. Only what differs is touched.
 */
int ct_netif_update(CtNetns *ns, const PveNet *old, const PveNet *new, uint32_t mtu, Diag *d);

/*
 * For entry points whose addresses come from elsewhere (CNI IPAM): one more
 * address on the container's ifname; a route to dst/prefixlen via gw (NULL:
 * on the link); whether ifname has addr/prefixlen (1), has not (0), or -errno.
 */
int ct_netif_addr_add(CtNetns *ns, const char *ifname, int family, const void *addr, unsigned prefixlen);
int ct_netif_route_add(CtNetns *ns, const char *ifname, int family, const void *dst, unsigned prefixlen, const void *gw);
int ct_netif_has_addr(CtNetns *ns, const char *ifname, int family, const void *addr, unsigned prefixlen);

/* A MAC the way Proxmox makes them: BC:24:11 and three random bytes. */
void ct_netif_random_hwaddr(uint8_t ret[6]);
