/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Event plugins: executables in <conf-dir>/hooks.d, run in name order after
 * the built-ins, on
 *   container-started, container-stopped      (lifecycle)
 *   bound, unbound                            (a NIC bound to / unbound from a VNet)
 *   hotplug-add, hotplug-remove, hotplug-update
 *   validate-bind, validate-hotplug           (before the operation; a
 *                                              non-zero exit vetoes it)
 * Each run gets the event as LXCNET_* environment variables and as JSON on
 * stdin, its name as argv[1], no inherited fd, and the plugin-timeout of
 * lxcnet.conf. A plugin must be root's and not group- or world-writable
 * (else it is refused and the reason logged); one that is not executable is
 * listed as disabled. Built-ins: builtin:journal logs every event,
 * builtin:vnet vetoes a bind or hotplug onto a VNet that cannot be used
 * on this node.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define PLUGIN_HISTORY 128
#define PLUGINS_SUBDIR "hooks.d"

typedef struct Manager Manager;
typedef struct PlugEnv PlugEnv;

typedef struct PluginEvent {
	char event[24];
	char container[64];
	char net[16];
	char ifname[IFNAMSIZ];
	char vnet[16];
	char bridge[IFNAMSIZ];
	char action[12]; /* validate-*: bind, unbind, add, remove, update */
	char *spec;	 /* hotplug: the netN string; owned, may be NULL */
	PlugEnv *env;	 /* validations: the caller's, for builtin:vnet (its SDN config read once); NULL: its own */
} PluginEvent;

int plugins_init(Manager *m);
void plugins_free(Manager *m);

/* A notification: queued for the helper thread, returns at once. */
void plugins_notify(Manager *m, const char *event, const char *container, unsigned net, const char *ifname, const char *vnet,
		    const char *bridge);

/* The listener (event.h) that notifies the plugins of what they are told about. */
typedef struct Event Event;
void plugins_on_event(Manager *m, const Event *ev, void *userdata);

/* A validation, in the calling thread (not the main loop): -EPERM and d's message when vetoed. */
int plugins_validate(Manager *m, const PluginEvent *ev, Diag *d);

/* Totals for the metrics: runs, failures, timeouts, vetoes over every plugin. */
typedef struct PluginStats {
	char name[256];
	bool builtin;
	char state[160]; /* "ok", "refused: ...", "disabled: not executable" */
	uint64_t runs, failures, timeouts, vetoes, total_usec, max_usec;
} PluginStats;

/* A copy of every plugin's statistics (caller frees). */
int plugins_stats(Manager *m, PluginStats **ret, size_t *ret_n);

/* One run, for GetPluginHistory. */
typedef struct PluginRun {
	uint64_t when; /* CLOCK_REALTIME, µs */
	char plugin[256];
	char event[24];
	char container[64];
	char net[16];
	const char *outcome; /* ok, failed, vetoed, timeout, error */
	int status;
	uint64_t usec;
	char message[256];
} PluginRun;

/* A copy of the newest PLUGIN_HISTORY runs, oldest first (caller frees). */
int plugins_history(Manager *m, PluginRun **ret, size_t *ret_n);
