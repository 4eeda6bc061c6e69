/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Links over rtnetlink with libnl-route: look up, plug into a bridge, unplug, delete. */

#include <net/if.h>
#include <pthread.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock, nl_socket_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_link, rtnl_link_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cache, nl_cache_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg, nlmsg_free);

/* libnl's -NLE_* (or NLE_*) as a -errno. */
int nlerr_to_errno(int nlerr);

/* A connected NETLINK_ROUTE socket. */
int netlink_open(struct nl_sock **ret);

/* lxcnet's own aliases ("lxcnet-oci <id> net<N>") fit; longer ones read back cut short. */
#define LINK_ALIAS_MAX 256

typedef struct LinkInfo {
	int ifindex;
	uint32_t mtu;
	int master; /* ifindex of the bridge it is enslaved to, 0 if none */
	bool up;
	bool is_bridge;
	bool is_ovs; /* an Open vSwitch bridge (or its internal port) */
	/* A bridge's: VLAN filtering on, and its VLANs' protocol (0x8100 or 0x88a8, host order; 0x8100 elsewhere). */
	bool vlan_filtering;
	uint16_t vlan_protocol;
	uint8_t mac[6];		    /* zero when the link has none */
	char alias[LINK_ALIAS_MAX]; /* IFLA_IFALIAS, "" when none */
} LinkInfo;

/* -ENODEV when there is no such link. */
int link_get(struct nl_sock *sk, const char *ifname, LinkInfo *ret);

/*
 * In one request: enslave to master_ifindex (0: release), set mtu (0: keep),
 * and set the link up or down.
 */
int link_set(struct nl_sock *sk, int ifindex, int master_ifindex, uint32_t mtu, bool up);

int link_delete(struct nl_sock *sk, const char *ifname);

/*
 * A bridge port's VLAN membership, as `bridge vlan add|del dev PORT vid
 * FIRST-LAST [pvid] [untagged]` sets it: add true adds (flags
 * BRIDGE_VLAN_INFO_PVID, _UNTAGGED), false deletes.
 */
int bridge_port_vlans(struct nl_sock *sk, int ifindex, bool add, uint16_t first, uint16_t last, uint16_t flags);

/*
 * A bridge port's VLAN membership as the kernel has it (an RTM_GETVLAN
 * dump of that port, Linux 5.8+): its PVID (0: none), and bitmaps of the
 * VLANs it is an untagged and a tagged member of. -EOPNOTSUPP where the
 * kernel cannot say (no bridge VLAN filtering).
 */
#define BRIDGE_VLAN_WORDS 64
typedef struct BridgePortVlans {
	uint16_t pvid;
	uint64_t untagged[BRIDGE_VLAN_WORDS], tagged[BRIDGE_VLAN_WORDS];
} BridgePortVlans;

int bridge_port_vlans_get(struct nl_sock *sk, int ifindex, BridgePortVlans *ret);

/*
 * Create bridge ifname (mtu 0: the kernel's) with the settings pve-common
 * copies from a guest's bridge to its firewall bridge (ageing time, STP,
 * priority, forward delay, hello time, max age, multicast snooping and
 * querier) taken from bridge like_ifindex, over rtnetlink: also where
 * /sys shows another network namespace. -EEXIST when the name is taken,
 * -EINVAL when like_ifindex is no bridge.
 */
int bridge_create_like(struct nl_sock *sk, const char *ifname, int like_ifindex, uint32_t mtu);

/* A veth pair ifname / peer_ifname in this namespace, both with mtu (0: the kernel's). */
int veth_pair_create(struct nl_sock *sk, const char *ifname, const char *peer_ifname, uint32_t mtu);

/* No IPv6 (and no link-local address) on ifname, as Proxmox has its bridge ports; 0 when IPv6 is absent. */
int link_disable_ipv6(const char *ifname);

/* Set the interface's alias (IFLA_IFALIAS), by which lxcnet marks host ends that carry no VMID. */
int link_set_alias(struct nl_sock *sk, int ifindex, const char *alias);

/*
 * Deleting a veth takes 10-30 ms in the deleting syscall, but the kernel
 * unlists both ends (and tells RTNLGRP_LINK) within the first 2 ms; the rest
 * is RCU grace periods before the memory is freed. link_delete_start()
 * deletes ifindex in a thread and returns once the link is gone from every
 * view (its RTM_DELLINK seen, or the deletion finished), with the name free
 * for reuse; or, when it fails, once the thread has ended. link_delete_wait()
 * waits for the thread and returns the deletion's result; it does nothing
 * when no thread is left, so it can always be called after a start.
 */
typedef struct LinkDeletion {
	pthread_t thread;
	int ifindex;
	int efd;    /* written by the thread when it is done */
	int result; /* the thread's, valid once efd is written */
	bool started;
} LinkDeletion;

int link_delete_start(LinkDeletion *del, int ifindex);
int link_delete_wait(LinkDeletion *del);

/*
 * For a process that exits soon after (the CNI plugin, the OCI hook):
 * delete the links, all at once, in a detached process, and return once
 * their names are gone (RTM_DELLINK seen for each). The kernel's slow part
 * (RCU grace periods) runs on in that process, off the caller's clock.
 * -errno when one of them is still there after the process gave up.
 */
#define LINK_DELETE_DETACHED_MAX 4
int link_delete_detached(const int *ifindexes, size_t n);

/*
 * Call fn for every link of kind (NULL: any) whose name starts with prefix,
 * after a dump of names only; stops at the first negative return.
 */
int link_foreach_prefix(struct nl_sock *sk, const char *kind, const char *prefix,
			int (*fn)(struct nl_sock *sk, const char *ifname, void *userdata), void *userdata);

/* An RTM_GETLINK dump request without statistics, of links of kind only (NULL: all; the kernel filters). */
int link_dump_request(const char *kind, struct nl_msg **ret);
