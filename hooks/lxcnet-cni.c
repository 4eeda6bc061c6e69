/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxcnet-cni: a CNI 1.1.0 plugin (ADD, DEL, CHECK, STATUS, VERSION, GC) on
 * the lxcnet datapath. The network configuration on stdin names a bridge or
 * an SDN VNet and the NIC's tag, trunks, rate, mtu and firewall, which are
 * turned into a Proxmox netN and plugged by the same code as lxcnet-netup;
 * addresses come from an optional IPAM plugin, run from CNI_PATH, except
 * host-local, which lxcnet-cni does itself (common/cni-hostlocal.c) unless
 * its configuration is one host-local reads otherwise.
 *
 * The host end is cni<hash of network, container id and ifname> with the
 * alias "lxcnet-cni <network> <container id> <ifname>": DEL needs neither
 * the namespace nor any state file, and GC finds every attachment of the
 * network from the kernel's links alone.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cni-conf.h"
#include "cni-hostlocal.h"
#include "ct-netif.h"
#include "log.h"
#include "lxc-hook.h"
#include "nic-change.h"
#include "plug.h"
#include "spawn-cmd.h"
#include "strutil.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object, json_object_put);

static LogContext ctx = { .identifier = "lxcnet-cni" };
static const char *result_version = CNI_LATEST; /* the config's, once known */
static bool error_printed; /* the runtime reads one error object: later ones go to the journal only */
static HostLocal host_local; /* the IPAM's configuration when lxcnet-cni does host-local itself */
static bool host_local_builtin;

static const char *error_msg(unsigned code)
{
	switch (code) {
	case CNI_ERR_INCOMPATIBLE_VERSION:
		return "Incompatible CNI version";
	case CNI_ERR_UNKNOWN_CONTAINER:
		return "Container unknown or does not exist";
	case CNI_ERR_INVALID_ENV:
		return "Invalid necessary environment variables";
	case CNI_ERR_IO:
		return "I/O failure";
	case CNI_ERR_DECODE:
		return "Failed to decode content";
	case CNI_ERR_INVALID_CONFIG:
		return "Invalid network config";
	case CNI_ERR_NOT_AVAILABLE:
		return "Plugin not available";
	case CNI_ERR_PLUG:
		return "Cannot plug the interface";
	case CNI_ERR_CHECK:
		return "Attachment differs from what ADD set up";
	default:
		return "Failed";
	}
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

/* The spec's error object on stdout (the first only), the details in the journal; returns the exit status. */
static int _printf_(3, 4) cni_fail(unsigned code, const char *msg, const char *fmt, ...)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	char details[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "cniVersion", json_object_new_string(result_version));
	json_object_object_add(o, "code", json_object_new_int((int)code));
	json_object_object_add(o, "msg", json_object_new_string(msg ?: error_msg(code)));
	json_object_object_add(o, "details", json_object_new_string(details));
	if (!error_printed)
		print_json(o);
	error_printed = true;
	log_ctx(&ctx, LOG_ERR, "%s: %s", msg ?: error_msg(code), details);
	return 1;
}

typedef struct Env {
	const char *command, *container_id, *netns, *ifname, *args, *path;
	const char *mac; /* from CNI_ARGS MAC= */
} Env;

/*
 * CNI_ARGS "K=V;K=V": MAC is used, IP is the IPAM plugin's when there is
 * one, IgnoreUnknown allows others (K8S_POD_NAME, ...).
 */
static int parse_args(Env *e, bool ipam)
{
	_cleanup_(strv_freep) char **items = NULL;
	bool ignore_unknown = false;
	const char *bad = NULL;

	if (!e->args || !*e->args)
		return 0;
	if (strv_split(e->args, ";", &items) < 0)
		return cni_fail(CNI_ERR_IO, NULL, "out of memory"), -ENOMEM;
	for (char **i = items; *i; i++) {
		char *eq = strchr(*i, '=');

		if (!eq)
			return cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_ARGS: '%s' is not KEY=VALUE", *i), -EINVAL;
		*eq = '\0';
		if (strcmp(*i, "IgnoreUnknown") == 0)
			ignore_unknown = strcmp(eq + 1, "1") == 0 || strcasecmp(eq + 1, "true") == 0;
		else if (strcmp(*i, "MAC") == 0) {
			/* Points into our copy: keep it (freed at exit). */
			e->mac = strdup(eq + 1);
		} else if (strcmp(*i, "IP") == 0 && ipam)
			continue;
		else if (!bad)
			bad = *i;
	}
	if (bad && !ignore_unknown)
		return cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_ARGS: unknown key '%s' (set IgnoreUnknown=1 to allow it)", bad), -EINVAL;
	return 0;
}

static int need_env(const Env *e, bool netns)
{
	const char *missing = !e->container_id || !*e->container_id ? "CNI_CONTAINERID"
			      : !e->ifname || !*e->ifname	    ? "CNI_IFNAME"
			      : netns && (!e->netns || !*e->netns)  ? "CNI_NETNS"
								    : NULL;

	if (missing)
		return cni_fail(CNI_ERR_INVALID_ENV, NULL, "%s is not set", missing), -EINVAL;
	if (strpbrk(e->container_id, " \t\n") || strlen(e->container_id) > 160)
		return cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_CONTAINERID: has white space or is longer than 160 characters"),
		       -EINVAL;
	/* It becomes the netN's name: an interface name and nothing more (no ',' or '=' to smuggle keys in). */
	if (!pve_word_valid(e->ifname) || strlen(e->ifname) >= IFNAMSIZ || strcmp(e->ifname, ".") == 0 ||
	    strcmp(e->ifname, "..") == 0)
		return cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_IFNAME: '%s' is not an interface name (A-Z a-z 0-9 - _ ., at most %d)",
				e->ifname, IFNAMSIZ - 1),
		       -EINVAL;
	return 0;
}

