/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hotplug, in a worker thread: add, remove or update netN of a running
 * container. Order: check everything that can be checked, change the
 * kernel, then write the one netN line under Proxmox's config lock (held
 * throughout). A failure after the first kernel change puts the kernel
 * back as it was; the file is only written when everything else worked.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <lxc/lxccontainer.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ct-netif.h"
#include "helper.h"
#include "log.h"
#include "lxc-netconf.h"
#include "lxc-hook.h"
#include "manager.h"
#include "nic-change.h"
#include "plug.h"
#include "plugins.h"
#include "pve-ctconf.h"
#include "shaper.h"
#include "strutil.h"

typedef struct Hotplug {
	Manager *m;
	Operation *op;
	CtConfig *config; /* loaded under the lock, for the one write */
	PlugEnv env;
	CtNetns ns;
	LinkDeletion del; /* the last host link deleted, until the kernel has freed it */
	int pidfd;	  /* the container's init */
	char host_ifname[IFNAMSIZ];
} Hotplug;

/* The running container's init as a pidfd; -ESRCH when it does not run. */
static int container_pidfd(Manager *m, const char *name, int *ret, Diag *d)
{
	struct lxc_container *c;
	int fd = -1;

	pthread_mutex_lock(&m->lxc_lock);
	c = lxc_container_new(name, m->lxc_path);
	if (c && c->is_running(c)) {
		fd = c->init_pidfd(c);
		if (fd < 0) {
			pid_t pid = c->init_pid(c);

			fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
		}
	}
	if (c)
		lxc_container_put(c);
	pthread_mutex_unlock(&m->lxc_lock);
	if (fd < 0)
		return diag_error(d, -ESRCH, "Container '%s' is not running", name);
	*ret = fd;
	return 0;
}

/*
 * Take the host port out of the datapath and delete the pair (the
 * container's end goes with it). Returns once both ends are gone from every
 * view; hotplug_run() waits for the kernel to free them after the outcome
 * is reported.
 */
static void unplug_delete(Hotplug *h)
{
	(void)plug_remove(&h->env, h->host_ifname, &h->del);
}


/* A test holds the operation before its write (helper.h): its step says so. */
static void hold(Hotplug *h)
{
	if (test_hold_armed())
		operation_step(h->m, h->op, "held");
	test_hold();
}

/* The container can stop at any time; its namespace lives on while we hold it, so ask its init. */
static bool container_stopped(Hotplug *h)
{
	struct pollfd p = { .fd = h->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static const char *error_name(int r)
{
	return r == -ESRCH ? LXCNET_ERR_NO_SUCH_CONTAINER : LXCNET_ERR_FAILED;
}

/* Only for a container that still runs: the file must say what it runs with. */
static int write_config(Hotplug *h, CtConfig *c, const PveNet *n, Diag *d)
{
	int r;

	hold(h);
	if (container_stopped(h))
		return diag_error(d, -ESRCH, "Container '%s' stopped during the operation", h->op->container);
	operation_step(h->m, h->op, "writing the configuration");
	r = ct_config_set_net(c, h->op->net, n, d);
	if (r >= 0)
		r = ct_config_save(c, d);
	return r;
}

/*
 * The operation's intent, <state-dir>/operations/<ct>.net<N> with its kind,
 * from before its first kernel change until it is done or rolled back: a
 * crash in between leaves it for hotplug_settle() at the next start.
 */
static int intent_path(Manager *m, const char *container, unsigned net, char **ret)
{
	return asprintf(ret, "%s/operations/%s.net%u", m->state_dir, container, net) < 0 ? -ENOMEM : 0;
}

static void intent_begin(Hotplug *h, const PveNet *new)
{
	_cleanup_free_ char *path = NULL, *dir = NULL, *spec = NULL, *text = NULL;
	const char *kind = operation_kind_name(h->op->kind);

	if (asprintf(&dir, "%s/operations", h->m->state_dir) < 0 || intent_path(h->m, h->op->container, h->op->net, &path) < 0)
		return;
	(void)mkdir(dir, 0700);
	/* An update also says what it changes the NIC to: a crash leaves the container's end that way. */
	if (h->op->kind == OP_UPDATE && pve_net_format(new, &spec) >= 0 && asprintf(&text, "%s\n%s\n", kind, spec) >= 0)
		kind = text;
	/* Best effort: without it a crash is settled by reconciliation alone. */
	if (write_file_sync(path, 0600, kind, strlen(kind)) < 0)
		log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = h->op->container }, LOG_WARNING,
			"Cannot record hotplug %s of net%u of container '%s' in '%s'", kind, h->op->net, h->op->container, path);
}

