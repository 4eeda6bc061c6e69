/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI runtime hook (crun, runc, podman with an OCI hook): as
 * createRuntime it gives the container the NICs its annotations
 * org.lxcnet.net0 .. org.lxcnet.net31 describe (Proxmox netN syntax), with
 * the peer created straight in /proc/<pid>/ns/net and the host end plugged
 * as lxcnet-netup plugs one; as poststop it removes them.
 *
 * Host ends are named oci<hash of the container id>i<N> and carry the alias
 * "lxcnet-oci <id> net<N>", so that poststop finds them from the id alone:
 * crun passes pid 0 to poststop, and skips it after a createRuntime
 * failure (the container's namespace dies then, taking the pair with it;
 * what the datapath kept for it is removed by lxcnetd on the kernel's
 * RTM_DELLINK, or by the next sweep).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct-netif.h"
#include "log.h"
#include "lxc-hook.h"
#include "nic-change.h"
#include "plug.h"
#include "shaper.h"
#include "strutil.h"

#define ANNOTATION_PREFIX "org.lxcnet."
#define ID_MAX PLUG_OWNER_ID_MAX /* "lxcnet-oci <id> net31" within the alias */

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object, json_object_put);

typedef struct Nic {
	bool present;
	PveNet net;
	PlugTarget target;
	char host_ifname[IFNAMSIZ];
	char alias[LINK_ALIAS_MAX];
	bool added;
} Nic;

typedef struct State {
	const char *id;
	int pid;
	json_object *annotations; /* may be NULL */
} State;

static LogContext ctx = { .identifier = "lxcnet-oci" };

static void usage(FILE *f)
{
	fputs("Usage: lxcnet-oci createRuntime|poststop < STATE\n"
	      "\n"
	      "The OCI hook of lxcnet. Reads the container state JSON on stdin.\n"
	      "  createRuntime  create the NICs described by the annotations\n"
	      "                 org.lxcnet.net0..net31 (Proxmox netN syntax:\n"
	      "                 name=eth0,bridge=vmbr0,tag=100,rate=10,...)\n"
	      "  poststop       remove them (needs only the container id)\n"
	      "\n"
	      "Environment: LXCNET_PVE_DIR (SDN configuration, default /etc/pve),\n"
	      "LXCNET_LOG_LEVEL. Messages go to the journal; errors also to stderr.\n",
	      f);
}

static int parse_state(const char *text, json_object **ret_root, State *ret)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	enum json_tokener_error jerr;
	json_object *v;

	root = json_tokener_parse_verbose(text, &jerr);
	if (!root) {
		log_ctx(&ctx, LOG_ERR, "Cannot read the container state on stdin: %s", json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	if (!json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "id", &v) ||
	    !json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		log_ctx(&ctx, LOG_ERR, "Cannot read the container state on stdin: no \"id\"");
		return -EINVAL;
	}
	*ret = (State){ .id = json_object_get_string(v) };
	if (strlen(ret->id) > ID_MAX || strpbrk(ret->id, " \t\n")) {
		log_ctx(&ctx, LOG_ERR, "Container id '%.40s...' is longer than %d characters or has white space", ret->id, ID_MAX);
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "pid", &v) && json_object_is_type(v, json_type_int))
		ret->pid = json_object_get_int(v);
	if (json_object_object_get_ex(root, "annotations", &v) && json_object_is_type(v, json_type_object))
		ret->annotations = v;
	*ret_root = TAKE_PTR(root);
	return 0;
}

static void nic_names(const State *s, unsigned idx, Nic *nic)
{
	PlugOwner o = { .net = idx };

	plug_hashed_ifname(nic->host_ifname, "oci", s->id, (int)idx);
	snprintf(o.container, sizeof(o.container), "%s", s->id);
	plug_owner_alias(&o, nic->alias, sizeof(nic->alias));
}

