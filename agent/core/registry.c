/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The binding registry: which container interface is plugged where, from
 * the kernel's links (rtnetlink dumps and events), the hooks' notifications
 * and the state file; each change an event (event.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <json-c/json.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <malloc.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/rtnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "api/notify.h"
#include "clock.h"
#include "fw-bridge.h"
#include "lxc-hook.h"
#include "lxc-netconf.h"
#include "log.h"
#include "manager.h"
#include "netlink-link.h"
#include "plug.h"
#include "shaper.h"
#include "strutil.h"

static const LogContext lctx = { .identifier = "lxcnetd" };

/*
 * The bindings by (container, net) and by ifindex: two open-addressing
 * tables of array index + 1 (0: empty), at most half full. Adding a
 * binding adds it; removing one moves the last into its place, so the
 * tables are rebuilt, in O(bindings), at the next look-up. A rebuild or a
 * dump of 10,000 links so stays O(n) instead of O(n^2).
 */
static uint32_t hash_name(const char *container, const char *nic)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)container; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ '\n') * 16777619u;
	for (const unsigned char *p = (const unsigned char *)nic; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static bool binding_is(const Binding *b, BindingRuntime runtime, const char *container, const char *nic)
{
	return b->runtime == runtime && strcmp(b->nic, nic) == 0 && strcmp(b->container, container) == 0;
}

const char *binding_runtime_name(BindingRuntime r)
{
	static const char *const names[_RUNTIME_MAX] = {
		[RUNTIME_LXC] = "lxc",
		[RUNTIME_OCI] = "oci",
		[RUNTIME_CNI] = "cni",
	};

	return r < _RUNTIME_MAX ? names[r] : "";
}

static uint32_t hash_ifindex(int ifindex)
{
	return (uint32_t)ifindex * 2654435761u;
}

static void index_put(BindingIndex *x, uint32_t *slots, uint32_t h, size_t i)
{
	size_t mask = x->size - 1, at = h & mask;

	while (slots[at])
		at = (at + 1) & mask;
	slots[at] = (uint32_t)i + 1;
}

static void index_add(Manager *m, size_t i)
{
	BindingIndex *x = &m->index;

	if (x->dirty || (m->n_bindings + 1) * 2 > x->size) {
		x->dirty = true;
		return;
	}
	index_put(x, x->by_name, hash_name(m->bindings[i].container, m->bindings[i].nic), i);
	index_put(x, x->by_ifindex, hash_ifindex(m->bindings[i].ifindex), i);
}

/* false when there is no memory for it: the callers then search the array. */
static bool index_ready(Manager *m)
{
	BindingIndex *x = &m->index;
	size_t size = 64;

	if (!x->dirty && x->size)
		return true;
	while (size < m->n_bindings * 4)
		size *= 2;
	free(x->by_name);
	free(x->by_ifindex);
	x->by_name = calloc(size, sizeof(*x->by_name));
	x->by_ifindex = calloc(size, sizeof(*x->by_ifindex));
	if (!x->by_name || !x->by_ifindex) {
		free(x->by_name);
		free(x->by_ifindex);
		*x = (BindingIndex){ .dirty = true };
		return false;
	}
	x->size = size;
	x->dirty = false;
	for (size_t i = 0; i < m->n_bindings; i++)
		index_add(m, i);
	return true;
}

static Binding *find_key(Manager *m, BindingRuntime runtime, const char *container, const char *nic)
{
	BindingIndex *x = &m->index;

	if (!index_ready(m)) {
		for (size_t i = 0; i < m->n_bindings; i++)
			if (binding_is(&m->bindings[i], runtime, container, nic))
				return &m->bindings[i];
		return NULL;
	}
	for (size_t at = hash_name(container, nic) & (x->size - 1); x->by_name[at]; at = (at + 1) & (x->size - 1)) {
		Binding *b = &m->bindings[x->by_name[at] - 1];

		if (binding_is(b, runtime, container, nic))
			return b;
	}
	return NULL;
}

Binding *manager_find(Manager *m, const char *container, unsigned net)
{
	char nic[16];

	snprintf(nic, sizeof(nic), "net%u", net);
	return find_key(m, RUNTIME_LXC, container, nic);
}

Binding *manager_find_nic(Manager *m, const char *container, const char *nic)
{
	Binding *b = NULL;

	for (BindingRuntime r = 0; !b && r < _RUNTIME_MAX; r++)
		b = find_key(m, r, container, nic);
	return b;
}

static Binding *find_ifindex(Manager *m, int ifindex)
{
	BindingIndex *x = &m->index;

	if (!index_ready(m)) {
		for (size_t i = 0; i < m->n_bindings; i++)
			if (m->bindings[i].ifindex == ifindex)
				return &m->bindings[i];
		return NULL;
	}
	for (size_t at = hash_ifindex(ifindex) & (x->size - 1); x->by_ifindex[at]; at = (at + 1) & (x->size - 1)) {
		Binding *b = &m->bindings[x->by_ifindex[at] - 1];

		if (b->ifindex == ifindex)
			return b;
	}
	return NULL;
}

size_t manager_count_container(Manager *m, const char *container)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_bindings; i++)
		n += strcmp(m->bindings[i].container, container) == 0;
	return n;
}

