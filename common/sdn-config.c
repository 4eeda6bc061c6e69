/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pve-netconf.h"
#include "sdn-config.h"
#include "strutil.h"

static const char *const zone_type_names[_SDN_ZONE_TYPE_MAX] = {
	[SDN_ZONE_SIMPLE] = "simple", [SDN_ZONE_VLAN] = "vlan", [SDN_ZONE_QINQ] = "qinq",
	[SDN_ZONE_VXLAN] = "vxlan",   [SDN_ZONE_EVPN] = "evpn", [SDN_ZONE_OTHER] = "other",
};

const char *sdn_zone_type_name(SdnZoneType t)
{
	return t < _SDN_ZONE_TYPE_MAX ? zone_type_names[t] : NULL;
}

void sdn_config_free(SdnConfig *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_zones; i++) {
		free(c->zones[i].type_name);
		strv_free(c->zones[i].nodes);
		strv_free(c->zones[i].peers);
		free(c->zones[i].controller);
		free(c->zones[i].ipam);
	}
	for (size_t i = 0; i < c->n_vnets; i++)
		free(c->vnets[i].alias);
	for (size_t i = 0; i < c->n_subnets; i++) {
		free(c->subnets[i].id);
		free(c->subnets[i].gateway);
		strv_free(c->subnets[i].dhcp_ranges);
	}
	free(c->zones);
	free(c->vnets);
	free(c->subnets);
	free(c->source);
	free(c);
}

/* The context of one section while its keys are read: where to point messages. */
typedef struct Ctx {
	const SectionFile *f;
	const Section *s;
	Diag *d;
} Ctx;

_printf_(4, 5) static int ctx_error(const Ctx *x, const SectionEntry *e, int err, const char *fmt, ...)
{
	char where[256], msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	section_where(x->f, x->s, e, where, sizeof(where));
	return diag_error(x->d, err, "%s%s", where, msg);
}

/* A key's value; flags (no value) read as "1". NULL if absent (error if required). */
static int get(const Ctx *x, const char *key, bool required, const char **ret, const SectionEntry **ret_e)
{
	const SectionEntry *e = section_get(x->s, key);

	*ret = NULL;
	if (ret_e)
		*ret_e = e;
	if (!e)
		return required ? ctx_error(x, NULL, -EINVAL, "%s: missing (required)", key) : 0;
	*ret = e->value ? e->value : "1";
	return 1;
}

static int get_uint(const Ctx *x, const char *key, bool required, uint64_t min, uint64_t max, uint64_t *ret)
{
	char esc[DIAG_ESCAPE_MAX];
	const SectionEntry *e;
	const char *v;
	int r;

	r = get(x, key, required, &v, &e);
	if (r <= 0)
		return r;
	r = parse_uint_range(v, min, max, ret);
	if (r == -ERANGE)
		return ctx_error(x, e, r, "%s: %s is out of range %llu..%llu", key,
				 diag_escape(esc, sizeof(esc), v, strlen(v)), (unsigned long long)min,
				 (unsigned long long)max);
	if (r < 0)
		return ctx_error(x, e, r, "%s: '%s' is not an integer", key, diag_escape(esc, sizeof(esc), v, strlen(v)));
	return 1;
}

static int get_bool(const Ctx *x, const char *key, bool *ret)
{
	char esc[DIAG_ESCAPE_MAX];
	const SectionEntry *e;
	const char *v;
	int r;

	r = get(x, key, false, &v, &e);
	if (r <= 0)
		return r;
	if (parse_bool(v, ret) < 0)
		return ctx_error(x, e, -EINVAL, "%s: '%s' is not a boolean", key,
				 diag_escape(esc, sizeof(esc), v, strlen(v)));
	return 1;
}

static int get_str(const Ctx *x, const char *key, bool required, char **ret)
{
	const char *v;
	int r;

	r = get(x, key, required, &v, NULL);
	if (r <= 0)
		return r;
	*ret = strdup(v);
	return *ret ? 1 : -ENOMEM;
}