/* The NICs the annotations describe; an org.lxcnet.* key that is not netN is a mistake worth failing for. */
static int parse_nics(const State *s, Nic nics[PVE_NET_MAX], unsigned *ret_n)
{
	unsigned n = 0;

	if (!s->annotations) {
		*ret_n = 0;
		return 0;
	}
	json_object_object_foreach(s->annotations, key, val)
	{
		Diag d = {};
		int idx;

		if (strncmp(key, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)) != 0)
			continue;
		idx = pve_net_index_from_key(key + strlen(ANNOTATION_PREFIX));
		if (idx < 0) {
			log_ctx(&ctx, LOG_ERR, "Annotation '%s': unknown (lxcnet reads %snet0 to %snet%d)", key, ANNOTATION_PREFIX,
				ANNOTATION_PREFIX, PVE_NET_MAX - 1);
			return -EINVAL;
		}
		if (!json_object_is_type(val, json_type_string) || pve_net_parse(json_object_get_string(val), &nics[idx].net, &d) < 0) {
			log_ctx(&ctx, LOG_ERR, "Annotation '%s': %s", key, d.msg[0] ? d.msg : "not a string");
			return -EINVAL;
		}
		if (!pve_net_has(&nics[idx].net, PVE_NET_BRIDGE)) {
			log_ctx(&ctx, LOG_ERR, "Annotation '%s': bridge: missing (required)", key);
			return -EINVAL;
		}
		if (!pve_net_has(&nics[idx].net, PVE_NET_HWADDR)) {
			/* As Proxmox does for a new NIC; firewall=1 then filters on this one. */
			ct_netif_random_hwaddr(nics[idx].net.hwaddr);
			nics[idx].net.keys |= 1u << PVE_NET_HWADDR;
		}
		nics[idx].present = true;
		nic_names(s, (unsigned)idx, &nics[idx]);
		n++;
	}
	*ret_n = n;
	return 0;
}

/* A host end left over under our name is removed if it is this container's; anyone else's is a clash. */
static int clear_name(PlugEnv *env, const Nic *nic, Diag *d)
{
	LinkInfo li;
	int r;

	r = plug_owned(env, nic->host_ifname, nic->alias, &li);
	if (r == 0)
		return 0;
	if (r == -EEXIST)
		return diag_error(d, r, "host interface name '%s' is taken by '%s'", nic->host_ifname,
				  li.alias[0] ? li.alias : "an interface that is not lxcnet's");
	if (r < 0)
		return diag_error(d, r, "host interface '%s': %s", nic->host_ifname, strerror(-r));
	log_ctx(&ctx, LOG_INFO, "Removing leftover host interface '%s'", nic->host_ifname);
	return plug_remove(env, nic->host_ifname, NULL);
}