/* Ports whose filter runs a datapath nobody can reach any more: say which, since nothing else will. */
static void log_orphaned_ports(Manager *m)
{
	if (!datapath_orphans_possible())
		return;
	for (size_t i = 0; i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (datapath_port_orphaned(b->port_ifindex))
			log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = b->container, .ifname = b->ifname }, LOG_WARNING,
				"Interface '%s' of container '%s' runs an eBPF datapath whose pins were removed: its policy and "
				"counters cannot be read or changed until it is plugged again (restart the container or hotplug "
				"update the NIC)",
				b->ifname, b->container);
	}
}

Datapath *manager_datapath(Manager *m)
{
	Diag d = {};

	if (m->dp && !datapath_current(m->dp)) {
		log_ctx(&lctx, LOG_WARNING, "The eBPF datapath pinned in '%s' was removed or replaced; opening the pinned one again",
			m->dp->pin_dir);
		datapath_free(m->dp);
		m->dp = NULL;
		if (datapath_open(false, &m->dp, &d) < 0)
			log_ctx(&lctx, LOG_WARNING, "No eBPF datapath is pinned now (%s); the next hook pins one", d.msg);
		else
			log_ctx(&lctx, LOG_INFO, "Opened the eBPF datapath pinned in '%s'", m->dp->pin_dir);
		log_orphaned_ports(m);
		manager_status(m);
		return m->dp;
	}
	if (!m->dp)
		(void)datapath_open(false, &m->dp, &d);
	return m->dp;
}

/* Renew the datapath's connection filter when min_fill bytes of it are set (0: now). */
static void ct_seen_renew(Manager *m, size_t min_fill)
{
	Datapath *dp = manager_datapath(m);
	DatapathCtSeen st = {};
	int r;

	if (!dp)
		return;
	r = datapath_ct_seen_renew(dp->ct_seen_fd, dp->ct4_fd, dp->ct6_fd, min_fill, &st);
	if (r < 0)
		log_ctx(&lctx, LOG_WARNING,
			"Cannot renew the datapath's connection filter: %s; new connections' packets look the "
			"connection maps up more often",
			strerror(-r));
	else if (st.renewed)
		log_ctx(&lctx, LOG_DEBUG, "Renewed the datapath's connection filter: %zu connections, %zu of %u bytes set (%zu before)",
			st.connections, st.set_after, LXCNET_CT_SEEN_BYTES, st.set_before);
}

static int on_ct_seen_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)usec;
	ct_seen_renew(userdata, DATAPATH_CT_SEEN_RENEW_FILL);
	return sd_event_source_set_time_relative(s, MANAGER_CT_SEEN_USEC);
}

/* What lxcnetd needs of one RTM_NEWLINK/RTM_DELLINK: not the whole link, so 20,000 links cost nothing. */
typedef struct LinkMsg {
	bool deleted;
	int ifindex;
	const char *name; /* NULL when absent */
	const char *kind; /* NULL when the message carries no link info */
	const char *alias; /* NULL when it has none */
	int master;
	bool up;
} LinkMsg;

static int link_msg_parse(struct nlmsghdr *h, LinkMsg *ret)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct ifinfomsg *ifi;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) || !nlmsg_valid_hdr(h, sizeof(*ifi)))
		return -EINVAL;
	ifi = nlmsg_data(h);
	/*
	 * The bridge reports its ports as AF_BRIDGE link messages, and a port
	 * leaving the bridge as an AF_BRIDGE delete: the interface is still there.
	 */
	if (ifi->ifi_family == AF_BRIDGE)
		return -EINVAL;
	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return -EINVAL;
	*ret = (LinkMsg){
		.deleted = h->nlmsg_type == RTM_DELLINK,
		.ifindex = ifi->ifi_index,
		.up = ifi->ifi_flags & IFF_UP,
		.name = tb[IFLA_IFNAME] ? nla_get_string(tb[IFLA_IFNAME]) : NULL,
		.master = tb[IFLA_MASTER] ? (int)nla_get_u32(tb[IFLA_MASTER]) : 0,
		.alias = tb[IFLA_IFALIAS] ? nla_get_string(tb[IFLA_IFALIAS]) : NULL,
	};
	if (tb[IFLA_LINKINFO] && nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) >= 0)
		ret->kind = info[IFLA_INFO_KIND] ? nla_get_string(info[IFLA_INFO_KIND]) : "";
	return 0;
}

/*
 * A veth in its Proxmox firewall bridge: the datapath is on the fwpr end,
 * which is in the guest's bridge. Asked on a socket of its own: this runs
 * inside the dump of m->nl.
 */
