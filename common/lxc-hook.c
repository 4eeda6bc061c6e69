/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "api/notify.h"
#include "lxc-hook.h"
#include "spawn-cmd.h"
#include "lxc-netconf.h"
#include "macro.h"
#include "strutil.h"

void lxc_hook_notify_agent(const char *container, unsigned net, const char *vnet, const NotifyMessage *rep)
{
	const char *path = getenv("LXCNET_NOTIFY_SOCKET");
	NotifyMessage msg = {};

	if (rep)
		msg = *rep;
	snprintf(msg.container, sizeof(msg.container), "%s", container);
	msg.net = net;
	snprintf(msg.vnet, sizeof(msg.vnet), "%s", vnet ? vnet : "");
	notify_send(path && *path ? path : LXCNET_NOTIFY_SOCKET_DEFAULT, &msg);
}

const char *lxc_hook_pve_dir(void)
{
	const char *e = getenv("LXCNET_PVE_DIR");

	return e && *e ? e : LXCNET_PVE_DIR_DEFAULT;
}

const char *lxc_hook_conf_dir(void)
{
	const char *e = getenv("LXCNET_CONF_DIR");

	return e && *e ? e : LXCNET_CONF_DIR_DEFAULT;
}

bool lxc_hook_is_vmid(const char *name)
{
	uint64_t v;

	return name[0] != '0' && parse_uint_range(name, 1, 999999999, &v) == 0;
}

bool lxc_hook_node_wide(int *argc, char ***argv)
{
	if (*argc < 2 || strcmp((*argv)[1], "--node-wide") != 0)
		return false;
	(*argv)[1] = (*argv)[0];
	(*argv)++;
	(*argc)--;
	return true;
}

int lxc_hook_parse(int argc, char **argv, const char *section, HookArgs *ret, Diag *d)
{
	const char *env_type = getenv("LXC_HOOK_TYPE"), *name = getenv("LXC_NAME");
	bool net = strcmp(section, "net") == 0;
	HookArgs a = {};

	if (env_type) {
		/* hook version 1 */
		a.type = env_type;
		a.name = name;
		if (net) {
			const char *peer = getenv("LXC_NET_PEER");

			if (argc < 3 || argc > 4 || strcmp(argv[1], "veth") != 0)
				return diag_error(d, -EINVAL, "unexpected arguments for a version 1 net hook (want: veth [link] host-veth)");
			a.ifname = peer && *peer ? peer : argv[argc - 1];
		}
	} else {
		/* hook version 0: name section type [...] */
		if (argc < 4)
			return diag_error(d, -EINVAL, "unexpected arguments (want: name %s type ...)", section);
		if (strcmp(argv[2], section) != 0)
			return diag_error(d, -EINVAL, "unexpected hook section '%s' (want '%s')", argv[2], section);
		a.name = argv[1];
		a.type = argv[3];
		if (name && strcmp(name, a.name) != 0)
			return diag_error(d, -EINVAL, "container '%s' in the arguments but LXC_NAME is '%s'", a.name, name);
		if (net) {
			/* LXC drops an empty link argument: 5 args without lxc.net.N.link, 6 with it. */
			if ((argc != 6 && argc != 7) || strcmp(argv[4], "veth") != 0)
				return diag_error(d, -EINVAL, "unexpected arguments (want: name net up veth [link] host-veth)");
			a.ifname = argv[argc - 1];
		}
	}
	if (!a.name || !*a.name)
		return diag_error(d, -EINVAL, "no container name (LXC_NAME unset)");
	if (net && (!a.ifname || !*a.ifname))
		return diag_error(d, -EINVAL, "no host interface name");
	*ret = a;
	return 0;
}

int lxc_hook_config_path(const char *name, const char *pve_dir, const char *conf_dir, char **ret)
{
	if (strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return -EINVAL;
	if (lxc_hook_is_vmid(name))
		return asprintf(ret, "%s/lxc/%s.conf", pve_dir, name) < 0 ? -ENOMEM : 0;
	return asprintf(ret, "%s/lxc/%s.conf", conf_dir, name) < 0 ? -ENOMEM : 0;
}

int lxc_hook_net_index(const char *name, const char *ifname)
{
	char ct[IFNAMSIZ];
	unsigned idx;

	if (lxc_netconf_parse_host_ifname(ifname, ct, sizeof(ct), &idx) < 0 || strcmp(ct, name) != 0)
		return -EINVAL;
	return (int)idx;
}

int lxc_hook_run_legacy(const char *command, char **argv)
{
	char self[PATH_MAX], target[PATH_MAX];
	SpawnResult res;
	ssize_t n;
	int r;

	/* lxcnet as its own legacy command (lxcnetaddbr diverted to lxcnet-netup, the default kept): it would loop. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && realpath(command, target)) {
		self[n] = '\0';
		if (strcmp(self, target) == 0)
			return -ELOOP;
	}
	argv[0] = (char *)command;
	r = spawn_run_with(argv, NULL, &(SpawnOptions){ .keep_stdio = true }, &res);
	return r < 0 ? r : res.status;
}
