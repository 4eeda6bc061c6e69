/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reconciliation of running containers' ports with their config (reconcile.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf-pins.h"
#include "clock.h"
#include "fw-bridge.h"
#include "log.h"
#include "lxc-hook.h"
#include "manager.h"
#include "operation.h"
#include "plug.h"
#include "reconcile.h"
#include "shaper.h"

const char *reconcile_reason_name(ReconcileReason r)
{
	static const char *const names[_RECONCILE_REASON_MAX] = {
		[RECONCILE_LINK] = "link",	   [RECONCILE_CONFIG] = "config",	[RECONCILE_START] = "start",
		[RECONCILE_PERIODIC] = "periodic", [RECONCILE_FORCED] = "forced",
	};

	return r >= 0 && r < _RECONCILE_REASON_MAX ? names[r] : "?";
}

const char *reconcile_action_name(ReconcileAction a)
{
	static const char *const names[_RECONCILE_ACTION_MAX] = {
		[RECONCILE_REPLUGGED] = "replugged",
		[RECONCILE_WITHDRAWN] = "withdrawn",
		[RECONCILE_FAILED] = "failed",
	};

	return a >= 0 && a < _RECONCILE_ACTION_MAX ? names[a] : "?";
}

__attribute__((format(printf, 3, 4))) static int differs(char *diff, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(diff, size, fmt, ap);
	va_end(ap);
	return 1;
}

static const char *ifname_of(int ifindex, char buf[IFNAMSIZ])
{
	if (ifindex <= 0)
		return "none";
	return if_indextoname((unsigned)ifindex, buf) ? buf : "?";
}

/* The datapath entry of port as plug_host_veth() sets it for t. */
static int compare_policy(Datapath *dp, bool orphans, int port, const char *port_name, const PlugTarget *t, char *diff,
			  size_t size)
{
	const struct lxcnet_port *want = &t->policy;
	struct lxcnet_trunks tr;
	struct lxcnet_port p;
	uint32_t prog;

	if (datapath_port_get(dp, port, &p, &tr) < 0)
		return differs(diff, size, "'%s' has no datapath entry", port_name);
	/* An entry without its programs enforces nothing (a tc filter deleted by hand, pins removed under it). */
	if (tc_filter_prog_id(port, &prog) < 0 || !prog)
		return differs(diff, size, "'%s' has a datapath entry but no datapath program attached", port_name);
	/* datapath_port_orphaned(), with the program id at hand. */
	if (orphans && !bpf_prog_pinned_anywhere(prog, "tc_ingress"))
		return differs(diff, size, "'%s' runs a datapath whose pins were removed", port_name);
	if (p.tag != want->tag || p.service_tag != want->service_tag || p.service_proto != want->service_proto)
		return differs(diff, size, "'%s' pushes VLAN %u (service %u), lxcnet's policy VLAN %u (service %u)", port_name, p.tag,
			       p.service_tag, want->tag, want->service_tag);
	if ((p.flags & LXCNET_PORT_FILTERS) != (want->flags & LXCNET_PORT_FILTERS) ||
	    ((p.flags & LXCNET_PORT_FILTER_MAC) && memcmp(p.mac, want->mac, sizeof(p.mac)) != 0) ||
	    ((p.flags & LXCNET_PORT_FILTER_IP4) && p.ip4 != want->ip4) ||
	    ((p.flags & LXCNET_PORT_FILTER_IP6) &&
	     (memcmp(p.ip6, want->ip6, sizeof(p.ip6)) != 0 || memcmp(p.ip6_ll, want->ip6_ll, sizeof(p.ip6_ll)) != 0)))
		return differs(diff, size, "the anti-spoofing filter of '%s' is not the NIC's", port_name);
	if (memcmp(tr.vids, t->trunks.vids, sizeof(tr.vids)) != 0)
		return differs(diff, size, "the trunks of '%s' are not the NIC's", port_name);
	if ((p.shaper_ifindex != 0) != (t->rate > 0))
		return differs(diff, size, "'%s' is %sshaped, the NIC has %s", port_name, p.shaper_ifindex ? "" : "not ",
			       t->rate > 0 ? "a rate" : "none");
	return 0;
}