static void binding_fw_bridge(Binding *b)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	FwBridge fb;
	LinkInfo li;

	if (!b->bridge[0] || fw_bridge_names(b->ifname, &fb) < 0 || strcmp(b->bridge, fb.fwbr) != 0)
		return;
	if (netlink_open(&sk) < 0 || link_get(sk, fb.fwpr, &li) < 0)
		return;
	b->port_ifindex = li.ifindex;
	if (li.master <= 0 || !if_indextoname((unsigned)li.master, b->bridge))
		b->bridge[0] = '\0';
}

/* The NIC's name in the API of the port an alias names: "net<N>" (OCI), "<network>/<ifname>" (CNI). */
static void owner_nic(const PlugOwner *o, char nic[BINDING_NIC_MAX])
{
	if (o->cni)
		snprintf(nic, BINDING_NIC_MAX, "%s/%s", o->network, o->ifname);
	else
		snprintf(nic, BINDING_NIC_MAX, "net%u", o->net);
}

/*
 * Fill b from a link; false when the link is not a container's host veth.
 * A message without the link kind (not every RTM_NEWLINK carries it) keeps
 * an existing binding's identity.
 */
static bool binding_from_link(Manager *m, const LinkMsg *l, Binding *b)
{
	const Binding *was = find_ifindex(m, l->ifindex);
	PlugOwner o;

	if (!l->name || (l->kind && strcmp(l->kind, "veth") != 0))
		return false;
	if (!l->kind && !was)
		return false;
	if (lxc_netconf_parse_host_ifname(l->name, b->container, sizeof(b->container), &b->net) >= 0) {
		b->runtime = RUNTIME_LXC;
		snprintf(b->nic, sizeof(b->nic), "net%u", b->net);
	} else if (plug_owner_parse(l->alias, &o) >= 0) {
		/* The OCI hook's or the CNI plugin's (the alias is set after the link is made: its first note has none). */
		b->runtime = o.cni ? RUNTIME_CNI : RUNTIME_OCI;
		snprintf(b->container, sizeof(b->container), "%s", o.container);
		b->net = o.net;
		owner_nic(&o, b->nic);
	} else if (!l->alias && was && was->runtime != RUNTIME_LXC && strcmp(was->ifname, l->name) == 0) {
		/* A note without the alias (not every one carries it) of a port known by its alias. */
		b->runtime = was->runtime;
		strcpy(b->container, was->container);
		b->net = was->net;
		strcpy(b->nic, was->nic);
	} else
		return false;
	snprintf(b->ifname, sizeof(b->ifname), "%s", l->name);
	b->ifindex = b->port_ifindex = l->ifindex;
	b->up = l->up;
	b->bridge[0] = '\0';
	if (l->master > 0 && !if_indextoname((unsigned)l->master, b->bridge))
		b->bridge[0] = '\0';
	binding_fw_bridge(b);
	return true;
}

static void remove_binding(Manager *m, Binding *b)
{
	Binding gone = *b;

	/* Order does not matter (ListContainers sorts): the last one takes its place, O(1). */
	*b = m->bindings[--m->n_bindings];
	m->index.dirty = true;
	/* The port is gone: its datapath entry and shaper must not outlive it. */
	if (manager_datapath(m))
		(void)datapath_port_clear(m->dp, gone.ifindex);
	(void)shaper_clear(m->nl, gone.ifindex);
	/* A firewall bridge's fwpr outlives the veth until post-stop deletes it: it counts nothing any more. */
	if (gone.port_ifindex != gone.ifindex) {
		if (m->dp)
			(void)datapath_port_clear(m->dp, gone.port_ifindex);
		(void)shaper_clear(m->nl, gone.port_ifindex);
	}
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = gone.container, .ifname = gone.ifname }, LOG_INFO,
		"Interface '%s' of container '%s' is gone, binding ended", gone.ifname, gone.container);
	if (gone.vnet[0])
		manager_emit_binding(m, EVENT_VNET_UNBOUND, &gone);
	manager_emit_binding(m, EVENT_BINDING_CHANGED, &gone);
	/* Counting is O(bindings): only when the event goes out (not while rebuilding). */
	if (m->announce && manager_count_container(m, gone.container) == 0)
		manager_emit_container(m, EVENT_CONTAINER_STOPPED, gone.container);
}

/*
 * A link appeared or changed: add or update its binding. True when a binding
 * was added or removed, i.e. when what is saved (container, net, VNet, since)
 * changed; bridge and link state are the kernel's and are not saved.
 */
