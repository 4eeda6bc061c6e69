/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lxcnetctl: exit codes, documented in --help. */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1	 /* invalid configuration, or the operation failed */
#define CTL_EXIT_USAGE 2 /* bad command line */

typedef struct CtlOptions {
	const char *pve_dir;
	const char *conf_dir;
	const char *netup_path;
	int json;
} CtlOptions;

int ctl_config_show(const CtlOptions *o, const char *vmid);
int ctl_config_check(const CtlOptions *o, const char *vmid);
int ctl_sdn_show(const CtlOptions *o);
int ctl_lxc_config(const CtlOptions *o, const char *vmid);
