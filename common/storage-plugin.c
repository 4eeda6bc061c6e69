/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "storage-plugin.h"
#include "strutil.h"

/* The registry: a new type is one file and one line here. */
static const StoragePlugin *const plugins[] = {
	&storage_plugin_nfs,
	&storage_plugin_cifs,
	&storage_plugin_iscsi,
};

const StoragePlugin *storage_plugin_find(const char *type)
{
	for (size_t i = 0; i < ELEMENTSOF(plugins); i++)
		if (strcmp(plugins[i]->type, type) == 0)
			return plugins[i];
	return NULL;
}

const StoragePlugin *storage_plugin_of(const Storage *s)
{
	return storage_plugin_find(s->section->type);
}

const char *storage_plugin_types(void)
{
	static char list[128];

	if (!list[0])
		for (size_t i = 0; i < ELEMENTSOF(plugins); i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", plugins[i]->type);
	return list;
}

int storage_check(const StorageConfig *c, const char *id, const char *pve_dir, const Storage **ret_storage,
		  StorageIssue *ret_issue, Diag *d)
{
	const Storage *s = c ? storage_config_find(c, id) : NULL;
	const StoragePlugin *plugin = s ? storage_plugin_of(s) : NULL;
	char esc[DIAG_ESCAPE_MAX];

	if (!s)
		return storage_issue_id(ret_issue, d, diag_escape(esc, sizeof(esc), id, strlen(id)), SP_NO_SUCH_STORAGE,
				"not in storage.cfg");
	if (!plugin)
		return storage_issue_id(ret_issue, d, id, SP_UNSUPPORTED_TYPE,
				"a '%s' storage has no network lxcnet can isolate (%s)", s->section->type,
				storage_plugin_types());
	if (s->disable)
		return storage_issue_id(ret_issue, d, id, SP_DISABLED, "disabled in storage.cfg");
	for (const char *const *k = plugin->required; *k; k++) {
		const char *v = storage_get(s, *k);

		if (!v || !*v)
			return storage_issue(ret_issue, d, s, SP_MISSING_KEY, *k, "missing (required for %s storage)",
					     plugin->type);
	}
	if (plugin->check) {
		int r = plugin->check(s, pve_dir, ret_issue, d);

		if (r < 0)
			return r;
	}
	if (ret_issue)
		*ret_issue = (StorageIssue){ .problem = SP_NONE };
	if (ret_storage)
		*ret_storage = s;
	return 0;
}