static void intent_end(Manager *m, const char *container, unsigned net)
{
	_cleanup_free_ char *path = NULL;

	if (intent_path(m, container, net, &path) >= 0)
		(void)unlink(path);
}

static void rollback_failed(Hotplug *h, const Diag *d)
{
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = h->op->container, .ifname = h->host_ifname }, LOG_ERR,
		"Cannot put '%s' back as it was: %s", h->host_ifname, d->msg);
}

/* The transaction's steps (nic-change.h), on this operation's container. */
static int op_create(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d)
{
	Hotplug *h = userdata;

	return plug_netns_add(&h->env, &h->ns, h->host_ifname, NULL, n, t, d);
}

static void op_destroy(void *userdata)
{
	unplug_delete(userdata);
}

static int op_replug(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d)
{
	Hotplug *h = userdata;

	return plug_host_veth(&h->env, h->host_ifname, n, t, d);
}

static int op_update_ct(void *userdata, const PveNet *from, const PveNet *to, uint32_t mtu, Diag *d)
{
	Hotplug *h = userdata;

	return ct_netif_update(&h->ns, from, to, mtu, d);
}

static int op_write(void *userdata, const PveNet *n, Diag *d)
{
	Hotplug *h = userdata;

	return write_config(h, h->config, n, d);
}

static void op_step(void *userdata, const char *step)
{
	Hotplug *h = userdata;

	operation_step(h->m, h->op, step);
}

static void op_undo_failed(void *userdata, const Diag *d)
{
	rollback_failed(userdata, d);
}

static const NicChangeOps hotplug_ops = {
	.create = op_create,
	.destroy = op_destroy,
	.replug = op_replug,
	.update_ct = op_update_ct,
	.write = op_write,
	.step = op_step,
	.undo_failed = op_undo_failed,
};

static int run_kernel(Hotplug *h, Diag *d);

static int run(Hotplug *h, Diag *d)
{
	int r = run_kernel(h, d);

	/* Done, or every change undone: nothing to settle. */
	intent_end(h->m, h->op->container, h->op->net);
	return r;
}

