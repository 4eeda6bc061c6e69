/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxc.hook.post-stop: remove everything lxcnet set up for the container.
 * Runs after every stop and after a failed start (when LXC runs no down
 * scripts), so it must be idempotent and must not depend on the config.
 * Its state on the host: the host veths veth<name>i<N> (which normally die
 * with the container's netns), the firewall bridges fwbr<name>i<N> with
 * their fwln/fwpr pairs (which do not), the datapath entries keyed by
 * ifindex and the ifb shaper devices of rated ports, which outlive them and
 * are swept.
 *
 * It deletes a container's host interfaces, so it acts only as what it is:
 * run as a post-stop hook (hook type "post-stop") of a container LXC
 * reports stopped. Run by hand on a running container it removes nothing.
 *
 * --node-wide first: the hook every container of a Proxmox node gets from
 * /usr/share/lxc/config/common.conf.d. The same work: it touches only
 * lxcnet's names and tolerates Proxmox's hooks having deleted them first.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <lxc/lxccontainer.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "lxc-hook.h"
#include "netlink-link.h"
#include "plug.h"
#include "strutil.h"

typedef struct Ctx {
	const char *name;
	LogContext *log;
	int failures;
} Ctx;

static int remove_leftover(struct nl_sock *nl, const char *ifname, void *userdata)
{
	Ctx *c = userdata;
	char veth[IFNAMSIZ];
	int r;

	/* veth<name>i<N>, or the fwln<name>i<N> and fwbr<name>i<N> of its firewall bridge (fw-bridge.h). */
	snprintf(veth, sizeof(veth), "veth%s", ifname + 4);
	if (lxc_hook_net_index(c->name, veth) < 0)
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

/* A process that exists and has not exited (a zombie has). */
static bool pid_alive(pid_t pid)
{
	_cleanup_free_ char *path = NULL, *stat = NULL;
	const char *paren;

	if (pid <= 0 || asprintf(&path, "/proc/%d/stat", (int)pid) < 0 || read_full_file(path, 4096, &stat, NULL) < 0)
		return false;
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/*
 * Ask LXC (its lxcpath is where LXC_CONFIG_FILE is, <lxcpath>/<name>/config), for at most 2 s.
 * liblxc is loaded here only, in the child that asks: as LXC's hook (nearly
 * always) the hook does not load it and the 6 libraries it needs.
 */
static bool lxc_says_stopped(const char *name)
{
	const char *config = getenv("LXC_CONFIG_FILE");
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		_cleanup_free_ char *copy = config ? strdup(config) : NULL;
		void *lib = dlopen("liblxc.so.1", RTLD_NOW | RTLD_LOCAL);
		struct lxc_container *(*container_new)(const char *, const char *) = NULL;
		struct lxc_container *c;

		if (lib)
			*(void **)&container_new = dlsym(lib, "lxc_container_new");
		if (!container_new) {
			const char *why = dlerror();

			fprintf(stderr, "lxcnet-poststop: cannot ask LXC whether '%s' runs: %s\n", name, why ? why : "no liblxc.so.1");
			_exit(1);
		}
		/* A monitor busy running hooks does not answer: that is no "stopped". */
		alarm(2);
		c = container_new(name, copy ? dirname(dirname(copy)) : NULL);
		_exit(c && !c->is_running(c) ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Is the container really stopped? LXC's own post-stop sets LXC_PID (the
 * container's init, gone by then) once the init existed; without it, LXC's
 * hook environment (LXC_HOOK_VERSION, LXC_TARGET) means the start failed
 * before there was an init. Run any other way, LXC is asked.
 */
static bool container_stopped(const char *name)
{
	const char *pid = getenv("LXC_PID");
	uint64_t n;

	if (pid && *pid)
		return parse_uint_range(pid, 1, INT32_MAX, &n) >= 0 && !pid_alive((pid_t)n);
	if (getenv("LXC_HOOK_VERSION") && getenv("LXC_TARGET"))
		return true;
	return lxc_says_stopped(name);
}

int main(int argc, char **argv)
{
	_cleanup_(nl_socket_freep) struct nl_sock *nl = NULL;
	/* veth<name>i<N> is any kind: whatever holds such a name after a failed start is in the way of the next. */
	static const char *const kinds[][2] = { { "veth", NULL }, { "fwln", "veth" }, { "fwbr", "bridge" } };
	LogContext ctx = { .identifier = "lxcnet-poststop" };
	char prefix[IFNAMSIZ + 8];
	HookArgs a;
	Diag d = {};
	Ctx c = { .log = &ctx };
	int r;

	(void)lxc_hook_node_wide(&argc, &argv); /* the same work either way */
	r = lxc_hook_parse(argc, argv, "lxc", &a, &d);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot clean up: %s", d.msg);
		return 1;
	}
	ctx.vmid = c.name = a.name;
	if (!a.type || strcmp(a.type, "post-stop") != 0) {
		log_ctx(&ctx, LOG_ERR, "Not cleaning up container '%s': lxcnet-poststop runs as lxc.hook.post-stop, not as hook type '%s'",
			a.name, a.type ? a.type : "");
		return 1;
	}
	if (!container_stopped(a.name)) {
		log_ctx(&ctx, LOG_ERR, "Not cleaning up container '%s': it is running", a.name);
		return 1;
	}
	r = netlink_open(&nl);
	if (r < 0) {
		log_ctx(&ctx, LOG_ERR, "Cannot clean up container '%s': cannot open rtnetlink: %s", a.name, strerror(-r));
		return 1;
	}
	/* The veths, then the firewall bridges: each pair through fwln (its fwpr goes with it), then the bridge. */
	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		snprintf(prefix, sizeof(prefix), "%s%si", kinds[i][0], a.name);
		r = link_foreach_prefix(nl, kinds[i][1], prefix, remove_leftover, &c);
		if (r < 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot list interfaces of container '%s': %s", a.name, strerror(-r));
			return 1;
		}
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