static void attachment_names(const CniConf *c, const Env *e, char ifname[IFNAMSIZ], char alias[LINK_ALIAS_MAX])
{
	PlugOwner o = { .cni = true };
	char key[LINK_ALIAS_MAX];

	snprintf(key, sizeof(key), "%s\n%s\n%s", c->name, e->container_id, e->ifname);
	plug_hashed_ifname(ifname, "cni", key, -1);
	snprintf(o.network, sizeof(o.network), "%s", c->name);
	snprintf(o.container, sizeof(o.container), "%s", e->container_id);
	snprintf(o.ifname, sizeof(o.ifname), "%s", e->ifname);
	plug_owner_alias(&o, alias, LINK_ALIAS_MAX);
}

/* ---- IPAM delegation ---------------------------------------------------- */

/* The plugin `type` in CNI_PATH. */
static int find_plugin(const Env *e, const char *type, char **ret)
{
	_cleanup_(strv_freep) char **dirs = NULL;

	if (!e->path || !*e->path)
		return -ENOENT;
	if (strv_split(e->path, ":", &dirs) < 0)
		return -ENOMEM;
	for (char **d = dirs; *d; d++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", *d, type) < 0)
			return -ENOMEM;
		if (access(p, X_OK) == 0) {
			*ret = TAKE_PTR(p);
			return 0;
		}
	}
	return -ENOENT;
}

/* An IPAM plugin's run: started by ipam_start(), ended by ipam_finish(). */
typedef struct IpamRun {
	const char *command;
	char *plugin;
	char *out;
	Spawn *sp;
} IpamRun;

/*
 * Start the IPAM plugin with command and the configuration on stdin, in our
 * environment; its stderr is ours. -EIO when it cannot start (the error
 * printed).
 */
static int ipam_start(const CniConf *c, const Env *e, const char *command, IpamRun *run)
{
	_cleanup_free_ char **env = NULL;
	char cmd[32], *argv[] = { NULL, (char *)c->ipam_type, NULL };
	size_t n = 0;
	int r;

	*run = (IpamRun){ .command = command };
	r = find_plugin(e, c->ipam_type, &run->plugin);
	if (r < 0)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "ipam: plugin '%s' not found in CNI_PATH '%s'", c->ipam_type,
				e->path ?: ""),
		       -EIO;
	/* Our environment, CNI_COMMAND set to command. */
	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(char *));
	if (!env) {
		free(run->plugin);
		return cni_fail(CNI_ERR_IO, NULL, "ipam: out of memory"), -EIO;
	}
	n = 0;
	for (char **v = environ; *v; v++)
		if (strncmp(*v, "CNI_COMMAND=", 12) != 0)
			env[n++] = *v;
	snprintf(cmd, sizeof(cmd), "CNI_COMMAND=%s", command);
	env[n] = cmd;
	argv[0] = run->plugin;
	fflush(stdout);
	/* The configuration on its stdin, its result from its stdout, its stderr ours. */
	r = spawn_start(argv, env, &(SpawnOptions){ .input = c->text, .out = &run->out, .out_max = 1024 * 1024, .keep_stderr = true },
			&run->sp);
	if (r < 0) {
		cni_fail(CNI_ERR_IO, NULL, "ipam: cannot run '%s': %s", run->plugin, strerror(-r));
		free(run->plugin);
		return -EIO;
	}
	return 0;
}

/*
 * Wait for the IPAM plugin ipam_start() started. *ret is its parsed result
 * (ADD; NULL for the others). On failure its error is passed on (printed)
 * and -EIO returned.
 */
static int ipam_finish(const CniConf *c, IpamRun *run, json_object **ret)
{
	_cleanup_free_ char *plugin = TAKE_PTR(run->plugin), *out = NULL;
	SpawnResult res;
	int r;

	if (ret)
		*ret = NULL;
	r = spawn_wait(TAKE_PTR(run->sp), &res);
	out = TAKE_PTR(run->out);
	if (r < 0)
		return cni_fail(CNI_ERR_IO, NULL, "ipam: cannot read what '%s' printed: %s", plugin, strerror(-r)), -EIO;
	if (res.status != 0) {
		_cleanup_(json_object_putp) json_object *err = out ? json_tokener_parse(out) : NULL;
		json_object *code;

		if (err && json_object_object_get_ex(err, "code", &code) && json_object_is_type(code, json_type_int)) {
			const char *msg = cni_json_str(err, "msg"), *details = cni_json_str(err, "details");

			return cni_fail((unsigned)json_object_get_int(code), msg, "ipam plugin '%s' %s failed%s%s", c->ipam_type,
					run->command, details && *details ? ": " : "", details ?: ""),
			       -EIO;
		}
		return cni_fail(CNI_ERR_IO, NULL, "ipam plugin '%s' %s failed (%s %d)", c->ipam_type, run->command,
				res.signal ? "signal" : "exit status", res.signal ?: res.status),
		       -EIO;
	}
	if (ret) {
		*ret = out ? json_tokener_parse(out) : NULL;
		if (!*ret || !json_object_is_type(*ret, json_type_object)) {
			json_object_put(*ret);
			*ret = NULL;
			return cni_fail(CNI_ERR_DECODE, NULL, "ipam plugin '%s' printed no result", c->ipam_type), -EIO;
		}
	}
	return 0;
}