static bool link_changed(Manager *m, const LinkMsg *l)
{
	Binding nb = {}, *b;

	if (!binding_from_link(m, l, &nb)) {
		/* A renamed or retyped link that was a binding is one no more. */
		b = find_ifindex(m, l->ifindex);
		if (!b)
			return false;
		remove_binding(m, b);
		return true;
	}
	b = find_key(m, nb.runtime, nb.container, nb.nic);
	if (b && b->ifindex != nb.ifindex) {
		/* The same netN with a new interface: a restart we missed the end of. */
		strcpy(nb.vnet, b->vnet);
		remove_binding(m, b);
		b = NULL;
	}
	if (!b) {
		bool first = m->announce && manager_count_container(m, nb.container) == 0;

		b = array_grow(&m->bindings, m->n_bindings, sizeof(*b));
		if (!b)
			return false;
		m->n_bindings++;
		*b = nb;
		b->since = clock_usec(CLOCK_REALTIME);
		b->seen = true;
		index_add(m, m->n_bindings - 1);
		if (first)
			manager_emit_container(m, EVENT_CONTAINER_STARTED, b->container);
		manager_emit_binding(m, EVENT_BINDING_CHANGED, b);
		return true;
	}
	b->seen = true;
	b->port_ifindex = nb.port_ifindex;
	if (strcmp(b->bridge, nb.bridge) != 0 || b->up != nb.up) {
		strcpy(b->bridge, nb.bridge);
		b->up = nb.up;
		manager_emit_binding(m, EVENT_PORT_CHANGED, b);
		manager_emit_binding(m, EVENT_BINDING_CHANGED, b);
		manager_emit_binding_properties(m, b, "Bridge", "State", NULL);
	}
	return false;
}

/*
 * A host end plugged by the OCI hook or the CNI plugin (their alias says
 * so, "lxcnet-oci ..." or "lxcnet-cni ...") is gone: usually with its
 * container's namespace, and after a failed OCI start with no poststop to
 * follow. What the datapath and the shaper kept for it goes now, before
 * its ifindex can be reused.
 */
static void unplugged_gone(Manager *m, const LinkMsg *l)
{
	if (!l->alias || (strncmp(l->alias, "lxcnet-oci ", 11) != 0 && strncmp(l->alias, "lxcnet-cni ", 11) != 0))
		return;
	if (manager_datapath(m))
		(void)datapath_port_clear(m->dp, l->ifindex);
	(void)shaper_clear(m->nl, l->ifindex);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .ifname = l->name }, LOG_INFO,
		"Interface '%s' (%s) is gone, its datapath entry removed", l->name ? l->name : "?", l->alias);
}

/* One parsed link message; true when what is saved changed. */
static bool link_msg(Manager *m, const LinkMsg *l)
{
	Binding *b;

	if (!l->deleted)
		return link_changed(m, l);
	b = find_ifindex(m, l->ifindex);
	if (!b) {
		unplugged_gone(m, l);
		return false;
	}
	remove_binding(m, b);
	return true;
}

bool registry_link_msg(Manager *m, struct nlmsghdr *h)
{
	LinkMsg l;

	return link_msg_parse(h, &l) >= 0 && link_msg(m, &l);
}

/* The binding whose datapath sits on ifindex (its veth, or the fwpr of its firewall bridge), or NULL. */
static Binding *find_port(Manager *m, int ifindex)
{
	Binding *b = find_ifindex(m, ifindex);

	for (size_t i = 0; !b && i < m->n_bindings; i++)
		if (m->bindings[i].port_ifindex == ifindex)
			b = &m->bindings[i];
	return b;
}

/*
 * Something of a bound port changed that its link does not show: a tc
 * filter deleted (lxcnet's datapath taken off it, as a replug would), or
 * only its settings: a qdisc of its own or of its shaper's ifb
 * ("lxr<port>"), or its VLAN membership (the bridge's AF_BRIDGE note).
 * By hand, or by anything but lxcnet: reconciliation looks at it.
 */
static void port_msg(Manager *m, struct nlmsghdr *h)
{
	char name[IFNAMSIZ];
	unsigned port;
	int ifindex, end;
	Binding *b;

	if (h->nlmsg_type == RTM_NEWLINK) {
		if (!nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
			return;
		ifindex = ((const struct ifinfomsg *)nlmsg_data(h))->ifi_index;
	} else {
		if (!nlmsg_valid_hdr(h, sizeof(struct tcmsg)))
			return;
		ifindex = ((const struct tcmsg *)nlmsg_data(h))->tcm_ifindex;
	}
	b = find_port(m, ifindex);
	if (!b && h->nlmsg_type != RTM_NEWLINK && if_indextoname((unsigned)ifindex, name) &&
	    sscanf(name, SHAPER_IFB_PREFIX "%u%n", &port, &end) == 1 && name[end] == '\0' && port <= INT_MAX)
		b = find_port(m, (int)port);
	if (b)
		manager_emit(m, &(Event){ .type = EVENT_PORT_CHANGED, .binding = b, .settings = h->nlmsg_type != RTM_DELTFILTER });
}

static bool is_port_msg(const struct nlmsghdr *h)
{
	switch (h->nlmsg_type) {
	case RTM_DELTFILTER:
	case RTM_NEWQDISC:
	case RTM_DELQDISC:
		return true;
	case RTM_NEWLINK:
		return nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)) &&
		       ((const struct ifinfomsg *)nlmsg_data(h))->ifi_family == AF_BRIDGE;
	default:
		return false;
	}
}

