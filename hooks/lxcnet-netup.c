/*
 * Plug a container's host veths as its netN lines say, or hand them to the
 * legacy command when the rollout phase in lxcnet.conf says so. Two ways to
 * be wired:
 *  - lxc.net.N.script.up: LXC created one veth pair; plug veth<vmid>i<N>.
 *  - lxc.hook.start-host: LXC created every pair and moved the peers into
 *    the container, which has not started yet; plug every netN in one run
 *    (one process per start instead of one per NIC).
 * A non-zero exit makes LXC fail the start (and delete the veths).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "lxc-hook.h"
#include "lxc-netconf.h"
#include "lxcnet-conf.h"
#include "plug.h"
#include "pve-ctconf.h"

/* The legacy command in our place; true when it plugged the NIC. */
static bool run_legacy(LogContext *ctx, const char *command, char **argv)
{
	int r = lxc_hook_run_legacy(command, argv);

	if (r == -ELOOP)
		log_ctx(ctx, LOG_ERR, "Cannot run legacy command '%s': it is lxcnet-netup itself (lxcnetaddbr diverted to "
			"lxcnet?); Proxmox's original is %s", command, LXCNET_LEGACY_NET_UP_DIVERTED);
	else if (r < 0)
		log_ctx(ctx, LOG_ERR, "Cannot run legacy command '%s': %s", command, strerror(-r));
	else if (r > 0)
		log_ctx(ctx, LOG_ERR, "Legacy command '%s' failed (exit status %d)", command, r);
	return r == 0;
}

/* One NIC: netN of container name, host end ifname; legacy_argv is what the legacy command gets. 0 or -1 (logged). */
static int net_up(const char *name, unsigned idx, const char *ifname, const LxcnetConf *conf, const CtConfig *c,
		  PlugEnv *env, char **legacy_argv)
{
	LogContext ctx = { .identifier = "lxcnet-netup", .vmid = name, .ifname = ifname };
	uint64_t start = clock_usec(CLOCK_MONOTONIC);
	NotifyMessage rep = { .report = true, .op = ROP_NET_UP };
	const PveNet *n = &c->nets[idx].net;
	RolloutDecision dec;
	bool is_vnet;
	char netkey[16];
	_cleanup_(plug_target_done) PlugTarget t = {};
	Diag d = {};
	int r;

	snprintf(netkey, sizeof(netkey), "net%u", idx);
	ctx.net = netkey;

	is_vnet = plug_net_up_decision(env, conf, n, &dec);
	rep.path = dec.path;
	log_ctx(&ctx, LOG_INFO, "%s of container '%s' ('%s'): %s plugs it, %s%s", netkey, name, ifname,
		dec.path == PATH_LXCNET ? "lxcnet" : conf->legacy_net_up, dec.reason,
		dec.path == PATH_LXCNET ? (dec.fallback ? ", falls back to the legacy command" : ", no fallback") : "");

	if (dec.path != PATH_LXCNET) {
		rep.ok = run_legacy(&ctx, conf->legacy_net_up, legacy_argv);
		rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
		/* Phase legacy: lxcnet stays out of it, the agent included. */
		if (dec.path == PATH_OBSERVE)
			lxc_hook_notify_agent(name, idx, is_vnet ? n->bridge : NULL, &rep);
		return rep.ok ? 0 : -1;
	}

	r = plug_resolve_nic(env, name, idx, n, &t, NULL, &d);
	if (r >= 0) {
		ctx.vnet = t.vnet[0] ? t.vnet : NULL;
		r = plug_host_veth(env, ifname, n, &t, &d);
	}
	if (r < 0 && dec.fallback) {
		/* plug_host_veth() undid its steps: the legacy command finds the veth as LXC made it. */
		log_ctx(&ctx, LOG_WARNING, "Cannot plug '%s' as %s of container '%s': %s; falling back to '%s'", ifname, netkey,
			name, d.msg, conf->legacy_net_up);
		rep.fallback = true; /* counted on the lxcnet path, which fell back */
		rep.ok = run_legacy(&ctx, conf->legacy_net_up, legacy_argv);
		rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
		lxc_hook_notify_agent(name, idx, is_vnet ? n->bridge : NULL, &rep);
		return rep.ok ? 0 : -1;
	}
	rep.ok = r >= 0;
	rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s' as %s of container '%s': %s", ifname, netkey, name, d.msg);
		lxc_hook_notify_agent(name, idx, NULL, &rep);
		return -1;
	}
	log_ctx(&ctx, LOG_DEBUG, "Plugged '%s' into bridge '%s'%s", ifname, t.bridge, n->link_down ? " (link down)" : "");
	lxc_hook_notify_agent(name, idx, t.vnet, &rep);
	return 0;
}

