/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxc.hook.pre-start: validate every netN of the container that lxcnet
 * plugs (the rollout phase gives the others to the legacy command) before
 * LXC creates anything, and refuse the start on the first problem with one
 * journal message naming the container, netN, key and reason.
 *
 * With --node-wide first (the hook every container on a Proxmox node gets
 * from /usr/share/lxc/config/common.conf.d, lxcnet-hooks(8)), a container
 * without a config lxcnet reads is not lxcnet's: it starts untouched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lxc-hook.h"
#include "lxcnet-conf.h"
#include "plug.h"
#include "pve-ctconf.h"

int main(int argc, char **argv)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *conf = NULL;
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	LogContext ctx = { .identifier = "lxcnet-prestart" };
	bool node_wide = lxc_hook_node_wide(&argc, &argv);
	const char *pve_dir = lxc_hook_pve_dir();
	PlugEnv env = {};
	unsigned order[PVE_NET_MAX];
	char netkey[16];
	HookArgs a;
	Diag d = {};
	int r;

	r = lxc_hook_parse(argc, argv, "lxc", &a, &d);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Refusing to start: %s", d.msg);
		return 1;
	}
	ctx.vmid = a.name;
	if (lxc_hook_config_path(a.name, pve_dir, lxc_hook_conf_dir(), &path) < 0) {
		log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': invalid container name", a.name);
		return 1;
	}
	if (lxcnet_conf_load(lxc_hook_conf_dir(), &conf, &d) < 0) {
		log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': %s", a.name, d.msg);
		return 1;
	}
	/* Phase legacy: the node runs Proxmox's code unchanged. */
	if (node_wide && conf->phase == PHASE_LEGACY)
		return 0;
	r = ct_config_load(path, &c, &d);
	if (r == -ENOENT && node_wide)
		return 0; /* not a container lxcnet knows */
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': %s", a.name, d.msg);
		return 1;
	}
	r = plug_env_open(&env, pve_dir);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': cannot open rtnetlink: %s", a.name, strerror(-r));
		plug_env_done(&env);
		return 1;
	}

	env.fw_mode = conf->firewall;
	env.fw_quiet = true; /* lxcnet-netup says it when it plugs */
	pve_net_key_order(order);
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		const PveNet *n = &c->nets[order[i]].net;
		RolloutDecision dec;
		_cleanup_(plug_target_done) PlugTarget t = {};

		if (!c->nets[order[i]].present)
			continue;
		snprintf(netkey, sizeof(netkey), "net%u", order[i]);
		/* What the legacy command plugs is its to judge. */
		(void)plug_net_up_decision(&env, conf, n, &dec);
		if (dec.path != PATH_LXCNET)
			continue;
		ctx.net = netkey;
		ctx.vnet = NULL;
		for (unsigned j = 0; j < i; j++)
			if (c->nets[order[j]].present && strcmp(c->nets[order[j]].net.name, n->name) == 0) {
				log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': %s: name: '%s' is already used by net%u",
					a.name, netkey, n->name, order[j]);
				plug_env_done(&env);
				return 1;
			}
		r = plug_resolve_nic(&env, a.name, order[i], n, &t, NULL, &d);
		if (r < 0) {
			log_ctx(&ctx, LOG_ERR, "Refusing to start container '%s': %s: %s", a.name, netkey, d.msg);
			plug_env_done(&env);
			return 1;
		}
	}
	plug_env_done(&env);
	return 0;
}