void registry_event_msg(Manager *m, struct nlmsghdr *h)
{
	LinkMsg l;

	if (is_port_msg(h)) {
		port_msg(m, h);
		return;
	}
	if (link_msg_parse(h, &l) < 0)
		return;
	manager_emit(m, &(Event){ .type = EVENT_LINK, .ifname = l.name, .ifindex = l.ifindex, .deleted = l.deleted });
	m->dirty |= link_msg(m, &l);
}

static int on_event_msg(struct nl_msg *msg, void *userdata)
{
	registry_event_msg(userdata, nlmsg_hdr(msg));
	return NL_OK;
}

static int on_dump_msg(struct nl_msg *msg, void *userdata)
{
	(void)registry_link_msg(userdata, nlmsg_hdr(msg));
	return NL_OK;
}

/*
 * Every link of the host, once: bindings are refreshed, new ones added, and
 * those whose link is gone ended (events may have been lost).
 */
static int resync(Manager *m)
{
	struct nl_cb *base, *cb;
	int r;

	for (size_t i = 0; i < m->n_bindings; i++)
		m->bindings[i].seen = false;
	{
		_cleanup_(nlmsg_freep) struct nl_msg *req = NULL;

		/* Without statistics: the kernel fills each of 10,000 links faster. */
		r = link_dump_request(NULL, &req);
		if (r < 0)
			return r;
		r = nl_send_auto(m->nl, req);
		if (r < 0)
			return nlerr_to_errno(r);
	}
	base = nl_socket_get_cb(m->nl); /* a new reference */
	cb = base ? nl_cb_clone(base) : NULL;
	nl_cb_put(base);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_dump_msg, m);
	r = nl_recvmsgs(m->nl, cb);
	nl_cb_put(cb);
	if (r < 0)
		return nlerr_to_errno(r);
	for (size_t i = m->n_bindings; i > 0; i--)
		if (!m->bindings[i - 1].seen)
			remove_binding(m, &m->bindings[i - 1]);
	return 0;
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	int r;

	(void)s;
	(void)fd;
	(void)revents;
	m->dirty = false;
	r = nl_recvmsgs_default(m->events);
	if (r == -NLE_NOMEM) {
		/* The socket overflowed (ENOBUFS): events were lost, read the whole state again. */
		log_ctx(&lctx, LOG_WARNING, "rtnetlink events were lost; reading every link again");
		(void)resync(m);
		m->dirty = true;
	}
	/* Only when a binding came or went: most link events are not ours. */
	if (m->dirty) {
		manager_save_later(m);
		manager_status(m);
	}
	return 0;
}

/* Take the events already queued (a hook's datagram may be read before its link's event). */
static void drain_events(Manager *m)
{
	struct pollfd p = { .fd = m->events ? nl_socket_get_fd(m->events) : -1, .events = POLLIN };

	if (p.fd < 0)
		return; /* not following rtnetlink (yet) */
	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
		(void)on_netlink(NULL, p.fd, p.revents, m);
}

const char *plugged_by_name(PluggedBy p)
{
	static const char *const names[_PLUGGED_MAX] = {
		[PLUGGED_AT_START] = "",
		[PLUGGED_LXCNET] = "lxcnet",
		[PLUGGED_LEGACY] = "legacy",
	};

	return p < _PLUGGED_MAX ? names[p] : "";
}

/* netN of container, also when its link is still an unread event (a hook's or an operation's note comes first). */
static Binding *find_now(Manager *m, const char *container, unsigned net)
{
	Binding *b = manager_find(m, container, net);

	if (!b) {
		drain_events(m);
		b = manager_find(m, container, net);
	}
	return b;
}

int manager_set_plugged_by(Manager *m, const char *container, unsigned net, PluggedBy who)
{
	Binding *b = find_now(m, container, net);

	if (!b)
		return -ENOENT;
	if (b->plugged_by != who) {
		b->plugged_by = who;
		manager_save_later(m);
	}
	return 0;
}

int manager_notify(Manager *m, const char *container, unsigned net, const char *vnet)
{
	Binding *b = find_now(m, container, net);

	if (!b)
		return -ENOENT;
	if (strcmp(b->vnet, vnet ? vnet : "") == 0)
		return 0;
	snprintf(b->vnet, sizeof(b->vnet), "%s", vnet ? vnet : "");
	if (b->vnet[0])
		manager_emit_binding(m, EVENT_VNET_BOUND, b);
	manager_emit_binding(m, EVENT_BINDING_CHANGED, b);
	manager_emit_binding_properties(m, b, "VNet", "Zone", NULL);
	manager_save_later(m);
	return 0;
}