static int run_kernel(Hotplug *h, Diag *d)
{
	Operation *op = h->op;
	Manager *m = h->m;
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	/* Taken before the worker started (operation.c); released when run() returns, before any legacy fallback. */
	_cleanup_close_ int lock_fd = TAKE_FD(op->lock_fd);
	_cleanup_(plug_target_done) PlugTarget t = {}, told = {};
	/* Parsed once, when the request came (hotplug_validate()). */
	PveNet new = op->nic, old = {};
	bool have_old, told_ok = false, invalid;
	NicChange nc;
	Diag dr = {};
	LinkInfo li;
	int r;

	operation_step(m, op, "checking");
	/* The bus handler checked that it fits. */
	if (lxc_netconf_host_ifname(op->container, op->net, h->host_ifname) < 0)
		return operation_fail(m, op, LXCNET_ERR_INVALID_ARGUMENT, -ENAMETOOLONG, NULL);
	r = container_pidfd(m, op->container, &h->pidfd, d);
	if (r < 0)
		return operation_fail(m, op, LXCNET_ERR_NO_SUCH_CONTAINER, r, d);
	if (lxc_hook_config_path(op->container, m->pve_dir, m->conf_dir, &path) < 0)
		return operation_fail(m, op, LXCNET_ERR_FAILED, -ENOMEM, NULL);
	if (lock_fd < 0) {
		r = ct_config_lock(CT_CONFIG_LOCK_DIR, op->container, 0, &lock_fd, d);
		if (r < 0)
			return operation_fail(m, op, r == -ETIMEDOUT ? LXCNET_ERR_BUSY : LXCNET_ERR_FAILED, r, d);
	}
	r = ct_config_load(path, &c, d);
	if (r < 0)
		return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG, r, d);
	have_old = c->nets[op->net].present;
	if (have_old)
		old = c->nets[op->net].net;
	if (op->kind == OP_ADD && have_old)
		return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG,
				      diag_error(d, -EEXIST, "%s: net%u exists already (update or remove it)", c->name, op->net), d);
	if (op->kind != OP_ADD && !have_old)
		return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG, diag_error(d, -ENOENT, "%s: has no net%u", c->name, op->net),
				      d);

	if (op->kind != OP_REMOVE) {
		/* No hwaddr: an update keeps the NIC's, an addition gets one like Proxmox makes them. */
		if (!pve_net_has(&new, PVE_NET_HWADDR)) {
			if (have_old && pve_net_has(&old, PVE_NET_HWADDR))
				memcpy(new.hwaddr, old.hwaddr, 6);
			else
				ct_netif_random_hwaddr(new.hwaddr);
			new.keys |= 1u << PVE_NET_HWADDR;
		}
		for (unsigned i = 0; i < PVE_NET_MAX; i++)
			if (i != op->net && c->nets[i].present && strcmp(c->nets[i].net.name, new.name) == 0)
				return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG,
						      diag_error(d, -EEXIST, "name: '%s' is already the name of net%u", new.name, i), d);
	}

	r = ct_netns_open(h->pidfd, &h->ns, d);
	if (r == -EINVAL) {
		diag_prefix(d, "container '%s' shares the host's network namespace (lxc.net.0.type = none?): ", op->container);
		return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG, r, d);
	}
	if (r < 0)
		return operation_fail(m, op, error_name(r), r, d);
	if (op->kind != OP_REMOVE) {
		r = plug_resolve_nic(&h->env, op->container, op->net, &new, &t, &invalid, d);
		if (r < 0)
			return operation_fail(m, op, invalid ? LXCNET_ERR_INVALID_CONFIG : LXCNET_ERR_FAILED, r, d);
	}
	if (have_old)
		told_ok = plug_resolve_nic(&h->env, op->container, op->net, &old, &told, &invalid, &dr) >= 0;
	nc = (NicChange){
		.kind = op->kind == OP_ADD ? NIC_CHANGE_ADD : op->kind == OP_REMOVE ? NIC_CHANGE_REMOVE : NIC_CHANGE_UPDATE,
		.new = &new,
		.target = &t,
		.old = &old,
		.old_target = told_ok ? &told : NULL,
		.old_error = &dr,
	};
	/* What only the kernel can say: the container's new name is free, the host end is there. */
	if ((op->kind == OP_ADD || (op->kind == OP_UPDATE && strcmp(old.name, new.name) != 0)) &&
	    link_get(h->ns.nl, new.name, &li) >= 0)
		return operation_fail(m, op, LXCNET_ERR_INVALID_CONFIG,
				      diag_error(d, -EEXIST, "name: '%s' exists in the container already", new.name), d);
	if (op->kind == OP_UPDATE && !nic_change_replaces(&old, &new)) {
		if (link_get(h->env.nl, h->host_ifname, &li) < 0)
			return operation_fail(m, op, LXCNET_ERR_FAILED,
					      diag_error(d, -ENODEV, "host interface '%s' is missing", h->host_ifname), d);
		nc.old_mtu = li.mtu;
	}
	/* From here on the kernel changes: a crash before the end is settled at the next start (hotplug_settle()). */
	intent_begin(h, &new);
	h->config = c;
	r = nic_change_apply(&nc, &hotplug_ops, h, d);
	h->config = NULL;
	return r < 0 ? operation_fail(m, op, error_name(r), r, d) : 0;
}

