/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Storage networks in the agent (storage.c): lxcnet.conf's
 * storage-network sections put in force on their interfaces, kept in force
 * across agent restarts (the programs stay attached; a state file under
 * the state directory remembers what was there before), followed when the
 * interface comes and goes, and served on the bus.
 */

#include <stdbool.h>

#include "manager.h"
#include "metrics.h"
#include "storage-abi.h"

/* At start, after lxcnet.conf is read: restore what the state says is gone from it, apply the rest. */
int storage_nets_start(Manager *m);
/* After Reload: the same against the new lxcnet.conf. */
void storage_nets_reload(Manager *m);
void storage_nets_free(Manager *m);

/* The lxcnet_storage_* metric families. */
int storage_nets_metrics(Manager *m, MetricsWriter *w);

/*
 * ConfigureStorageNetwork: the arguments as a storage-network section, with
 * the checks the file gets (-EINVAL and d naming the value; the caller
 * frees *ret with storage_net_conf_done()); then put in force and written
 * to lxcnet.conf, in the helper thread and on the main loop: done() gets
 * the outcome (InvalidStorage, InvalidConfig, InvalidArgument for a
 * missing interface, or Failed).
 */
int storage_net_conf_from_args(Manager *m, const char *id, const char *ifname, unsigned vid, char **storages, double rate,
			       char **allow, StorageNetConf *ret, Diag *d);
int storage_net_configure(Manager *m, const StorageNetConf *c, ManagerDone done, void *userdata);

/* In lxcnet.conf or in force. */
bool storage_net_exists(Manager *m, const char *id);
/* Out of lxcnet.conf, then off its interface, which is left as before. */
int storage_net_remove(Manager *m, const char *id, Diag *d);
/* "active", "failed" (*ret_error says why) or "pending". */
const char *storage_net_state(Manager *m, const char *id, const char **ret_error);

/* GetStorageStatus, as the helper thread found it. */
typedef struct StorageSlotStatus {
	const char *name, *type;
	char **endpoints; /* "10.0.0.1 tcp/2049", "10.0.0.9 any", "every storage tcp/22" */
	bool in_use, reachable;
	const char *reach; /* "10.0.0.1:2049: connected" */
	struct lxcnet_storage_stats counters;
} StorageSlotStatus;

typedef struct StorageStatus {
	const char *interface;
	unsigned vlan;
	const char *state, *error;
	uint64_t drops[_LXCNET_STORAGE_DROP_MAX][_LXCNET_STORAGE_DIR_MAX]; /* the interface's */
	StorageSlotStatus *slots;
	size_t n_slots;
} StorageStatus;

/* status is only valid during the call, and only with r >= 0. */
typedef void (*StorageStatusDone)(Manager *m, int r, const char *error_name, const char *message, const StorageStatus *status,
				  void *userdata);
/* Resolve, look at the mounts and probe (2 s), in the helper thread; -ENOENT when id is not in lxcnet.conf. */
int storage_net_status(Manager *m, const char *id, StorageStatusDone done, void *userdata);