/* One datagram from a hook (api/notify.h), from root only. */
static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	char buf[LXCNET_NOTIFY_MAX * 2], cmsgbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsgbuf, .msg_controllen = sizeof(cmsgbuf) };
	const struct ucred *cred = NULL;
	NotifyMessage msg;
	bool failed;
	ssize_t n;

	(void)s;
	(void)revents;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			cred = (const struct ucred *)CMSG_DATA(c);
	if (!cred || cred->uid != 0) {
		log_ctx(&lctx, LOG_WARNING, "Ignoring a notification from uid %d (only root may notify)", cred ? (int)cred->uid : -1);
		return 0;
	}
	if ((size_t)n >= sizeof(buf) || notify_parse(buf, (size_t)n, &msg, &failed) < 0) {
		log_ctx(&lctx, LOG_WARNING, "Ignoring a malformed notification");
		return 0;
	}
	if (msg.report)
		manager_record_op(m, msg.op, msg.path, msg.ok, msg.fallback, msg.usec);
	/* A failed plug leaves no interface behind to bind. */
	if (failed)
		return 0;
	if (manager_notify(m, msg.container, msg.net, msg.vnet) < 0)
		log_ctx(&lctx, LOG_WARNING, "Notification for net%u of container '%s', which has no interface", msg.net,
			msg.container);
	return 0;
}

static int notify_socket_open(Manager *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = strdup(m->notify_path);
	int one = 1, fd;

	/* lxcnetd checked that it is an absolute path that fits. */
	if (!dir || m->notify_path[0] != '/' || strlen(m->notify_path) >= sizeof(sa.sun_path))
		return -EINVAL;
	*strrchr(dir, '/') = '\0';
	if (*dir && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int r = negative_errno();

		log_ctx(&lctx, LOG_ERR, "Cannot create the notify socket's directory '%s': %s", dir, strerror(-r));
		return r;
	}
	strcpy(sa.sun_path, m->notify_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	(void)unlink(m->notify_path);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(m->notify_path, 0600) < 0) {
		int r = negative_errno();

		close(fd);
		log_ctx(&lctx, LOG_ERR, "Cannot listen on the notify socket '%s': %s", m->notify_path, strerror(-r));
		return r;
	}
	m->notify_fd = fd;
	return 0;
}

static int on_save_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	(void)usec;
	m->save_timer = sd_event_source_unref(s);
	(void)manager_save(m);
	return 0;
}

void manager_save_later(Manager *m)
{
	/* A node stopping 300 containers is thousands of events: one write for all of them. */
	if (m->save_timer)
		return;
	if (sd_event_add_time_relative(m->event, &m->save_timer, CLOCK_MONOTONIC, MANAGER_SAVE_DELAY_USEC, 0,
				       on_save_timer, m) < 0)
		(void)manager_save(m);
}

int manager_save(Manager *m)
{
	_cleanup_free_ char *tmp = NULL;
	json_object *a = json_object_new_array();
	const char *text;
	int r;

	for (size_t i = 0; i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "container", json_object_new_string(b->container));
		json_object_object_add(o, "net", json_object_new_int((int)b->net));
		if (b->runtime != RUNTIME_LXC) {
			json_object_object_add(o, "runtime", json_object_new_string(binding_runtime_name(b->runtime)));
			json_object_object_add(o, "nic", json_object_new_string(b->nic));
		}
		json_object_object_add(o, "vnet", json_object_new_string(b->vnet));
		json_object_object_add(o, "since", json_object_new_int64((int64_t)b->since));
		if (b->plugged_by != PLUGGED_AT_START) {
			/* For this port only: the container's next start plugs another one. */
			json_object_object_add(o, "plugged", json_object_new_string(plugged_by_name(b->plugged_by)));
			json_object_object_add(o, "ifindex", json_object_new_int(b->ifindex));
		}
		json_object_array_add(a, o);
	}
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	if (asprintf(&tmp, "%s.tmp", m->state_file) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	/* Atomically, never through a planted link: a crash leaves the old or the new file, never half of one. */
	r = write_file_sync(tmp, 0644, text, strlen(text));
	if (r >= 0 && rename(tmp, m->state_file) < 0)
		r = negative_errno();
	if (r >= 0)
		r = fsync_parent_dir(m->state_file);
	if (r < 0) {
		(void)unlink(tmp);
		log_ctx(&lctx, LOG_ERR, "Cannot save the bindings to '%s': %s", m->state_file, strerror(-r));
	}
	json_object_put(a);
	return r;
}

/* One entry of the state file, as manager_save() writes it. */
typedef struct StateEntry {
	BindingRuntime runtime;
	const char *container;
	unsigned net;
	char nic[BINDING_NIC_MAX];
	const char *vnet;
	uint64_t since;
	PluggedBy plugged;
	int ifindex;
} StateEntry;