/* validate-hotplug: the built-in VNet check and the site's plugins may veto. */
static int validate(Hotplug *h, Diag *d)
{
	Operation *op = h->op;
	PluginEvent ev = { .spec = op->spec, .env = &h->env };
	int r;

	snprintf(ev.event, sizeof(ev.event), "validate-hotplug");
	snprintf(ev.action, sizeof(ev.action), "%s", operation_kind_name(op->kind));
	snprintf(ev.container, sizeof(ev.container), "%s", op->container);
	snprintf(ev.net, sizeof(ev.net), "net%u", op->net);
	snprintf(ev.ifname, sizeof(ev.ifname), "%s", h->host_ifname);
	if (op->spec && pve_net_has(&op->nic, PVE_NET_BRIDGE)) {
		snprintf(ev.bridge, sizeof(ev.bridge), "%s", op->nic.bridge);
		if (plug_names_vnet(&h->env, op->nic.bridge))
			snprintf(ev.vnet, sizeof(ev.vnet), "%s", op->nic.bridge);
	}
	operation_step(h->m, op, "validating");
	*d = (Diag){};
	r = plugins_validate(h->m, &ev, d);
	return r < 0 ? operation_fail(h->m, op, LXCNET_ERR_VETOED, r, d) : 0;
}

/* The legacy command does it (phase, override, or a fallback). */
static int run_legacy(Hotplug *h, Diag *d)
{
	Operation *op = h->op;
	int r;

	operation_step(h->m, op, "running the legacy command");
	*d = (Diag){};
	r = manager_run_pct(op->legacy_pct, op->container, op->net, op->kind == OP_REMOVE ? NULL : op->spec, d);
	return r < 0 ? operation_fail(h->m, op, LXCNET_ERR_FAILED, r, d) : 0;
}

static void route(Hotplug *h)
{
	Operation *op = h->op;
	Manager *m = h->m;
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);
	bool fell_back = false;
	Diag d = {};
	int r;

	r = validate(h, &d);
	if (r >= 0 && op->route.path != PATH_LXCNET)
		r = run_legacy(h, &d);
	else if (r >= 0) {
		r = run(h, &d);
		/* What lxcnet failed at (not a bad request, a stopped container, a busy lock) goes to the legacy command. */
		if (r < 0 && op->route.fallback && strcmp(op->error_name, LXCNET_ERR_FAILED) == 0) {
			log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = op->container, .ifname = h->host_ifname },
				LOG_WARNING, "Hotplug %s of net%u of container '%s' failed: %s; falling back to '%s'",
				operation_kind_name(op->kind), op->net, op->container, op->error_message, op->legacy_pct);
			pthread_mutex_lock(&m->op_lock);
			op->error_name = "";
			op->error_message[0] = '\0';
			pthread_mutex_unlock(&m->op_lock);
			fell_back = true;
			r = run_legacy(h, &d);
		}
	}
	if (r >= 0) {
		pthread_mutex_lock(&m->op_lock);
		op->done_path = fell_back ? PATH_LEGACY : op->route.path;
		pthread_mutex_unlock(&m->op_lock);
	}
	/* A veto is the site's decision, not a result of either path. */
	if (strcmp(op->error_name, LXCNET_ERR_VETOED) != 0)
		manager_record_op(m, operation_rollout_op(op->kind), op->route.path, r >= 0, fell_back, clock_usec(CLOCK_MONOTONIC) - t0);
}

int hotplug_validate(OpKind kind, const char *container, unsigned net, const char *spec, PveNet *ret, Diag *d)
{
	PveNet n = {};

	/* It names a file (<dir>/lxc/<container>.conf) and host interfaces: nothing but a plain name. */
	if (!ct_name_valid(container) || lxc_netconf_host_ifname(container, PVE_NET_MAX - 1, (char[IFNAMSIZ]){}) < 0)
		return diag_error(d, -EINVAL, "'%s' is not a container name lxcnet can name host interfaces after", container);
	if (kind == OP_REMOVE)
		return 0;
	if (!spec)
		return diag_error(d, -EINVAL, "net%u: a NIC spec is needed", net);
	if (pve_net_parse(spec, &n, d) < 0) {
		diag_prefix(d, "net%u: ", net);
		return -EINVAL;
	}
	if (!pve_net_has(&n, PVE_NET_NAME))
		return diag_error(d, -EINVAL, "net%u: name: missing", net);
	*ret = n;
	return 0;
}

static void hotplug_run(Manager *m, Operation *op);

