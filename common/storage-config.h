/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox storage.cfg (section config). The network storages lxcnet
 * isolates (nfs, cifs, iscsi) are read into typed entries; every other
 * type (dir, lvmthin, zfspool, rbd, ...) is kept as an opaque section.
 */

#include <stdbool.h>

#include "diag.h"
#include "macro.h"
#include "section-config.h"

typedef enum StorageType {
	STORAGE_NFS,
	STORAGE_CIFS,
	STORAGE_ISCSI,
	STORAGE_OTHER,
	_STORAGE_TYPE_MAX,
} StorageType;

typedef struct Storage {
	const Section *section; /* id, type name, every key as written */
	StorageType type;
	const char *server;   /* nfs, cifs */
	const char *export;   /* nfs */
	const char *path;     /* nfs, cifs */
	const char *options;  /* nfs, cifs */
	const char *share;    /* cifs */
	const char *username; /* cifs */
	const char *domain;   /* cifs */
	const char *smbversion; /* cifs */
	const char *subdir;   /* cifs */
	const char *portal;   /* iscsi */
	const char *target;   /* iscsi */
	const char *content;
	const char *nodes;
	bool disable;
} Storage;

typedef struct StorageConfig {
	SectionFile *file;
	Storage *storages;
	size_t n_storages;
} StorageConfig;

void storage_config_free(StorageConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(StorageConfig, storage_config_free);

const char *storage_type_name(StorageType t);

/* Takes ownership of f, also on failure. Checks each network storage has its required keys. */
int storage_config_from_sections(SectionFile *f, StorageConfig **ret, Diag *d);
int storage_config_load(const char *path, StorageConfig **ret, Diag *d);

const Storage *storage_config_find(const StorageConfig *c, const char *id);
