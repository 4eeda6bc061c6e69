/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox's firewall plumbing for one guest NIC under pve-firewall
 * (iptables), as pve-common's tap_plug builds it for firewall=1:
 *
 *   veth<vmid>i<N> -- fwbr<vmid>i<N> -- fwln<vmid>i<N> == fwpr<vmid>p<N> -- the guest's bridge
 *
 * pve-firewall's rules match the veth and fwln+ on the firewall bridge
 * (physdev), so they apply to whoever built it. lxcnet's datapath goes on
 * fwpr: frames are still untagged inside the firewall bridge, where
 * iptables sees them (bridge-nf-filter-vlan-tagged is off by default).
 */

#include <net/if.h>
#include <stdint.h>

#include "netlink-link.h"

typedef struct FwBridge {
	char fwbr[IFNAMSIZ]; /* the firewall bridge */
	char fwln[IFNAMSIZ]; /* its port of the veth pair */
	char fwpr[IFNAMSIZ]; /* the pair's end on the guest's bridge */
	int fwbr_ifindex, fwln_ifindex, fwpr_ifindex; /* after fw_bridge_create() */
} FwBridge;

/*
 * The names for host interface ifname, which must be named as Proxmox
 * names a container's (veth<vmid>i<N>, digits only): -EINVAL otherwise,
 * -ENAMETOOLONG when a name would not fit (as Proxmox refuses it).
 */
int fw_bridge_names(const char *ifname, FwBridge *ret);

/*
 * The firewall bridge with the settings of bridge bridge_ifindex and the
 * fwln/fwpr pair, all with mtu, IPv6 off and up, fwln in the firewall
 * bridge; fwpr in no bridge yet. On failure nothing of it is left.
 */
int fw_bridge_create(struct nl_sock *nl, FwBridge *fb, int bridge_ifindex, uint32_t mtu);

/*
 * Delete the pair (fwln, and fwpr with it) and the firewall bridge: what a
 * plug leaves, or a crash. *ret_fwpr_ifindex (may be NULL) is the ifindex
 * fwpr had, 0 when there was none, for what was kept per port. 0 when
 * nothing was there.
 */
int fw_bridge_remove(struct nl_sock *nl, const FwBridge *fb, int *ret_fwpr_ifindex);