/* The kernel's state of b against the plug of n to t. */
static int compare_port(PlugEnv *e, Datapath *dp, bool orphans, const Binding *b, const PveNet *n, const PlugTarget *t,
			char *diff, size_t size)
{
	bool fw_bridge = t->fw_enforcer == FW_ENFORCER_PROXMOX_IPTABLES;
	char a[IFNAMSIZ];
	LinkInfo li, fli;
	FwBridge fb;
	int port, r;

	r = link_get(e->nl, b->ifname, &li);
	if (r < 0)
		return r;
	if (n->link_down) {
		if (li.up || li.master)
			return differs(diff, size, "'%s' is %s and in '%s', the NIC has link_down=1", b->ifname, li.up ? "up" : "down",
				       ifname_of(li.master, a));
		return 0;
	}
	port = li.ifindex;
	if (fw_bridge) {
		if (fw_bridge_names(b->ifname, &fb) < 0 || link_get(e->nl, fb.fwbr, &fli) < 0)
			return differs(diff, size, "'%s' has no firewall bridge, pve-firewall filters it on one", b->ifname);
		if (li.master != fli.ifindex)
			return differs(diff, size, "'%s' is in '%s', lxcnet plugs it into its firewall bridge '%s'", b->ifname,
				       ifname_of(li.master, a), fb.fwbr);
		if (link_get(e->nl, fb.fwpr, &fli) < 0 || fli.master != t->bridge_ifindex)
			return differs(diff, size, "'%s' is not in '%s'", fb.fwpr, t->bridge);
		port = fli.ifindex;
		if (dp && datapath_port_get(dp, li.ifindex, &(struct lxcnet_port){}, NULL) >= 0)
			return differs(diff, size, "'%s' has a datapath entry of its own beside its firewall bridge's", b->ifname);
	} else if (li.master != t->bridge_ifindex)
		return differs(diff, size, "'%s' is in '%s', lxcnet plugs it into '%s'", b->ifname, ifname_of(li.master, a),
			       t->bridge);
	if (!li.up)
		return differs(diff, size, "'%s' is down", b->ifname);
	if (li.mtu != t->bridge_mtu)
		return differs(diff, size, "'%s' has MTU %u, bridge '%s' %u", b->ifname, li.mtu, t->bridge, t->bridge_mtu);
	if (!dp)
		return 0; /* no datapath pinned: plug_host_veth() set none either */
	return compare_policy(dp, orphans, port, fw_bridge ? fb.fwpr : b->ifname, t, diff, size);
}

/* A port lxcnet does not own: its datapath entries (on the veth or a fwpr) go once somebody else replugged it. */
static int withdraw(Manager *m, Binding *b, bool apply, char *diff, size_t size)
{
	Datapath *dp = manager_datapath(m);
	struct lxcnet_port p;
	int ports[2] = { b->ifindex, b->port_ifindex }, found = 0;

	if (!dp)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(ports); i++) {
		if (i == 1 && ports[1] == ports[0])
			break;
		if (datapath_port_get(dp, ports[i], &p, NULL) < 0)
			continue;
		found++;
		if (apply) {
			(void)datapath_port_clear(dp, ports[i]);
			(void)shaper_clear(m->nl, ports[i]);
		}
	}
	if (!found)
		return 0;
	return differs(diff, size, "Proxmox plugs it (phase %s), and lxcnet's datapath entry is still on it",
		       rollout_phase_name(m->conf->phase));
}

/* reconcile_port() with e, one PlugEnv for a whole pass (its SDN configuration and datapath read once). */
static int port_in(Manager *m, PlugEnv *e, Binding *b, ReconcileReason reason, bool apply, char *diff, size_t diff_size,
		   ReconcileAction *ret_action)
{
	RolloutDecision dec;
	PlugTarget t = {};
	PveNet n;
	Diag d = {};
	int r;

	*diff = '\0';
	r = manager_binding_net(m, b, &n);
	if (r < 0)
		return 0; /* no netN for it (any more): nothing to converge on */
	e->fw_filter_always = m->conf->firewall_always;
	(void)plug_net_up_decision(e, m->conf, &n, &dec);
	if (dec.path != PATH_LXCNET) {
		/* Never fight Proxmox: only a port somebody replugged loses lxcnet's entry. */
		r = reason == RECONCILE_LINK || reason == RECONCILE_FORCED ? withdraw(m, b, apply, diff, diff_size) : 0;
		if (r > 0 && apply)
			*ret_action = RECONCILE_WITHDRAWN;
		return r;
	}
	r = plug_resolve(e, &n, &t, &d);
	if (r >= 0)
		r = plug_guest_firewall(e, b->container, b->net, &n, &t, &d);
	if (r < 0) {
		snprintf(diff, diff_size, "%s", d.msg);
		return r;
	}
	r = compare_port(e, manager_datapath(m), m->reconcile_orphans, b, &n, &t, diff, diff_size);
	if (r <= 0 || !apply)
		return r;
	if (plug_host_veth(e, b->ifname, &n, &t, &d) < 0) {
		*ret_action = RECONCILE_FAILED;
		snprintf(diff + strlen(diff), diff_size - strlen(diff), "; cannot plug it again: %s", d.msg);
	} else
		*ret_action = RECONCILE_REPLUGGED;
	return r;
}

