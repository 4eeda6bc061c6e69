/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

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
} CtlOptions;

int ctl_config_show(const CtlOptions *o, const char *vmid);
int ctl_config_check(const CtlOptions *o, const char *vmid);
int ctl_sdn_show(const CtlOptions *o);
int ctl_lxc_config(const CtlOptions *o, const char *vmid);

/* Agent verbs (ctl-bus.c). */
int ctl_status(const CtlOptions *o);
int ctl_bindings(const CtlOptions *o);
int ctl_binding(const CtlOptions *o, const char *container, const char *net);
int ctl_containers(const CtlOptions *o);
int ctl_stats(const CtlOptions *o, const char *container, const char *net);
int ctl_reload(const CtlOptions *o);
int ctl_vnets(const CtlOptions *o);
/* what: add, update or remove; spec NULL for remove. */
int ctl_hotplug(const CtlOptions *o, const char *what, const char *container, const char *net, const char *spec);
int ctl_operations(const CtlOptions *o);
/* vnet NULL: unbind. */
int ctl_bind(const CtlOptions *o, const char *container, const char *net, const char *vnet);
