/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Binding a running container's NIC to a VNet and unbinding it, live and
 * persisted: the host veth is re-plugged through the one plug path first,
 * then the netN line is written; a failure at any step puts the kernel
 * state back and leaves the file untouched.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "lxc-hook.h"
#include "manager.h"
#include "plug.h"
#include "pve-ctconf.h"

/* Waiting for a config lock held by somebody else would stall the whole agent: a short try, then Busy. */
#define VNET_LOCK_TIMEOUT_MS 200

static int fail(ManagerError *kind, ManagerError k, int r)
{
	*kind = k;
	return r;
}

/* Read the SDN config into e (the plug path uses it from there) and check that vnet is in it. */
static int load_vnet(Manager *m, PlugEnv *e, const char *vnet, ManagerError *kind, Diag *d)
{
	int r = sdn_config_load(m->pve_dir, &e->sdn, d);

	if (r < 0)
		return fail(kind, MANAGER_INVALID_CONFIG, r);
	e->sdn_loaded = true;
	if (!sdn_config_find_vnet(e->sdn, vnet))
		return fail(kind, MANAGER_NO_SUCH_VNET,
			    diag_error(d, -ENOENT, "VNet '%s' is not defined in %s", vnet, e->sdn->source ?: "the SDN configuration"));
	return 0;
}

int manager_vnet_plug(Manager *m, const char *vnet, SdnPlug *ret, ManagerError *kind, Diag *d)
{
	PlugEnv e;
	int r;

	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return fail(kind, MANAGER_FAILED, diag_error(d, r, "cannot open rtnetlink: %s", strerror(-r)));
	r = load_vnet(m, &e, vnet, kind, d);
	if (r >= 0) {
		r = sdn_vnet_resolve(e.sdn, vnet, e.node, sdn_bridge_exists_sysfs, NULL, ret, d);
		if (r < 0)
			*kind = MANAGER_INVALID_CONFIG;
	}
	plug_env_done(&e);
	return r;
}

