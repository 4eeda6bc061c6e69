/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One NIC change of a running container, all or nothing: the kernel first,
 * then the netN line, and on any failure everything put back as it was.
 * Hotplug (add, remove, update), BindVNet and UnbindVNet, the OCI hook and
 * the CNI plugin all change a NIC through nic_change_apply().
 *
 *   add       create and plug; write              undo: delete
 *   remove    delete; write (no line)             undo: create the old one
 *   update    a new name or MAC: delete, create;  undo: delete, create the old one
 *             else the host end in place, then the container's end; write
 *                                                 undo: container's end back, host end back
 *
 * Before it (the caller's part, plug_resolve_nic() helps): the config
 * locked and loaded, the request checked against it, and the plug worked
 * out for the new NIC and for the old one, which is what an undo goes back
 * to. The steps are the caller's (NicChangeOps), so that each can be made
 * to fail in a test.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ct-netif.h"
#include "diag.h"
#include "plug.h"
#include "pve-netconf.h"

typedef enum NicChangeKind {
	NIC_CHANGE_ADD,
	NIC_CHANGE_REMOVE,
	NIC_CHANGE_UPDATE,
} NicChangeKind;

typedef struct NicChangeOps {
	/* Create the NIC in the container and plug its host end; on failure nothing of it is left. */
	int (*create)(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d);
	/* Unplug the host end and delete the pair (the container's end goes with it). */
	void (*destroy)(void *userdata);
	/* Plug the existing host end as n says, in place; on failure the link is as before. */
	int (*replug)(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d);
	/* The container's end from what `from` says to what `to` says, with that MTU; NULL: no container side. */
	int (*update_ct)(void *userdata, const PveNet *from, const PveNet *to, uint32_t mtu, Diag *d);
	/* Write netN as n (NULL: drop the line); NULL: nothing is persisted (OCI, CNI). */
	int (*write)(void *userdata, const PveNet *n, Diag *d);
	/* Optional: the step starting now, for progress reports. */
	void (*step)(void *userdata, const char *step);
	/* An undo that failed too: the caller logs it (d says why). */
	void (*undo_failed)(void *userdata, const Diag *d);
} NicChangeOps;

typedef struct NicChange {
	NicChangeKind kind;
	const PveNet *new;	      /* add, update */
	const PlugTarget *target;     /* its plug */
	const PveNet *old;	      /* remove, update: the NIC now */
	const PlugTarget *old_target; /* its plug, NULL when it cannot be worked out: an undo then fails */
	const Diag *old_error;	      /* why not (for undo_failed), with old_target NULL */
	uint32_t old_mtu;	      /* update: the container end's MTU now, for an undo without old_target */
} NicChange;

/* 0, or the first failure's error with d; what was changed is undone (or reported through undo_failed). */
int nic_change_apply(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d);

/*
 * Add a NIC to a network namespace that has no config file (the OCI hook,
 * the CNI plugin): create it and plug its host end (host_ifname, its alias
 * naming the owner), or leave nothing.
 */
int nic_change_add_netns(PlugEnv *e, CtNetns *ns, const char *host_ifname, const char *alias, const PveNet *n,
			 const PlugTarget *t, Diag *d);

/* Whether an update replaces the NIC (a new name or MAC) rather than changing it in place. */
bool nic_change_replaces(const PveNet *old, const PveNet *new);

