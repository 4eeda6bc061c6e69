/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * rate=R for a container port, shaped rather than policed (TCP collapses
 * under a policer, see DESIGN.md §4):
 *  - to the container: where the kernel has fq, the port's eBPF program
 *    gives each frame its earliest departure time and fq, the host veth's
 *    root qdisc, holds it until then (closer to R than the tbf, and less
 *    CPU: bench-edt.sh); elsewhere a tbf as root qdisc of the host veth;
 *  - from the container: the port's eBPF program hands frames to a mirred
 *    filter of lxcnet's right after it on the veth's ingress, which
 *    redirects them into an ifb device "lxr<ifindex>" whose root is the same
 *    tbf, and the ifb hands them back to the veth's receive path.
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

/*
 * Shape port ifindex to rate MiB/s both ways; for the datapath policy
 * *ret_ifb_ifindex, and *ret_edt_bps: bytes/s for departure times towards
 * the container (fq is the root), 0 when the tbf shapes that way.
 */
int shaper_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, uint32_t *ret_edt_bps, Diag *d);

/*
 * rate for a storage network on ifindex, both ways: frames to endpoints
 * (the program sets skb->priority to SHAPER_STORAGE_CLASS) go through an
 * HTB class under lxcnet's root HTB, whose default lets everything else
 * pass unshaped; frames from endpoints through the ifb's tbf.
 * *ret_created_clsact: the clsact qdisc for the redirect into the ifb was
 * made here. -EBUSY when the interface has a root qdisc of someone else's:
 * it is left alone.
 */
#define SHAPER_STORAGE_CLASS 0x4c580001u
int shaper_storage_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, bool *ret_created_clsact, Diag *d);

/* Remove the port's (or storage network's) shaping (its tbf and its ifb); idempotent. */
int shaper_clear(struct nl_sock *nl, int ifindex);

/*
 * The shaping of port ifindex as the kernel has it, for comparing with
 * what shaper_set() would set: the rate (bytes/s) of lxcnet's tbf at the
 * port's root (0: its root qdisc is not lxcnet's tbf) or lxcnet's fq there, the port's ifb
 * (0: none) and the rate of the tbf at that ifb's root. qdiscs is a
 * libnl qdisc cache the caller made (one dump for many ports).
 */
typedef struct ShaperState {
	uint32_t to_container_bps;
	bool to_container_fq; /* the port's root is lxcnet's fq (departure times, the rate is the datapath's) */
	int ifb_ifindex;
	uint32_t from_container_bps;
	int redirect_ifindex; /* where lxcnet's filter on the port's ingress redirects to (0: no such filter) */
} ShaperState;

int shaper_get(struct nl_sock *nl, struct nl_cache *qdiscs, int ifindex, ShaperState *ret);
/* The rate shaper_set() gives rate MiB/s, in bytes/s. */
uint32_t shaper_bytes_per_sec(double rate);

/* The name of port ifindex's ifb. */
void shaper_ifb_name(int ifindex, char ret[IFNAMSIZ]);

/* Delete ifbs of ports that no longer exist; returns how many. */
int shaper_sweep(struct nl_sock *nl);
