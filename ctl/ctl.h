/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "api/bus.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object, json_object_put);

/* lxcnetctl: exit codes, documented in --help. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1	 /* invalid configuration, or the operation failed */
#define CTL_EXIT_USAGE 2 /* bad command line */

typedef struct CtlOptions {
	const char *pve_dir;
	const char *conf_dir;
	const char *netup_path;
	int json;
	int wait;
	int prometheus;
	int start_host; /* lxc-config: one lxc.hook.start-host for all NICs instead of a script.up each */
	/* storage configure */
	const char *storage_interface;
	const char *storage_vlan;
	const char *storage_storages;
	const char *storage_rate;
	const char *storage_allow;
} CtlOptions;

int ctl_config_show(const CtlOptions *o, const char *vmid);
int ctl_config_check(const CtlOptions *o, const char *vmid);
int ctl_sdn_show(const CtlOptions *o);
int ctl_lxc_config(const CtlOptions *o, const char *vmid);

/* Agent verbs (ctl-bus.c), and what they share. */
#include <systemd/sd-bus.h>
int ctl_connect_bus(sd_bus **ret);
/* Call a Manager method; on failure print the bus error. */
int ctl_call(sd_bus *bus, const char *method, sd_bus_message **reply, const char *types, ...);
void ctl_print_json(json_object *o);
/* The end of a list verb: r is the last read of the reply's array, a the rows for --json. */
int ctl_list_done(const CtlOptions *o, int r, json_object *a);

int ctl_status(const CtlOptions *o);
/* How this node is wired for Proxmox (lxcnetaddbr diverted or not), the legacy command, the phase: printed, or into j. */
int ctl_node_wiring(const CtlOptions *o, json_object *j);
int ctl_bindings(const CtlOptions *o);
int ctl_binding(const CtlOptions *o, const char *container, const char *net);
int ctl_containers(const CtlOptions *o);
int ctl_stats(const CtlOptions *o, const char *container, const char *net);
int ctl_reload(const CtlOptions *o);
/* check [CT] (apply false) and reconcile [CT] (true): ports that differ from their config; exit 1 when any (check) or any failed. */
int ctl_ports(const CtlOptions *o, const char *container, bool apply);
int ctl_vnets(const CtlOptions *o);
/* what: add, update or remove; spec NULL for remove. */
int ctl_hotplug(const CtlOptions *o, const char *what, const char *container, const char *net, const char *spec);
int ctl_operations(const CtlOptions *o);
/* vnet NULL: unbind. */
int ctl_bind(const CtlOptions *o, const char *container, const char *net, const char *vnet);

/* Rollout, plugins and metrics (ctl-rollout.c). */
int ctl_phase_show(const CtlOptions *o);
int ctl_phase_set(const CtlOptions *o, const char *phase);
int ctl_fallback(const CtlOptions *o, const char *onoff);
int ctl_legacy_test(const CtlOptions *o);
int ctl_config_example(const CtlOptions *o);
int ctl_plugins(const CtlOptions *o, bool history);
int ctl_metrics(const CtlOptions *o);

/* Storage networks (ctl-storage.c). */
int ctl_storage_list(const CtlOptions *o);
int ctl_storage_status(const CtlOptions *o, const char *id);
int ctl_storage_configure(const CtlOptions *o, const char *id);
int ctl_storage_remove(const CtlOptions *o, const char *id);
/* Offline: ids NULL-terminated; empty: every nfs, cifs and iscsi storage. */
int ctl_storage_check(const CtlOptions *o, char **ids);