/* Its runtime and NIC name: LXC's netN, or an OCI or CNI port's, checked as such a port's alias would be. */
static bool state_entry_runtime(json_object *o, StateEntry *e, const char **ret_why)
{
	PlugOwner own = { .net = e->net }, back;
	char alias[LINK_ALIAS_MAX];
	json_object *rt, *nic;
	const char *slash;

	if (!json_object_object_get_ex(o, "runtime", &rt)) {
		if (!ct_name_valid(e->container))
			return *ret_why = "container: not a container name", false;
		snprintf(e->nic, sizeof(e->nic), "net%u", e->net);
		return true;
	}
	if (!json_object_is_type(rt, json_type_string) || !json_object_object_get_ex(o, "nic", &nic) ||
	    !json_object_is_type(nic, json_type_string))
		return *ret_why = "runtime, nic: not strings", false;
	slash = strchr(json_object_get_string(nic), '/');
	if (strcmp(json_object_get_string(rt), "oci") == 0)
		e->runtime = RUNTIME_OCI;
	else if (strcmp(json_object_get_string(rt), "cni") == 0 && slash &&
		 slash - json_object_get_string(nic) <= PLUG_OWNER_NETWORK_MAX && strlen(slash + 1) < IFNAMSIZ) {
		e->runtime = RUNTIME_CNI;
		own.cni = true;
		snprintf(own.network, sizeof(own.network), "%.*s", (int)(slash - json_object_get_string(nic)),
			 json_object_get_string(nic));
		snprintf(own.ifname, sizeof(own.ifname), "%s", slash + 1);
	} else
		return *ret_why = "runtime: not oci, or cni with a <network>/<ifname> nic", false;
	if (strlen(e->container) > PLUG_OWNER_ID_MAX)
		return *ret_why = "container: not a container id", false;
	snprintf(own.container, sizeof(own.container), "%s", e->container);
	plug_owner_alias(&own, alias, sizeof(alias));
	if (plug_owner_parse(alias, &back) < 0)
		return *ret_why = "container, nic: not a container id and a NIC of its runtime", false;
	owner_nic(&own, e->nic);
	return true;
}

/* A saved entry is only used as lxcnet writes them: anything else is dropped, with the reason. */
static bool state_entry_valid(json_object *o, StateEntry *ret, const char **ret_why)
{
	json_object *c, *n, *v = NULL, *s = NULL, *p = NULL, *x = NULL;
	PluggedBy plugged = PLUGGED_AT_START;
	int64_t ifindex = 0;
	const char *vnet = "";
	int64_t net, since = 0;

	*ret = (StateEntry){ .runtime = RUNTIME_LXC };
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "container", &c) ||
	    !json_object_is_type(c, json_type_string) || !json_object_object_get_ex(o, "net", &n) ||
	    !json_object_is_type(n, json_type_int))
		return *ret_why = "not an object with a container name and a net number", false;
	ret->container = json_object_get_string(c);
	net = json_object_get_int64(n);
	if (net < 0 || net >= PVE_NET_MAX)
		return *ret_why = "net: not 0..31", false;
	ret->net = (unsigned)net;
	if (!state_entry_runtime(o, ret, ret_why))
		return false;
	if (json_object_object_get_ex(o, "vnet", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return *ret_why = "vnet: not a string", false;
		vnet = json_object_get_string(v);
		if (*vnet && !sdn_id_valid(vnet))
			return *ret_why = "vnet: not a VNet id", false;
	}
	if (json_object_object_get_ex(o, "since", &s)) {
		if (!json_object_is_type(s, json_type_int) || (since = json_object_get_int64(s)) < 0)
			return *ret_why = "since: not a time", false;
	}
	if (json_object_object_get_ex(o, "plugged", &p)) {
		if (!json_object_is_type(p, json_type_string))
			return *ret_why = "plugged: not a string", false;
		while (plugged < _PLUGGED_MAX && strcmp(plugged_by_name(plugged), json_object_get_string(p)) != 0)
			plugged++;
		if (plugged == _PLUGGED_MAX)
			return *ret_why = "plugged: not lxcnet or legacy", false;
		if (!json_object_object_get_ex(o, "ifindex", &x) || !json_object_is_type(x, json_type_int) ||
		    (ifindex = json_object_get_int64(x)) <= 0 || ifindex > INT_MAX)
			return *ret_why = "ifindex: not an interface index", false;
	}
	ret->vnet = vnet;
	ret->since = (uint64_t)since;
	ret->plugged = plugged;
	ret->ifindex = (int)ifindex;
	return true;
}

/*
 * Saved VNet annotations, start times and who plugged a port by hotplug,
 * for bindings whose interface still exists. A file that cannot be read or parsed is kept as <file>.bad (the
 * next save replaces the file) and said so.
 */
