/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-conf.h"
#include "cni-hostlocal.h"
#include "macro.h"
#include "strutil.h"

#define LAST_RESERVED "last_reserved_ip."
#define LINE_BREAK "\r\n"
/* A reservation is an id of at most a few hundred bytes: a larger file is not one. */
#define RESERVATION_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object, json_object_put);

/* ---- addresses ---------------------------------------------------------- */

static size_t addr_len(const HostLocalAddr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

static bool addr_eq(const HostLocalAddr *x, const HostLocalAddr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, addr_len(x)) == 0;
}

/* Same family only. */
static int addr_cmp(const HostLocalAddr *x, const HostLocalAddr *y)
{
	return memcmp(x->a, y->a, addr_len(x));
}

static void addr_next(HostLocalAddr *a)
{
	for (size_t i = addr_len(a); i-- > 0;)
		if (++a->a[i] != 0)
			break;
}

static const char *addr_str(const HostLocalAddr *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(a->family, a->a, buf, INET6_ADDRSTRLEN) ?: "?";
}

static bool v4_mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/*
 * An address as Go's net.ParseIP reads it: 1, or 0 for "" (Go's nil, "not
 * given"), -EINVAL otherwise. An IPv4-mapped IPv6 address, which Go turns
 * into IPv4, is -EINVAL: left to host-local.
 */
static int parse_addr(const char *s, HostLocalAddr *ret)
{
	HostLocalAddr a = {};

	if (!*s)
		return 0;
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1 && !v4_mapped(a.a))
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret = a;
	return 1;
}

/* "address/length", the address as given (Go's types.ParseCIDR keeps its host bits). */
static int parse_cidr(const char *s, HostLocalAddr *ret, unsigned *ret_len)
{
	InetPrefix p;

	if (inet_prefix_parse(s, AF_UNSPEC, 0, &p) < 0 || (p.family == AF_INET6 && v4_mapped(p.addr)))
		return -EINVAL;
	*ret = (HostLocalAddr){ .family = p.family };
	memcpy(ret->a, p.addr, sizeof(p.addr));
	*ret_len = p.len;
	return 0;
}

static bool in_subnet(const HostLocalRange *r, const HostLocalAddr *a)
{
	if (a->family != r->subnet.family)
		return false;
	for (unsigned bit = 0; bit < r->prefix; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((a->a[bit / 8] & m) != (r->subnet.a[bit / 8] & m))
			return false;
	}
	return true;
}

/* host-local's Range.Contains: in the subnet, from rangeStart to rangeEnd. */
static bool range_contains(const HostLocalRange *r, const HostLocalAddr *a)
{
	return in_subnet(r, a) && addr_cmp(a, &r->start) >= 0 && addr_cmp(a, &r->end) <= 0;
}

static bool ranges_overlap(const HostLocalRange *x, const HostLocalRange *y)
{
	return x->start.family == y->start.family && (range_contains(x, &y->start) || range_contains(x, &y->end) ||
						       range_contains(y, &x->start) || range_contains(y, &x->end));
}

static const HostLocalRange *set_range_for(const HostLocalSet *s, const HostLocalAddr *a)
{
	for (size_t i = 0; i < s->n; i++)
		if (range_contains(&s->ranges[i], a))
			return &s->ranges[i];
	return NULL;
}

static bool sets_overlap(const HostLocalSet *x, const HostLocalSet *y)
{
	for (size_t i = 0; i < x->n; i++)
		for (size_t j = 0; j < y->n; j++)
			if (ranges_overlap(&x->ranges[i], &y->ranges[j]))
				return true;
	return false;
}

/* "start-end,start-end", as host-local names a range set in its errors. */
static const char *set_str(const HostLocalSet *s, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		(void)str_appendf(buf, size, "%s%s-%s", i ? "," : "", addr_str(&s->ranges[i].start, a),
				  addr_str(&s->ranges[i].end, b));
	return buf;
}

/* ---- the configuration --------------------------------------------------- */

/*
 * Go's encoding/json matches a key to a field without case when no key has
 * the exact name. A key spelt like a known one in another case would be
 * read by host-local, not by us: such an object is host-local's to read.
 */
static bool keys_exact(json_object *o, const char *const *known, size_t n, Diag *why)
{
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(key, known[i]) == 0 && strcmp(key, known[i]) != 0)
				return diag_error(why, -EINVAL, "'%s' is '%s' in another case", key, known[i]), false;
	}
	return true;
}

/* The string member key of o: 1, 0 when absent or null, -EINVAL when it is not a string. */
static int member_str(json_object *o, const char *key, const char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*ret = json_object_get_string(v);
	return 1;
}