static int get_list(const Ctx *x, const char *key, char ***ret)
{
	const char *v;
	int r;

	r = get(x, key, false, &v, NULL);
	if (r <= 0)
		return r;
	r = strv_split(v, ", ;", ret);
	return r < 0 ? r : 1;
}

static int get_ifname(const Ctx *x, const char *key, bool required, char ret[IFNAMSIZ])
{
	char esc[DIAG_ESCAPE_MAX];
	const SectionEntry *e;
	const char *v;
	int r;

	r = get(x, key, required, &v, &e);
	if (r <= 0)
		return r;
	if (!pve_word_valid(v) || strlen(v) >= IFNAMSIZ)
		return ctx_error(x, e, -EINVAL, "%s: '%s' is not an interface name", key,
				 diag_escape(esc, sizeof(esc), v, strlen(v)));
	strcpy(ret, v);
	return 1;
}

bool sdn_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > SDN_ID_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isascii((unsigned char)s[i]) || !isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static int add_zone(SdnConfig *c, const Ctx *x)
{
	SdnZone *z = array_grow(&c->zones, c->n_zones, sizeof(*z));
	const SectionEntry *e;
	const char *v;
	uint64_t u;
	int r;

	if (!z)
		return -ENOMEM;
	*z = (SdnZone){ .type = SDN_ZONE_OTHER, .vlan_protocol = 0x8100 };
	if (!sdn_id_valid(x->s->id))
		return ctx_error(x, NULL, -EINVAL, "'%s' is not a valid zone id (2..8 letters and digits, starting with a letter)",
				 x->s->id);
	strcpy(z->id, x->s->id);
	z->type_name = strdup(x->s->type);
	if (!z->type_name)
		return -ENOMEM;
	c->n_zones++; /* from here on, sdn_config_free() owns it */
	for (unsigned t = 0; t < SDN_ZONE_OTHER; t++)
		if (strcmp(x->s->type, zone_type_names[t]) == 0)
			z->type = (SdnZoneType)t;

	if ((r = get_list(x, "nodes", &z->nodes)) < 0 || (r = get_str(x, "ipam", false, &z->ipam)) < 0)
		return r;
	if ((r = get_uint(x, "mtu", false, PVE_MTU_MIN, PVE_MTU_MAX, &u)) < 0)
		return r;
	if (r > 0)
		z->mtu = (uint32_t)u;

	switch (z->type) {
	case SDN_ZONE_VLAN:
		return get_ifname(x, "bridge", true, z->bridge);
	case SDN_ZONE_QINQ:
		if ((r = get_ifname(x, "bridge", true, z->bridge)) < 0)
			return r;
		if ((r = get_uint(x, "tag", true, PVE_VLAN_MIN, PVE_VLAN_MAX, &u)) < 0)
			return r;
		z->tag = (uint16_t)u;
		r = get(x, "vlan-protocol", false, &v, &e);
		if (r > 0) {
			if (strcmp(v, "802.1ad") == 0)
				z->vlan_protocol = 0x88a8;
			else if (strcmp(v, "802.1q") != 0)
				return ctx_error(x, e, -EINVAL, "vlan-protocol: '%s' is not 802.1q or 802.1ad", v);
		}
		return 0;
	case SDN_ZONE_VXLAN:
		if ((r = get_list(x, "peers", &z->peers)) < 0)
			return r;
		for (char **p = z->peers; p && *p; p++) {
			unsigned char buf[sizeof(struct in6_addr)];

			if (inet_pton(AF_INET, *p, buf) != 1 && inet_pton(AF_INET6, *p, buf) != 1)
				return ctx_error(x, section_get(x->s, "peers"), -EINVAL, "peers: '%s' is not an IP address", *p);
		}
		return 0;
	case SDN_ZONE_EVPN:
		if ((r = get_str(x, "controller", true, &z->controller)) < 0)
			return r;
		if ((r = get_uint(x, "vrf-vxlan", true, 1, SDN_VNI_MAX, &u)) < 0)
			return r;
		z->vrf_vxlan = (uint32_t)u;
		return 0;
	default:
		return 0;
	}
}