int hotplug_submit(Manager *m, OpKind kind, const char *container, unsigned net, const char *spec, const PveNet *nic,
		   Operation **ret)
{
	int r = operation_submit(m, kind, container, net, spec, hotplug_run, ret);

	if (r >= 0 && nic)
		(*ret)->nic = *nic;
	return r;
}

static void hotplug_run(Manager *m, Operation *op)
{
	Hotplug h = { .m = m, .op = op, .ns = { .nsfd = -1 }, .pidfd = -1 };
	int r;

	r = plug_env_open(&h.env, m->pve_dir);
	if (r < 0) {
		(void)operation_fail(m, op, LXCNET_ERR_FAILED, r, NULL);
		return;
	}
	h.env.fw_mode = op->fw_mode;
	if (lxc_netconf_host_ifname(op->container, op->net, h.host_ifname) < 0)
		h.host_ifname[0] = '\0';
	route(&h);
	/* A veto or the legacy path never reached run(): the lock goes now. */
	op->lock_fd = safe_close(op->lock_fd);
	operation_finish(m, op);
	(void)link_delete_wait(&h.del);
	ct_netns_close(&h.ns);
	if (h.pidfd >= 0)
		close(h.pidfd);
	plug_env_done(&h.env);
}

/*
 * At start: operations a crash cut off between their first kernel change
 * and their end. An addition whose netN line was written is complete;
 * without it its NIC goes (the pair, and the container's end with it). A
 * removal whose NIC is gone has its line dropped now; with the NIC still
 * there nothing had changed. An update is put back on the host side by
 * reconciliation, as its line still says the old NIC; its container side
 * is named in the journal for a look.
 */
static void settle_undo_failed(void *userdata, const Diag *d)
{
	(void)userdata;
	(void)d;
	/* The cut-off update is not redone: its own failure is what is logged. */
}

/* Putting the NIC back as its line says: no line to write, no progress to report. */
static const NicChangeOps settle_ops = {
	.create = op_create,
	.destroy = op_destroy,
	.replug = op_replug,
	.update_ct = op_update_ct,
	.undo_failed = settle_undo_failed,
};

/*
 * An update cut off before its end: when its line says the new NIC, it was
 * done; else the NIC of a running container, both ends, goes back to what
 * the line says (the update in reverse, nothing written). 0 when settled.
 */
static int settle_update(Manager *m, const char *container, unsigned net, const CtConfig *c, const char *spec, LogContext *ctx)
{
	Hotplug h = { .m = m, .ns = { .nsfd = -1 }, .pidfd = -1 };
	PveNet cut = {}, want;
	_cleanup_(plug_target_done) PlugTarget t = {};
	bool invalid;
	Diag d = {};
	int r;

	if (!c->nets[net].present || !spec || pve_net_parse(spec, &cut, &d) < 0) {
		log_ctx(ctx, LOG_WARNING,
			"Hotplug update of net%u of container '%s' was cut off: the host side is put back as its line says; check "
			"the container's interface (lxcnetctl hotplug update puts both right)",
			net, container);
		return 0;
	}
	want = c->nets[net].net;
	if (pve_net_equal(&want, &cut)) {
		log_ctx(ctx, LOG_NOTICE, "Hotplug update of net%u of container '%s' was cut off after its line was written: done",
			net, container);
		return 0;
	}
	if (container_pidfd(m, container, &h.pidfd, &d) < 0) {
		log_ctx(ctx, LOG_NOTICE,
			"Hotplug update of net%u of container '%s' was cut off; the container does not run, its NIC comes back as its "
			"line says at its next start",
			net, container);
		return 0;
	}
	if (lxc_netconf_host_ifname(container, net, h.host_ifname) < 0)
		r = -ENAMETOOLONG;
	else
		r = plug_env_open(&h.env, m->pve_dir);
	if (r >= 0) {
		h.env.fw_mode = m->conf->firewall;
		r = ct_netns_open(h.pidfd, &h.ns, &d);
	}
	if (r >= 0)
		r = plug_resolve_nic(&h.env, container, net, &want, &t, &invalid, &d);
	if (r >= 0)
		r = nic_change_apply(&(NicChange){ .kind = NIC_CHANGE_UPDATE, .new = &want, .target = &t, .old = &cut, .old_error = &d },
				     &settle_ops, &h, &d);
	log_ctx(ctx, r < 0 ? LOG_ERR : LOG_NOTICE,
		"Hotplug update of net%u of container '%s' was cut off before its line was written: %s%s", net, container,
		r < 0 ? "cannot put its NIC back as the line says: " : "its NIC put back as the line says",
		r < 0 ? (d.msg[0] ? d.msg : strerror(-r)) : "");
	(void)link_delete_wait(&h.del);
	ct_netns_close(&h.ns);
	if (h.pidfd >= 0)
		close(h.pidfd);
	if (h.env.nl)
		plug_env_done(&h.env);
	return r;
}

