/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cifs: server, share, path; username with its password file
 * <pve-dir>/priv/storage/<id>.pw (no username: a guest mount), smbversion,
 * domain, subdir. Traffic: SMB over TCP 445 (or options' port=).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "storage-plugin.h"
#include "strutil.h"

#define SMB_PORT 445

static bool has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

/* port= among the mount options; 0 when not set, -EINVAL when bad. */
static int options_port(const char *options, uint16_t *ret)
{
	uint64_t v = 0;

	*ret = 0;
	for (const char *p = options; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > 5 && strncmp(p, "port=", 5) == 0) {
			char num[16];

			if (len - 5 >= sizeof(num))
				return -EINVAL;
			memcpy(num, p + 5, len - 5);
			num[len - 5] = '\0';
			if (parse_uint_range(num, 1, 65535, &v) < 0)
				return -EINVAL;
			*ret = (uint16_t)v;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int cifs_check(const Storage *s, const char *pve_dir, StorageIssue *issue, Diag *d)
{
	static const char *const versions[] = { "default", "2.0", "2.1", "3", "3.0", "3.11" };
	const char *server = storage_get(s, "server"), *share = storage_get(s, "share"), *path = storage_get(s, "path");
	const char *username = storage_get(s, "username"), *smbversion = storage_get(s, "smbversion");
	const char *domain = storage_get(s, "domain"), *subdir = storage_get(s, "subdir");
	const char *options = storage_get(s, "options");
	uint16_t port;

	if (!storage_valid_host(server))
		return storage_issue(issue, d, s, SP_BAD_SERVER, "server", "'%s' is neither an IP address nor a DNS name",
				     server);
	if (strpbrk(share, "/\\") || has_space_or_control(share))
		return storage_issue(issue, d, s, SP_BAD_SHARE, "share", "'%s' is not a share name (no '/', '\\' or blanks)",
				     share);
	if (!storage_valid_abs_path(path))
		return storage_issue(issue, d, s, SP_BAD_PATH, "path", "'%s' is not an absolute path", path);
	if (subdir && !storage_valid_abs_path(subdir))
		return storage_issue(issue, d, s, SP_BAD_SUBDIR, "subdir", "'%s' is not an absolute path", subdir);
	if (smbversion) {
		bool known = false;

		for (size_t i = 0; i < ELEMENTSOF(versions); i++)
			known = known || strcmp(smbversion, versions[i]) == 0;
		if (!known)
			return storage_issue(issue, d, s, SP_BAD_SMBVERSION, "smbversion",
					     "'%s' is not an SMB version (default, 2.0, 2.1, 3, 3.0, 3.11)", smbversion);
	}
	if (domain && (strlen(domain) > 256 || !*domain || has_space_or_control(domain)))
		return storage_issue(issue, d, s, SP_BAD_DOMAIN, "domain", "'%s' is not a domain (1..256 bytes, no blanks)",
				     domain);
	if (options && options_port(options, &port) < 0)
		return storage_issue(issue, d, s, SP_BAD_PORT, "options", "'%s' has a port= that is not 1..65535", options);
	if (username) {
		_cleanup_free_ char *pw = NULL;
		struct stat st;

		if (!*username || strlen(username) > 256 || has_space_or_control(username))
			return storage_issue(issue, d, s, SP_BAD_USERNAME, "username", "'%s' is not a user name", username);
		if (asprintf(&pw, "%s/priv/storage/%s.pw", pve_dir, storage_id(s)) < 0)
			return -ENOMEM;
		if (stat(pw, &st) < 0 || !S_ISREG(st.st_mode))
			return storage_issue(issue, d, s, SP_NO_PASSWORD_FILE, "username",
					     "'%s' needs its password file '%s': %s", username, pw,
					     errno && !S_ISREG(st.st_mode) ? strerror(errno) : "not a file");
		if (st.st_mode & S_IROTH)
			return storage_issue(issue, d, s, SP_PASSWORD_READABLE, "username",
					     "the password file '%s' is readable by everyone (mode %04o)", pw,
					     (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

static int cifs_endpoint(const Storage *s, StorageEndpoint *ret)
{
	StorageEndpoint e = {};
	uint16_t port = 0;
	int r;

	if (options_port(storage_get(s, "options"), &port) < 0)
		return -EINVAL;
	snprintf(e.host, sizeof(e.host), "%s", storage_get(s, "server"));
	r = storage_endpoint_add_port(&e, IPPROTO_TCP, port ?: SMB_PORT);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

static bool cifs_in_use(const Storage *s, const char *mountinfo)
{
	const char *server = storage_get(s, "server"), *subdir = storage_get(s, "subdir");
	struct in6_addr a6;
	char source[1024];

	snprintf(source, sizeof(source), inet_pton(AF_INET6, server, &a6) == 1 ? "//[%s]/%s%s" : "//%s/%s%s", server,
		 storage_get(s, "share"), subdir ?: "");
	return storage_mounted(mountinfo, storage_get(s, "path"), "cifs", source);
}

static const char *const cifs_required[] = { "server", "share", "path", NULL };

const StoragePlugin storage_plugin_cifs = {
	.type = "cifs",
	.required = cifs_required,
	.check = cifs_check,
	.endpoint = cifs_endpoint,
	.in_use = cifs_in_use,
};
