/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cni-conf.h"
#include "macro.h"
#include "pve-netconf.h"
#include "strutil.h"

const char *const cni_versions[] = { CNI_VERSIONS };
const size_t cni_n_versions = ELEMENTSOF(cni_versions);

static int _printf_(3, 4) fail(CniError *err, unsigned code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool cni_name_valid(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

	if (n == 0 || n > CNI_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(ok, s[i]))
			return false;
	return true;
}

bool cni_version_supported(const char *v)
{
	for (size_t i = 0; i < cni_n_versions; i++)
		if (strcmp(v, cni_versions[i]) == 0)
			return true;
	return false;
}

bool cni_version_at_least(const char *v, const char *min)
{
	return strcmp(v, min) >= 0;
}

const char *cni_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One of the netN keys as a JSON field: its type checked here, its value by pve_net_parse() later. */
static int conf_key(CniConf *c, json_object *root, const char *key, CniError *err)
{
	json_object *v;

	if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (strcmp(key, "tag") == 0 || strcmp(key, "mtu") == 0) {
		if (!json_object_is_type(v, json_type_int))
			return fail(err, CNI_ERR_INVALID_CONFIG, "%s: must be an integer", key);
		return str_appendf(c->spec, sizeof(c->spec), ",%s=%" PRId64, key, json_object_get_int64(v));
	}
	if (strcmp(key, "rate") == 0) {
		char num[64];

		if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
			return fail(err, CNI_ERR_INVALID_CONFIG, "rate: must be a number (MiB/s)");
		format_double(num, sizeof(num), json_object_get_double(v));
		return str_appendf(c->spec, sizeof(c->spec), ",rate=%s", num);
	}
	if (strcmp(key, "firewall") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, CNI_ERR_INVALID_CONFIG, "firewall: must be true or false");
		c->firewall = json_object_get_boolean(v);
		return str_appendf(c->spec, sizeof(c->spec), ",firewall=%d", json_object_get_boolean(v) ? 1 : 0);
	}
	/* trunks: [100, 200] or Proxmox's "100;200" (nothing else: it goes into the netN property string) */
	if (json_object_is_type(v, json_type_string)) {
		const char *t = json_object_get_string(v);

		if (!*t || strspn(t, "0123456789;") != strlen(t))
			return fail(err, CNI_ERR_INVALID_CONFIG, "trunks: '%s' is not a list of VLAN ids (\"100;200\" or [100, 200])",
					t);
		return str_appendf(c->spec, sizeof(c->spec), ",trunks=%s", t);
	}
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return fail(err, CNI_ERR_INVALID_CONFIG, "trunks: must be a list of VLAN ids");
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_int))
			return fail(err, CNI_ERR_INVALID_CONFIG, "trunks: must be a list of VLAN ids");
		if (str_appendf(c->spec, sizeof(c->spec), "%s%" PRId64, i ? ";" : ",trunks=", json_object_get_int64(e)) < 0)
			return fail(err, CNI_ERR_INVALID_CONFIG, "trunks: too many");
	}
	return 0;
}

/*
 * Keys lxcnet-cni reads, and those a runtime adds. Another key is most
 * likely a misspelt one ("tga" would put the container on the untagged
 * LAN): a warning, or with "strict": true an error.
 */
static int conf_unknown_keys(CniConf *c, json_object *root, CniError *err)
{
	static const char *const known[] = { "cniVersion", "name",	 "type",	  "bridge", "vnet",	"tag",
					      "trunks",	    "rate",	 "mtu",		  "firewall", "ipam",	"dns",
					      "prevResult", "runtimeConfig", "capabilities", "args",	"strict", "builtinIpam" };
	json_object *v;
	bool strict = false;

	if (json_object_object_get_ex(root, "strict", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, CNI_ERR_INVALID_CONFIG, "strict: must be true or false");
		strict = json_object_get_boolean(v);
	}
	json_object_object_foreach(root, key, val) {
		bool found = strncmp(key, "cni.dev/", 8) == 0;

		(void)val;
		for (size_t i = 0; !found && i < ELEMENTSOF(known); i++)
			found = strcmp(key, known[i]) == 0;
		if (found)
			continue;
		if (strict)
			return fail(err, CNI_ERR_INVALID_CONFIG, "'%s': unknown key (\"strict\": true refuses them)", key);
		if (c->n_unknown_keys < ELEMENTSOF(c->unknown_keys))
			c->unknown_keys[c->n_unknown_keys++] = key;
	}
	return 0;
}