/* ipam_start() and ipam_finish() in one. */
static int ipam_exec(const CniConf *c, const Env *e, const char *command, json_object **ret)
{
	IpamRun run;

	if (ret)
		*ret = NULL;
	return ipam_start(c, e, command, &run) < 0 ? -EIO : ipam_finish(c, &run, ret);
}

/* host-local done here failed: its words, with the code its plugin gives them (999). */
static int host_local_fail(const char *command, const Diag *d)
{
	return cni_fail(CNI_ERR_INTERNAL, d->msg, "ipam 'host-local' (done by lxcnet-cni) %s failed", command);
}

/*
 * Whether lxcnet-cni does host-local itself: when the configuration asks
 * for host-local, does not say "builtinIpam": false, and is one this
 * reader reads as host-local does. Otherwise the plugin runs (logged).
 */
static int host_local_choose(const CniConf *c, const Env *e)
{
	Diag why = {};
	int r;

	if (!c->ipam_type || strcmp(c->ipam_type, "host-local") != 0 || !c->ipam_builtin)
		return 0;
	r = host_local_parse(c->root, e->args, &host_local, &why);
	if (r < 0)
		return cni_fail(CNI_ERR_IO, NULL, "out of memory"), r;
	if (r == 0)
		log_ctx(&ctx, LOG_INFO, "Running the host-local plugin: its configuration is one lxcnet-cni leaves to it (%s)", why.msg);
	host_local_builtin = r > 0;
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static int parse_ip(const char *s, int family, unsigned char ret[16])
{
	return s && inet_pton(family, s, ret) == 1 ? 0 : -EINVAL;
}

/* The first address of each family goes into the netN (firewall=1 filters on it); ips[] must be sane. */
static int ips_to_spec(json_object *ipam_result, char *spec, size_t size, bool firewall)
{
	json_object *ips;
	unsigned per_family[2] = {};

	if (!json_object_object_get_ex(ipam_result, "ips", &ips) || !json_object_is_type(ips, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i);
		const char *addr = cni_json_str(ip, "address");
		InetPrefix cidr;
		unsigned f;

		if (inet_prefix_parse(addr, AF_UNSPEC, 0, &cidr) < 0)
			return cni_fail(CNI_ERR_DECODE, NULL, "ipam result: ips[%zu]: address '%s' is not ADDRESS/PREFIX", i,
					addr ?: "(none)"),
			       -EINVAL;
		f = cidr.family == AF_INET6;
		if (per_family[f]++ == 0 && str_appendf(spec, size, ",%s=%s", f ? "ip6" : "ip", addr) < 0)
			return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "configuration too long"), -EINVAL;
	}
	if (firewall && (per_family[0] > 1 || per_family[1] > 1))
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "firewall: lxcnet filters on one address per family, IPAM gave more"),
		       -EINVAL;
	return 0;
}

/* The gateway of the first address of family in ips[], if it has one. */
static const char *family_gateway(json_object *ips, int family)
{
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i);
		InetPrefix c;

		if (inet_prefix_parse(cni_json_str(ip, "address"), AF_UNSPEC, 0, &c) == 0 && c.family == family)
			return cni_json_str(ip, "gateway");
	}
	return NULL;
}

