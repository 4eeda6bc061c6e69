/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How LXC calls our executables, in both hook conventions:
 *
 *   lxc.hook.version = 0 (default, what Proxmox uses):
 *     hook: <script> <name> lxc <type>
 *     net:  <script> <name> net up veth [<link>] <host-veth>
 *   lxc.hook.version = 1: no name/section/type arguments; LXC_HOOK_TYPE,
 *     LXC_HOOK_SECTION and for net scripts LXC_NET_TYPE, LXC_NET_PEER,
 *     LXC_NET_PARENT in the environment; net args are veth [<link>] <host-veth>.
 *
 * LXC_NAME is set in both.
 */

#include <stdint.h>

#include "api/notify.h"
#include "diag.h"
#include "pve-netconf.h"

typedef struct HookArgs {
	const char *name;   /* container name (a VMID for Proxmox containers) */
	const char *type;   /* "pre-start", "up", "post-stop", ... */
	const char *ifname; /* net hooks: the host veth */
} HookArgs;

/*
 * Whether the hook was given --node-wide first (as common.conf.d wires it on
 * a Proxmox node); if so, it is taken out of argc and argv, leaving what LXC
 * passed for lxc_hook_parse().
 */
bool lxc_hook_node_wide(int *argc, char ***argv);

int lxc_hook_parse(int argc, char **argv, const char *section, HookArgs *ret, Diag *d);

/* Proxmox containers are numbered; others are plain LXC containers. */
bool lxc_hook_is_vmid(const char *name);

/*
 * The file holding the container's netN lines: <pve_dir>/lxc/<vmid>.conf for
 * Proxmox containers, <conf_dir>/lxc/<name>.conf for plain LXC containers.
 */
int lxc_hook_config_path(const char *name, const char *pve_dir, const char *conf_dir, char **ret);

/* "veth<name>i<N>" -> N, for this container only; -EINVAL otherwise. */
int lxc_hook_net_index(const char *name, const char *ifname);

/*
 * Tell lxcnetd, if it runs, about a plugged NIC: one datagram to
 * $LXCNET_NOTIFY_SOCKET (default /run/lxcnet/notify), never waiting. Without
 * an agent nothing happens; the hooks work the same. With rep (may be NULL;
 * its report fields) the agent also counts the operation for its metrics.
 */
void lxc_hook_notify_agent(const char *container, unsigned net, const char *vnet, const NotifyMessage *rep);

/*
 * Run a legacy command (Proxmox's lxcnetaddbr) as LXC ran us: same
 * arguments after argv[0], same environment. Its exit status, or -errno
 * when it could not run at all: -ELOOP when command is this very program
 * (lxcnetaddbr diverted to lxcnet-netup and named as its own legacy command).
 */
int lxc_hook_run_legacy(const char *command, char **argv);

/* $LXCNET_PVE_DIR or the default; $LXCNET_CONF_DIR or the default. */
const char *lxc_hook_pve_dir(void);
const char *lxc_hook_conf_dir(void);
