/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The eBPF datapath from user space: load bpf/port.bpf.c once and pin its
 * programs and maps under <root>/<ABI> (root /sys/fs/bpf/lxcnet, or
 * $LXCNET_BPF_ROOT), so that every hook, the agent and the kernel share one
 * policy map and traffic keeps its policy with no lxcnet process running.
 * A new ABI pins beside the old one: ports attached before an upgrade keep
 * the old programs and maps until their container restarts.
 */

#include <stdbool.h>

#include "../bpf/port-abi.h"
#include "diag.h"
#include "macro.h"


typedef struct Datapath {
	char *pin_dir;
	int ports_fd;
	int stats_fd;
	int ingress_fd;
	int egress_fd;
} Datapath;

void datapath_free(Datapath *dp);
DEFINE_TRIVIAL_CLEANUP_FUNC(Datapath, datapath_free);

/*
 * Open the pinned datapath. With load, load and pin it first if needed
 * (mounting bpffs if needed); without, -ENOENT when nothing is pinned.
 */
int datapath_open(bool load, Datapath **ret, Diag *d);

/* Set ifindex's policy, then attach both programs to it (tc clsact ingress and egress). */
int datapath_port_set(Datapath *dp, int ifindex, const struct lxcnet_port *policy, Diag *d);

/* Detach lxcnet's filters (and only those) and forget the port; idempotent. */
int datapath_port_clear(Datapath *dp, int ifindex);

/* The policy in force on ifindex; -ENOENT when there is none. */
int datapath_port_get(Datapath *dp, int ifindex, struct lxcnet_port *ret);

/* The port's counters summed over CPUs; -ENOENT if it has none. */
int datapath_port_stats(Datapath *dp, int ifindex, struct lxcnet_port_stats *ret);

/* Forget policies and counters of interfaces that no longer exist. */
int datapath_sweep(Datapath *dp, unsigned *ret_removed);

static inline void lxcnet_port_set_trunk(struct lxcnet_port *p, unsigned vid)
{
	p->trunks[(vid >> 6) & (LXCNET_TRUNK_WORDS - 1)] |= 1ULL << (vid & 63);
}

/* "vlan-in", "spoofed-mac", ...: a drop reason as the API and metrics name it. */
const char *datapath_drop_reason(unsigned reason);
