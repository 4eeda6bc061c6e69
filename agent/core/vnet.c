/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Binding a running container's NIC to a VNet and unbinding it, live and
 * persisted, as one NIC change (nic-change.h): the host veth is re-plugged
 * through the one plug path first, then the netN line is written; a
 * failure at any step puts the kernel state back and leaves the file
 * untouched.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "helper.h"
#include "log.h"
#include "lxc-hook.h"
#include "manager.h"
#include "nic-change.h"
#include "plug.h"
#include "strutil.h"
#include "plugins.h"
#include "pve-ctconf.h"

/* Waiting for a config lock held by somebody else would stall the helper thread and what queues behind it: a short try, then Busy. */
#define VNET_LOCK_TIMEOUT_MS 200

/* The transaction's steps for a bind (nic-change.h): the host end in place, then the netN line. */
typedef struct BindChange {
	PlugEnv *e;
	CtConfig *config;
	unsigned net;
	const char *ifname, *container;
} BindChange;

static int bind_replug(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d)
{
	BindChange *j = userdata;

	return plug_host_veth(j->e, j->ifname, n, t, d);
}

static int bind_write(void *userdata, const PveNet *n, Diag *d)
{
	BindChange *j = userdata;
	int r;

	test_hold();
	r = ct_config_set_net(j->config, j->net, n, d);
	return r < 0 ? r : ct_config_save(j->config, d);
}

static void bind_undo_failed(void *userdata, const Diag *d)
{
	BindChange *j = userdata;

	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = j->container, .ifname = j->ifname }, LOG_ERR,
		"Cannot put '%s' back as it was after a failed bind: %s", j->ifname, d->msg);
}

/* A bind keeps the NIC (same name and MAC): never created or destroyed. */
static const NicChangeOps bind_ops = {
	.replug = bind_replug,
	.write = bind_write,
	.undo_failed = bind_undo_failed,
};

/*
 * A bind or unbind between its request and its outcome: the validation
 * plugins, the change itself (locking, netlink, the fsync'd write) and a
 * legacy command run in the helper thread, never on the main loop.
 */
typedef struct BindJob {
	ManagerDone done;
	void *userdata;
	char container[64];
	unsigned net;
	char vnet[16]; /* "" to unbind */
	/* The binding when asked (the registry is the main thread's). */
	char ifname[IFNAMSIZ], bridge[IFNAMSIZ], noted_vnet[16];
	FirewallMode fw_mode;
	/* Unbind of a NIC plugged while the agent was away: the VNet its config named. */
	char found_vnet[16];
	RolloutDecision dec;
	char *pct;
	char *spec; /* the netN line the legacy command writes */
	uint64_t t0;
	bool fell_back;
	int r;
	const char *error_name;
	Diag d;
} BindJob;

static void bind_job_free(BindJob *j)
{
	free(j->pct);
	free(j->spec);
	free(j);
}

/* The netN line as the bind (bridge=VNET) or unbind (link_down=1) leaves it, for the legacy command. */
static int bind_spec(Manager *m, BindJob *j)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	PveNet n;
	int r;

	if (lxc_hook_config_path(j->container, m->pve_dir, m->conf_dir, &path) < 0)
		return -ENOMEM;
	r = ct_config_load(path, &c, &j->d);
	if (r < 0)
		return r;
	if (!c->nets[j->net].present)
		return diag_error(&j->d, -ENOENT, "%s: has no net%u", path, j->net);
	n = c->nets[j->net].net;
	if (j->vnet[0]) {
		snprintf(n.bridge, sizeof(n.bridge), "%s", j->vnet);
		n.keys |= 1u << PVE_NET_BRIDGE;
		n.link_down = false;
		n.keys &= ~(1u << PVE_NET_LINK_DOWN);
	} else {
		n.link_down = true;
		n.keys |= 1u << PVE_NET_LINK_DOWN;
	}
	free(j->spec);
	j->spec = NULL;
	return pve_net_format(&n, &j->spec);
}