int cni_conf_parse(const char *text, CniConf *c, CniError *err)
{
	static const char *const keys[] = { "tag", "trunks", "rate", "mtu", "firewall" };
	enum json_tokener_error jerr;
	json_object *v;
	const char *bridge, *vnet;

	c->text = text;
	c->root = json_tokener_parse_verbose(text, &jerr);
	if (!c->root || !json_object_is_type(c->root, json_type_object))
		return fail(err, CNI_ERR_DECODE, "network configuration on stdin: %s",
				c->root ? "not a JSON object" : json_tokener_error_desc(jerr));
	v = NULL;
	if (!json_object_object_get_ex(c->root, "cniVersion", &v) || !json_object_is_type(v, json_type_string))
		return fail(err, CNI_ERR_INVALID_CONFIG, "cniVersion: missing");
	if (!cni_version_supported(json_object_get_string(v)))
		return fail(err, CNI_ERR_INCOMPATIBLE_VERSION, "cniVersion %s: lxcnet-cni supports 0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0",
			    json_object_get_string(v));
	c->version = json_object_get_string(v);
	c->name = cni_json_str(c->root, "name");
	/* The spec's network name; at most CNI_NAME_MAX so that the attachment's alias holds it. */
	if (!c->name || !cni_name_valid(c->name, MIN(strlen(c->name), (size_t)CNI_NAME_MAX)))
		return fail(err, CNI_ERR_INVALID_CONFIG, "name: missing or not a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
	if (strlen(c->name) > CNI_NAME_MAX)
		return fail(err, CNI_ERR_INVALID_CONFIG, "name: '%.20s...' is %zu characters long; lxcnet-cni takes at most %d",
				c->name, strlen(c->name), CNI_NAME_MAX);
	if (conf_unknown_keys(c, c->root, err) < 0)
		return -EINVAL;
	bridge = cni_json_str(c->root, "bridge");
	vnet = cni_json_str(c->root, "vnet");
	if (!!bridge == !!vnet)
		return fail(err, CNI_ERR_INVALID_CONFIG, "exactly one of \"bridge\" and \"vnet\" must be given");
	c->bridge = bridge ?: vnet;
	c->is_vnet = vnet;
	if (!pve_word_valid(c->bridge) || strlen(c->bridge) >= IFNAMSIZ)
		return fail(err, CNI_ERR_INVALID_CONFIG, "%s: '%s' is not a valid name", bridge ? "bridge" : "vnet", c->bridge);
	snprintf(c->spec, sizeof(c->spec), "bridge=%s", c->bridge);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (conf_key(c, c->root, keys[i], err) < 0)
			return err->msg[0] ? -EINVAL : fail(err, CNI_ERR_INVALID_CONFIG, "%s: the value is too long", keys[i]);
	if (json_object_object_get_ex(c->root, "ipam", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			return fail(err, CNI_ERR_INVALID_CONFIG, "ipam: must be an object");
		if (json_object_object_length(v) > 0) {
			c->ipam_type = cni_json_str(v, "type");
			if (!c->ipam_type || !*c->ipam_type || strchr(c->ipam_type, '/'))
				return fail(err, CNI_ERR_INVALID_CONFIG, "ipam: \"type\" missing or not a plugin name");
		}
	}
	c->ipam_builtin = true;
	if (json_object_object_get_ex(c->root, "builtinIpam", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, CNI_ERR_INVALID_CONFIG, "builtinIpam: must be true or false");
		c->ipam_builtin = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(c->root, "prevResult", &v) && json_object_is_type(v, json_type_object))
		c->prev = v;
	if (json_object_object_get_ex(c->root, "dns", &v) && json_object_is_type(v, json_type_object))
		c->dns = v;
	if (json_object_object_get_ex(c->root, "runtimeConfig", &v) && json_object_is_type(v, json_type_object))
		c->mac = cni_json_str(v, "mac");
	return 0;
}

void cni_conf_done(CniConf *c)
{
	json_object_put(c->root);
	*c = (CniConf){};
}