void hotplug_settle(Manager *m)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	PlugEnv env;
	struct dirent *e;

	if (asprintf(&dir, "%s/operations", m->state_dir) < 0 || !(d = opendir(dir)))
		return;
	if (plug_env_open(&env, m->pve_dir) < 0)
		return;
	while ((e = readdir(d))) {
		_cleanup_(ct_config_freep) CtConfig *c = NULL;
		_cleanup_free_ char *path = NULL, *kind = NULL, *conf = NULL;
		_cleanup_close_ int lock_fd = -1;
		char container[64], veth[IFNAMSIZ], *spec;
		LogContext ctx = { .identifier = "lxcnetd" };
		const char *dot = strrchr(e->d_name, '.');
		uint64_t net;
		Diag dg = {};
		int r;

		if (e->d_name[0] == '.' || !dot || strncmp(dot, ".net", 4) != 0 || parse_uint_range(dot + 4, 0, PVE_NET_MAX - 1, &net) < 0 ||
		    (size_t)(dot - e->d_name) >= sizeof(container))
			continue;
		snprintf(container, sizeof(container), "%.*s", (int)(dot - e->d_name), e->d_name);
		ctx.vmid = container;
		if (lxc_netconf_host_ifname(container, (unsigned)net, veth) < 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0 || read_full_file(path, 4096, &kind, NULL) < 0 ||
		    lxc_hook_config_path(container, m->pve_dir, m->conf_dir, &conf) < 0)
			continue;
		r = ct_config_lock(CT_CONFIG_LOCK_DIR, container, 2000, &lock_fd, &dg);
		if (r >= 0)
			r = ct_config_load(conf, &c, &dg);
		if (r < 0) {
			log_ctx(&ctx, LOG_ERR, "Cannot settle the hotplug %s of net%u of container '%s' cut off before: %s (%s kept)",
				kind, (unsigned)net, container, dg.msg, path);
			continue;
		}
		if (strcmp(kind, "add") == 0 && !c->nets[net].present) {
			r = plug_remove(&env, veth, NULL);
			log_ctx(&ctx, r < 0 ? LOG_ERR : LOG_NOTICE,
				"Hotplug add of net%u of container '%s' was cut off before its line was written: %s '%s'%s%s",
				(unsigned)net, container, r < 0 ? "cannot remove" : "removed", veth, r < 0 ? ": " : "",
				r < 0 ? strerror(-r) : "");
		} else if (strcmp(kind, "remove") == 0 && c->nets[net].present && !if_nametoindex(veth)) {
			r = ct_config_set_net(c, (unsigned)net, NULL, &dg);
			if (r >= 0)
				r = ct_config_save(c, &dg);
			log_ctx(&ctx, r < 0 ? LOG_ERR : LOG_NOTICE,
				"Hotplug remove of net%u of container '%s' was cut off after its NIC went: %s%s", (unsigned)net,
				container, r < 0 ? "cannot drop its line: " : "its line dropped", r < 0 ? dg.msg : "");
		} else if (strncmp(kind, "update\n", 7) == 0 || strcmp(kind, "update") == 0) {
			spec = kind[6] ? kind + 7 : NULL;
			if (spec)
				spec[strcspn(spec, "\n")] = '\0';
			r = settle_update(m, container, (unsigned)net, c, spec, &ctx);
		}
		if (r >= 0)
			(void)unlink(path);
	}
	plug_env_done(&env);
}
