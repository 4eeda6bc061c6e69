/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxc.net.N.script.up: LXC created the veth pair; plug the host end
 * veth<vmid>i<N> as netN says, or hand it to the legacy command when the
 * rollout phase in lxcnet.conf says so. A non-zero exit makes LXC delete
 * the veth and fail the start.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "lxc-hook.h"
#include "lxcnet-conf.h"
#include "plug.h"
#include "pve-ctconf.h"

/* The legacy command in our place; true when it plugged the NIC. */
static bool run_legacy(LogContext *ctx, const char *command, char **argv)
{
	int r = lxc_hook_run_legacy(command, argv);

	if (r < 0)
		log_ctx(ctx, LOG_ERR, "Cannot run legacy command '%s': %s", command, strerror(-r));
	else if (r > 0)
		log_ctx(ctx, LOG_ERR, "Legacy command '%s' failed (exit status %d)", command, r);
	return r == 0;
}

int main(int argc, char **argv)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *conf = NULL;
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	LogContext ctx = { .identifier = "lxcnet-netup" };
	const char *pve_dir = lxc_hook_pve_dir();
	uint64_t start = clock_usec(CLOCK_MONOTONIC);
	HookReport rep = { .op = "net-up" };
	RolloutDecision dec;
	bool is_vnet = false;
	PlugEnv env = {};
	char netkey[16];
	const PveNet *n;
	PlugTarget t = {};
	HookArgs a;
	Diag d = {};
	int r, idx;

	r = lxc_hook_parse(argc, argv, "net", &a, &d);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug: %s", d.msg);
		return 1;
	}
	ctx.vmid = a.name;
	ctx.ifname = a.ifname;
	if (strcmp(a.type, "up") != 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': called as a '%s' script, not 'up'", a.ifname, a.type);
		return 1;
	}
	idx = lxc_hook_net_index(a.name, a.ifname);
	if (idx < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': not named veth%si<N> (set lxc.net.N.veth.pair, see lxcnetctl lxc-config)",
			a.ifname, a.name);
		return 1;
	}
	snprintf(netkey, sizeof(netkey), "net%d", idx);
	ctx.net = netkey;

	if (lxcnet_conf_load(lxc_hook_conf_dir(), &conf, &d) < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': %s", a.ifname, d.msg);
		return 1;
	}
	if (lxc_hook_config_path(a.name, pve_dir, lxc_hook_conf_dir(), &path) < 0 || ct_config_load(path, &c, &d) < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': %s", a.ifname, path ? d.msg : "invalid container name");
		return 1;
	}
	if (!c->nets[idx].present) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': %s has no %s", a.ifname, c->name, netkey);
		return 1;
	}
	n = &c->nets[idx].net;

	r = plug_env_open(&env, pve_dir);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s': cannot open rtnetlink: %s", a.ifname, strerror(-r));
		plug_env_done(&env);
		return 1;
	}

	/* Which class of NIC this is matters only below phase full (reading the SDN config costs). */
	if (conf->phase < PHASE_FULL && pve_net_has(n, PVE_NET_BRIDGE))
		is_vnet = plug_names_vnet(&env, n->bridge);
	rollout_decide(conf, ROP_NET_UP, rollout_nic_class(n, is_vnet), &dec);
	rep.path = rollout_path_name(dec.path);
	log_ctx(&ctx, LOG_INFO, "%s of container '%s' ('%s'): %s plugs it, %s%s", netkey, a.name, a.ifname,
		dec.path == PATH_LXCNET ? "lxcnet" : conf->legacy_net_up, dec.reason,
		dec.path == PATH_LXCNET ? (dec.fallback ? ", falls back to the legacy command" : ", no fallback") : "");

	if (dec.path != PATH_LXCNET) {
		plug_env_done(&env);
		rep.ok = run_legacy(&ctx, conf->legacy_net_up, argv);
		rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
		/* Phase legacy: lxcnet stays out of it, the agent included. */
		if (dec.path == PATH_OBSERVE)
			lxc_hook_notify_agent(a.name, (unsigned)idx, is_vnet ? n->bridge : NULL, &rep);
		return rep.ok ? 0 : 1;
	}

	r = plug_resolve(&env, n, &t, &d);
	if (r >= 0) {
		ctx.vnet = t.vnet[0] ? t.vnet : NULL;
		r = plug_host_veth(&env, a.ifname, n, &t, &d);
	}
	plug_env_done(&env);
	if (r < 0 && dec.fallback) {
		/* plug_host_veth() undid its steps: the legacy command finds the veth as LXC made it. */
		log_ctx(&ctx, LOG_WARNING, "Cannot plug '%s' as %s of container '%s': %s; falling back to '%s'", a.ifname, netkey,
			a.name, d.msg, conf->legacy_net_up);
		rep.fallback = true; /* counted on the lxcnet path, which fell back */
		rep.ok = run_legacy(&ctx, conf->legacy_net_up, argv);
		rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
		lxc_hook_notify_agent(a.name, (unsigned)idx, is_vnet ? n->bridge : NULL, &rep);
		return rep.ok ? 0 : 1;
	}
	rep.ok = r >= 0;
	rep.usec = clock_usec(CLOCK_MONOTONIC) - start;
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s' as %s of container '%s': %s", a.ifname, netkey, a.name, d.msg);
		lxc_hook_notify_agent(a.name, (unsigned)idx, NULL, &rep);
		return 1;
	}
	log_ctx(&ctx, LOG_DEBUG, "Plugged '%s' into bridge '%s'%s", a.ifname, t.bridge, n->link_down ? " (link down)" : "");
	lxc_hook_notify_agent(a.name, (unsigned)idx, t.vnet, &rep);
	return 0;
}
