/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "storage-config.h"
#include "strutil.h"

static const char *const type_names[_STORAGE_TYPE_MAX] = {
	[STORAGE_NFS] = "nfs",
	[STORAGE_CIFS] = "cifs",
	[STORAGE_ISCSI] = "iscsi",
	[STORAGE_OTHER] = "other",
};

/* The keys each network storage type must have, as Proxmox's plugins require them. */
static const char *const required_keys[_STORAGE_TYPE_MAX][3] = {
	[STORAGE_NFS] = { "server", "export", NULL },
	[STORAGE_CIFS] = { "server", "share", NULL },
	[STORAGE_ISCSI] = { "portal", "target", NULL },
};

const char *storage_type_name(StorageType t)
{
	return t < _STORAGE_TYPE_MAX ? type_names[t] : NULL;
}

void storage_config_free(StorageConfig *c)
{
	if (!c)
		return;
	section_file_free(c->file);
	free(c->storages);
	free(c);
}

/* The keys lxcnet reads, and where they go. */
static const struct {
	const char *key;
	size_t offset;
} storage_keys[] = {
	{ "server", offsetof(Storage, server) },     { "export", offsetof(Storage, export) },
	{ "path", offsetof(Storage, path) },	     { "options", offsetof(Storage, options) },
	{ "share", offsetof(Storage, share) },	     { "username", offsetof(Storage, username) },
	{ "domain", offsetof(Storage, domain) },     { "smbversion", offsetof(Storage, smbversion) },
	{ "subdir", offsetof(Storage, subdir) },     { "portal", offsetof(Storage, portal) },
	{ "target", offsetof(Storage, target) },     { "content", offsetof(Storage, content) },
	{ "nodes", offsetof(Storage, nodes) },
};

static const char *value(const Section *s, const char *key)
{
	const SectionEntry *e = section_get(s, key);

	return e ? (e->value ?: "1") : NULL;
}

int storage_config_from_sections(SectionFile *f, StorageConfig **ret, Diag *d)
{
	_cleanup_(storage_config_freep) StorageConfig *c = calloc(1, sizeof(*c));

	if (!c) {
		section_file_free(f);
		return -ENOMEM;
	}
	c->file = f;
	c->storages = calloc(f->n_sections ?: 1, sizeof(Storage));
	if (!c->storages)
		return -ENOMEM;

	for (size_t i = 0; i < f->n_sections; i++) {
		const Section *s = &f->sections[i];
		Storage *st = &c->storages[c->n_storages++];
		const char *dis;
		char where[256];

		*st = (Storage){ .section = s, .type = STORAGE_OTHER };
		for (unsigned t = 0; t < STORAGE_OTHER; t++)
			if (strcmp(s->type, type_names[t]) == 0)
				st->type = (StorageType)t;
		if (st->type == STORAGE_OTHER)
			continue;
		for (const char *const *k = required_keys[st->type]; *k; k++)
			if (!section_get(s, *k)) {
				section_where(f, s, NULL, where, sizeof(where));
				return diag_error(d, -EINVAL, "%s%s: missing (required for %s storage)", where, *k,
						  type_names[st->type]);
			}
		for (size_t k = 0; k < ELEMENTSOF(storage_keys); k++)
			*(const char **)((char *)st + storage_keys[k].offset) = value(s, storage_keys[k].key);
		dis = value(s, "disable");
		if (dis && parse_bool(dis, &st->disable) < 0) {
			section_where(f, s, section_get(s, "disable"), where, sizeof(where));
			return diag_error(d, -EINVAL, "%sdisable: '%s' is not a boolean", where, dis);
		}
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int storage_config_load(const char *path, StorageConfig **ret, Diag *d)
{
	SectionFile *f = NULL;
	int r;

	r = section_file_load(path, NULL, &f, d);
	if (r < 0)
		return r;
	return storage_config_from_sections(f, ret, d);
}

const Storage *storage_config_find(const StorageConfig *c, const char *id)
{
	for (size_t i = 0; i < c->n_storages; i++)
		if (strcmp(c->storages[i].section->id, id) == 0)
			return &c->storages[i];
	return NULL;
}
