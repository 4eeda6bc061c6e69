/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxc.net.N.script.up: LXC created the veth pair; plug the host end
 * veth<vmid>i<N> as netN says. A non-zero exit makes LXC delete the veth
 * and fail the start.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lxc-hook.h"
#include "plug.h"
#include "pve-ctconf.h"

int main(int argc, char **argv)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	LogContext ctx = { .identifier = "lxcnet-netup" };
	const char *pve_dir = lxc_hook_pve_dir();
	PlugEnv env = {};
	char netkey[16];
	const PveNet *n;
	PlugTarget t;
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

	r = plug_resolve(&env, n, &t, &d);
	if (r >= 0) {
		ctx.vnet = t.vnet[0] ? t.vnet : NULL;
		r = plug_host_veth(&env, a.ifname, n, &t, &d);
	}
	plug_env_done(&env);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot plug '%s' as %s of container '%s': %s", a.ifname, netkey, a.name, d.msg);
		return 1;
	}
	log_ctx(&ctx, LOG_DEBUG, "Plugged '%s' into bridge '%s'%s", a.ifname, t.bridge, n->link_down ? " (link down)" : "");
	lxc_hook_notify_agent(a.name, (unsigned)idx, t.vnet);
	return 0;
}