static int add_vnet(SdnConfig *c, const Ctx *x)
{
	SdnVnet *v = array_grow(&c->vnets, c->n_vnets, sizeof(*v));
	const char *zone;
	const SectionEntry *ze;
	uint64_t u;
	int r;

	if (!v)
		return -ENOMEM;
	if (strcmp(x->s->type, "vnet") != 0)
		return ctx_error(x, NULL, -EINVAL, "section type '%s' is not 'vnet'", x->s->type);
	if (!sdn_id_valid(x->s->id))
		return ctx_error(x, NULL, -EINVAL, "'%s' is not a valid VNet id (2..8 letters and digits, starting with a letter)",
				 x->s->id);
	strcpy(v->id, x->s->id);
	c->n_vnets++;

	if ((r = get(x, "zone", true, &zone, &ze)) < 0)
		return r;
	if (!sdn_id_valid(zone))
		return ctx_error(x, ze, -EINVAL, "zone: '%s' is not a valid zone id", zone);
	strcpy(v->zone, zone);
	if ((r = get_uint(x, "tag", false, 1, SDN_VNI_MAX, &u)) < 0)
		return r;
	if (r > 0)
		v->tag = (uint32_t)u;
	if ((r = get_str(x, "alias", false, &v->alias)) < 0 || (r = get_bool(x, "vlanaware", &v->vlanaware)) < 0 ||
	    (r = get_bool(x, "isolate-ports", &v->isolate_ports)) < 0)
		return r;
	return 0;
}

static int add_subnet(SdnConfig *c, const Ctx *x)
{
	SdnSubnet *s = array_grow(&c->subnets, c->n_subnets, sizeof(*s));
	const SectionEntry *e;
	const char *vnet;
	int r;

	if (!s)
		return -ENOMEM;
	*s = (SdnSubnet){ .id = strdup(x->s->id) };
	if (!s->id)
		return -ENOMEM;
	c->n_subnets++;
	if (strcmp(x->s->type, "subnet") != 0)
		return ctx_error(x, NULL, -EINVAL, "section type '%s' is not 'subnet'", x->s->type);
	if ((r = get(x, "vnet", true, &vnet, &e)) < 0)
		return r;
	if (!sdn_id_valid(vnet))
		return ctx_error(x, e, -EINVAL, "vnet: '%s' is not a valid VNet id", vnet);
	strcpy(s->vnet, vnet);
	if ((r = get_str(x, "gateway", false, &s->gateway)) < 0 || (r = get_bool(x, "snat", &s->snat)) < 0)
		return r;
	if (s->gateway) {
		unsigned char buf[sizeof(struct in6_addr)];

		if (inet_pton(AF_INET, s->gateway, buf) != 1 && inet_pton(AF_INET6, s->gateway, buf) != 1)
			return ctx_error(x, section_get(x->s, "gateway"), -EINVAL, "gateway: '%s' is not an IP address",
					 s->gateway);
	}
	for (size_t i = 0; i < x->s->n_entries; i++) {
		const SectionEntry *de = &x->s->entries[i];
		char *dup;

		if (strcmp(de->key, "dhcp-range") != 0 || !de->value)
			continue;
		dup = strdup(de->value);
		if (!dup || strv_push(&s->dhcp_ranges, dup) < 0) {
			free(dup);
			return -ENOMEM;
		}
	}
	return 0;
}

const SdnZone *sdn_config_find_zone(const SdnConfig *c, const char *id)
{
	for (size_t i = 0; i < c->n_zones; i++)
		if (strcmp(c->zones[i].id, id) == 0)
			return &c->zones[i];
	return NULL;
}

const SdnVnet *sdn_config_find_vnet(const SdnConfig *c, const char *id)
{
	for (size_t i = 0; i < c->n_vnets; i++)
		if (strcmp(c->vnets[i].id, id) == 0)
			return &c->vnets[i];
	return NULL;
}

