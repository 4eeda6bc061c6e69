/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reconciliation of running containers' ports with their config (reconcile.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf-pins.h"
#include "clock.h"
#include "fw-bridge.h"
#include "fw-classify.h"
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

/* VLAN ids of a 4096-bit map as "2-4094" or "100,200-300" ("none"), cut short to fit. */
static const char *vids_format(const uint64_t *bits, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned vid = 1; vid < 4095 && len < size; vid++) {
		unsigned last = vid;

		if (!(bits[vid / 64] >> (vid % 64) & 1))
			continue;
		while (last + 1 < 4095 && (bits[(last + 1) / 64] >> ((last + 1) % 64) & 1))
			last++;
		len += (size_t)snprintf(buf + len, size - len, last == vid ? "%s%u" : "%s%u-%u", len ? "," : "", vid, last);
		vid = last;
	}
	return buf[0] ? buf : "none";
}

/* The port's membership of its VLAN-aware bridge as plug_host_veth() sets it for t (Proxmox's). */
static int compare_vlans(PlugEnv *e, int port, const char *port_name, const PlugTarget *t, char *diff, size_t size)
{
	uint64_t untagged[BRIDGE_VLAN_WORDS] = {};
	char have_t[64], want_t[64], have_u[64];
	BridgePortVlans v;
	int r;

	r = bridge_port_vlans_get(e->nl, port, &v);
	if (r == -EOPNOTSUPP)
		return 0; /* a kernel before 5.8 cannot say: not judged */
	if (r < 0)
		return r;
	untagged[t->port_pvid / 64] |= UINT64_C(1) << (t->port_pvid % 64);
	_Static_assert(sizeof(v.tagged) == sizeof(t->port_vids.vids), "VLAN bitmaps differ");
	if (v.pvid == t->port_pvid && memcmp(v.untagged, untagged, sizeof(untagged)) == 0 &&
	    memcmp(v.tagged, t->port_vids.vids, sizeof(v.tagged)) == 0)
		return 0;
	return differs(diff, size,
		       "'%s' is in VLANs PVID %u, untagged %s, tagged %s of '%s'; the NIC's are PVID %u untagged, tagged %s",
		       port_name, v.pvid, vids_format(v.untagged, have_u, sizeof(have_u)),
		       vids_format(v.tagged, have_t, sizeof(have_t)), t->bridge, t->port_pvid,
		       vids_format((const uint64_t *)t->port_vids.vids, want_t, sizeof(want_t)));
}

/*
 * The shaper of port (its tbf, or its fq and the datapath's departure
 * times; its ifb's tbf, the datapath's redirect into that ifb) as
 * shaper_set() sets it for t.
 */
static int compare_shaper(PlugEnv *e, int port, const char *port_name, const struct lxcnet_port *p, const PlugTarget *t,
			  char *diff, size_t size)
{
	uint32_t dp_ifb = p->shaper_ifindex;
	uint32_t want = shaper_bytes_per_sec(t->rate);
	struct nl_cache *qdiscs;
	ShaperState st;
	int r;

	if ((dp_ifb != 0) != (t->rate > 0))
		return differs(diff, size, "'%s' is %sshaped, the NIC has %s", port_name, dp_ifb ? "" : "not ",
			       t->rate > 0 ? "a rate" : "none");
	if (t->rate <= 0)
		return 0;
	r = plug_env_qdiscs(e, &qdiscs);
	if (r >= 0)
		r = shaper_get(e->nl, qdiscs, port, &st);
	if (r < 0)
		return r;
	if (st.to_container_fq) {
		if (p->edt_bps != want)
			return differs(diff, size, "'%s' gives frames to the container departure times for %u B/s, the NIC's rate is %u B/s",
				       port_name, p->edt_bps, want);
	} else if (p->edt_bps)
		return differs(diff, size, "'%s' gives frames to the container departure times, but its root qdisc is not lxcnet's fq",
			       port_name);
	else if (st.to_container_bps != want)
		return differs(diff, size, "'%s' is shaped to %u B/s towards the container, the NIC's rate is %u B/s", port_name,
			       st.to_container_bps, want);
	if (!st.ifb_ifindex || (uint32_t)st.ifb_ifindex != dp_ifb)
		return differs(diff, size, "the datapath of '%s' shapes through ifindex %u, its ifb is %d", port_name, dp_ifb,
			       st.ifb_ifindex);
	if (st.redirect_ifindex != st.ifb_ifindex)
		return differs(diff, size, "'%s' has no redirect of lxcnet's into its ifb (ifindex %d, the filter's %d)", port_name,
			       st.ifb_ifindex, st.redirect_ifindex);
	if (st.from_container_bps != want)
		return differs(diff, size, "'%s' is shaped to %u B/s from the container, the NIC's rate is %u B/s", port_name,
			       st.from_container_bps, want);
	return 0;
}

