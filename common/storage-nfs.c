/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nfs: server, export, path; options may set vers=, port=, mountport= and
 * proto=. Traffic: rpcbind (111, TCP and UDP), nfsd (2049 and port=) and
 * mountd when mountport= fixes it; over UDP too with proto=udp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "storage-plugin.h"
#include "strutil.h"

#define NFS_PORT 2049
#define RPCBIND_PORT 111

typedef struct NfsOptions {
	uint16_t port, mountport;
	bool udp;
} NfsOptions;

static bool is_vers(const char *v)
{
	static const char *const known[] = { "3", "4", "4.0", "4.1", "4.2" };

	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (strcmp(v, known[i]) == 0)
			return true;
	return false;
}

/* Walk options (comma-separated); the issue names the first bad one. */
static int parse_options(const Storage *s, NfsOptions *ret, StorageIssue *issue, Diag *d)
{
	const char *options = storage_get(s, "options");
	char buf[1024], *save = NULL;
	NfsOptions o = {};

	if (options) {
		if (strlen(options) >= sizeof(buf) || !*options || options[strlen(options) - 1] == ',' || options[0] == ',' ||
		    strstr(options, ",,"))
			return storage_issue(issue, d, s, SP_BAD_OPTIONS, "options", "'%s' is not a list of mount options",
					     options);
		snprintf(buf, sizeof(buf), "%s", options);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');
			uint64_t v;

			if (eq && eq == t)
				return storage_issue(issue, d, s, SP_BAD_OPTIONS, "options", "'%s' is not a mount option", t);
			if (!eq)
				continue;
			*eq = '\0';
			if (strcmp(t, "vers") == 0 || strcmp(t, "nfsvers") == 0) {
				if (!is_vers(eq + 1))
					return storage_issue(issue, d, s, SP_BAD_VERS, "options",
							     "%s=%s is not an NFS version (3, 4, 4.0, 4.1, 4.2)", t, eq + 1);
			} else if (strcmp(t, "port") == 0 || strcmp(t, "mountport") == 0) {
				if (parse_uint_range(eq + 1, 1, 65535, &v) < 0)
					return storage_issue(issue, d, s, SP_BAD_PORT, "options",
							     "%s=%s is not a port (1..65535)", t, eq + 1);
				*(t[0] == 'p' ? &o.port : &o.mountport) = (uint16_t)v;
			} else if (strcmp(t, "proto") == 0) {
				const char *p = eq + 1;

				if (strcmp(p, "tcp") && strcmp(p, "tcp6") && strcmp(p, "udp") && strcmp(p, "udp6"))
					return storage_issue(issue, d, s, SP_BAD_PROTO, "options",
							     "proto=%s is not a transport lxcnet can isolate (tcp, udp, tcp6, udp6)",
							     p);
				o.udp = p[0] == 'u';
			}
		}
	}
	if (ret)
		*ret = o;
	return 0;
}

static int nfs_check(const Storage *s, const char *pve_dir, StorageIssue *issue, Diag *d)
{
	const char *server = storage_get(s, "server"), *export = storage_get(s, "export"), *path = storage_get(s, "path");

	(void)pve_dir;
	if (!storage_valid_host(server))
		return storage_issue(issue, d, s, SP_BAD_SERVER, "server", "'%s' is neither an IP address nor a DNS name",
				     server);
	if (!storage_valid_abs_path(export))
		return storage_issue(issue, d, s, SP_BAD_EXPORT, "export", "'%s' is not an absolute path", export);
	if (!storage_valid_abs_path(path))
		return storage_issue(issue, d, s, SP_BAD_PATH, "path", "'%s' is not an absolute path", path);
	return parse_options(s, NULL, issue, d);
}

static int nfs_endpoint(const Storage *s, StorageEndpoint *ret)
{
	StorageEndpoint e = {};
	NfsOptions o;
	int r;

	r = parse_options(s, &o, NULL, NULL);
	if (r < 0)
		return r;
	snprintf(e.host, sizeof(e.host), "%s", storage_get(s, "server"));
	r = storage_endpoint_add_port(&e, IPPROTO_TCP, RPCBIND_PORT);
	if (r >= 0)
		r = storage_endpoint_add_port(&e, IPPROTO_UDP, RPCBIND_PORT);
	if (r >= 0)
		r = storage_endpoint_add_port(&e, o.udp ? IPPROTO_UDP : IPPROTO_TCP, NFS_PORT);
	if (r >= 0 && o.port)
		r = storage_endpoint_add_port(&e, o.udp ? IPPROTO_UDP : IPPROTO_TCP, o.port);
	if (r >= 0 && o.mountport)
		r = storage_endpoint_add_port(&e, o.udp ? IPPROTO_UDP : IPPROTO_TCP, o.mountport);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

static bool nfs_in_use(const Storage *s, const char *mountinfo)
{
	const char *server = storage_get(s, "server");
	struct in6_addr a6;
	char source[1024];

	/* As mount.nfs writes it: an IPv6 server in brackets. */
	snprintf(source, sizeof(source), inet_pton(AF_INET6, server, &a6) == 1 ? "[%s]:%s" : "%s:%s", server,
		 storage_get(s, "export"));
	return storage_mounted(mountinfo, storage_get(s, "path"), "nfs", source);
}

static const char *const nfs_required[] = { "server", "export", "path", NULL };

const StoragePlugin storage_plugin_nfs = {
	.type = "nfs",
	.required = nfs_required,
	.check = nfs_check,
	.endpoint = nfs_endpoint,
	.in_use = nfs_in_use,
};