/* The addresses (all, or those after the first of each family, which the plug gave it), then the routes, in the container. */
static int apply_ipam(CtNetns *ns, const char *ifname, json_object *res, bool all, Diag *d)
{
	json_object *ips = NULL, *routes;
	bool first[2] = { true, true };
	int r;

	if (json_object_object_get_ex(res, "ips", &ips) && json_object_is_type(ips, json_type_array))
		for (size_t i = 0; i < json_object_array_length(ips); i++) {
			InetPrefix c;

			if (inet_prefix_parse(cni_json_str(json_object_array_get_idx(ips, i), "address"), AF_UNSPEC, 0, &c) < 0)
				continue;
			if (first[c.family == AF_INET6] && !all) {
				first[c.family == AF_INET6] = false;
				continue;
			}
			r = ct_netif_addr_add(ns, ifname, c.family, c.addr, c.len);
			if (r < 0)
				return diag_error(d, r, "cannot add address %zu in the container: %s", i, strerror(-r));
		}
	else
		ips = NULL;
	if (!json_object_object_get_ex(res, "routes", &routes) || !json_object_is_type(routes, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(routes); i++) {
		json_object *rt = json_object_array_get_idx(routes, i);
		const char *dst = cni_json_str(rt, "dst"), *gw = cni_json_str(rt, "gw");
		unsigned char via[16];
		InetPrefix c;

		if (inet_prefix_parse(dst, AF_UNSPEC, 0, &c) < 0)
			return diag_error(d, -EINVAL, "routes[%zu]: dst '%s' is not ADDRESS/PREFIX", i, dst ?: "(none)");
		/* No gw: the spec leaves it to the plugin; the address's gateway, else on the link. */
		if (!gw)
			gw = family_gateway(ips, c.family);
		if (gw && parse_ip(gw, c.family, via) < 0)
			return diag_error(d, -EINVAL, "routes[%zu]: gw '%s' is not an address of the route's family", i, gw);
		r = ct_netif_route_add(ns, ifname, c.family, c.addr, c.len, gw ? via : NULL);
		if (r < 0)
			return diag_error(d, r, "cannot add route %s in the container: %s", dst, strerror(-r));
	}
	return 0;
}

/* ---- the result ------------------------------------------------------------ */

static const char *mac_str(char buf[18], const uint8_t m[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

static json_object *mac_json(const uint8_t m[6])
{
	char buf[18];

	return json_object_new_string(mac_str(buf, m));
}

static json_object *interface_json(const char *name, const uint8_t mac[6], uint32_t mtu, const char *sandbox)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "mac", mac_json(mac));
	if (cni_version_at_least(result_version, "1.1.0"))
		json_object_object_add(o, "mtu", json_object_new_int((int)mtu));
	if (sandbox)
		json_object_object_add(o, "sandbox", json_object_new_string(sandbox));
	return o;
}

/* interfaces[0] is the host end, [1] the container's: every IP is on [1]. */
static json_object *result_json(const Env *e, const char *host_ifname, const LinkInfo *host, const LinkInfo *ct,
				json_object *ipam, json_object *conf_dns)
{
	json_object *o = json_object_new_object(), *ifs = json_object_new_array(), *ips, *v;

	json_object_object_add(o, "cniVersion", json_object_new_string(result_version));
	json_object_array_add(ifs, interface_json(host_ifname, host->mac, host->mtu, NULL));
	json_object_array_add(ifs, interface_json(e->ifname, ct->mac, ct->mtu, e->netns));
	json_object_object_add(o, "interfaces", ifs);
	ips = json_object_new_array();
	if (ipam && json_object_object_get_ex(ipam, "ips", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *in = json_object_array_get_idx(v, i), *ip = json_object_new_object();
			const char *addr = cni_json_str(in, "address"), *gw = cni_json_str(in, "gateway");
			InetPrefix c = {};

			(void)inet_prefix_parse(addr, AF_UNSPEC, 0, &c);
			if (!cni_version_at_least(result_version, "1.0.0"))
				json_object_object_add(ip, "version", json_object_new_string(c.family == AF_INET6 ? "6" : "4"));
			json_object_object_add(ip, "address", json_object_new_string(addr));
			if (gw)
				json_object_object_add(ip, "gateway", json_object_new_string(gw));
			json_object_object_add(ip, "interface", json_object_new_int(1));
			json_object_array_add(ips, ip);
		}
	json_object_object_add(o, "ips", ips);
	if (ipam && json_object_object_get_ex(ipam, "routes", &v) && json_object_is_type(v, json_type_array))
		json_object_object_add(o, "routes", json_object_get(v));
	if (ipam && json_object_object_get_ex(ipam, "dns", &v) && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) > 0)
		json_object_object_add(o, "dns", json_object_get(v));
	else
		json_object_object_add(o, "dns", conf_dns ? json_object_get(conf_dns) : json_object_new_object());
	return o;
}

/* ---- commands ---------------------------------------------------------------- */

static int open_netns(const Env *e, CtNetns *ns)
{
	_cleanup_close_ int fd = open(e->netns, O_RDONLY | O_CLOEXEC);
	Diag d = {};
	int r;

	if (fd < 0)
		return cni_fail(errno == ENOENT ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_IO, NULL, "CNI_NETNS '%s': %m", e->netns),
		       -EIO;
	r = ct_netns_open(fd, ns, &d);
	if (r < 0)
		return cni_fail(r == -EINVAL ? CNI_ERR_INVALID_ENV : CNI_ERR_IO, NULL, "CNI_NETNS '%s': %s", e->netns, d.msg), -EIO;
	return 0;
}

static int cmd_add(const Env *e, CniConf *c)
{
	_cleanup_(json_object_putp) json_object *ipam = NULL, *result = NULL;
	char host_ifname[IFNAMSIZ], alias[LINK_ALIAS_MAX], spec[1024], check[1024] = "";
	IpamRun run = {};
	bool running = false, in_spec;
	CtNetns ns = { .nsfd = -1 };
	PlugEnv env = {};
	_cleanup_(plug_target_done) PlugTarget t = {};
	LinkInfo host, ct;
	uint8_t mac[6];
	PveNet n;
	Diag d = {};
	int r, ret = 1;
	const char *m = e->mac ?: c->mac;

	if (need_env(e, true) < 0)
		return 1;
	attachment_names(c, e, host_ifname, alias);
	ctx.ifname = host_ifname;
	if (open_netns(e, &ns) < 0)
		return 1;
	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r < 0) {
		cni_fail(CNI_ERR_IO, NULL, "cannot open rtnetlink: %s", strerror(-r));
		goto out;
	}
	r = plug_owned(&env, host_ifname, alias, &host);
	if (r > 0) {
		cni_fail(CNI_ERR_PLUG, NULL, "the attachment of '%s' in container '%s' to network '%s' exists already ('%s'): DEL it first",
			 e->ifname, e->container_id, c->name, host_ifname);
		goto out;
	}
	if (r < 0) {
		cni_fail(r == -EEXIST ? CNI_ERR_PLUG : CNI_ERR_IO, NULL, "host interface '%s': %s", host_ifname,
			 r == -EEXIST ? "the name is taken by another interface" : strerror(-r));
		goto out;
	}
	if (m) {
		if (pve_parse_hwaddr(m, mac, &d) < 0) {
			cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "mac: '%s' is not a unicast MAC address (XX:XX:XX:XX:XX:XX)", m);
			goto out;
		}
	} else
		ct_netif_random_hwaddr(mac);
	/*
	 * The IPAM plugin runs while the NIC is plugged, unless the firewall
	 * filters on its addresses: then they must be in the netN first.
	 * host-local done here takes a tenth of a millisecond: first.
	 */
	if (host_local_builtin) {
		if (host_local_add(&host_local, e->container_id, e->ifname, &ipam, &d) < 0) {
			host_local_fail("ADD", &d);
			goto out;
		}
	} else if (c->ipam_type) {
		if (ipam_start(c, e, "ADD", &run) < 0)
			goto out;
		running = true;
		if (c->firewall) {
			running = false;
			if (ipam_finish(c, &run, &ipam) < 0)
				goto out;
		}
	}
	snprintf(spec, sizeof(spec), "name=%s,hwaddr=%02X:%02X:%02X:%02X:%02X:%02X,%s", e->ifname, mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5], c->spec);
	in_spec = ipam != NULL;
	if (ipam && ips_to_spec(ipam, spec, sizeof(spec), c->firewall) < 0)
		goto release;
	if (pve_net_parse(spec, &n, &d) < 0) {
		cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "%s", d.msg);
		goto release;
	}
	if (c->is_vnet && !plug_names_vnet(&env, c->bridge)) {
		cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "vnet: '%s' is not an SDN VNet of %s", c->bridge, env.pve_dir);
		goto release;
	}
	if (plug_resolve(&env, &n, &t, &d) < 0) {
		cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "%s", d.msg);
		goto release;
	}
	ctx.vnet = t.vnet[0] ? t.vnet : NULL;
	if (nic_change_add_netns(&env, &ns, host_ifname, alias, &n, &t, &d) < 0) {
		cni_fail(CNI_ERR_PLUG, NULL, "%s", d.msg);
		goto release;
	}
	if (running) {
		running = false;
		if (ipam_finish(c, &run, &ipam) < 0 || ips_to_spec(ipam, check, sizeof(check), false) < 0) {
			(void)plug_remove(&env, host_ifname, NULL);
			goto release;
		}
	}
	/* The addresses the netN had the plug give it already (those of an IPAM done before the plug), else all. */
	if ((ipam && apply_ipam(&ns, e->ifname, ipam, !in_spec, &d) < 0) || link_get(env.nl, host_ifname, &host) < 0 ||
	    link_get(ns.nl, e->ifname, &ct) < 0) {
		cni_fail(CNI_ERR_PLUG, NULL, "%s", d.msg[0] ? d.msg : "the interface vanished");
		(void)plug_remove(&env, host_ifname, NULL);
		goto release;
	}
	result = result_json(e, host_ifname, &host, &ct, ipam, c->dns);
	print_json(result);
	log_ctx(&ctx, LOG_INFO, "Added '%s' of container '%s' (network '%s') as '%s' on bridge '%s'", e->ifname, e->container_id,
		c->name, host_ifname, t.bridge);
	ret = 0;
	goto out;