/* Cross-object rules: a VNet's zone exists and its tag fits the zone type; a subnet's VNet exists. */
static int check_references(const SdnConfig *c, const SectionFile *vnets, const SectionFile *subnets, Diag *d)
{
	for (size_t i = 0; i < c->n_vnets; i++) {
		const SdnVnet *v = &c->vnets[i];
		const Ctx x = { vnets, &vnets->sections[i], d };
		const SdnZone *z = sdn_config_find_zone(c, v->zone);
		const SectionEntry *te = section_get(x.s, "tag");

		if (!z)
			return ctx_error(&x, section_get(x.s, "zone"), -ENOENT, "zone: '%s' is not a defined zone", v->zone);
		switch (z->type) {
		case SDN_ZONE_VLAN:
		case SDN_ZONE_QINQ:
			if (!v->tag)
				return ctx_error(&x, NULL, -EINVAL, "tag: missing (required in %s zone '%s')",
						 zone_type_names[z->type], z->id);
			if (v->tag > PVE_VLAN_MAX)
				return ctx_error(&x, te, -ERANGE, "tag: %u is out of range %d..%d for %s zone '%s'", v->tag,
						 PVE_VLAN_MIN, PVE_VLAN_MAX, zone_type_names[z->type], z->id);
			break;
		case SDN_ZONE_VXLAN:
		case SDN_ZONE_EVPN:
			if (!v->tag)
				return ctx_error(&x, NULL, -EINVAL, "tag: missing (the VNI, required in %s zone '%s')",
						 zone_type_names[z->type], z->id);
			break;
		default:
			break;
		}
	}
	for (size_t i = 0; i < c->n_subnets; i++) {
		const Ctx x = { subnets, &subnets->sections[i], d };

		if (!sdn_config_find_vnet(c, c->subnets[i].vnet))
			return ctx_error(&x, section_get(x.s, "vnet"), -ENOENT, "vnet: '%s' is not a defined VNet",
					 c->subnets[i].vnet);
	}
	return 0;
}

int sdn_config_from_sections(const SectionFile *zones, const SectionFile *vnets, const SectionFile *subnets,
			     SdnConfig **ret, Diag *d)
{
	_cleanup_(sdn_config_freep) SdnConfig *c = calloc(1, sizeof(*c));
	static const SectionFile empty = { .name = (char *)"" };
	int r;

	if (!c)
		return -ENOMEM;
	c->version = -1;
	zones = zones ?: &empty;
	vnets = vnets ?: &empty;
	subnets = subnets ?: &empty;
	for (size_t i = 0; i < zones->n_sections; i++)
		if ((r = add_zone(c, &(Ctx){ zones, &zones->sections[i], d })) < 0)
			return r;
	for (size_t i = 0; i < vnets->n_sections; i++)
		if ((r = add_vnet(c, &(Ctx){ vnets, &vnets->sections[i], d })) < 0)
			return r;
	for (size_t i = 0; i < subnets->n_sections; i++)
		if ((r = add_subnet(c, &(Ctx){ subnets, &subnets->sections[i], d })) < 0)
			return r;
	r = check_references(c, vnets, subnets, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

/* One JSON property value as section entries: scalars as text, arrays as repeated keys, objects (node sets) as lists. */
static int json_value_to_entries(Section *s, const char *key, json_object *v, Diag *d, const char *name)
{
	char buf[FORMAT_DOUBLE_MAX];

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return section_add_entry(s, key, json_object_get_boolean(v) ? "1" : "0", 0);
	case json_type_int:
		snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(v));
		return section_add_entry(s, key, buf, 0);
	case json_type_double:
		format_double(buf, sizeof(buf), json_object_get_double(v));
		return section_add_entry(s, key, buf, 0);
	case json_type_string:
		return section_add_entry(s, key, json_object_get_string(v), 0);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *item = json_object_array_get_idx(v, i);
			int r;

			if (json_object_get_type(item) == json_type_array || json_object_get_type(item) == json_type_object)
				return diag_error(d, -EINVAL, "%s: %s: %s: nested value in list", name, s->id, key);
			r = json_value_to_entries(s, key, item, d, name);
			if (r < 0)
				return r;
		}
		return 0;
	case json_type_object: {
		/* Proxmox keeps `nodes`/`exitnodes` as {"node1": 1, ...}. */
		_cleanup_free_ char *list = NULL;
		size_t len = 0;

		json_object_object_foreach(v, k, val) {
			size_t kl = strlen(k);
			char *n = realloc(list, len + kl + 2);

			(void)val;
			if (!n)
				return -ENOMEM;
			list = n;
			if (len)
				list[len++] = ',';
			memcpy(list + len, k, kl + 1);
			len += kl;
		}
		return section_add_entry(s, key, list ?: "", 0);
	}
	}
	return -EINVAL;
}