/* lxcnet's guest firewall on port, its settings and ipfilter set, as fw_compile_nic() gives them for t. */
static int compare_fw(Datapath *dp, int port, const char *port_name, const struct lxcnet_port *p, const PlugTarget *t,
		      char *diff, size_t size)
{
	bool have = p->flags & LXCNET_PORT_FIREWALL;
	_cleanup_free_ DatapathFw *fw = NULL;
	bool want = t->fw_enforcer == FW_ENFORCER_LXCNET;
	int r;

	if (have != want)
		return differs(diff, size, "'%s' %s lxcnet's guest firewall, the NIC's is enforced by %s", port_name,
			       have ? "has" : "does not have", plug_fw_enforcer_name(t->fw_enforcer));
	if (!want)
		return 0;
	if (memcmp(p->mac, t->policy.mac, sizeof(p->mac)) != 0)
		return differs(diff, size, "the guest firewall of '%s' filters another MAC than the NIC's hwaddr", port_name);
	fw = malloc(sizeof(*fw));
	if (!fw)
		return -ENOMEM;
	r = datapath_port_fw(dp, port, fw);
	if (r < 0)
		return r;
	if (!datapath_fw_equal(fw, &t->fw))
		return differs(diff, size,
			       "the guest firewall of '%s' is not its .fw files': policy_in %s, policy_out %s, flags %#x, %zu "
			       "addresses; they say %s, %s, %#x, %zu (rules out/in %u/%u, they say %u/%u%s)",
			       port_name, datapath_fw_verdict_name(fw->fw.policy_in), datapath_fw_verdict_name(fw->fw.policy_out), fw->fw.flags,
			       fw->n_set, datapath_fw_verdict_name(t->fw.fw.policy_in), datapath_fw_verdict_name(t->fw.fw.policy_out), t->fw.fw.flags,
			       t->fw.n_set, fw->fw.n_rules[LXCNET_FROM_CT], fw->fw.n_rules[LXCNET_TO_CT],
			       t->fw.fw.n_rules[LXCNET_FROM_CT], t->fw.fw.n_rules[LXCNET_TO_CT],
			       fw->fw.rules_hash != t->fw.fw.rules_hash ? ", other rules" : "");
	return 0;
}

