/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rate=R for a container port, shaped rather than policed (TCP collapses
 * under a policer, see DESIGN.md §4):
 *  - to the container: a tbf as root qdisc of the host veth;
 *  - from the container: the port's eBPF program redirects frames into an
 *    ifb device "lxr<ifindex>" whose root is the same tbf, and the ifb hands
 *    them back to the veth's receive path.
 * Like Proxmox: R in MiB/s, a 1 MiB bucket; plus a queue of 50 ms at R.
 */

#include <netlink/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define SHAPER_IFB_PREFIX "lxr"
#define SHAPER_BURST (1024 * 1024)
#define SHAPER_LATENCY_US 50000

/* tbf takes an int of bytes per second: -ERANGE (and d says so) beyond that. */
int shaper_check_rate(double rate, Diag *d);

/* Shape port ifindex to rate MiB/s both ways; *ret_ifb_ifindex for the datapath policy. */
int shaper_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, Diag *d);

/*
 * rate for a storage network on ifindex, both ways: frames to endpoints
 * (the program sets skb->priority to SHAPER_STORAGE_CLASS) go through an
 * HTB class under lxcnet's root HTB, whose default lets everything else
 * pass unshaped; frames from endpoints through the ifb's tbf. -EBUSY when
 * the interface has a root qdisc of someone else's: it is left alone.
 */
#define SHAPER_STORAGE_CLASS 0x4c580001u
int shaper_storage_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, Diag *d);

/* Remove the port's (or storage network's) shaping (its tbf and its ifb); idempotent. */
int shaper_clear(struct nl_sock *nl, int ifindex);

/*
 * The shaping of port ifindex as the kernel has it, for comparing with
 * what shaper_set() would set: the rate (bytes/s) of lxcnet's tbf at the
 * port's root (0: its root qdisc is not lxcnet's tbf), the port's ifb
 * (0: none) and the rate of the tbf at that ifb's root. qdiscs is a
 * libnl qdisc cache the caller made (one dump for many ports).
 */
typedef struct ShaperState {
	uint32_t to_container_bps;
	int ifb_ifindex;
	uint32_t from_container_bps;
} ShaperState;

int shaper_get(struct nl_sock *nl, struct nl_cache *qdiscs, int ifindex, ShaperState *ret);
/* The rate shaper_set() gives rate MiB/s, in bytes/s. */
uint32_t shaper_bytes_per_sec(double rate);

/* The name of port ifindex's ifb. */
void shaper_ifb_name(int ifindex, char ret[IFNAMSIZ]);

/* Delete ifbs of ports that no longer exist; returns how many. */
int shaper_sweep(struct nl_sock *nl);