/* lxc.hook.start-host, in either hook convention. */
static bool is_start_host(int argc, char **argv)
{
	const char *type = getenv("LXC_HOOK_TYPE");

	if (type)
		return strcmp(type, "start-host") == 0;
	return argc == 4 && strcmp(argv[2], "lxc") == 0 && strcmp(argv[3], "start-host") == 0;
}

/*
 * The legacy command runs as LXC would have run it as netN's script.up:
 * "<name> net up veth <ifname>" (hook version 0), or "veth <ifname>" with
 * LXC_HOOK_TYPE=up, LXC_HOOK_SECTION=net and LXC_NET_PEER (version 1).
 */
static void legacy_net_up_args(const char *name, const char *ifname, char **argv)
{
	if (getenv("LXC_HOOK_TYPE")) {
		setenv("LXC_HOOK_TYPE", "up", 1);
		setenv("LXC_HOOK_SECTION", "net", 1);
		setenv("LXC_NET_TYPE", "veth", 1);
		setenv("LXC_NET_PEER", ifname, 1);
		argv[1] = (char *)"veth";
		argv[2] = (char *)ifname;
		argv[3] = NULL;
		return;
	}
	argv[1] = (char *)name;
	argv[2] = (char *)"net";
	argv[3] = (char *)"up";
	argv[4] = (char *)"veth";
	argv[5] = (char *)ifname;
	argv[6] = NULL;
}

int main(int argc, char **argv)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *conf = NULL;
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	LogContext ctx = { .identifier = "lxcnet-netup" };
	const char *pve_dir = lxc_hook_pve_dir();
	bool start_host = is_start_host(argc, argv);
	PlugEnv env = {};
	HookArgs a;
	Diag d = {};
	int r, idx = -1;

	r = lxc_hook_parse(argc, argv, start_host ? "lxc" : "net", &a, &d);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug: %s", d.msg);
		return 1;
	}
	ctx.vmid = a.name;
	ctx.ifname = a.ifname;
	if (!start_host) {
		if (strcmp(a.type, "up") != 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': called as a '%s' script, not 'up'", a.ifname, a.type);
			return 1;
		}
		idx = lxc_hook_net_index(a.name, a.ifname);
		if (idx < 0) {
			log_ctx(&ctx, LOG_ERR,
				"Cannot plug '%s': not named veth%si<N> (set lxc.net.N.veth.pair, see lxcnetctl lxc-config)",
				a.ifname, a.name);
			return 1;
		}
	}

	if (lxcnet_conf_load(lxc_hook_conf_dir(), &conf, &d) < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug%s%s: %s", a.ifname ? " " : "", a.ifname ?: "", d.msg);
		return 1;
	}
	if (lxc_hook_config_path(a.name, pve_dir, lxc_hook_conf_dir(), &path) < 0 || ct_config_load(path, &c, &d) < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug the NICs of container '%s': %s", a.name, path ? d.msg : "invalid container name");
		return 1;
	}
	if (!start_host && !c->nets[idx].present) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': %s has no net%d", a.ifname, c->name, idx);
		return 1;
	}

	r = plug_env_open(&env, pve_dir);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug the NICs of container '%s': cannot open rtnetlink: %s", a.name, strerror(-r));
		plug_env_done(&env);
		return 1;
	}
	env.fw_mode = conf->firewall;
	if (!start_host)
		r = net_up(a.name, (unsigned)idx, a.ifname, conf, c, &env, argv);
	else
		/* Every NIC in turn; the first failure fails the start, and lxcnet-poststop removes what was plugged. */
		for (unsigned i = 0; i < PVE_NET_MAX && r >= 0; i++) {
			char ifname[IFNAMSIZ], *legacy_argv[7] = { argv[0] };

			if (!c->nets[i].present)
				continue;
			if (lxc_netconf_host_ifname(a.name, i, ifname) < 0 || !if_nametoindex(ifname)) {
				ctx.ifname = NULL;
				log_ctx(&ctx, LOG_ERR,
					"Cannot plug net%u of container '%s': no host interface 'veth%si%u' (each netN needs lxc.net.%u "
					"with veth.pair, see lxcnetctl lxc-config --start-host)",
					i, a.name, a.name, i, i);
				r = -1;
				break;
			}
			legacy_net_up_args(a.name, ifname, legacy_argv);
			r = net_up(a.name, i, ifname, conf, c, &env, legacy_argv);
		}
	plug_env_done(&env);
	return r < 0 ? 1 : 0;
}