/* The datapath entry of port as plug_host_veth() sets it for t. */
static int compare_policy(PlugEnv *e, Datapath *dp, bool orphans, int port, const char *port_name, const PlugTarget *t,
			  char *diff, size_t size)
{
	const struct lxcnet_port *want = &t->policy;
	struct lxcnet_trunks tr;
	struct lxcnet_port p;
	uint32_t prog;
	int r;

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
	r = compare_fw(dp, port, port_name, &p, t, diff, size);
	if (r != 0)
		return r;
	return compare_shaper(e, port, port_name, &p, t, diff, size);
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
	if (t->bridge_vlan_aware) {
		r = compare_vlans(e, port, fw_bridge ? fb.fwpr : b->ifname, t, diff, size);
		if (r != 0)
			return r;
	}
	if (!dp)
		return 0; /* no datapath pinned: plug_host_veth() set none either */
	return compare_policy(e, dp, orphans, port, fw_bridge ? fb.fwpr : b->ifname, t, diff, size);
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
static int port_in(Manager *m, PlugEnv *e, Binding *b, ReconcileReason reason, bool replugged, bool apply, char *diff,
		   size_t diff_size, ReconcileAction *ret_action)
{
	RolloutDecision dec;
	_cleanup_(plug_target_done) PlugTarget t = {};
	PveNet n;
	Diag d = {};
	int r;

	*diff = '\0';
	r = manager_binding_net(m, b, &n);
	if (r < 0)
		return 0; /* no netN for it (any more): nothing to converge on */
	/* The firewall files can change what it needs only with firewall=1 (a change of that is one of its config). */
	b->fw_watch = n.firewall && lxc_hook_is_vmid(b->container);
	e->fw_mode = m->conf->firewall;
	e->fw_quiet = true; /* a look every 30 s would say it every time: said when it plugs */
	(void)plug_net_up_decision(e, m->conf, &n, &dec);
	/* Who plugged it last owns it: lxcnetd's hotplug by the path it took, else the container's start. */
	if (b->plugged_by == PLUGGED_LEGACY || (b->plugged_by == PLUGGED_AT_START && dec.path != PATH_LXCNET)) {
		/* Never fight Proxmox: only a port somebody replugged loses lxcnet's entry. */
		r = replugged || reason == RECONCILE_FORCED ? withdraw(m, b, apply, diff, diff_size) : 0;
		if (r > 0 && apply)
			*ret_action = RECONCILE_WITHDRAWN;
		return r;
	}
	r = plug_resolve_nic(e, b->container, b->net, &n, &t, NULL, &d);
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
	} else {
		*ret_action = RECONCILE_REPLUGGED;
		if (t.fw_fallback[0])
			plug_log_fw_fallback(b->container, b->net, &t);
	}
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
	r = port_in(m, &e, b, reason, reason == RECONCILE_LINK, apply, diff, diff_size, ret_action);
	plug_env_done(&e);
	return r;
}

void fw_rule_stats_free(FwRuleStat *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].origin);
	free(s);
}

/* The guest firewall the files give b's NIC now, compiled (NULL rules when none, or when it cannot be). */
static void fw_desired(Manager *m, const Binding *b, PlugTarget *t)
{
	PlugEnv e;
	PveNet n;
	Diag d = {};

	if (manager_binding_net(m, b, &n) < 0 || plug_env_open(&e, m->pve_dir) < 0)
		return;
	e.fw_mode = m->conf->firewall;
	e.fw_quiet = true;
	(void)plug_resolve_nic(&e, b->container, b->net, &n, t, NULL, &d);
	plug_env_done(&e);
}

int reconcile_fw_rules(Manager *m, const Binding *b, FwRuleStat **ret, size_t *ret_n)
{
	_cleanup_(plug_target_done) PlugTarget t = {};
	_cleanup_free_ struct lxcnet_fw_rule *v = NULL;
	Datapath *dp = manager_datapath(m);
	const FwClassifier *c;
	struct lxcnet_fw fw;
	FwRuleStat *s;
	size_t n, o = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!dp)
		return -ENODEV;
	r = datapath_port_fw_rules(dp, b->port_ifindex, &fw, &v);
	if (r < 0)
		return r;
	n = (size_t)fw.n_rules[LXCNET_FROM_CT] + fw.n_rules[LXCNET_TO_CT];
	if (n)
		fw_desired(m, b, &t);
	c = t.fw_enforcer == FW_ENFORCER_LXCNET && t.fw.rules && t.fw.fw.rules_hash == fw.rules_hash ? t.fw.rules : NULL;
	s = calloc(n ?: 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint8_t dir = 0; dir < _LXCNET_DIR_MAX; dir++)
		for (uint16_t i = 0; i < fw.n_rules[dir]; i++, o++) {
			s[o] = (FwRuleStat){ .dir = dir, .index = i, .verdict = v[o].verdict, .packets = v[o].packets,
					     .bytes = v[o].bytes };
			if (c && i < c->n_rules[dir] && c->origins[dir] && c->origins[dir][i]) {
				s[o].origin = strdup(c->origins[dir][i]);
				if (!s[o].origin) {
					fw_rule_stats_free(s, o);
					return -ENOMEM;
				}
			}
		}
	*ret = s;
	*ret_n = n;
	return 0;
}

