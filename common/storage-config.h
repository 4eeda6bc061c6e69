/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox storage.cfg (section config). Every storage is kept with its
 * keys as written. The network storages lxcnet isolates (nfs, cifs, iscsi)
 * have a plugin, found by type when asked (storage_plugin_of() in
 * storage-plugin.h), which checks them and derives their endpoints. Other
 * types (dir, lvmthin, zfspool, rbd, ...) have none.
 */

#include <stdbool.h>

#include "diag.h"
#include "macro.h"
#include "section-config.h"

typedef struct Storage {
	const Section *section; /* id, type name, every key as written */
	bool disable;
} Storage;

typedef struct StorageConfig {
	SectionFile *file;
	Storage *storages;
	size_t n_storages;
} StorageConfig;

void storage_config_free(StorageConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageConfig, storage_config_free);

/* Takes ownership of f, also on failure. Storages are checked one by one later (storage_check()). */
int storage_config_from_sections(SectionFile *f, StorageConfig **ret, Diag *d);
int storage_config_load(const char *path, StorageConfig **ret, Diag *d);

const Storage *storage_config_find(const StorageConfig *c, const char *id);

/* A key's value; "1" for a flag without one; NULL when absent. */
const char *storage_get(const Storage *s, const char *key);
const char *storage_id(const Storage *s);