int manager_bind_vnet(Manager *m, const char *container, unsigned net, const char *vnet, ManagerError *kind, Diag *d)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int lock_fd = -1;
	PlugTarget t = {}, told = {};
	PveNet old, new;
	PlugEnv e;
	Binding *b;
	Diag dold;
	char oldvnet[sizeof(b->vnet)];
	bool old_ok;
	int r;

	*kind = MANAGER_OK;
	b = manager_find(m, container, net);
	if (!b)
		return fail(kind, MANAGER_NO_SUCH_BINDING,
			    diag_error(d, -ESRCH, "Container '%s' has no bound interface for net%u", container, net));
	if (lxc_hook_config_path(container, m->pve_dir, m->conf_dir, &path) < 0)
		return fail(kind, MANAGER_FAILED, -ENOMEM);
	r = ct_config_lock(CT_CONFIG_LOCK_DIR, container, VNET_LOCK_TIMEOUT_MS, &lock_fd, d);
	if (r == -ETIMEDOUT)
		return fail(kind, MANAGER_BUSY, r);
	if (r < 0)
		return fail(kind, MANAGER_FAILED, r);
	r = ct_config_load(path, &c, d);
	if (r < 0)
		return fail(kind, MANAGER_INVALID_CONFIG, r);
	if (!c->nets[net].present)
		return fail(kind, MANAGER_INVALID_CONFIG, diag_error(d, -ENOENT, "%s: has no net%u", path, net));
	old = new = c->nets[net].net;

	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return fail(kind, MANAGER_FAILED, diag_error(d, r, "cannot open rtnetlink: %s", strerror(-r)));
	e.fw_filter_always = m->conf->firewall_always;
	if (vnet) {
		r = load_vnet(m, &e, vnet, kind, d);
		if (r < 0)
			goto out;
		snprintf(new.bridge, sizeof(new.bridge), "%s", vnet);
		new.keys |= 1u << PVE_NET_BRIDGE;
		new.link_down = false;
		new.keys &= ~(1u << PVE_NET_LINK_DOWN);
	} else {
		/* A NIC plugged while the agent was away has no VNet noted: its config says. */
		if (!b->vnet[0] && !old.link_down && sdn_config_load(m->pve_dir, &e.sdn, d) >= 0) {
			e.sdn_loaded = true;
			if (sdn_config_find_vnet(e.sdn, old.bridge))
				snprintf(b->vnet, sizeof(b->vnet), "%s", old.bridge);
		}
		if (!b->vnet[0]) {
			r = diag_error(d, -EINVAL, "net%u of container '%s' is not bound to a VNet (bridge '%s')", net, container,
				       b->bridge[0] ? b->bridge : old.bridge);
			*kind = MANAGER_INVALID_CONFIG;
			goto out;
		}
		new.link_down = true;
		new.keys |= 1u << PVE_NET_LINK_DOWN;
	}

	/* The new plug must be possible before anything changes... */
	r = plug_resolve(&e, &new, &t, d);
	if (r < 0) {
		diag_prefix(d, "%s: net%u: ", c->name, net);
		*kind = MANAGER_INVALID_CONFIG;
		goto out;
	}
	r = plug_guest_firewall(&e, container, net, &new, &t, d);
	if (r < 0) {
		diag_prefix(d, "%s: net%u: ", c->name, net);
		*kind = MANAGER_FAILED;
		goto out;
	}
	/* ...and the old one is what a failure goes back to. */
	old_ok = plug_resolve(&e, &old, &told, &dold) >= 0 && plug_guest_firewall(&e, container, net, &old, &told, &dold) >= 0;
	r = plug_host_veth(&e, b->ifname, &new, &t, d);
	if (r < 0) {
		*kind = MANAGER_FAILED;
		goto out;
	}
	r = ct_config_set_net(c, net, &new, d);
	if (r >= 0)
		r = ct_config_save(c, d);
	if (r < 0) {
		Diag dr;

		if (!old_ok || plug_host_veth(&e, b->ifname, &old, &told, &dr) < 0)
			log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = container, .ifname = b->ifname }, LOG_ERR,
				"Cannot put '%s' back as it was after a failed write: %s", b->ifname, old_ok ? dr.msg : dold.msg);
		*kind = MANAGER_FAILED;
		goto out;
	}

	snprintf(oldvnet, sizeof(oldvnet), "%s", b->vnet);
	snprintf(b->vnet, sizeof(b->vnet), "%s", vnet ? vnet : "");
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = container, .ifname = b->ifname }, LOG_INFO,
		vnet ? "net%u of container '%s' bound to VNet '%s'" : "net%u of container '%s' unbound from VNet '%s'", net,
		container, vnet ? vnet : oldvnet);
	if (oldvnet[0] && strcmp(oldvnet, b->vnet) != 0) {
		Binding gone = *b;

		strcpy(gone.vnet, oldvnet);
		manager_bus_emit(m, "VNetUnbound", &gone);
	}
	if (b->vnet[0])
		manager_bus_emit(m, "VNetBound", b);
	manager_bus_emit(m, "BindingChanged", b);
	manager_bus_emit_binding_properties(m, b, "VNet", "Zone", "Tag", "Trunks", "Rate", "Firewall", NULL);
	(void)manager_save(m);
	r = 0;
out:
	plug_env_done(&e);
	return r;
}

/* The same file as when it was read: same inode, size and times (a rename or a write changes one). */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * A binding object's properties (GetAll reads five of them, any caller may)
 * come from its container's netN: the file is parsed again only when it
 * changed, so a big config costs one read, not one per property and call.
 */
int manager_binding_net(Manager *m, const Binding *b, PveNet *ret)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	ConfCache *k = &m->conf_cache;
	struct stat st;
	Diag d;
	int r;

	if (lxc_hook_config_path(b->container, m->pve_dir, m->conf_dir, &path) < 0)
		return -ENOMEM;
	if (stat(path, &st) < 0)
		return -errno;
	if (!k->path || strcmp(k->path, path) != 0 || !same_file(&k->st, &st)) {
		r = ct_config_load(path, &c, &d);
		if (r < 0)
			return r;
		free(k->path);
		k->path = TAKE_PTR(path);
		k->st = st;
		memcpy(k->nets, c->nets, sizeof(k->nets));
	}
	if (!k->nets[b->net].present)
		return -ENOENT;
	*ret = k->nets[b->net].net;
	return 0;
}
