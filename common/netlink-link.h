/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Links over rtnetlink with libnl-route: look up, plug into a bridge, unplug, delete. */

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock, nl_socket_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cache, nl_cache_free);

/* libnl's -NLE_* (or NLE_*) as a -errno. */
int nlerr_to_errno(int nlerr);

/* A connected NETLINK_ROUTE socket. */
int netlink_open(struct nl_sock **ret);

typedef struct LinkInfo {
	int ifindex;
	uint32_t mtu;
	int master; /* ifindex of the bridge it is enslaved to, 0 if none */
	bool up;
	bool is_bridge;
} LinkInfo;

/* -ENODEV when there is no such link. */
int link_get(struct nl_sock *sk, const char *ifname, LinkInfo *ret);

/*
 * In one request: enslave to master_ifindex (0: release), set mtu (0: keep),
 * and set the link up or down.
 */
int link_set(struct nl_sock *sk, int ifindex, int master_ifindex, uint32_t mtu, bool up);

int link_delete(struct nl_sock *sk, const char *ifname);

/* Call fn for every link whose name starts with prefix; stops at the first negative return. */
int link_foreach_prefix(struct nl_sock *sk, const char *prefix, int (*fn)(struct nl_sock *sk, const char *ifname, void *userdata),
			void *userdata);