/* The object member key of o, or NULL (absent, or not an object). */
static json_object *member_obj(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* A member that is an address: 1, 0 when absent, null or "" (Go's nil), -EINVAL. */
static int member_addr(json_object *o, const char *key, HostLocalAddr *ret)
{
	const char *s;
	int r = member_str(o, key, &s);

	return r <= 0 ? r : parse_addr(s, ret);
}

/* Go's lastIP(): the subnet's last address, one less for IPv4 (its broadcast address is not given out). */
static void last_addr(const HostLocalRange *r, HostLocalAddr *ret)
{
	*ret = r->subnet;
	for (unsigned bit = r->prefix; bit < addr_len(ret) * 8; bit++)
		ret->a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	if (ret->family == AF_INET)
		ret->a[3]--;
}

/* host-local's Range.Canonicalize() on one range object; -EINVAL with why. */
static int range_parse(json_object *o, HostLocalRange *ret, Diag *why)
{
	static const char *const known[] = { "rangeStart", "rangeEnd", "subnet", "gateway" };
	HostLocalRange r = {};
	const char *subnet;
	int have_start, have_end, have_gw;

	if (!json_object_is_type(o, json_type_object))
		return diag_error(why, -EINVAL, "a range is not an object");
	if (!keys_exact(o, known, ELEMENTSOF(known), why))
		return -EINVAL;
	if (member_str(o, "subnet", &subnet) <= 0 || parse_cidr(subnet, &r.subnet, &r.prefix) < 0)
		return diag_error(why, -EINVAL, "subnet: missing or not ADDRESS/PREFIX");
	if (r.prefix > addr_len(&r.subnet) * 8 - 2)
		return diag_error(why, -EINVAL, "subnet '%s' is too small to allocate from", subnet);
	for (unsigned bit = r.prefix; bit < addr_len(&r.subnet) * 8; bit++)
		if (r.subnet.a[bit / 8] & (0x80 >> (bit % 8)))
			return diag_error(why, -EINVAL, "subnet '%s' has host bits set", subnet);
	have_start = member_addr(o, "rangeStart", &r.start);
	have_end = member_addr(o, "rangeEnd", &r.end);
	have_gw = member_addr(o, "gateway", &r.gateway);
	if (have_start < 0 || have_end < 0 || have_gw < 0)
		return diag_error(why, -EINVAL, "rangeStart, rangeEnd or gateway is not an address");
	if (!have_gw) {
		r.gateway = r.subnet;
		addr_next(&r.gateway);
	}
	/* Checked one after the other as host-local does: rangeStart against the subnet alone, rangeEnd from rangeStart on. */
	if (have_start) {
		if (!in_subnet(&r, &r.start))
			return diag_error(why, -EINVAL, "rangeStart is not in subnet '%s'", subnet);
	} else {
		r.start = r.subnet;
		addr_next(&r.start);
	}
	if (have_end) {
		if (!in_subnet(&r, &r.end) || r.end.family != r.start.family || addr_cmp(&r.end, &r.start) < 0)
			return diag_error(why, -EINVAL, "rangeEnd is not in subnet '%s' from rangeStart on", subnet);
	} else
		last_addr(&r, &r.end);
	/* host-local takes a rangeStart after the default rangeEnd (the IPv4 broadcast address); its iterator then never ends. */
	if (addr_cmp(&r.start, &r.end) > 0)
		return diag_error(why, -EINVAL, "rangeStart is after rangeEnd");
	*ret = r;
	return 0;
}

static int set_add(HostLocalSet *s, const HostLocalRange *r)
{
	HostLocalRange *n = array_grow(&s->ranges, s->n, sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *r;
	s->n++;
	return 0;
}

static int sets_add(HostLocal *h, HostLocalSet *s)
{
	HostLocalSet *n = array_grow(&h->sets, h->n_sets, sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *s;
	h->n_sets++;
	*s = (HostLocalSet){};
	return 0;
}

/* One range set of "ranges": a non-empty list of ranges of one family that do not overlap. */
static int set_parse(json_object *a, HostLocalSet *ret, Diag *why)
{
	HostLocalSet s = {};
	int r;

	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0)
		return diag_error(why, -EINVAL, "a range set is not a non-empty list");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		HostLocalRange rg;

		r = range_parse(json_object_array_get_idx(a, i), &rg, why);
		if (r >= 0 && s.n > 0 && rg.start.family != s.ranges[0].start.family)
			r = diag_error(why, -EINVAL, "mixed address families");
		for (size_t j = 0; r >= 0 && j < s.n; j++)
			if (ranges_overlap(&s.ranges[j], &rg))
				r = diag_error(why, -EINVAL, "ranges overlap");
		if (r >= 0)
			r = set_add(&s, &rg);
		if (r < 0) {
			free(s.ranges);
			return r;
		}
	}
	*ret = s;
	return 0;
}

static int requested_add(HostLocal *h, const HostLocalAddr *a)
{
	HostLocalAddr *n;

	for (size_t i = 0; i < h->n_requested; i++)
		if (addr_eq(&h->requested[i], a))
			return 0;
	n = array_grow(&h->requested, h->n_requested, sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = *a;
	h->n_requested++;
	return 0;
}

/* A static address as host-local's ip.IP reads it: ADDRESS or ADDRESS/PREFIX. */
static int parse_static(const char *s, HostLocalAddr *ret)
{
	unsigned len;

	return strchr(s, '/') ? parse_cidr(s, ret, &len) : parse_addr(s, ret) == 1 ? 0 : -EINVAL;
}

/* A list of static addresses (args.cni.ips, runtimeConfig.ips): absent or null is none. */
static int requested_list(HostLocal *h, json_object *o, const char *key, Diag *why)
{
	json_object *l;

	if (!json_object_object_get_ex(o, key, &l) || json_object_is_type(l, json_type_null))
		return 0;
	if (!json_object_is_type(l, json_type_array))
		return diag_error(why, -EINVAL, "%s: not a list", key);
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		json_object *e = json_object_array_get_idx(l, i);
		HostLocalAddr a;

		if (!json_object_is_type(e, json_type_string) || parse_static(json_object_get_string(e), &a) < 0)
			return diag_error(why, -EINVAL, "%s[%zu]: not an address", key, i);
		if (requested_add(h, &a) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * CNI_ARGS as host-local's types.LoadArgs reads them: "K=V" pairs split at
 * ';', IP its only key, IgnoreUnknown ("1", "true", "0", "false" in any
 * case) letting others by.
 */
static int parse_cni_args(HostLocal *h, const char *args, Diag *why)
{
	_cleanup_(strv_freep) char **pairs = NULL;
	const char *unknown = NULL, *ip = NULL;
	bool ignore_unknown = false;

	if (!args || !*args)
		return 0;
	/* strv_split() drops empty fields, which Go refuses: count them first. */
	for (const char *p = args;; p++) {
		const char *end = strchrnul(p, ';');
		const char *eq = memchr(p, '=', (size_t)(end - p));

		if (!eq || memchr(eq + 1, '=', (size_t)(end - eq - 1)))
			return diag_error(why, -EINVAL, "CNI_ARGS: a pair is not KEY=VALUE");
		p = end;
		if (!*p)
			break;
	}
	if (strv_split(args, ";", &pairs) < 0)
		return -ENOMEM;
	for (char **i = pairs; *i; i++) {
		char *v = strchr(*i, '=') + 1;

		if (strncmp(*i, "IgnoreUnknown=", 14) == 0) {
			if (strcasecmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
				ignore_unknown = true;
			else if (strcasecmp(v, "0") != 0 && strcasecmp(v, "false") != 0)
				return diag_error(why, -EINVAL, "CNI_ARGS: IgnoreUnknown is not a boolean");
		} else if (strncmp(*i, "IP=", 3) == 0)
			ip = v;
		else
			unknown = *i;
	}
	if (unknown && !ignore_unknown)
		return diag_error(why, -EINVAL, "CNI_ARGS: a key host-local does not know, without IgnoreUnknown");
	if (ip) {
		HostLocalAddr a;

		if (parse_static(ip, &a) < 0)
			return diag_error(why, -EINVAL, "CNI_ARGS: IP is not an address");
		return requested_add(h, &a);
	}
	return 0;
}

/* "routes": each {dst, gw}, printed back as host-local prints them. */
static int routes_parse(HostLocal *h, json_object *ipam, Diag *why)
{
	_cleanup_(json_object_putp) json_object *out = NULL;
	json_object *l;

	if (!json_object_object_get_ex(ipam, "routes", &l) || json_object_is_type(l, json_type_null))
		return 0;
	if (!json_object_is_type(l, json_type_array))
		return diag_error(why, -EINVAL, "routes: not a list");
	out = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		json_object *rt = json_object_array_get_idx(l, i), *o;
		char buf[INET6_ADDRSTRLEN + 8], a[INET6_ADDRSTRLEN];
		const char *dst;
		HostLocalAddr addr, gw;
		unsigned len;
		int have_gw;

		if (!json_object_is_type(rt, json_type_object))
			return diag_error(why, -EINVAL, "routes[%zu]: not an object", i);
		/* Any other key, "Dst" included (Go would read it as dst). */
		json_object_object_foreach(rt, key, val) {
			(void)val;
			if (strcmp(key, "dst") != 0 && strcmp(key, "gw") != 0)
				return diag_error(why, -EINVAL, "routes[%zu]: '%s' is not dst or gw", i, key);
		}
		if (member_str(rt, "dst", &dst) <= 0 || parse_cidr(dst, &addr, &len) < 0)
			return diag_error(why, -EINVAL, "routes[%zu]: dst is not ADDRESS/PREFIX", i);
		have_gw = member_addr(rt, "gw", &gw);
		if (have_gw < 0)
			return diag_error(why, -EINVAL, "routes[%zu]: gw is not an address", i);
		o = json_object_new_object();
		snprintf(buf, sizeof(buf), "%s/%u", addr_str(&addr, a), len);
		json_object_object_add(o, "dst", json_object_new_string(buf));
		if (have_gw)
			json_object_object_add(o, "gw", json_object_new_string(addr_str(&gw, a)));
		json_object_array_add(out, o);
	}
	if (json_object_array_length(out) > 0)
		h->routes = TAKE_PTR(out);
	return 0;
}

/* filepath.Join(dataDir, name), cleaned as Go cleans it: no "//", no trailing '/'. */
static int data_dir(const char *data_dir, const char *name, char **ret)
{
	char *p, *w;

	if (asprintf(&p, "%s/%s", data_dir, name) < 0)
		return -ENOMEM;
	w = p;
	for (const char *r = p; *r; r++)
		if (!(*r == '/' && (r[1] == '/' || r[1] == '\0') && w > p))
			*w++ = *r;
	*w = '\0';
	*ret = p;
	return 0;
}

int host_local_parse(json_object *conf, const char *cni_args, HostLocal *ret, Diag *why)
{
	static const char *const known[] = { "type", "routes", "dataDir", "resolvConf", "ranges",
					      "rangeStart", "rangeEnd", "subnet", "gateway" };
	/* What host-local reads of the rest of the configuration. */
	static const char *const net_keys[] = { "name", "cniVersion", "ipam", "runtimeConfig", "args" };
	static const char *const rc_keys[] = { "ipRanges", "ips" }, *const args_keys[] = { "cni" }, *const cni_keys[] = { "ips" };
	HostLocal h = {};
	json_object *ipam, *v, *rc, *args, *cni;
	const char *name, *dir = NULL, *resolv = NULL;
	HostLocalSet s = {};
	int r;

	if (!json_object_object_get_ex(conf, "ipam", &ipam) || !json_object_is_type(ipam, json_type_object))
		return diag_error(why, -EINVAL, "no ipam object"), 0;
	if (member_str(conf, "name", &name) <= 0)
		return diag_error(why, -EINVAL, "no network name"), 0;
	rc = member_obj(conf, "runtimeConfig");
	args = member_obj(conf, "args");
	cni = args ? member_obj(args, "cni") : NULL;
	if (!keys_exact(conf, net_keys, ELEMENTSOF(net_keys), why) || !keys_exact(ipam, known, ELEMENTSOF(known), why) ||
	    (rc && !keys_exact(rc, rc_keys, ELEMENTSOF(rc_keys), why)) ||
	    (args && !keys_exact(args, args_keys, ELEMENTSOF(args_keys), why)) ||
	    (cni && !keys_exact(cni, cni_keys, ELEMENTSOF(cni_keys), why)))
		goto theirs;
	if (member_str(ipam, "dataDir", &dir) < 0 || member_str(ipam, "resolvConf", &resolv) < 0) {
		diag_error(why, -EINVAL, "dataDir or resolvConf is not a string");
		goto theirs;
	}
	if (rc && json_object_object_get_ex(rc, "ipRanges", &v) && !json_object_is_type(v, json_type_null)) {
		diag_error(why, -EINVAL, "runtimeConfig.ipRanges");
		goto theirs;
	}
	r = parse_cni_args(&h, cni_args, why);
	if (r == 0 && cni)
		r = requested_list(&h, cni, "ips", why);
	if (r == 0 && rc)
		r = requested_list(&h, rc, "ips", why);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0)
		goto theirs;
	/* The range of old ("subnet" at the top) comes first, then "ranges". */
	if (json_object_object_get_ex(ipam, "subnet", &v) && !json_object_is_type(v, json_type_null)) {
		HostLocalRange rg;

		if (range_parse(ipam, &rg, why) < 0)
			goto theirs;
		if (set_add(&s, &rg) < 0 || sets_add(&h, &s) < 0)
			goto oom;
	}
	if (json_object_object_get_ex(ipam, "ranges", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_array)) {
			diag_error(why, -EINVAL, "ranges: not a list");
			goto theirs;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (set_parse(json_object_array_get_idx(v, i), &s, why) < 0)
				goto theirs;
			if (sets_add(&h, &s) < 0)
				goto oom;
		}
	}
	if (h.n_sets == 0) {
		diag_error(why, -EINVAL, "no IP ranges");
		goto theirs;
	}
	for (size_t i = 0; i < h.n_sets; i++)
		for (size_t j = i + 1; j < h.n_sets; j++)
			if (sets_overlap(&h.sets[i], &h.sets[j])) {
				diag_error(why, -EINVAL, "range set %zu overlaps with %zu", i, j);
				goto theirs;
			}
	r = routes_parse(&h, ipam, why);
	if (r < 0)
		goto theirs;
	if (data_dir(dir && *dir ? dir : HOST_LOCAL_DATA_DIR, name, &h.dir) < 0 ||
	    (resolv && *resolv && !(h.resolv_conf = strdup(resolv))))
		goto oom;
	*ret = h;
	return 1;
theirs:
	free(s.ranges);
	host_local_done(&h);
	return 0;
oom:
	free(s.ranges);
	host_local_done(&h);
	return -ENOMEM;
}

void host_local_done(HostLocal *h)
{
	for (size_t i = 0; i < h->n_sets; i++)
		free(h->sets[i].ranges);
	free(h->sets);
	free(h->requested);
	free(h->dir);
	free(h->resolv_conf);
	json_object_put(h->routes);
	*h = (HostLocal){};
}

/* ---- the store: host-local's files --------------------------------------- */

/* The directory (made as host-local makes it) and its lock, held until the fd is closed. */
static int store_lock(const HostLocal *h, Diag *d)
{
	_cleanup_free_ char *lock = NULL;
	_cleanup_close_ int fd = -1;
	int r = mkdir_p(h->dir, 0755);

	if (r < 0)
		return diag_error(d, r, "mkdir %s: %s", h->dir, strerror(-r));
	if (asprintf(&lock, "%s/lock", h->dir) < 0)
		return -ENOMEM;
	/* As go-filemutex opens it. */
	fd = open(lock, O_CREAT | O_RDONLY | O_CLOEXEC, 0750);
	if (fd < 0)
		return diag_error(d, -errno, "open %s: %m", lock);
	if (flock(fd, LOCK_EX) < 0)
		return diag_error(d, -errno, "lock %s: %m", lock);
	return TAKE_FD(fd);
}

typedef struct Key {
	const char *id, *ifname; /* the id trimmed, as Go's strings.TrimSpace trims it (strstrip()) */
} Key;

static Key key_of(char *id_copy, const char *ifname)
{
	return (Key){ .id = strstrip(id_copy), .ifname = ifname };
}

/* A network's directory while an operation holds its lock, and the attachment it is about. */
typedef struct Store {
	int lock, dfd;
	char *id_copy;
	Key key;
} Store;

#define STORE_NULL ((Store){ .lock = -1, .dfd = -1 })

static void store_close(Store *s)
{
	if (s->dfd >= 0)
		close(s->dfd);
	if (s->lock >= 0)
		close(s->lock); /* the lock goes with it */
	free(s->id_copy);
	*s = STORE_NULL;
}

/* Lock h's directory (made as host-local makes it) for container id's ifname (both NULL: no attachment). */
static int store_open(const HostLocal *h, const char *id, const char *ifname, Store *ret, Diag *d)
{
	_cleanup_(store_close) Store s = STORE_NULL;

	if (id) {
		s.id_copy = strdup(id);
		if (!s.id_copy)
			return -ENOMEM;
		s.key = key_of(s.id_copy, ifname);
	}
	s.lock = store_lock(h, d);
	if (s.lock < 0)
		return s.lock;
	s.dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.dfd < 0)
		return diag_error(d, -errno, "open %s: %m", h->dir);
	*ret = s;
	s = STORE_NULL;
	return 0;
}

/* A reservation file's content is k's: "id\r\nifname", or with legacy the id alone. */
static bool key_matches(const char *content, const Key *k, bool legacy)
{
	size_t n = strlen(k->id);

	if (legacy)
		return strcmp(content, k->id) == 0;
	return strncmp(content, k->id, n) == 0 && strncmp(content + n, LINE_BREAK, 2) == 0 && strcmp(content + n + 2, k->ifname) == 0;
}

/*
 * Call f on every file below dir (filepath.Walk's order does not matter to
 * any caller) with its trimmed content; f returns < 0 to stop. Files that
 * cannot be read are skipped, as host-local skips them.
 */
typedef int (*WalkFn)(int dfd, const char *name, char *content, void *userdata);

static int walk(int dfd, WalkFn f, void *userdata, unsigned depth)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	struct dirent *de;
	int fd, r;

	/* Its own open file: a dup would share dfd's position, left at the end by the last walk. */
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		_cleanup_free_ char *content = NULL;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = depth < 16 ? openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

			r = sub >= 0 ? walk(sub, f, userdata, depth + 1) : 0;
			if (r < 0)
				return r;
			continue;
		}
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		r = read_fd_full(fd, RESERVATION_MAX, &content, NULL);
		close(fd);
		if (r < 0)
			continue;
		r = f(dirfd(dir), de->d_name, strstrip(content), userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

typedef struct Release {
	const Key *key;
	bool legacy, found;
} Release;

static int release_one(int dfd, const char *name, char *content, void *userdata)
{
	Release *rl = userdata;

	if (key_matches(content, rl->key, rl->legacy) && unlinkat(dfd, name, 0) == 0)
		rl->found = true;
	return 0;
}

/* host-local's ReleaseByID: the files of id and ifname; if there are none, those of id alone (legacy). */
static int release_by_id(int dfd, const Key *k)
{
	Release rl = { .key = k };
	int r = walk(dfd, release_one, &rl, 0);

	if (r >= 0 && !rl.found) {
		rl.legacy = true;
		r = walk(dfd, release_one, &rl, 0);
	}
	return r;
}

typedef struct Find {
	const Key *key;
	const HostLocalSet *set; /* NULL: any address */
	HostLocalAddr found;
	bool any, legacy_too;
} Find;

static int find_one(int dfd, const char *name, char *content, void *userdata)
{
	Find *fd = userdata;
	HostLocalAddr a;

	(void)dfd;
	if (!key_matches(content, fd->key, false) && !(fd->legacy_too && key_matches(content, fd->key, true)))
		return 0;
	if (fd->set) {
		/* GetByID: files named after an address of the set. */
		if (parse_addr(name, &a) != 1 || !set_range_for(fd->set, &a))
			return 0;
		fd->found = a;
	}
	fd->any = true;
	return -ECANCELED;
}

#define LAST_RESERVED_MAX (sizeof(LAST_RESERVED) + 20)

/* "last_reserved_ip.<set>", where host-local keeps the last address it gave out of that range set. */
static void last_reserved_name(size_t set_index, char ret[LAST_RESERVED_MAX])
{
	snprintf(ret, LAST_RESERVED_MAX, LAST_RESERVED "%zu", set_index);
}

/* Reserve a: 1, 0 when it is taken, or failed. */
static int reserve(int dfd, const Key *k, const HostLocalAddr *a, size_t set_index, Diag *d)
{
	char name[INET6_ADDRSTRLEN], last[LAST_RESERVED_MAX];
	_cleanup_free_ char *content = NULL;
	_cleanup_close_ int fd = -1, lfd = -1;
	int n;

	addr_str(a, name);
	fd = openat(dfd, name, O_RDWR | O_EXCL | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0)
		return diag_error(d, -errno, "open %s: %m", name);
	n = asprintf(&content, "%s" LINE_BREAK "%s", k->id, k->ifname);
	if (n < 0 || write(fd, content, (size_t)n) != n || close(TAKE_FD(fd)) < 0) {
		int e = n < 0 ? -ENOMEM : -errno;

		(void)unlinkat(dfd, name, 0);
		return diag_error(d, e, "write %s: %s", name, strerror(-e));
	}
	/*
	 * Written over and cut to its length rather than opened with O_TRUNC:
	 * ext4 flushes a file emptied by O_TRUNC when it is closed
	 * (auto_da_alloc), 0.3 ms. The content comes out the same, and every
	 * reader holds the lock.
	 */
	last_reserved_name(set_index, last);
	lfd = openat(dfd, last, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || pwrite(lfd, name, strlen(name), 0) != (ssize_t)strlen(name) || ftruncate(lfd, (off_t)strlen(name)) < 0)
		return diag_error(d, -errno, "write %s: %m", last);
	return 1;
}

static bool last_reserved(int dfd, size_t set_index, HostLocalAddr *ret)
{
	_cleanup_free_ char *content = NULL;
	_cleanup_close_ int fd = -1;
	char last[LAST_RESERVED_MAX];

	last_reserved_name(set_index, last);
	fd = openat(dfd, last, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read_fd_full(fd, 64, &content, NULL) >= 0 && parse_addr(content, ret) == 1;
}

/* ---- allocation: host-local's iterator ------------------------------------ */

typedef struct Iter {
	const HostLocalSet *set;
	size_t idx;
	HostLocalAddr cur, start;
	bool have_cur, have_start;
} Iter;

/*
 * From the address after the last one reserved (when it is in the set),
 * else from the first range's rangeStart; range after range, around to
 * where it began; the gateway skipped. NULL when it went all the way round.
 */
static const HostLocalRange *iter_next(Iter *it, HostLocalAddr *ret)
{
	for (;;) {
		const HostLocalRange *r = &it->set->ranges[it->idx];

		if (!it->have_cur) {
			it->cur = it->start = r->start;
			it->have_cur = it->have_start = true;
		} else {
			if (addr_eq(&it->cur, &r->end)) {
				it->idx = (it->idx + 1) % it->set->n;
				r = &it->set->ranges[it->idx];
				it->cur = r->start;
			} else
				addr_next(&it->cur);
			if (!it->have_start) {
				it->start = it->cur;
				it->have_start = true;
			} else if (addr_eq(&it->cur, &it->start))
				return NULL;
		}
		if (!addr_eq(&it->cur, &r->gateway)) {
			*ret = it->cur;
			return r;
		}
	}
}

static void iter_init(Iter *it, const HostLocalSet *set, int dfd, size_t set_index)
{
	HostLocalAddr last;

	*it = (Iter){ .set = set };
	if (!last_reserved(dfd, set_index, &last))
		return;
	for (size_t i = 0; i < set->n; i++)
		if (range_contains(&set->ranges[i], &last)) {
			it->idx = i;
			it->cur = last;
			it->have_cur = true;
			return;
		}
}

static json_object *ip_json(const HostLocalAddr *a, const HostLocalRange *r)
{
	json_object *o = json_object_new_object();
	char addr[INET6_ADDRSTRLEN + 8], gw[INET6_ADDRSTRLEN];

	snprintf(addr, sizeof(addr), "%s/%u", addr_str(a, gw), r->prefix);
	json_object_object_add(o, "address", json_object_new_string(addr));
	json_object_object_add(o, "gateway", json_object_new_string(addr_str(&r->gateway, gw)));
	return o;
}

/* host-local's IPAllocator.Get for set i: one address, the static one among want[] if one is in the set. */
static int allocate(const HostLocal *h, int dfd, const Key *k, size_t i, bool used[], json_object *ips, Diag *d)
{
	const HostLocalSet *s = &h->sets[i];
	char buf[1024], a[INET6_ADDRSTRLEN];
	const HostLocalRange *r;
	HostLocalAddr addr;
	Iter it;
	int q;

	for (size_t j = 0; j < h->n_requested; j++) {
		r = used[j] ? NULL : set_range_for(s, &h->requested[j]);
		if (!r)
			continue;
		used[j] = true;
		if (addr_eq(&h->requested[j], &r->gateway))
			return diag_error(d, -EINVAL, "requested ip %s is subnet's gateway", addr_str(&h->requested[j], a));
		q = reserve(dfd, k, &h->requested[j], i, d);
		if (q < 0)
			return q;
		if (q == 0)
			return diag_error(d, -EADDRINUSE, "requested IP address %s is not available in range set %s",
					  addr_str(&h->requested[j], a), set_str(s, buf, sizeof(buf)));
		json_object_array_add(ips, ip_json(&h->requested[j], r));
		return 0;
	}
	/* One address per set and attachment: the spec forbids a second ADD. */
	{
		Find f = { .key = k, .set = s, .legacy_too = true };

		(void)walk(dfd, find_one, &f, 0);
		if (f.any)
			return diag_error(d, -EEXIST, "%s has been allocated to %s, duplicate allocation is not allowed",
					  addr_str(&f.found, a), k->id);
	}
	iter_init(&it, s, dfd, i);
	while ((r = iter_next(&it, &addr))) {
		q = reserve(dfd, k, &addr, i, d);
		if (q < 0)
			return q;
		if (q > 0) {
			json_object_array_add(ips, ip_json(&addr, r));
			return 0;
		}
	}
	return diag_error(d, -ENOSPC, "no IP addresses available in range set: %s", set_str(s, buf, sizeof(buf)));
}

/* host-local's parseResolvConf(): nameserver, domain, search, options. */
static int resolv_conf_parse(const char *path, json_object **ret, Diag *d)
{
	_cleanup_(json_object_putp) json_object *dns = json_object_new_object(), *ns = NULL, *search = NULL, *opts = NULL;
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	int r;

	r = read_full_file(path, 1024 * 1024, &text, NULL);
	if (r < 0)
		return diag_error(d, r, "open %s: %s", path, strerror(-r));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		_cleanup_(strv_freep) char **f = NULL;
		json_object **list;

		line = strstrip(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (strv_split(line, " \t\r\v\f", &f) < 0)
			return -ENOMEM;
		if (strv_length(f) < 2)
			continue;
		if (strcmp(f[0], "domain") == 0) {
			json_object_object_add(dns, "domain", json_object_new_string(f[1]));
			continue;
		}
		list = strcmp(f[0], "nameserver") == 0 ? &ns : strcmp(f[0], "search") == 0 ? &search : strcmp(f[0], "options") == 0 ? &opts : NULL;
		if (!list)
			continue;
		if (!*list)
			*list = json_object_new_array();
		for (size_t i = 1; f[i] && (i == 1 || list != &ns); i++)
			json_object_array_add(*list, json_object_new_string(f[i]));
	}
	if (ns)
		json_object_object_add(dns, "nameservers", TAKE_PTR(ns));
	if (search)
		json_object_object_add(dns, "search", TAKE_PTR(search));
	if (opts)
		json_object_object_add(dns, "options", TAKE_PTR(opts));
	*ret = TAKE_PTR(dns);
	return 0;
}

int host_local_add(const HostLocal *h, const char *id, const char *ifname, json_object **ret, Diag *d)
{
	_cleanup_(json_object_putp) json_object *res = json_object_new_object(), *ips = json_object_new_array(), *dns = NULL;
	_cleanup_free_ bool *used = calloc(h->n_requested + 1, sizeof(bool));
	_cleanup_(store_close) Store st = STORE_NULL;
	char unused[DIAG_MAX] = "";
	size_t allocated;
	int r;

	if (!used)
		return -ENOMEM;
	if (h->resolv_conf) {
		r = resolv_conf_parse(h->resolv_conf, &dns, d);
		if (r < 0)
			return r;
	}
	r = store_open(h, id, ifname, &st, d);
	if (r < 0)
		return r;
	for (allocated = 0; allocated < h->n_sets; allocated++) {
		r = allocate(h, st.dfd, &st.key, allocated, used, ips, d);
		if (r < 0) {
			diag_prefix(d, "failed to allocate for range %zu: ", allocated);
			goto undo;
		}
	}
	for (size_t j = 0; j < h->n_requested; j++) {
		char a[INET6_ADDRSTRLEN];

		if (!used[j])
			(void)str_appendf(unused, sizeof(unused), " %s", addr_str(&h->requested[j], a));
	}
	if (unused[0]) {
		r = diag_error(d, -EADDRNOTAVAIL, "failed to allocate all requested IPs:%s", unused);
		goto undo;
	}
	json_object_object_add(res, "ips", TAKE_PTR(ips));
	if (h->routes)
		json_object_object_add(res, "routes", json_object_get(h->routes));
	json_object_object_add(res, "dns", dns ? TAKE_PTR(dns) : json_object_new_object());
	*ret = TAKE_PTR(res);
	return 0;
undo:
	/*
	 * As host-local undoes: once per set allocated from, everything of id
	 * and ifname (a second pass finds none and takes the id's legacy files).
	 */
	for (size_t i = 0; i < allocated; i++)
		(void)release_by_id(st.dfd, &st.key);
	return r;
}

int host_local_del(const HostLocal *h, const char *id, const char *ifname, Diag *d)
{
	_cleanup_(store_close) Store st = STORE_NULL;
	int r = store_open(h, id, ifname, &st, d);

	if (r < 0)
		return r;
	/*
	 * Once per range set, as host-local does: the second pass finds no
	 * "id\r\nifname" left and then releases a legacy file of the id alone.
	 */
	for (size_t i = 0; i < h->n_sets; i++) {
		r = release_by_id(st.dfd, &st.key);
		if (r < 0)
			return diag_error(d, r, "cannot read %s: %s", h->dir, strerror(-r));
	}
	return 0;
}

int host_local_check(const HostLocal *h, const char *id, const char *ifname, Diag *d)
{
	_cleanup_(store_close) Store st = STORE_NULL;
	Find f = { .legacy_too = true };
	int r = store_open(h, id, ifname, &st, d);

	if (r < 0)
		return r;
	f.key = &st.key;
	(void)walk(st.dfd, find_one, &f, 0);
	return f.any;
}

typedef struct Gc {
	Key *keys; /* the valid attachments', ids trimmed once */
	char **ids;
	size_t n;
	unsigned released;
} Gc;

static void gc_done(Gc *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->ids[i]);
	free(g->ids);
	free(g->keys);
}

/* The valid attachments [{containerID, ifname}] as keys; entries without a containerID are none. */
static int gc_keys(json_object *valid, Gc *g)
{
	size_t n = valid ? json_object_array_length(valid) : 0;

	g->keys = calloc(n + 1, sizeof(*g->keys));
	g->ids = calloc(n + 1, sizeof(*g->ids));
	if (!g->keys || !g->ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(valid, i);
		const char *id = cni_json_str(a, "containerID"), *ifname = cni_json_str(a, "ifname");

		if (!id)
			continue;
		g->ids[g->n] = strdup(id);
		if (!g->ids[g->n])
			return -ENOMEM;
		g->keys[g->n] = key_of(g->ids[g->n], ifname ?: "");
		g->n++;
	}
	return 0;
}

static bool gc_valid(const Gc *g, const char *content)
{
	for (size_t i = 0; i < g->n; i++)
		if (key_matches(content, &g->keys[i], false) || key_matches(content, &g->keys[i], true))
			return true;
	return false;
}

static int gc_one(int dfd, const char *name, char *content, void *userdata)
{
	Gc *g = userdata;
	HostLocalAddr a;

	/* Reservations only: the lock and last_reserved_ip.N are not named after an address. */
	if (parse_addr(name, &a) == 1 && !gc_valid(g, content) && unlinkat(dfd, name, 0) == 0)
		g->released++;
	return 0;
}

int host_local_gc(const HostLocal *h, json_object *valid, unsigned *ret_released, Diag *d)
{
	_cleanup_(store_close) Store st = STORE_NULL;
	_cleanup_(gc_done) Gc g = {};
	int r = gc_keys(valid, &g);

	if (r < 0)
		return r;
	r = store_open(h, NULL, NULL, &st, d);
	if (r < 0)
		return r;
	r = walk(st.dfd, gc_one, &g, 0);
	if (r < 0)
		return diag_error(d, r, "cannot read %s: %s", h->dir, strerror(-r));
	if (ret_released)
		*ret_released = g.released;
	return 0;
}
