/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxc.hook.post-stop: remove everything lxcnet set up for the container.
 * Runs after every stop and after a failed start (when LXC runs no down
 * scripts), so it must be idempotent and must not depend on the config.
 * Its state on the host: the host veths veth<name>i<N> (which normally die
 * with the container's netns), their datapath entries keyed by ifindex and
 * the ifb shaper devices of rated ports, which outlive them and are swept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lxc-hook.h"
#include "netlink-link.h"
#include "plug.h"

typedef struct Ctx {
	const char *name;
	LogContext *log;
	int failures;
} Ctx;

static int remove_leftover(struct nl_sock *nl, const char *ifname, void *userdata)
{
	Ctx *c = userdata;
	int r;

	if (lxc_hook_net_index(c->name, ifname) < 0)
		return 0; /* veth1000i0 is not container 100's */
	r = link_delete(nl, ifname);
	if (r < 0 && r != -ENODEV) {
		c->log->ifname = ifname;
		log_ctx(c->log, LOG_ERR, "Cannot remove leftover interface '%s': %s", ifname, strerror(-r));
		c->failures++;
	} else if (r >= 0)
		log_ctx(c->log, LOG_INFO, "Removed leftover interface '%s'", ifname);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(nl_socket_freep) struct nl_sock *nl = NULL;
	LogContext ctx = { .identifier = "lxcnet-poststop" };
	char prefix[IFNAMSIZ + 8];
	HookArgs a;
	Diag d = {};
	Ctx c = { .log = &ctx };
	int r;

	r = lxc_hook_parse(argc, argv, "lxc", &a, &d);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot clean up: %s", d.msg);
		return 1;
	}
	ctx.vmid = c.name = a.name;
	r = netlink_open(&nl);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot clean up container '%s': cannot open rtnetlink: %s", a.name, strerror(-r));
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "veth%si", a.name);
	r = link_foreach_prefix(nl, prefix, remove_leftover, &c);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot list interfaces of container '%s': %s", a.name, strerror(-r));
		return 1;
	}

	/* Shaper ifbs, policies and counters of interfaces that are gone (this container's and any other's). */
	{
		PlugEnv env = { .nl = TAKE_PTR(nl) };

		r = plug_sweep(&env);
		if (r < 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot remove stale datapath entries and shaper devices: %s", strerror(-r));
			c.failures++;
		}
		plug_env_done(&env);
	}
	return c.failures ? 1 : 0;
}