release:
	/* Give the addresses back (our error is printed already, the IPAM's only logged). */
	if (running)
		(void)ipam_finish(c, &run, &ipam);
	if (ipam && host_local_builtin) {
		Diag dd = {};

		if (host_local_del(&host_local, e->container_id, e->ifname, &dd) < 0)
			log_ctx(&ctx, LOG_ERR, "Cannot release the addresses of '%s': host-local: %s", e->ifname, dd.msg);
	} else if (ipam)
		(void)ipam_exec(c, e, "DEL", NULL);
out:
	ct_netns_close(&ns);
	plug_env_done(&env);
	return ret;
}

static int cmd_del(const Env *e, CniConf *c)
{
	char host_ifname[IFNAMSIZ], alias[LINK_ALIAS_MAX];
	IpamRun run = {};
	bool running;
	PlugEnv env = {};
	LinkInfo host;
	Diag d = {};
	int r, released = 0;

	if (need_env(e, false) < 0)
		return 1;
	attachment_names(c, e, host_ifname, alias);
	ctx.ifname = host_ifname;
	/*
	 * The addresses are given back while the interfaces go; host-local
	 * done here first, it is quick. Either way the interfaces go even when
	 * the addresses could not be given back, and DEL fails after.
	 */
	if (host_local_builtin)
		released = host_local_del(&host_local, e->container_id, e->ifname, &d);
	if (c->ipam_type && !host_local_builtin && ipam_start(c, e, "DEL", &run) < 0)
		return 1;
	running = c->ipam_type && !host_local_builtin;
	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r < 0) {
		cni_fail(CNI_ERR_IO, NULL, "cannot open rtnetlink: %s", strerror(-r));
		goto failed;
	}
	/* Gone already (the namespace took the pair, or a second DEL): fine. Another's: not ours to touch. */
	r = plug_owned(&env, host_ifname, alias, &host);
	if (r > 0) {
		r = plug_remove_detached(&env, host_ifname);
		if (r < 0) {
			cni_fail(CNI_ERR_IO, NULL, "cannot remove host interface '%s': %s", host_ifname, strerror(-r));
			goto failed;
		}
		log_ctx(&ctx, LOG_INFO, "Removed '%s' of container '%s' (network '%s')", e->ifname, e->container_id, c->name);
	} else
		/* Its pair died with the namespace: what the datapath and the shaper kept for it goes here. */
		(void)plug_sweep(&env);
	plug_env_done(&env);
	if (released < 0)
		return host_local_fail("DEL", &d);
	if (running && ipam_finish(c, &run, NULL) < 0)
		return 1;
	return 0;

