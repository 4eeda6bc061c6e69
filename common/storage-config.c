/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage-config.h"
#include "strutil.h"

void storage_config_free(StorageConfig *c)
{
	if (!c)
		return;
	section_file_free(c->file);
	free(c->storages);
	free(c);
}

const char *storage_get(const Storage *s, const char *key)
{
	const SectionEntry *e = section_get(s->section, key);

	return e ? (e->value ?: "1") : NULL;
}

const char *storage_id(const Storage *s)
{
	return s->section->id;
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

		*st = (Storage){ .section = s };
		dis = storage_get(st, "disable");
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