int reconcile_port(Manager *m, Binding *b, ReconcileReason reason, bool apply, char *diff, size_t diff_size,
		   ReconcileAction *ret_action)
{
	PlugEnv e;
	int r;

	*diff = '\0';
	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return r;
	m->reconcile_orphans = datapath_orphans_possible();
	r = port_in(m, &e, b, reason, apply, diff, diff_size, ret_action);
	plug_env_done(&e);
	return r;
}

/* Look at b, act on a difference, say so; r as reconcile_port(), with *action and diff for a difference. */
static int reconcile_one(Manager *m, PlugEnv *e, Binding *b, ReconcileReason reason, ReconcileAction *action, char *diff,
			 size_t size)
{
	LogContext ctx = { .identifier = "lxcnetd", .vmid = b->container, .ifname = b->ifname };
	bool failed_before = b->reconcile_failed;
	int r;

	*action = RECONCILE_FAILED;
	r = port_in(m, e, b, reason, true, diff, size, action);
	if (r == 0) {
		b->reconcile_failed = false;
		return 0;
	}
	/* A port that cannot be judged or plugged is said once, and tried again only after its config changed. */
	b->reconcile_failed = r < 0 || *action == RECONCILE_FAILED;
	if (b->reconcile_failed)
		b->reconcile_failed_usec = clock_usec(CLOCK_MONOTONIC);
	if (r < 0) {
		if (!diff[0])
			snprintf(diff, size, "%s", strerror(-r));
		if (!failed_before || reason == RECONCILE_FORCED)
			log_ctx(&ctx, LOG_WARNING, "Cannot check net%u of container '%s' ('%s') against its config: %s", b->net,
				b->container, b->ifname, diff);
		return r;
	}
	m->reconcile_total[reason][*action]++;
	if (*action == RECONCILE_FAILED && failed_before && reason != RECONCILE_FORCED)
		return r;
	log_ctx(&ctx, *action == RECONCILE_FAILED ? LOG_ERR : LOG_NOTICE, "net%u of container '%s' ('%s') drifted (%s): %s; %s",
		b->net, b->container, b->ifname, reconcile_reason_name(reason), diff,
		*action == RECONCILE_REPLUGGED ? "plugged again as its config says" :
		*action == RECONCILE_WITHDRAWN ? "lxcnet's datapath entry removed" :
						 "left as it is");
	manager_emit(m, &(Event){ .type = EVENT_RECONCILED, .binding = b, .action = reconcile_action_name(*action),
				  .reason = reconcile_reason_name(reason), .difference = diff });
	return r;
}

/* Whether b's config file changed since its last look (and remember it now). */
static bool config_changed(Manager *m, Binding *b)
{
	_cleanup_free_ char *path = NULL;
	struct stat st = {};
	bool changed;

	if (lxc_hook_config_path(b->container, m->pve_dir, m->conf_dir, &path) < 0)
		return false;
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	changed = st.st_ino != b->conf_st.st_ino || st.st_dev != b->conf_st.st_dev || st.st_size != b->conf_st.st_size ||
		  st.st_mtim.tv_sec != b->conf_st.st_mtim.tv_sec || st.st_mtim.tv_nsec != b->conf_st.st_mtim.tv_nsec ||
		  st.st_ctim.tv_sec != b->conf_st.st_ctim.tv_sec || st.st_ctim.tv_nsec != b->conf_st.st_ctim.tv_nsec;
	b->conf_st = st;
	return changed;
}