failed:
	/* Our error is printed; the addresses' is only logged, and the IPAM plugin is waited for. */
	plug_env_done(&env);
	if (released < 0)
		(void)host_local_fail("DEL", &d);
	if (running)
		(void)ipam_finish(c, &run, NULL);
	return 1;
}

static json_object *prev_container_interface(json_object *prev, const Env *e, int *ret_index)
{
	json_object *ifs;

	if (!json_object_object_get_ex(prev, "interfaces", &ifs) || !json_object_is_type(ifs, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		json_object *o = json_object_array_get_idx(ifs, i);
		const char *name = cni_json_str(o, "name"), *sandbox = cni_json_str(o, "sandbox");

		if (name && sandbox && strcmp(name, e->ifname) == 0) {
			*ret_index = (int)i;
			return o;
		}
	}
	return NULL;
}

static int check_ct(const Env *e, const CniConf *c, CtNetns *ns, const PveNet *n, const PlugTarget *t)
{
	json_object *ifc, *ips;
	LinkInfo ct;
	int idx = -1, r;
	char mac[18];

	r = link_get(ns->nl, e->ifname, &ct);
	if (r < 0)
		return cni_fail(CNI_ERR_CHECK, NULL, "'%s' is not in %s: %s", e->ifname, e->netns, strerror(-r));
	if (ct.mtu != plug_nic_mtu(n, t))
		return cni_fail(CNI_ERR_CHECK, NULL, "'%s' has MTU %u, not %u", e->ifname, ct.mtu, plug_nic_mtu(n, t));
	ifc = prev_container_interface(c->prev, e, &idx);
	if (!ifc)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "prevResult: no interface '%s' with a sandbox", e->ifname);
	mac_str(mac, ct.mac);
	if (!cni_json_str(ifc, "mac") || strcasecmp(cni_json_str(ifc, "mac"), mac) != 0)
		return cni_fail(CNI_ERR_CHECK, NULL, "'%s' has MAC %s, prevResult says %s", e->ifname, mac,
				cni_json_str(ifc, "mac") ?: "none");
	if (!json_object_object_get_ex(c->prev, "ips", &ips) || !json_object_is_type(ips, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i), *iface;
		const char *addr = cni_json_str(ip, "address");
		InetPrefix cidr;

		if (json_object_object_get_ex(ip, "interface", &iface) && json_object_get_int(iface) != idx)
			continue;
		if (inet_prefix_parse(addr, AF_UNSPEC, 0, &cidr) < 0)
			return cni_fail(CNI_ERR_DECODE, NULL, "prevResult: ips[%zu]: '%s' is not ADDRESS/PREFIX", i, addr ?: "(none)");
		r = ct_netif_has_addr(ns, e->ifname, cidr.family, cidr.addr, cidr.len);
		if (r <= 0)
			return cni_fail(CNI_ERR_CHECK, NULL, "'%s' does not have %s", e->ifname, addr);
	}
	return 0;
}

static int check_host(PlugEnv *env, const char *host_ifname, const char *alias, const PveNet *n, const PlugTarget *t)
{
	_cleanup_(datapath_freep) Datapath *dp = NULL;
	struct lxcnet_port have, want = t->policy;
	struct lxcnet_trunks have_trunks;
	LinkInfo host;
	Diag d = {};
	int r;

	r = plug_owned(env, host_ifname, alias, &host);
	if (r <= 0)
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s' %s", host_ifname,
				r == 0 ? "does not exist" : "is not this attachment's");
	if (n->link_down ? host.master != 0 || host.up : host.master != t->bridge_ifindex || !host.up)
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s' is not %s", host_ifname,
				n->link_down ? "down and unplugged (link_down)" : "up on its bridge");
	if (host.master && host.mtu != t->bridge_mtu)
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s' has MTU %u, bridge '%s' %u", host_ifname, host.mtu,
				t->bridge, t->bridge_mtu);
	if (datapath_open(false, &dp, &d) < 0) {
		if (t->needs_datapath)
			return cni_fail(CNI_ERR_CHECK, NULL, "the lxcnet datapath is not loaded: %s", d.msg);
		return 0;
	}
	r = datapath_port_get(dp, host.ifindex, &have, &have_trunks);
	if (r < 0)
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s' has no datapath policy", host_ifname);
	/* The ifb is the shaper's; only whether there is one matters. */
	if ((have.shaper_ifindex != 0) != (t->rate > 0))
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s' is %s", host_ifname, t->rate > 0 ? "not shaped" : "shaped");
	/* What datapath_port_set() fills in itself is not the configuration's. */
	have.shaper_ifindex = want.shaper_ifindex = 0;
	have.edt_bps = want.edt_bps = 0;
	have.ifindex = want.ifindex = 0;
	have.flags &= LXCNET_PORT_FILTERS;
	if (memcmp(&have, &want, sizeof(have)) != 0 || memcmp(&have_trunks, &t->trunks, sizeof(have_trunks)) != 0)
		return cni_fail(CNI_ERR_CHECK, NULL, "host interface '%s': the datapath policy (tag, trunks, filter) differs",
				host_ifname);
	return 0;
}