/*
 * Helper thread: plug the binding's host end into vnet (or pull its plug,
 * vnet ""), live, then write its netN line, all or nothing. On failure
 * *kind and j->d say why.
 */
static int bind_apply(Manager *m, BindJob *j, ManagerError *kind)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int lock_fd = -1;
	const char *vnet = j->vnet[0] ? j->vnet : NULL;
	_cleanup_(plug_target_done) PlugTarget t = {}, told = {};
	PveNet old, new;
	PlugEnv e;
	BindChange bc;
	Diag *d = &j->d, dold = {};
	bool old_ok, invalid;
	int r;

	*kind = MANAGER_OK;
	if (lxc_hook_config_path(j->container, m->pve_dir, m->conf_dir, &path) < 0)
		return manager_fail(kind, MANAGER_FAILED, -ENOMEM);
	r = ct_config_lock(CT_CONFIG_LOCK_DIR, j->container, VNET_LOCK_TIMEOUT_MS, &lock_fd, d);
	if (r == -ETIMEDOUT)
		return manager_fail(kind, MANAGER_BUSY, r);
	if (r < 0)
		return manager_fail(kind, MANAGER_FAILED, r);
	r = ct_config_load(path, &c, d);
	if (r < 0)
		return manager_fail(kind, MANAGER_INVALID_CONFIG, r);
	if (!c->nets[j->net].present)
		return manager_fail(kind, MANAGER_INVALID_CONFIG, diag_error(d, -ENOENT, "%s: has no net%u", path, j->net));
	old = new = c->nets[j->net].net;

	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return manager_fail(kind, MANAGER_FAILED, diag_error(d, r, "cannot open rtnetlink: %s", strerror(-r)));
	e.fw_mode = j->fw_mode;
	if (vnet) {
		r = manager_load_vnet(m, &e, vnet, kind, d);
		if (r < 0)
			goto out;
		snprintf(new.bridge, sizeof(new.bridge), "%s", vnet);
		new.keys |= 1u << PVE_NET_BRIDGE;
		new.link_down = false;
		new.keys &= ~(1u << PVE_NET_LINK_DOWN);
	} else {
		/* A NIC plugged while the agent was away has no VNet noted: its config says. */
		if (!j->noted_vnet[0] && !old.link_down && sdn_config_load(m->pve_dir, &e.sdn, d) >= 0) {
			e.sdn_loaded = true;
			if (sdn_config_find_vnet(e.sdn, old.bridge))
				snprintf(j->found_vnet, sizeof(j->found_vnet), "%s", old.bridge);
		}
		if (!j->noted_vnet[0] && !j->found_vnet[0]) {
			r = diag_error(d, -EINVAL, "net%u of container '%s' is not bound to a VNet (bridge '%s')", j->net,
				       j->container, j->bridge[0] ? j->bridge : old.bridge);
			*kind = MANAGER_INVALID_CONFIG;
			goto out;
		}
		new.link_down = true;
		new.keys |= 1u << PVE_NET_LINK_DOWN;
	}

	/* The new plug must be possible before anything changes... */
	r = plug_resolve_nic(&e, j->container, j->net, &new, &t, &invalid, d);
	if (r < 0) {
		diag_prefix(d, "%s: net%u: ", c->name, j->net);
		*kind = invalid ? MANAGER_INVALID_CONFIG : MANAGER_FAILED;
		goto out;
	}
	/* ...and the old one is what a failure goes back to. The host end only: the container's stays as it is. */
	old_ok = plug_resolve_nic(&e, j->container, j->net, &old, &told, &invalid, &dold) >= 0;
	bc = (BindChange){ .e = &e, .config = c, .net = j->net, .ifname = j->ifname, .container = j->container };
	r = nic_change_apply(&(NicChange){ .kind = NIC_CHANGE_UPDATE, .new = &new, .target = &t, .old = &old,
					   .old_target = old_ok ? &told : NULL, .old_error = &dold },
			     &bind_ops, &bc, d);
	if (r < 0)
		*kind = MANAGER_FAILED;