static int create_runtime(const State *s)
{
	Nic nics[PVE_NET_MAX] = {};
	CtNetns ns = { .nsfd = -1 };
	PlugEnv env = {};
	char path[64], netkey[16];
	unsigned n_nics;
	int r, fd;
	Diag d = {};

	if (parse_nics(s, nics, &n_nics) < 0)
		return 1;
	if (n_nics == 0) {
		log_ctx(&ctx, LOG_DEBUG, "Container '%s' has no %snetN annotation: nothing to do", s->id, ANNOTATION_PREFIX);
		return 0;
	}
	if (s->pid <= 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug container '%s': the state has no \"pid\" (run lxcnet-oci as a createRuntime hook)",
			s->id);
		return 1;
	}
	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug container '%s': cannot open rtnetlink: %s", s->id, strerror(-r));
		goto fail;
	}
	/* Everything that can be checked is, before the first change. */
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		if (!nics[i].present)
			continue;
		snprintf(netkey, sizeof(netkey), "net%u", i);
		ctx.net = netkey;
		if (plug_resolve(&env, &nics[i].net, &nics[i].target, &d) < 0 || clear_name(&env, &nics[i], &d) < 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot plug %s of container '%s': %s", netkey, s->id, d.msg);
			goto fail;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", s->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug container '%s': cannot open %s: %m", s->id, path);
		goto fail;
	}
	r = ct_netns_open(fd, &ns, &d);
	close(fd);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug container '%s': %s", s->id, d.msg);
		goto fail;
	}
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		if (!nics[i].present)
			continue;
		snprintf(netkey, sizeof(netkey), "net%u", i);
		ctx.net = netkey;
		ctx.ifname = nics[i].host_ifname;
		ctx.vnet = nics[i].target.vnet[0] ? nics[i].target.vnet : NULL;
		if (nic_change_add_netns(&env, &ns, nics[i].host_ifname, nics[i].alias, &nics[i].net, &nics[i].target, &d) < 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot plug %s of container '%s': %s", netkey, s->id, d.msg);
			goto fail;
		}
		nics[i].added = true;
		log_ctx(&ctx, LOG_INFO, "Plugged %s of container '%s' ('%s' in the container) as '%s' into bridge '%s'", netkey,
			s->id, nics[i].net.name, nics[i].host_ifname, nics[i].target.bridge);
	}
	ct_netns_close(&ns);
	plug_env_done(&env);
	for (unsigned i = 0; i < PVE_NET_MAX; i++)
		plug_target_done(&nics[i].target);
	return 0;

fail:
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		if (nics[i].added)
			(void)plug_remove(&env, nics[i].host_ifname, NULL);
		plug_target_done(&nics[i].target);
	}
	ct_netns_close(&ns);
	plug_env_done(&env);
	return 1;
}

typedef struct Sweep {
	const char *id;
	PlugEnv *env;
	int failures;
} Sweep;

static int remove_ours(struct nl_sock *nl, const char *ifname, void *userdata)
{
	Sweep *s = userdata;
	PlugOwner o;
	LinkInfo li;
	int r;

	/* Another container's id can hash to the same name: its alias tells. */
	if (link_get(nl, ifname, &li) < 0 || plug_owner_parse(li.alias, &o) < 0 || o.cni || strcmp(o.container, s->id) != 0)
		return 0;
	r = plug_remove_detached(s->env, ifname);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot remove host interface '%s' of container '%s': %s", ifname, s->id, strerror(-r));
		s->failures++;
	} else
		log_ctx(&ctx, LOG_INFO, "Removed host interface '%s' of container '%s'", ifname, s->id);
	return 0;
}

static int poststop(const State *s)
{
	PlugEnv env = {};
	Sweep sw = { .id = s->id, .env = &env };
	char prefix[IFNAMSIZ];
	int r;

	r = plug_env_open(&env, lxc_hook_pve_dir());
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot clean up container '%s': cannot open rtnetlink: %s", s->id, strerror(-r));
		plug_env_done(&env);
		return 1;
	}
	plug_hashed_ifname(prefix, "oci", s->id, -1);
	r = link_foreach_prefix(env.nl, "veth", prefix, remove_ours, &sw);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot list interfaces of container '%s': %s", s->id, strerror(-r));
		sw.failures++;
	}
	/* The pair usually died with the container: what the datapath and shaper kept for it goes here. */
	r = plug_sweep(&env);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot sweep stale datapath entries: %s", strerror(-r));
		sw.failures++;
	}
	plug_env_done(&env);
	return sw.failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_free_ char *text = NULL;
	State s;
	int r;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[1], "createRuntime") != 0 && strcmp(argv[1], "poststop") != 0)) {
		usage(stderr);
		return 2;
	}
	r = read_fd_full(STDIN_FILENO, 1024 * 1024, &text, NULL);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot read the container state on stdin: %s", strerror(-r));
		return 1;
	}
	if (parse_state(text, &root, &s) < 0)
		return 1;
	ctx.vmid = s.id;
	return strcmp(argv[1], "createRuntime") == 0 ? create_runtime(&s) : poststop(&s);
}
