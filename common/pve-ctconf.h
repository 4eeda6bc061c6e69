/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A Proxmox container config file, <pve-dir>/lxc/<vmid>.conf.
 *
 * Only the `netN:` lines of the current section (before the first
 * `[snapshot]` or `[pve:pending]` header) are interpreted. Every other byte
 * (description comments, other keys, raw lxc.* lines, pending and snapshot
 * sections) is kept as it was, so that writing one netN changes exactly
 * that one line.
 */

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "macro.h"
#include "pve-netconf.h"

#define CT_CONFIG_SIZE_MAX (16u * 1024 * 1024)
#define CT_CONFIG_LOCK_DIR "/run/lock/lxc"
#define CT_CONFIG_LOCK_TIMEOUT_MS 10000

typedef struct CtNetEntry {
	bool present;
	unsigned line; /* 1-based */
	size_t off;    /* the line, without its newline */
	size_t len;
	PveNet net;
} CtNetEntry;

typedef struct CtKeyLine {
	size_t off;  /* start of the key */
	size_t klen; /* key length */
	size_t end;  /* just past the line's newline */
} CtKeyLine;

typedef struct CtConfig {
	char *path;
	const char *name; /* basename of path, for messages */
	char *data;
	size_t size;
	CtNetEntry nets[PVE_NET_MAX];
	CtKeyLine *keys; /* `key: value` lines of the current section */
	size_t n_keys;
	size_t body_end; /* just past the last non-blank line of the current section */
} CtConfig;

void ct_config_free(CtConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CtConfig, ct_config_free);

/* Parse a config held in memory; name is used in messages ("100.conf"). */
int ct_config_parse(const char *path, const char *data, size_t size, CtConfig **ret, Diag *d);

/* Read and parse a file. A missing file is -ENOENT with a message naming it. */
int ct_config_load(const char *path, CtConfig **ret, Diag *d);

/* Replace, add (net != NULL) or delete (net == NULL) netIDX, in memory. */
int ct_config_set_net(CtConfig *c, unsigned idx, const PveNet *net, Diag *d);

/*
 * The caller holds the config lock (ct_config_lock()).
 * Write c->data to c->path atomically: temp file + fsync + rename + fsync of
 * the directory; the previous content is kept as "<path>.bak". Proxmox's own
 * writer does not keep a backup; ours is one generation deep. When c->path
 * is a symbolic link, the file it points to is written (and backed up beside
 * it) and the link stays.
 */
int ct_config_save(const CtConfig *c, Diag *d);

/* Take Proxmox's per-container config lock <lock_dir>/pve-config-<vmid>.lock (flock). */
int ct_config_lock(const char *lock_dir, const char *vmid, int timeout_ms, int *ret_fd, Diag *d);

/*
 * The whole transaction, under the lock: load path, change one netN, save.
 * On any failure the file is left exactly as it was.
 */
int ct_config_update_net(const char *path, const char *lock_dir, unsigned idx, const PveNet *net, Diag *d);

/* "<pve_dir>/lxc/<vmid>.conf" */
int ct_config_path(const char *pve_dir, const char *vmid, char **ret);