static int json_group(json_object *root, const char *group, const char *default_type, const char *name,
		      SectionFile *out, Diag *d)
{
	json_object *g, *ids;

	if (!json_object_object_get_ex(root, group, &g) || json_object_get_type(g) == json_type_null)
		return 0;
	if (!json_object_is_type(g, json_type_object) || !json_object_object_get_ex(g, "ids", &ids) ||
	    !json_object_is_type(ids, json_type_object))
		return diag_error(d, -EINVAL, "%s: %s: expected an object with an 'ids' object", name, group);

	json_object_object_foreach(ids, id, obj) {
		json_object *type;
		const char *tname = default_type;
		Section *s;
		int r;

		if (!json_object_is_type(obj, json_type_object))
			return diag_error(d, -EINVAL, "%s: %s: %s: expected an object", name, group, id);
		if (json_object_object_get_ex(obj, "type", &type)) {
			if (!json_object_is_type(type, json_type_string))
				return diag_error(d, -EINVAL, "%s: %s: %s: type: expected a string", name, group, id);
			tname = json_object_get_string(type);
		}
		if (!tname)
			return diag_error(d, -EINVAL, "%s: %s: %s: type: missing (required)", name, group, id);
		r = section_file_add(out, tname, id, 0, &s);
		if (r < 0)
			return r;
		json_object_object_foreach(obj, key, val) {
			if (strcmp(key, "type") == 0)
				continue;
			r = json_value_to_entries(s, key, val, d, name);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int sdn_config_parse_running(const char *name, const char *json, size_t size, SdnConfig **ret, Diag *d)
{
	_cleanup_(section_file_freep) SectionFile *zones = NULL, *vnets = NULL, *subnets = NULL;
	json_tokener *tok;
	json_object *root, *version;
	enum json_tokener_error jerr;
	size_t offset;
	int r;

	if (size > SECTION_FILE_SIZE_MAX || size > INT32_MAX)
		return diag_error(d, -EFBIG, "%s: file is larger than %u bytes", name, SECTION_FILE_SIZE_MAX);
	if (memchr(json, '\0', size))
		return diag_error(d, -EINVAL, "%s: contains a NUL byte", name);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)size);
	jerr = json_tokener_get_error(tok);
	offset = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		if (jerr == json_tokener_continue)
			return diag_error(d, -EINVAL, "%s: invalid JSON: unexpected end of input", name);
		return diag_error(d, -EINVAL, "%s: invalid JSON at byte %zu: %s", name, offset,
				  json_tokener_error_desc(jerr));
	}
	if (offset < size && json[offset + strspn(json + offset, " \t\r\n")] != '\0') {
		json_object_put(root);
		return diag_error(d, -EINVAL, "%s: invalid JSON: trailing data at byte %zu", name, offset);
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return diag_error(d, -EINVAL, "%s: expected a JSON object at the top", name);
	}

	if ((r = section_file_new(name, &zones)) < 0 || (r = section_file_new(name, &vnets)) < 0 ||
	    (r = section_file_new(name, &subnets)) < 0)
		goto out;
	if ((r = json_group(root, "zones", NULL, name, zones, d)) < 0 ||
	    (r = json_group(root, "vnets", "vnet", name, vnets, d)) < 0 ||
	    (r = json_group(root, "subnets", "subnet", name, subnets, d)) < 0)
		goto out;
	r = sdn_config_from_sections(zones, vnets, subnets, ret, d);
	if (r >= 0) {
		(*ret)->version = json_object_object_get_ex(root, "version", &version) ? json_object_get_int64(version) : -1;
		(*ret)->source = strdup(name);
		if (!(*ret)->source) {
			sdn_config_free(*ret);
			*ret = NULL;
			r = -ENOMEM;
		}
	}
out:
	json_object_put(root);
	return r;
}