static void load_state(Manager *m)
{
	_cleanup_free_ char *data = NULL, *bad = NULL;
	enum json_tokener_error jerr = json_tokener_success;
	json_object *a = NULL;
	const char *why;
	bool kept;
	size_t size;
	int r;

	r = read_full_file(m->state_file, MANAGER_STATE_MAX, &data, &size);
	if (r == -ENOENT)
		return;
	if (r >= 0) {
		a = json_tokener_parse_verbose(data, &jerr);
		if (a && json_object_is_type(a, json_type_array))
			goto parsed;
	}
	why = r == -EFBIG ? "larger than 16 MiB" : r < 0 ? strerror(-r) : a ? "not a JSON array" : json_tokener_error_desc(jerr);
	json_object_put(a);
	if (asprintf(&bad, "%s.bad", m->state_file) < 0)
		return;
	kept = rename(m->state_file, bad) == 0;
	log_ctx(&lctx, LOG_WARNING, "Ignoring the state file '%s': %s; its VNet annotations are lost%s%s", m->state_file, why,
		kept ? ", the file is kept as " : "", kept ? bad : "");
	return;

parsed:
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		StateEntry e;
		Binding *b;

		if (!state_entry_valid(json_object_array_get_idx(a, i), &e, &why)) {
			log_ctx(&lctx, LOG_WARNING, "Ignoring entry %zu of the state file '%s': %s", i, m->state_file, why);
			m->rebuild_dropped++;
			continue;
		}
		b = find_key(m, e.runtime, e.container, e.nic);
		if (!b) {
			m->rebuild_dropped++;
			continue;
		}
		snprintf(b->vnet, sizeof(b->vnet), "%s", e.vnet);
		/* Who plugged it holds for that port: a start since plugged a new one. */
		b->plugged_by = b->ifindex == e.ifindex ? e.plugged : PLUGGED_AT_START;
		if (e.since)
			b->since = e.since;
	}
	json_object_put(a);
}

int manager_reload(Manager *m)
{
	int r;

	/* Events first: what is queued is older than the dump. */
	drain_events(m);
	r = resync(m);
	/* Pins removed under the agent: it follows the pinned datapath again. */
	(void)manager_datapath(m);
	manager_status(m);
	return r;
}

void manager_status(Manager *m)
{
	if (m->announce)
		(void)sd_notifyf(false, "STATUS=%zu bound interfaces%s", m->n_bindings, m->dp ? "" : ", no eBPF datapath");
}

int registry_rebuild(Manager *m)
{
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);
	Diag d = {};
	int r;

	/*
	 * Subscribe before the dump: events queued meanwhile are applied after
	 * it, in order, so the registry converges on the kernel's state.
	 */
	m->events = nl_socket_alloc();
	if (!m->events)
		return -ENOMEM;
	nl_socket_disable_seq_check(m->events);
	nl_socket_enable_msg_peek(m->events);
	nl_socket_modify_cb(m->events, NL_CB_VALID, NL_CB_CUSTOM, on_event_msg, m);
	r = nl_connect(m->events, NETLINK_ROUTE);
	if (r >= 0)
		r = nl_socket_add_membership(m->events, RTNLGRP_LINK);
	/* Deleted tc filters: a port's datapath program gone (reconcile.h). */
	if (r >= 0)
		r = nl_socket_add_membership(m->events, RTNLGRP_TC);
	if (r >= 0)
		r = nl_socket_set_nonblocking(m->events);
	if (r >= 0)
		r = nl_socket_set_buffer_size(m->events, 8 * 1024 * 1024, 0);
	if (r < 0)
		return nlerr_to_errno(r);
	r = sd_event_add_io(m->event, NULL, nl_socket_get_fd(m->events), EPOLLIN, on_netlink, m);
	if (r < 0)
		return r;

	/* Rebuild: the kernel's links are the truth; the state file adds what only hooks knew. */
	r = resync(m);
	if (r < 0)
		return r;
	m->rebuild_found = (unsigned)m->n_bindings;
	load_state(m);
	/* Load and pin the datapath now, so that hooks find it ready. */
	if (!m->dp) {
		d = (Diag){};
		if (datapath_open(true, &m->dp, &d) < 0)
			log_ctx(&lctx, LOG_WARNING, "The eBPF datapath cannot be loaded: %s", d.msg);
	}
	if (m->dp) {
		unsigned swept = 0;

		(void)datapath_sweep(m->dp, &swept);
		m->rebuild_dropped += swept;
	}
	log_orphaned_ports(m);
	ct_seen_renew(m, 0);
	if (!m->ct_seen_timer) {
		r = sd_event_add_time_relative(m->event, &m->ct_seen_timer, CLOCK_MONOTONIC, MANAGER_CT_SEEN_USEC, 0,
					       on_ct_seen_timer, m);
		if (r >= 0)
			r = sd_event_source_set_enabled(m->ct_seen_timer, SD_EVENT_ON);
		if (r < 0)
			return r;
	}
	(void)shaper_sweep(m->nl);
	(void)manager_save(m);
	/* The state file's JSON was freed: give that memory back. */
	(void)malloc_trim(0);
	log_ctx(&lctx, LOG_INFO, "Found %u bound interfaces; dropped %u stale entries (rebuilt in %.1f ms)", m->rebuild_found,
		m->rebuild_dropped, (double)(clock_usec(CLOCK_MONOTONIC) - t0) / 1000);
	return 0;
}

int registry_listen_notify(Manager *m)
{
	int r = notify_socket_open(m);

	if (r < 0)
		return r;
	return sd_event_add_io(m->event, NULL, m->notify_fd, EPOLLIN, on_notify, m);
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

	if (b->runtime != RUNTIME_LXC)
		return -ENOENT; /* the OCI runtime's or CNI's config: not one lxcnetd reads */
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
