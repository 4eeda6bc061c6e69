/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The lxc.net.N.* lines LXC needs for a container's netN, as pve-container's
 * update_lxc_config() writes them, with lxcnet's netup hook as script.up.
 */

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "pve-netconf.h"

/*
 * A container name lxcnet accepts, for files (<dir>/lxc/<name>.conf) and
 * host interface names: 1..63 of [A-Za-z0-9_.-], not starting with '.'.
 * A Proxmox VMID is one; the one rule for the bus, the state file, the
 * hooks' notifications and the ports lxcnet recognises.
 */
#define CT_NAME_MAX 63
bool ct_name_valid(const char *name);

/*
 * The host end of a container NIC is "veth<ct>i<idx>" (ct: VMID or LXC
 * name) — Proxmox's GUI counts traffic by this name. The one place the rule
 * is written: every part of lxcnet names and recognises ports with these.
 */
int lxc_netconf_host_ifname(const char *vmid, unsigned idx, char ret[IFNAMSIZ]);
/* "veth<ct>i<N>" -> ct (size bytes at most, ct_name_valid()) and N (0..31, no leading zero); -EINVAL if it is not of that form. */
int lxc_netconf_parse_host_ifname(const char *ifname, char *ret_ct, size_t size, unsigned *ret_idx);

/*
 * Print the lines for netIDX. bridge_mtu is the MTU of the bridge the NIC
 * plugs into, 0 if unknown (then no mtu line unless the NIC sets one).
 * netup_path is the NIC's script.up; NULL for none (lxcnet-netup wired as
 * lxc.hook.start-host plugs every NIC).
 */
int lxc_netconf_print(FILE *f, const char *vmid, unsigned idx, const PveNet *n, uint32_t bridge_mtu,
		      const char *netup_path, Diag *d);

/* /sys/class/net/<ifname>/mtu; -ENOENT when there is no such interface. */
int lxc_netconf_read_mtu(const char *ifname, uint32_t *ret);