out:
	plug_env_done(&e);
	return r;
}

/* Main thread, after a bind lxcnet did: the registry says it, and tells. */
static void bind_noted(Manager *m, BindJob *j)
{
	Binding *b = manager_find(m, j->container, j->net);
	char oldvnet[sizeof(b->vnet)];

	if (!b) /* gone meanwhile (the container stopped): nothing left to note */
		return;
	if (!b->vnet[0] && j->found_vnet[0])
		snprintf(b->vnet, sizeof(b->vnet), "%s", j->found_vnet);
	snprintf(oldvnet, sizeof(oldvnet), "%s", b->vnet);
	snprintf(b->vnet, sizeof(b->vnet), "%s", j->vnet);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = j->container, .ifname = b->ifname }, LOG_INFO,
		j->vnet[0] ? "net%u of container '%s' bound to VNet '%s'" : "net%u of container '%s' unbound from VNet '%s'",
		j->net, j->container, j->vnet[0] ? j->vnet : oldvnet);
	if (oldvnet[0] && strcmp(oldvnet, b->vnet) != 0) {
		Binding gone = *b;

		strcpy(gone.vnet, oldvnet);
		manager_emit_binding(m, EVENT_VNET_UNBOUND, &gone);
	}
	if (b->vnet[0])
		manager_emit_binding(m, EVENT_VNET_BOUND, b);
	manager_emit_binding(m, EVENT_BINDING_CHANGED, b);
	manager_emit_binding_properties(m, b, "VNet", "Zone", "Tag", "Trunks", "Rate", "Firewall", NULL);
	(void)manager_save(m);
}

bool manager_bind_busy(Manager *m, const char *container)
{
	for (size_t i = 0; i < m->n_binds; i++)
		if (strcmp(m->binds[i], container) == 0)
			return true;
	return false;
}

static int bind_busy_add(Manager *m, const char *container)
{
	char (*at)[64] = array_grow(&m->binds, m->n_binds, sizeof(*m->binds));

	if (!at)
		return -ENOMEM;
	snprintf(*at, sizeof(*at), "%s", container);
	m->n_binds++;
	return 0;
}

static void bind_busy_del(Manager *m, const char *container)
{
	for (size_t i = 0; i < m->n_binds; i++)
		if (strcmp(m->binds[i], container) == 0) {
			memcpy(m->binds[i], m->binds[--m->n_binds], sizeof(m->binds[i]));
			return;
		}
}

static void bind_reply(Manager *m, BindJob *j, bool ok)
{
	bind_busy_del(m, j->container);
	manager_record_op(m, ROP_VNET_BIND, j->dec.path, ok, j->fell_back, clock_usec(CLOCK_MONOTONIC) - j->t0);
	if (ok)
		manager_status(m);
	j->done(m, ok ? 0 : j->r < 0 ? j->r : -EIO, ok ? NULL : j->error_name, ok ? NULL : j->d.msg[0] ? j->d.msg : strerror(-j->r),
		j->userdata);
	bind_job_free(j);
}

static void bind_legacy_work(Manager *m, void *userdata)
{
	BindJob *j = userdata;

	(void)m;
	j->r = manager_run_pct(j->pct, j->container, j->net, j->spec, &j->d);
	if (j->r < 0)
		j->error_name = LXCNET_ERR_FAILED;
}

/*
 * Helper thread: the validation plugins, then the bind by the phase's path;
 * what lxcnet failed at (not what is wrong with the request) goes to the
 * legacy command when fallback is on.
 */