static const char *const subnet_multi_keys[] = { "dhcp-range", NULL };

int sdn_config_load(const char *pve_dir, SdnConfig **ret, Diag *d)
{
	_cleanup_(section_file_freep) SectionFile *zones = NULL, *vnets = NULL, *subnets = NULL;
	SectionFile **files[3] = { &zones, &vnets, &subnets };
	static const char *const names[3] = { "zones.cfg", "vnets.cfg", "subnets.cfg" };
	_cleanup_free_ char *running = NULL, *data = NULL;
	size_t size;
	int r;

	if (asprintf(&running, "%s/sdn/.running-config", pve_dir) < 0)
		return -ENOMEM;
	r = read_config_file(running, SECTION_FILE_SIZE_MAX, &data, &size, d);
	if (r >= 0)
		return sdn_config_parse_running(running, data, size, ret, d);
	if (r != -ENOENT)
		return r;

	for (int i = 0; i < 3; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/sdn/%s", pve_dir, names[i]) < 0)
			return -ENOMEM;
		r = section_file_load(path, i == 2 ? subnet_multi_keys : NULL, files[i], d);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
	}
	r = sdn_config_from_sections(zones, vnets, subnets, ret, d);
	if (r < 0)
		return r;
	if (asprintf(&(*ret)->source, "%s/sdn/*.cfg", pve_dir) < 0) {
		sdn_config_free(*ret);
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

bool sdn_bridge_exists_sysfs(const char *ifname, void *userdata)
{
	char path[64 + IFNAMSIZ];
	struct stat st;

	(void)userdata;
	if (!pve_word_valid(ifname) || strlen(ifname) >= IFNAMSIZ)
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", ifname);
	return stat(path, &st) == 0;
}

int sdn_vnet_resolve(const SdnConfig *c, const char *vnet, const char *node, SdnBridgeExists bridge_exists,
		     void *userdata, SdnPlug *ret, Diag *d)
{
	const SdnVnet *v = sdn_config_find_vnet(c, vnet);
	const SdnZone *z;
	SdnPlug p = {};

	if (!v)
		return diag_error(d, -ENOENT, "VNet '%s' is not defined", vnet);
	z = sdn_config_find_zone(c, v->zone);
	if (!z)
		return diag_error(d, -ENOENT, "VNet '%s': zone '%s' is not defined", vnet, v->zone);
	if (node && z->nodes && !strv_contains(z->nodes, node))
		return diag_error(d, -EPERM, "VNet '%s': zone '%s' is not available on node '%s'", vnet, z->id, node);

	/* A simple zone's VNet tag (Proxmox's own test data has one) means nothing for plugging: ignored. */

	/* A bridge named like the VNet (as Proxmox's SDN creates it) is used as is. */
	if (bridge_exists(v->id, userdata)) {
		strcpy(p.bridge, v->id);
		p.vnet_bridge = true;
		*ret = p;
		return 0;
	}

	switch (z->type) {
	case SDN_ZONE_VLAN:
	case SDN_ZONE_QINQ:
		if (!bridge_exists(z->bridge, userdata))
			return diag_error(d, -ENXIO, "VNet '%s': bridge '%s' of zone '%s' does not exist", vnet, z->bridge,
					  z->id);
		strcpy(p.bridge, z->bridge);
		p.tag = (uint16_t)v->tag;
		if (z->type == SDN_ZONE_QINQ) {
			p.service_tag = z->tag;
			p.service_proto = z->vlan_protocol;
		}
		break;
	case SDN_ZONE_SIMPLE:
	case SDN_ZONE_VXLAN:
	case SDN_ZONE_EVPN:
		return diag_error(d, -ENXIO, "VNet '%s': %s zone '%s' needs the VNet bridge '%s', which does not exist "
				  "(apply the SDN configuration first)", vnet, zone_type_names[z->type], z->id, v->id);
	default:
		return diag_error(d, -EOPNOTSUPP, "VNet '%s': zone '%s' has type '%s', which lxcnet cannot plug", vnet,
				  z->id, z->type_name);
	}
	*ret = p;
	return 0;
}