/* The container end's netN: its MAC and addresses from prevResult, the rest from the configuration. 0 or failed (printed). */
static int check_spec(const Env *e, const CniConf *c, PveNet *n)
{
	char spec[1024];
	json_object *ifc;
	Diag d = {};
	int idx;

	uint8_t mac[6];
	const char *m;

	ifc = prev_container_interface(c->prev, e, &idx);
	m = ifc ? cni_json_str(ifc, "mac") : NULL;
	if (m && mac_parse(m, mac) < 0)
		return cni_fail(CNI_ERR_DECODE, NULL, "prevResult: mac '%s' of '%s' is not a MAC address", m, e->ifname);
	snprintf(spec, sizeof(spec), "name=%s,%s%s%s", e->ifname, m ? "hwaddr=" : "", m ?: "", m ? "," : "");
	if (str_appendf(spec, sizeof(spec), "%s", c->spec) < 0)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "configuration too long");
	if (ips_to_spec(c->prev, spec, sizeof(spec), c->firewall) < 0)
		return -EINVAL;
	if (pve_net_parse(spec, n, &d) < 0)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "%s", d.msg);
	return 0;
}

static int cmd_check(const Env *e, CniConf *c)
{
	char host_ifname[IFNAMSIZ], alias[LINK_ALIAS_MAX];
	CtNetns ns = { .nsfd = -1 };
	PlugEnv env = {};
	_cleanup_(plug_target_done) PlugTarget t = {};
	PveNet n;
	Diag d = {};
	int r = 1;

	if (!cni_version_at_least(result_version, "0.4.0"))
		return cni_fail(CNI_ERR_INCOMPATIBLE_VERSION, NULL, "CHECK needs cniVersion 0.4.0 or later, not %s", result_version);
	if (need_env(e, true) < 0)
		return 1;
	if (!c->prev)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "prevResult: missing (CHECK compares against it)");
	if (host_local_builtin) {
		int found = host_local_check(&host_local, e->container_id, e->ifname, &d);

		if (found <= 0) {
			if (found == 0)
				diag_error(&d, -ENOENT, "host-local: Failed to find address added by container %s", e->container_id);
			return host_local_fail("CHECK", &d);
		}
	} else if (c->ipam_type && ipam_exec(c, e, "CHECK", NULL) < 0)
		return 1;
	attachment_names(c, e, host_ifname, alias);
	ctx.ifname = host_ifname;
	if (check_spec(e, c, &n) != 0 || open_netns(e, &ns) < 0)
		return 1;
	if (plug_env_open(&env, lxc_hook_pve_dir()) < 0)
		cni_fail(CNI_ERR_IO, NULL, "cannot open rtnetlink");
	else if (plug_resolve(&env, &n, &t, &d) < 0)
		cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "%s", d.msg);
	else if (check_host(&env, host_ifname, alias, &n, &t) == 0 && check_ct(e, c, &ns, &n, &t) == 0)
		r = 0;
	ct_netns_close(&ns);
	plug_env_done(&env);
	return r;
}

typedef struct Gc {
	const char *network;
	json_object *valid; /* [{containerID, ifname}], may be NULL */
	PlugEnv *env;
	unsigned removed;
	int failures;
} Gc;

static bool gc_valid(const Gc *g, const PlugOwner *o)
{
	for (size_t i = 0; g->valid && i < json_object_array_length(g->valid); i++) {
		json_object *a = json_object_array_get_idx(g->valid, i);
		const char *cid = cni_json_str(a, "containerID"), *ifn = cni_json_str(a, "ifname");

		if (cid && ifn && strcmp(o->container, cid) == 0 && strcmp(o->ifname, ifn) == 0)
			return true;
	}
	return false;
}

static int gc_one(struct nl_sock *nl, const char *ifname, void *userdata)
{
	Gc *g = userdata;
	PlugOwner o;
	LinkInfo li;
	int r;

	if (link_get(nl, ifname, &li) < 0 || plug_owner_parse(li.alias, &o) < 0 || !o.cni ||
	    strcmp(o.network, g->network) != 0 || gc_valid(g, &o))
		return 0;
	r = plug_remove(g->env, ifname, NULL);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot remove stale attachment '%s' (%s): %s", ifname, li.alias, strerror(-r));
		g->failures++;
	} else {
		log_ctx(&ctx, LOG_INFO, "Removed stale attachment '%s' (%s)", ifname, li.alias);
		g->removed++;
	}
	return 0;
}

static int cmd_gc(const Env *e, CniConf *c)
{
	PlugEnv env = {};
	json_object *v;
	Gc g = { .network = c->name, .env = &env };
	int r;

	if (!cni_version_at_least(result_version, "1.1.0"))
		return cni_fail(CNI_ERR_INCOMPATIBLE_VERSION, NULL, "GC needs cniVersion 1.1.0, not %s", result_version);
	if (json_object_object_get_ex(c->root, "cni.dev/valid-attachments", &v)) {
		if (!json_object_is_type(v, json_type_array))
			return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "cni.dev/valid-attachments: must be a list");
		g.valid = v;
	}
	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r >= 0)
		r = link_foreach_prefix(env.nl, "veth", "cni", gc_one, &g);
	if (r >= 0)
		(void)plug_sweep(&env);
	plug_env_done(&env);
	if (r < 0)
		return cni_fail(CNI_ERR_IO, NULL, "cannot list interfaces: %s", strerror(-r));
	if (g.failures)
		return cni_fail(CNI_ERR_IO, NULL, "%d stale attachments could not be removed", g.failures);
	if (host_local_builtin) {
		Diag d = {};
		unsigned released = 0;

		if (host_local_gc(&host_local, g.valid, &released, &d) < 0)
			return host_local_fail("GC", &d);
		if (released)
			log_ctx(&ctx, LOG_INFO, "Released %u stale address reservations of network '%s'", released, c->name);
	} else if (c->ipam_type && ipam_exec(c, e, "GC", NULL) < 0)
		return 1;
	return 0;
}

