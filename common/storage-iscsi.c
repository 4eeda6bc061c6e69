/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iscsi: portal (host[:port]) and target (an iqn., eui. or naa. name).
 * Traffic: the portal's port, 3260 by default. In use: the kernel has a
 * session to the target (/sys/class/iscsi_session).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "storage-plugin.h"
#include "strutil.h"

#define ISCSI_PORT 3260
#define ISCSI_SESSIONS "/sys/class/iscsi_session"

static bool all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 3720 3.2.6.3: iqn.YYYY-MM.<reversed domain>[:<anything>], eui.<16 hex>; RFC 3980: naa.<16 or 32 hex>. */
static bool valid_target(const char *t)
{
	if (strncmp(t, "eui.", 4) == 0)
		return all_hex(t + 4, 16);
	if (strncmp(t, "naa.", 4) == 0)
		return all_hex(t + 4, 16) || all_hex(t + 4, 32);
	if (strncmp(t, "iqn.", 4) != 0 || strlen(t) > 223)
		return false;
	t += 4;
	for (int i = 0; i < 7; i++)
		if (i == 4 ? t[i] != '-' : !isdigit((unsigned char)t[i]))
			return false;
	if (t[7] != '.' || !(isalnum((unsigned char)t[8])))
		return false;
	for (t += 8; *t && *t != ':'; t++)
		if (!isalnum((unsigned char)*t) && *t != '.' && *t != '-')
			return false;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return false;
	return true;
}

static int iscsi_check(const Storage *s, const char *pve_dir, StorageIssue *issue, Diag *d)
{
	const char *portal = storage_get(s, "portal"), *target = storage_get(s, "target");
	char host[STORAGE_HOST_MAX];
	uint16_t port;

	(void)pve_dir;
	if (storage_parse_host_port(portal, host, sizeof(host), &port) < 0)
		return storage_issue(issue, d, s, SP_BAD_PORTAL, "portal",
				     "'%s' is not a portal (host, host:port, [IPv6 address]:port)", portal);
	if (!valid_target(target))
		return storage_issue(issue, d, s, SP_BAD_TARGET, "target",
				     "'%s' is not an iSCSI name (iqn.YYYY-MM.domain[:id], eui.<16 hex>, naa.<16 or 32 hex>)",
				     target);
	return 0;
}

static int iscsi_endpoint(const Storage *s, StorageEndpoint *ret)
{
	StorageEndpoint e = {};
	uint16_t port;
	int r;

	r = storage_parse_host_port(storage_get(s, "portal"), e.host, sizeof(e.host), &port);
	if (r < 0)
		return r;
	r = storage_endpoint_add_port(&e, IPPROTO_TCP, port ?: ISCSI_PORT);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

static bool iscsi_in_use(const Storage *s, const char *mountinfo)
{
	_cleanup_(closedirp) DIR *dir = opendir(ISCSI_SESSIONS);
	const char *target = storage_get(s, "target");
	struct dirent *de;

	(void)mountinfo;
	while (dir && (de = readdir(dir))) {
		_cleanup_free_ char *path = NULL, *name = NULL;
		size_t size;

		if (de->d_name[0] == '.' || asprintf(&path, ISCSI_SESSIONS "/%s/targetname", de->d_name) < 0)
			continue;
		if (read_full_file(path, 4096, &name, &size) < 0)
			continue;
		if (size && name[size - 1] == '\n')
			name[size - 1] = '\0';
		if (strcmp(name, target) == 0)
			return true;
	}
	return false;
}

static const char *const iscsi_required[] = { "portal", "target", NULL };

const StoragePlugin storage_plugin_iscsi = {
	.type = "iscsi",
	.required = iscsi_required,
	.check = iscsi_check,
	.endpoint = iscsi_endpoint,
	.in_use = iscsi_in_use,
};