static void bind_work(Manager *m, void *userdata)
{
	BindJob *j = userdata;
	PluginEvent ev = {};
	ManagerError kind;

	snprintf(ev.event, sizeof(ev.event), "validate-bind");
	snprintf(ev.action, sizeof(ev.action), "%s", j->vnet[0] ? "bind" : "unbind");
	snprintf(ev.container, sizeof(ev.container), "%s", j->container);
	snprintf(ev.net, sizeof(ev.net), "net%u", j->net);
	snprintf(ev.vnet, sizeof(ev.vnet), "%s", j->vnet);
	j->r = plugins_validate(m, &ev, &j->d);
	if (j->r < 0) {
		j->error_name = LXCNET_ERR_VETOED;
		return;
	}
	if (j->dec.path != PATH_LXCNET) {
		bind_legacy_work(m, j);
		return;
	}
	j->d = (Diag){};
	j->r = bind_apply(m, j, &kind);
	if (j->r >= 0)
		return;
	j->error_name = manager_error_name(kind);
	if (!j->dec.fallback || kind != MANAGER_FAILED)
		return;
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = j->container }, LOG_WARNING,
		"Cannot %s net%u of container '%s': %s; falling back to '%s'", j->vnet[0] ? "bind" : "unbind", j->net,
		j->container, j->d.msg, j->pct);
	j->fell_back = true;
	j->d = (Diag){};
	j->r = bind_spec(m, j);
	if (j->r >= 0)
		bind_legacy_work(m, j);
	else
		j->error_name = LXCNET_ERR_FAILED;
}

static void bind_done(Manager *m, void *userdata)
{
	BindJob *j = userdata;

	if (j->r >= 0 && j->dec.path == PATH_LXCNET && !j->fell_back)
		bind_noted(m, j);
	bind_reply(m, j, j->r >= 0);
}

int manager_bind_request(Manager *m, const char *container, unsigned net, const char *vnet, ManagerDone done, void *userdata,
			 ManagerError *kind, Diag *d)
{
	const Binding *b;
	SdnPlug plug;
	BindJob *j;
	int r;

	*kind = MANAGER_OK;
	b = manager_find(m, container, net);
	if (!b)
		return manager_fail(kind, MANAGER_NO_SUCH_BINDING,
			    diag_error(d, -ESRCH, "Container '%s' has no bound interface for net%u", container, net));
	if (vnet && manager_vnet_plug(m, vnet, &plug, kind, d) < 0)
		return -EINVAL;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->done = done;
	j->userdata = userdata;
	j->t0 = clock_usec(CLOCK_MONOTONIC);
	j->net = net;
	snprintf(j->container, sizeof(j->container), "%s", container);
	snprintf(j->vnet, sizeof(j->vnet), "%s", vnet ?: "");
	snprintf(j->ifname, sizeof(j->ifname), "%s", b->ifname);
	snprintf(j->bridge, sizeof(j->bridge), "%s", b->bridge);
	snprintf(j->noted_vnet, sizeof(j->noted_vnet), "%s", b->vnet);
	j->fw_mode = m->conf->firewall;
	rollout_decide(m->conf, ROP_VNET_BIND, NIC_VNET, &j->dec);
	j->pct = strdup(m->conf->legacy_pct);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = container }, LOG_INFO, "%s net%u of container '%s': %s performs it, %s",
		vnet ? "Bind" : "Unbind", net, container, j->dec.path == PATH_LXCNET ? "lxcnet" : j->pct, j->dec.reason);
	r = j->pct ? 0 : -ENOMEM;
	if (r >= 0 && j->dec.path != PATH_LXCNET) {
		r = bind_spec(m, j);
		if (r < 0) {
			*kind = MANAGER_INVALID_CONFIG;
			if (!j->d.msg[0])
				diag_error(&j->d, r, "%s", strerror(-r));
			*d = j->d;
			bind_job_free(j);
			return r;
		}
	}
	/* Busy from before the work: reconciliation must not take the kernel's half-done change for drift. */
	if (r >= 0)
		r = bind_busy_add(m, container);
	if (r >= 0) {
		r = helper_submit(m, bind_work, bind_done, j);
		if (r < 0)
			bind_busy_del(m, container);
	}
	if (r < 0)
		bind_job_free(j);
	return r;
}
