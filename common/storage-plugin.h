/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Network storage types: one file each (storage-nfs.c, storage-cifs.c,
 * storage-iscsi.c), one StoragePlugin table each, one line each in the
 * registry of storage-plugin.c. A plugin checks a storage.cfg entry as
 * Proxmox requires it, derives the endpoint its traffic goes to (host and
 * protocol ports) and tells whether the storage is in use (mounted, or an
 * iSCSI session).
 *
 * A problem found is a named error: a StorageProblem (its name, e.g.
 * "bad-export", is part of the message and of the API) plus the storage id
 * and the key, and a message "nas1: export: 'x' is not an absolute path".
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "storage-config.h"

#define STORAGE_PORTS_MAX 8
#define STORAGE_HOST_MAX 256

typedef enum StorageProblem {
	SP_NONE,
	SP_NO_SUCH_STORAGE,    /* the id is not in storage.cfg */
	SP_UNSUPPORTED_TYPE,   /* not nfs, cifs or iscsi */
	SP_DISABLED,	       /* disable 1 */
	SP_MISSING_KEY,	       /* a required key is absent or empty */
	SP_BAD_SERVER,	       /* not an IP address or DNS name */
	SP_BAD_EXPORT,	       /* not an absolute path */
	SP_BAD_PATH,	       /* not an absolute path */
	SP_BAD_OPTIONS,	       /* an empty or malformed mount option */
	SP_BAD_VERS,	       /* vers= not 3, 4, 4.0, 4.1, 4.2 */
	SP_BAD_PORT,	       /* port= not 1..65535 */
	SP_BAD_PROTO,	       /* proto= not tcp, udp, tcp6, udp6 */
	SP_BAD_SHARE,	       /* empty, or has a '/' or '\' */
	SP_BAD_USERNAME,       /* has whitespace or a control character */
	SP_NO_PASSWORD_FILE,   /* username set, <pve-dir>/priv/storage/<id>.pw missing */
	SP_PASSWORD_READABLE,  /* that file can be read by others */
	SP_BAD_SMBVERSION,     /* not default, 2.0, 2.1, 3, 3.0, 3.11 */
	SP_BAD_DOMAIN,	       /* longer than 256 bytes or has whitespace */
	SP_BAD_SUBDIR,	       /* not an absolute path */
	SP_BAD_PORTAL,	       /* not host[:port] */
	SP_BAD_TARGET,	       /* not an iqn., eui. or naa. name */
	SP_UNRESOLVABLE,       /* the host has no address */
	_SP_MAX,
} StorageProblem;

const char *storage_problem_name(StorageProblem p);

typedef struct StorageIssue {
	StorageProblem problem;
	char storage[64];
	char key[32]; /* "" when the problem is not one key's */
} StorageIssue;

/* Set the issue and d's message ("<id>: <key>: <fmt> [<problem>]"); returns -EINVAL. */
int storage_issue(StorageIssue *ret, Diag *d, const Storage *s, StorageProblem p, const char *key, const char *fmt, ...)
	_printf_(6, 7);
/* The same for an id that may not be in storage.cfg ("<id>: <fmt> [<problem>]"). */
int storage_issue_id(StorageIssue *ret, Diag *d, const char *id, StorageProblem p, const char *fmt, ...) _printf_(5, 6);

typedef struct StoragePort {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;
} StoragePort;

typedef struct StorageEndpoint {
	char host[STORAGE_HOST_MAX]; /* an address or a DNS name, as storage.cfg says */
	StoragePort ports[STORAGE_PORTS_MAX];
	size_t n_ports;
} StorageEndpoint;

int storage_endpoint_add_port(StorageEndpoint *e, uint8_t proto, uint16_t port);
/* "tcp" or "udp", as endpoints are written ("tcp/2049"). */
const char *storage_proto_name(uint8_t proto);

typedef struct StoragePlugin {
	const char *type;
	const char *const *required; /* NULL-terminated */
	/* Type-specific checks, after the required keys are known present. */
	int (*check)(const Storage *s, const char *pve_dir, StorageIssue *ret, Diag *d);
	/* Only for a storage that passed check. */
	int (*endpoint)(const Storage *s, StorageEndpoint *ret);
	/* In use: mountinfo is /proc/self/mountinfo's text. */
	bool (*in_use)(const Storage *s, const char *mountinfo);
} StoragePlugin;

extern const StoragePlugin storage_plugin_nfs;
extern const StoragePlugin storage_plugin_cifs;
extern const StoragePlugin storage_plugin_iscsi;

/* NULL for a type lxcnet does not isolate. */
const StoragePlugin *storage_plugin_find(const char *type);
/* The plugin of a storage.cfg entry, looked up by its type when asked; NULL: not a network storage lxcnet knows. */
const StoragePlugin *storage_plugin_of(const Storage *s);
/* "nfs, cifs, iscsi" */
const char *storage_plugin_types(void);

/* Everything: present, enabled, a known type, its required keys, the plugin's own checks. */
int storage_check(const StorageConfig *c, const char *id, const char *pve_dir, const Storage **ret_storage,
		  StorageIssue *ret_issue, Diag *d);

/* --- for the plugins --- */
bool storage_valid_host(const char *s);
bool storage_valid_abs_path(const char *s);
/* "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address; port 0 when absent. */
int storage_parse_host_port(const char *s, char *ret_host, size_t size, uint16_t *ret_port);
/* Whether mountinfo has a mount on mountpoint whose type starts with fstype_prefix and whose source is source. */
bool storage_mounted(const char *mountinfo, const char *mountpoint, const char *fstype_prefix, const char *source);
