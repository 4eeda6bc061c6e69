/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The network configuration a CNI runtime hands lxcnet-cni on stdin, read
 * and checked: cniVersion, name, bridge or vnet, the netN keys (tag,
 * trunks, rate, mtu, firewall) as a Proxmox netN property string, ipam,
 * builtinIpam, dns, prevResult, runtimeConfig.mac, strict. Keys it does not know are
 * listed (a misspelt "tga" would put the container on the untagged LAN):
 * the plugin warns, or with "strict": true they are an error.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define CNI_LATEST "1.1.0"
/* "lxcnet-cni <name> <container id, 160 at most> <ifname>" must fit LINK_ALIAS_MAX. */
#define CNI_NAME_MAX 64
#define CNI_CONFIG_MAX (1024 * 1024)
#define CNI_VERSIONS "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"

/* The error codes of the CNI specification lxcnet-cni uses; 100 and up are lxcnet's. */
enum {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_INTERNAL = 999, /* what a Go plugin's skel gives any other error, host-local's among them */
	CNI_ERR_PLUG = 100,  /* the interface could not be created or plugged */
	CNI_ERR_CHECK = 101, /* CHECK found the attachment not as ADD left it */
};

/* Whether the n characters at s are a network name, [a-zA-Z0-9][a-zA-Z0-9_.-]*, of at most CNI_NAME_MAX. */
bool cni_name_valid(const char *s, size_t n);

typedef struct CniConf {
	json_object *root;
	const char *text;    /* as read, for IPAM */
	const char *version; /* cniVersion, once known (also when a later check failed) */
	const char *name;
	const char *bridge; /* `bridge` or `vnet` */
	bool is_vnet;
	const char *ipam_type; /* NULL: no IPAM */
	bool ipam_builtin;     /* "builtinIpam": host-local done by lxcnet-cni itself (default), not run */
	json_object *prev;     /* prevResult, may be NULL */
	json_object *dns;      /* may be NULL */
	const char *mac;       /* runtimeConfig.mac, may be NULL */
	bool firewall;
	char spec[512];	       /* the netN property string but name, hwaddr and addresses */
	const char *unknown_keys[32]; /* keys it does not know (not with strict: then they are an error) */
	size_t n_unknown_keys;
} CniConf;

/* What is wrong: a CNI error code and the message. */
typedef struct CniError {
	unsigned code;
	char msg[DIAG_MAX];
} CniError;

/* Parse and check text (NUL-terminated); -EINVAL with *err. cni_conf_done() frees it either way. */
int cni_conf_parse(const char *text, CniConf *ret, CniError *err);
void cni_conf_done(CniConf *c);

bool cni_version_supported(const char *v);
/* "0.4.0" < "1.0.0": the supported versions are all x.y.z with one digit each. */
bool cni_version_at_least(const char *v, const char *min);
extern const char *const cni_versions[];
extern const size_t cni_n_versions;

/* The string member key of o, or NULL. */
const char *cni_json_str(json_object *o, const char *key);