/* Every binding that is due; full: all of them. Bindings may come and go meanwhile: by index, checked. */
static void pass(Manager *m, bool full)
{
	uint64_t now = clock_usec(CLOCK_REALTIME);
	char diff[DIAG_MAX + 128];
	ReconcileAction action;
	PlugEnv e;
	bool opened = false;

	for (size_t i = 0; i < m->n_bindings; i++) {
		Binding *b = &m->bindings[i];
		ReconcileReason reason;
		bool conf;

		if (!m->conf->reconcile || now - b->since < RECONCILE_YOUNG_USEC || operations_container_busy(m, b->container))
			continue;
		conf = config_changed(m, b);
		/* A failed replug changes the link too: that alone is no reason to try again at once. */
		if (b->reconcile_link && b->reconcile_failed && !conf &&
		    clock_usec(CLOCK_MONOTONIC) - b->reconcile_failed_usec < RECONCILE_RETRY_USEC)
			b->reconcile_link = false;
		if (!b->reconcile_seen)
			reason = RECONCILE_START;
		else if (b->reconcile_link)
			reason = RECONCILE_LINK; /* before config: Proxmox's hotplug changes both, and only a replug withdraws */
		else if (conf)
			reason = RECONCILE_CONFIG;
		else if (full && !b->reconcile_failed)
			reason = RECONCILE_PERIODIC;
		else
			continue;
		b->reconcile_seen = true;
		b->reconcile_link = false;
		if (conf)
			b->reconcile_failed = false;
		if (!opened && plug_env_open(&e, m->pve_dir) < 0)
			return; /* no rtnetlink socket now: the next tick */
		if (!opened)
			m->reconcile_orphans = datapath_orphans_possible();
		opened = true;
		(void)reconcile_one(m, &e, b, reason, &action, diff, sizeof(diff));
	}
	if (opened)
		plug_env_done(&e);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	(void)usec;
	pass(m, ++m->reconcile_ticks % RECONCILE_FULL_TICKS == 0);
	return sd_event_source_set_time_relative(s, RECONCILE_TICK_USEC);
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	(void)s, (void)usec;
	pass(m, false);
	return 0;
}

/* b's master or state changed (not by a binding's first appearance): look at it once things settled. */
static void link_changed(Manager *m, Binding *b)
{
	b->reconcile_link = true;
	if (!m->reconcile_settle)
		return;
	/* Armed once: a burst of changes is looked at together, after the last one plus the settle time. */
	(void)sd_event_source_set_time_relative(m->reconcile_settle, RECONCILE_SETTLE_USEC);
	(void)sd_event_source_set_enabled(m->reconcile_settle, SD_EVENT_ONESHOT);
}

static void on_event(Manager *m, const Event *ev, void *userdata)
{
	Binding *b;

	(void)userdata;
	if (ev->type != EVENT_PORT_CHANGED || !m->conf || !m->conf->reconcile)
		return;
	/* The registry's own entry, to mark. */
	b = manager_find(m, ev->binding->container, ev->binding->net);
	if (b)
		link_changed(m, b);
}

int reconcile_init(Manager *m)
{
	int r;

	r = sd_event_add_time_relative(m->event, &m->reconcile_tick, CLOCK_MONOTONIC, RECONCILE_TICK_USEC, 0, on_tick, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->reconcile_tick, SD_EVENT_ON);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &m->reconcile_settle, CLOCK_MONOTONIC, RECONCILE_SETTLE_USEC, 0,
					       on_settled, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->reconcile_settle, SD_EVENT_OFF);
	if (r >= 0)
		r = manager_listen_core(m, on_event, NULL);
	return r;
}

void reconcile_done(Manager *m)
{
	m->reconcile_tick = sd_event_source_disable_unref(m->reconcile_tick);
	m->reconcile_settle = sd_event_source_disable_unref(m->reconcile_settle);
}

int reconcile_ports(Manager *m, const char *container, bool apply, ReconcilePortFn fn, void *userdata)
{
	char diff[DIAG_MAX + 128], net[16];
	PlugEnv e;
	int r;

	if (*container && manager_count_container(m, container) == 0)
		return -ESRCH;
	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return r;
	m->reconcile_orphans = datapath_orphans_possible();
	r = 0;
	for (size_t i = 0; r >= 0 && i < m->n_bindings; i++) {
		Binding *b = &m->bindings[i];
		ReconcileAction action = RECONCILE_FAILED;
		const char *what;
		int q;

		if (*container && strcmp(b->container, container) != 0)
			continue;
		snprintf(net, sizeof(net), "net%u", b->net);
		if (operations_container_busy(m, b->container)) {
			r = fn(b->container, net, "busy", "a hotplug operation of the container is in progress", userdata);
			continue;
		}
		if (apply) {
			(void)config_changed(m, b);
			b->reconcile_seen = true;
			b->reconcile_link = false;
			q = reconcile_one(m, &e, b, RECONCILE_FORCED, &action, diff, sizeof(diff));
		} else
			q = port_in(m, &e, b, RECONCILE_FORCED, false, diff, sizeof(diff), &action);
		if (q == 0)
			continue;
		what = q < 0 ? "unknown" : apply ? reconcile_action_name(action) : "differs";
		r = fn(b->container, net, what, diff, userdata);
	}
	plug_env_done(&e);
	return r;
}
