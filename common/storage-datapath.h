/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Storage networks' eBPF side (bpf/storage.bpf.c), pinned under
 * <root>/storage-v1 beside the port datapath: the policy of each storage
 * interface, the allow-list rules, the counters.
 */

#include <stdbool.h>

#include "../bpf/storage-abi.h"
#include "diag.h"
#include "macro.h"

typedef struct StorageDatapath {
	char *pin_dir;
	int ifs_fd;
	int rules_fd;
	int stats_fd;
	int ingress_fd;
	int egress_fd;
} StorageDatapath;

void storage_datapath_free(StorageDatapath *sd);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageDatapath, storage_datapath_free);

int storage_datapath_open(bool load, StorageDatapath **ret, Diag *d);

/*
 * Make ifindex's rules exactly rules[0..n), set its policy, attach.
 * New rules go in before stale ones go, so that allowed traffic never
 * meets a gap. *ret_created_clsact: whether attaching added clsact.
 */
int storage_datapath_set(StorageDatapath *sd, int ifindex, const struct lxcnet_storage_if *policy,
			 const struct lxcnet_storage_key *rules, const struct lxcnet_storage_rule *values, size_t n,
			 bool *ret_created_clsact, Diag *d);

/* Detach, forget the policy, rules and counters of ifindex; idempotent. */
void storage_datapath_clear(StorageDatapath *sd, int ifindex);

/* Forget the counters of ifindex's storages and allow items (slots 1 and up); the interface's stay. */
void storage_datapath_reset_counters(StorageDatapath *sd, int ifindex);

/* Counters of (ifindex, slot) summed over CPUs; zeros when nothing counted yet. */
int storage_datapath_stats(StorageDatapath *sd, int ifindex, unsigned slot, struct lxcnet_storage_stats *ret);

/* "address", "port", ...: a drop reason as the API and metrics name it. */
const char *storage_datapath_drop_reason(unsigned reason);