/* Ready for ADD: the bridge or VNet is there (and, for a VNet, usable on this node). */
static int cmd_status(CniConf *c)
{
	PlugEnv env = {};
	_cleanup_(plug_target_done) PlugTarget t = {};
	PveNet n;
	Diag d = {};
	int r;

	if (!cni_version_at_least(result_version, "1.1.0"))
		return cni_fail(CNI_ERR_INCOMPATIBLE_VERSION, NULL, "STATUS needs cniVersion 1.1.0, not %s", result_version);
	char spec[600];

	/* The parser wants a name: any will do, no interface is made. */
	snprintf(spec, sizeof(spec), "name=eth0,%s", c->spec);
	if (pve_net_parse(spec, &n, &d) < 0)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "%s", d.msg);
	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r >= 0)
		r = plug_resolve(&env, &n, &t, &d);
	plug_env_done(&env);
	if (r < 0)
		return cni_fail(CNI_ERR_NOT_AVAILABLE, NULL, "%s", d.msg[0] ? d.msg : strerror(-r));
	return 0;
}

static int cmd_version(void)
{
	_cleanup_(json_object_putp) json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < cni_n_versions; i++)
		json_object_array_add(a, json_object_new_string(cni_versions[i]));
	json_object_object_add(o, "cniVersion", json_object_new_string(CNI_LATEST));
	json_object_object_add(o, "supportedVersions", a);
	print_json(o);
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: CNI_COMMAND=ADD|DEL|CHECK|STATUS|GC|VERSION ... lxcnet-cni < NETWORK-CONFIG\n"
	      "\n"
	      "The CNI plugin of lxcnet (CNI 0.3.0 to 1.1.0), run by a container runtime.\n"
	      "Environment: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS\n"
	      "(IgnoreUnknown, MAC, IP for IPAM), CNI_PATH (where the IPAM plugin is),\n"
	      "LXCNET_PVE_DIR.\n"
	      "Network configuration keys: bridge or vnet, tag, trunks, rate (MiB/s), mtu,\n"
	      "firewall, ipam, builtinIpam, dns, strict. host-local is done by lxcnet-cni\n"
	      "itself, with the plugin's files and answers (\"builtinIpam\": false runs it).\n"
	      "See lxcnet-hooks(8).\n",
	      f);
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *text = NULL;
	CniConf c = {};
	CniError err = {};
	Env e = {
		.command = getenv("CNI_COMMAND"),
		.container_id = getenv("CNI_CONTAINERID"),
		.netns = getenv("CNI_NETNS"),
		.ifname = getenv("CNI_IFNAME"),
		.args = getenv("CNI_ARGS"),
		.path = getenv("CNI_PATH"),
	};
	int r;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (!e.command || !*e.command) {
		usage(stderr);
		return cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_COMMAND is not set");
	}
	if (strcmp(e.command, "VERSION") == 0)
		return cmd_version();
	ctx.vmid = e.container_id;
	r = read_fd_full(STDIN_FILENO, CNI_CONFIG_MAX, &text, NULL);
	if (r == -EFBIG)
		return cni_fail(CNI_ERR_INVALID_CONFIG, NULL, "the network configuration on stdin is larger than %d bytes", CNI_CONFIG_MAX);
	if (r < 0)
		return cni_fail(CNI_ERR_IO, NULL, "cannot read the network configuration on stdin: %s", strerror(-r));
	r = cni_conf_parse(text, &c, &err);
	if (c.version)
		result_version = c.version;
	for (size_t i = 0; i < c.n_unknown_keys; i++) {
		fprintf(stderr, "lxcnet-cni: warning: unknown key '%s' in the network configuration is ignored"
				" (\"strict\": true refuses it)\n", c.unknown_keys[i]);
		log_ctx(&ctx, LOG_WARNING, "Unknown key '%s' in network configuration '%s' is ignored", c.unknown_keys[i],
			c.name ?: "?");
	}
	if (r < 0)
		r = cni_fail(err.code, NULL, "%s", err.msg);
	else if (parse_args(&e, c.ipam_type != NULL) < 0 || host_local_choose(&c, &e) < 0)
		r = 1;
	else if (strcmp(e.command, "ADD") == 0)
		r = cmd_add(&e, &c);
	else if (strcmp(e.command, "DEL") == 0)
		r = cmd_del(&e, &c);
	else if (strcmp(e.command, "CHECK") == 0)
		r = cmd_check(&e, &c);
	else if (strcmp(e.command, "GC") == 0)
		r = cmd_gc(&e, &c);
	else if (strcmp(e.command, "STATUS") == 0)
		r = cmd_status(&c);
	else
		r = cni_fail(CNI_ERR_INVALID_ENV, NULL, "CNI_COMMAND '%s' is not ADD, DEL, CHECK, STATUS, GC or VERSION", e.command);
	host_local_done(&host_local);
	cni_conf_done(&c);
	free((char *)e.mac);
	return r;
}