/* Look at b, act on a difference, say so; r as reconcile_port(), with *action and diff for a difference. */
static int reconcile_one(Manager *m, PlugEnv *e, Binding *b, ReconcileReason reason, bool replugged,
			 ReconcileAction *action, char *diff, size_t size)
{
	LogContext ctx = { .identifier = "lxcnetd", .vmid = b->container, .ifname = b->ifname };
	bool failed_before = b->reconcile_failed;
	int r;

	*action = RECONCILE_FAILED;
	r = port_in(m, e, b, reason, replugged, true, diff, size, action);
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
		if (failed_before && reason != RECONCILE_FORCED)
			return r;
		/* What is in force stays (a firewall file lxcnet cannot read keeps the rules compiled before): said, counted, signalled. */
		log_ctx(&ctx, LOG_WARNING, "Cannot check net%u of container '%s' ('%s') against its config: %s; left as it is",
			b->net, b->container, b->ifname, diff);
		m->reconcile_total[reason][RECONCILE_FAILED]++;
		manager_emit(m, &(Event){ .type = EVENT_RECONCILED, .binding = b, .action = reconcile_action_name(RECONCILE_FAILED),
					  .reason = reconcile_reason_name(reason), .difference = diff });
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

/* Whether the file at path changed since *was (and remember it now); a missing file is all zeros. */
static bool file_changed(const char *path, struct stat *was)
{
	struct stat st = {};
	bool changed;

	if (!path || stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	changed = st.st_ino != was->st_ino || st.st_dev != was->st_dev || st.st_size != was->st_size ||
		  st.st_mtim.tv_sec != was->st_mtim.tv_sec || st.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
		  st.st_ctim.tv_sec != was->st_ctim.tv_sec || st.st_ctim.tv_nsec != was->st_ctim.tv_nsec;
	*was = st;
	return changed;
}

/* cluster.fw or this node's host.fw changed since the last pass: every guest firewall may have. */
static void firewall_files_changed(Manager *m)
{
	_cleanup_free_ char *cluster = NULL, *host = NULL;
	char node[256];
	bool c, h;

	plug_node_name(node, sizeof(node));
	if (asprintf(&cluster, "%s/firewall/cluster.fw", m->pve_dir) < 0 ||
	    asprintf(&host, "%s/nodes/%s/host.fw", m->pve_dir, node) < 0)
		return;
	c = file_changed(cluster, &m->cluster_fw_st);
	h = file_changed(host, &m->host_fw_st);
	m->fw_changed = c || h;
}

/*
 * Whether b's config file changed since its last look, or for a NIC with
 * firewall=1 its firewall file or cluster.fw or host.fw (and remember them
 * now). Other NICs' firewall files are not looked at: a stat each, every
 * 0.5 s, for every port.
 */
static bool config_changed(Manager *m, Binding *b)
{
	_cleanup_free_ char *path = NULL, *fw = NULL;
	bool conf, fwc = false;

	if (lxc_hook_config_path(b->container, m->pve_dir, m->conf_dir, &path) < 0)
		return false;
	conf = file_changed(path, &b->conf_st);
	if (b->fw_watch)
		fwc = (asprintf(&fw, "%s/firewall/%s.fw", m->pve_dir, b->container) >= 0 && file_changed(fw, &b->fw_st)) ||
		      m->fw_changed;
	return conf || fwc;
}

/* Every binding that is due; full: all of them. Bindings may come and go meanwhile: by index, checked. */
static void pass(Manager *m, bool full)
{
	uint64_t now = clock_usec(CLOCK_REALTIME);
	char diff[DIAG_MAX + 128];
	ReconcileAction action;
	PlugEnv e;
	bool opened = false;

	if (m->conf->reconcile)
		firewall_files_changed(m);
	for (size_t i = 0; i < m->n_bindings; i++) {
		Binding *b = &m->bindings[i];
		ReconcileReason reason;
		bool conf, replugged;

		if (!m->conf->reconcile || b->runtime != RUNTIME_LXC || now - b->since < RECONCILE_YOUNG_USEC ||
		    operations_container_busy(m, b->container) || manager_bind_busy(m, b->container))
			continue;
		conf = config_changed(m, b);
		/* A failed replug changes the link too: that alone is no reason to try again at once. */
		if ((b->reconcile_link || b->reconcile_settings) && b->reconcile_failed && !conf &&
		    clock_usec(CLOCK_MONOTONIC) - b->reconcile_failed_usec < RECONCILE_RETRY_USEC)
			b->reconcile_link = b->reconcile_settings = false;
		/* Only a replug by somebody (its master or state, its datapath filter) may withdraw lxcnet's entry. */
		replugged = b->reconcile_seen && b->reconcile_link;
		if (!b->reconcile_seen)
			reason = RECONCILE_START;
		else if (b->reconcile_link || b->reconcile_settings)
			reason = RECONCILE_LINK; /* before config: Proxmox's hotplug changes both, and only a replug withdraws */
		else if (conf)
			reason = RECONCILE_CONFIG;
		else if (full && !b->reconcile_failed)
			reason = RECONCILE_PERIODIC;
		else
			continue;
		b->reconcile_seen = true;
		b->reconcile_link = b->reconcile_settings = false;
		if (conf)
			b->reconcile_failed = false;
		if (!opened && plug_env_open(&e, m->pve_dir) < 0)
			return; /* no rtnetlink socket now: the next tick */
		if (!opened)
			m->reconcile_orphans = datapath_orphans_possible();
		opened = true;
		(void)reconcile_one(m, &e, b, reason, replugged, &action, diff, sizeof(diff));
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

/*
 * b's master or state changed (not by a binding's first appearance), or
 * with settings only its VLAN membership or shaper: look at it once things
 * settled.
 */
static void link_changed(Manager *m, Binding *b, bool settings)
{
	if (settings)
		b->reconcile_settings = true;
	else
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
	if (ev->type == EVENT_OPERATION_DONE && ev->operation->kind != OP_REMOVE) {
		/* lxcnetd's own hotplug decides who owns the NIC now, whatever the phase gives net-up. */
		(void)manager_set_plugged_by(m, ev->operation->container, ev->operation->net,
					     ev->operation->done_path == PATH_LXCNET ? PLUGGED_LXCNET : PLUGGED_LEGACY);
		return;
	}
	if (ev->type != EVENT_PORT_CHANGED || !m->conf || !m->conf->reconcile)
		return;
	/* The registry's own entry, to mark. */
	b = ev->binding->runtime == RUNTIME_LXC ? manager_find(m, ev->binding->container, ev->binding->net) : NULL;
	if (b)
		link_changed(m, b, ev->settings);
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
	char diff[DIAG_MAX + 128];
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

		/* An OCI or CNI port's desired state is its runtime's, which lxcnetd does not read. */
		if (b->runtime != RUNTIME_LXC || (*container && strcmp(b->container, container) != 0))
			continue;
		if (operations_container_busy(m, b->container) || manager_bind_busy(m, b->container)) {
			r = fn(b->container, b->nic, "busy", "a hotplug operation or a bind of the container is in progress", userdata);
			continue;
		}
		if (apply) {
			(void)config_changed(m, b);
			b->reconcile_seen = true;
			b->reconcile_link = b->reconcile_settings = false;
			q = reconcile_one(m, &e, b, RECONCILE_FORCED, false, &action, diff, sizeof(diff));
		} else
			q = port_in(m, &e, b, RECONCILE_FORCED, false, false, diff, sizeof(diff), &action);
		if (q == 0)
			continue;
		what = q < 0 ? "unknown" : apply ? reconcile_action_name(action) : "differs";
		r = fn(b->container, b->nic, what, diff, userdata);
	}
	plug_env_done(&e);
	return r;
}
