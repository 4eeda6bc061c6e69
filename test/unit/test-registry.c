/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxcnetd's binding registry (agent/core/registry.c), without privileges:
 * rtnetlink link messages made here go in, bindings and events come out.
 * Which links are container ports, a port's bridge and state changing, a
 * restart with a new ifindex, the end of the last port of a container,
 * a hook's VNet note, the state file, the OCI hook's and the CNI plugin's
 * ports known by their alias, and 10,000 ports found by name.
 */
#include <errno.h>
#include <sched.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manager.h"
#include "strutil.h"
#include "tap.h"

static unsigned seen[_EVENT_MAX];
static char last_container[BINDING_CONTAINER_MAX], last_properties[128];
static bool last_settings;

static void record(Manager *m, const Event *ev, void *userdata)
{
	(void)m;
	(void)userdata;
	seen[ev->type]++;
	if (ev->type == EVENT_PORT_CHANGED)
		last_settings = ev->settings;
	if (ev->binding)
		snprintf(last_container, sizeof(last_container), "%s", ev->binding->container);
	else if (ev->container)
		snprintf(last_container, sizeof(last_container), "%s", ev->container);
	if (ev->type == EVENT_BINDING_PROPERTIES) {
		last_properties[0] = '\0';
		for (size_t i = 0; ev->properties[i]; i++)
			snprintf(last_properties + strlen(last_properties), sizeof(last_properties) - strlen(last_properties),
				 "%s%s", i ? "," : "", ev->properties[i]);
	}
}

/* A link message as the kernel sends it: family, index, up or not, name, master, kind (NULL: no link info), alias. */
static bool feed_alias(Manager *m, int type, int family, int ifindex, bool up, const char *name, int master, const char *kind,
		       const char *alias)
{
	struct ifinfomsg ifi = { .ifi_family = (unsigned char)family, .ifi_index = ifindex, .ifi_flags = up ? IFF_UP : 0 };
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
	bool changed;

	nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (name)
		nla_put_string(msg, IFLA_IFNAME, name);
	if (master)
		nla_put_u32(msg, IFLA_MASTER, (uint32_t)master);
	if (kind) {
		struct nlattr *info = nla_nest_start(msg, IFLA_LINKINFO);

		nla_put_string(msg, IFLA_INFO_KIND, kind);
		nla_nest_end(msg, info);
	}
	if (alias)
		nla_put_string(msg, IFLA_IFALIAS, alias);
	changed = registry_link_msg(m, nlmsg_hdr(msg));
	nlmsg_free(msg);
	return changed;
}

static bool feed(Manager *m, int type, int family, int ifindex, bool up, const char *name, int master, const char *kind)
{
	return feed_alias(m, type, family, ifindex, up, name, master, kind, NULL);
}

static void reset(void)
{
	memset(seen, 0, sizeof(seen));
	last_container[0] = last_properties[0] = '\0';
}

#define PODMAN_ID "3f1c9a0e5b7d4c2a8e6f0b1d3c5a7e9f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1a"

/* The OCI hook's and the CNI plugin's ports: bindings by their alias, keyed by container id and NIC. */
static void oci_cni_ports(Manager *m, const char *state)
{
	const Binding *b;

	reset();
	ok(!feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9201, false, "cni1a2b3c4d", 0, "veth", NULL),
	   "a CNI host end before its alias is set: no binding yet");
	ok(feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9201, true, "cni1a2b3c4d", 1, "veth", "lxcnet-cni lan100 " PODMAN_ID " eth1"),
	   "with 'lxcnet-cni lan100 <id> eth1': a binding came");
	b = manager_find_nic(m, PODMAN_ID, "lan100/eth1");
	ok(b && b->runtime == RUNTIME_CNI && strcmp(b->container, PODMAN_ID) == 0 && b->ifindex == 9201 && b->up &&
		   strcmp(binding_runtime_name(b->runtime), "cni") == 0,
	   "found by podman's 64-character id and lan100/eth1, runtime cni");
	ok(seen[EVENT_CONTAINER_STARTED] == 1 && strcmp(last_container, PODMAN_ID) == 0,
	   "ContainerStarted with the whole id");
	ok(feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9202, true, "oci5e6f7a8bi0", 1, "veth", "lxcnet-oci " PODMAN_ID " net0"),
	   "an OCI host end with 'lxcnet-oci <id> net0': a binding came");
	b = manager_find_nic(m, PODMAN_ID, "net0");
	ok(b && b->runtime == RUNTIME_OCI && b->net == 0 && b->ifindex == 9202 && manager_count_container(m, PODMAN_ID) == 2,
	   "found as net0 of the same id, runtime oci; the container has two ports");
	ok(!manager_find(m, PODMAN_ID, 0), "not an LXC container's net0");
	reset();
	ok(!feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9201, false, "cni1a2b3c4d", 0, NULL, NULL) &&
		   (b = manager_find_nic(m, PODMAN_ID, "lan100/eth1")) && !b->up && seen[EVENT_PORT_CHANGED] == 1,
	   "a note without link kind and alias keeps the port's identity: down, PortChanged");
	ok(!feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9203, true, "oci00000000i0", 0, "veth", "lxcnet-oci " PODMAN_ID " net32") &&
		   !feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9204, true, "cni00000000", 0, "veth", "lxcnet-cni lan/100 x eth0") &&
		   !feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9205, true, "cni00000001", 0, "veth", "somebody else's port") &&
		   !feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9206, true, "oci00000001i0", 0, "bridge", "lxcnet-oci x net0"),
	   "net32, a network with '/', another alias, a bridge: no binding");
	ok(feed(m, RTM_NEWLINK, AF_UNSPEC, 9207, true, "veth" "77i0", 1, "veth") &&
		   feed_alias(m, RTM_NEWLINK, AF_UNSPEC, 9208, true, "oci77777777i0", 1, "veth", "lxcnet-oci 77 net0") &&
		   manager_find(m, "77", 0)->ifindex == 9207 && manager_find_nic(m, "77", "net0")->ifindex == 9207 &&
		   manager_count_container(m, "77") == 2,
	   "an LXC container and an OCI one of the same name: two bindings, LXC's found first");
	is_int(manager_save(m), 0, "saved with them");
	{
		_cleanup_free_ char *text = NULL;

		ok(read_full_file(state, 1 << 20, &text, NULL) >= 0 &&
			   strstr(text, "\"container\":\"" PODMAN_ID "\",\"net\":0,\"runtime\":\"cni\",\"nic\":\"lan100\\/eth1\"") &&
			   strstr(text, "\"runtime\":\"oci\",\"nic\":\"net0\""),
		   "the state file has their runtime and NIC");
	}
	reset();
	ok(feed(m, RTM_DELLINK, AF_UNSPEC, 9201, false, "cni1a2b3c4d", 0, NULL) &&
		   feed(m, RTM_DELLINK, AF_UNSPEC, 9202, false, "oci5e6f7a8bi0", 0, NULL) &&
		   manager_count_container(m, PODMAN_ID) == 0 && seen[EVENT_CONTAINER_STOPPED] == 1,
	   "both deleted: their bindings ended, ContainerStopped");
	(void)feed(m, RTM_DELLINK, AF_UNSPEC, 9207, false, "veth77i0", 0, NULL);
	(void)feed(m, RTM_DELLINK, AF_UNSPEC, 9208, false, "oci77777777i0", 0, NULL);
}

/* A tc message (qdisc or filter) about ifindex, through the registry's subscription. */
static void feed_tc(Manager *m, int type, int ifindex)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);

	nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO);
	registry_event_msg(m, nlmsg_hdr(msg));
	nlmsg_free(msg);
}

/* The bridge's AF_BRIDGE note of its port ifindex (its VLANs or port state changed). */
static void feed_bridge_note(Manager *m, int ifindex)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);

	nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	nla_put_string(msg, IFLA_IFNAME, "veth100i0");
	registry_event_msg(m, nlmsg_hdr(msg));
	nlmsg_free(msg);
}

int main(void)
{
	char dir[] = "/tmp/lxcnet-registry-XXXXXX", notify[96], pins[96], lo[IFNAMSIZ] = "";
	_cleanup_free_ char *state = NULL;
	Manager *m = NULL;
	const Binding *b;

	if (!mkdtemp(dir))
		return 1;
	snprintf(notify, sizeof(notify), "%s/notify", dir);
	/*
	 * The registry clears what it kept for a port that is gone: datapath
	 * entries (no pins here) and qdiscs. As root that goes to a network
	 * namespace of the test's own, so that no link of the host is touched.
	 */
	snprintf(pins, sizeof(pins), "%s/no-bpf", dir);
	setenv("LXCNET_BPF_ROOT", pins, 1);
	if (geteuid() == 0 && unshare(CLONE_NEWNET) < 0)
		return 1;
	if (!ok(manager_new(dir, notify, &m) >= 0, "a manager, unprivileged"))
		return tap_done();
	(void)if_indextoname(1, lo);
	ok(manager_listen_core(m, record, NULL) >= 0, "listening to its events");
	m->announce = true; /* as after start: container events go out */

	/* Which links are container ports. */
	ok(feed(m, RTM_NEWLINK, AF_UNSPEC, 9001, true, "veth100i0", 1, "veth"), "veth100i0: a binding came");
	b = manager_find(m, "100", 0);
	ok(b && b->ifindex == 9001 && b->port_ifindex == 9001 && b->up && strcmp(b->bridge, lo) == 0 && b->since > 0,
	   "veth100i0: container 100, net0, ifindex 9001, up, in its master ('%s')", lo);
	ok(seen[EVENT_CONTAINER_STARTED] == 1 && seen[EVENT_BINDING_CHANGED] == 1 && strcmp(last_container, "100") == 0,
	   "ContainerStarted and BindingChanged for 100");
	ok(!feed(m, RTM_NEWLINK, AF_UNSPEC, 9002, true, "veth200i0", 0, "bridge") && !manager_find(m, "200", 0),
	   "a bridge named like a port is not one");
	ok(!feed(m, RTM_NEWLINK, AF_UNSPEC, 9003, true, "eth0", 0, "veth") && manager_count_container(m, "eth0") == 0,
	   "a veth of another name is not one");
	ok(!feed(m, RTM_NEWLINK, AF_UNSPEC, 9004, true, "veth300i01", 0, "veth") && !manager_find(m, "300", 1),
	   "veth300i01 (not how N is written) is not one");
	ok(!feed(m, RTM_NEWLINK, AF_UNSPEC, 9005, true, "veth400i0", 0, NULL) && !manager_find(m, "400", 0),
	   "a message without the link kind does not make a binding of an unknown link");

	/* The port changes. */
	reset();
	ok(!feed(m, RTM_NEWLINK, AF_UNSPEC, 9001, false, "veth100i0", 0, NULL), "veth100i0 down, out of its bridge: nothing saved changed");
	b = manager_find(m, "100", 0);
	ok(b && !b->up && !b->bridge[0], "the binding is down and in no bridge");
	ok(seen[EVENT_PORT_CHANGED] == 1 && seen[EVENT_BINDING_PROPERTIES] == 1 && strcmp(last_properties, "Bridge,State") == 0,
	   "PortChanged, and the Bridge and State properties changed (%s)", last_properties);
	reset();
	(void)feed(m, RTM_NEWLINK, AF_UNSPEC, 9001, false, "veth100i0", 0, NULL);
	ok(seen[EVENT_PORT_CHANGED] == 0 && seen[EVENT_BINDING_CHANGED] == 0, "the same again: no event");
	reset();
	ok(!feed(m, RTM_DELLINK, AF_BRIDGE, 9001, false, "veth100i0", 0, NULL) && manager_find(m, "100", 0) &&
		   seen[EVENT_BINDING_CHANGED] == 0,
	   "the bridge's own delete of its port (AF_BRIDGE) leaves the binding");

	/* What the link does not show: the port's VLANs, its qdiscs, its datapath filter. */
	reset();
	feed_bridge_note(m, 9001);
	ok(seen[EVENT_PORT_CHANGED] == 1 && last_settings && seen[EVENT_LINK] == 0 && manager_find(m, "100", 0),
	   "the bridge's note of its port (VLANs): PortChanged for its settings, the binding stays");
	reset();
	feed_tc(m, RTM_NEWQDISC, 9001);
	feed_tc(m, RTM_DELQDISC, 9001);
	ok(seen[EVENT_PORT_CHANGED] == 2 && last_settings, "a qdisc of the port replaced or deleted: PortChanged for its settings");
	reset();
	feed_tc(m, RTM_DELTFILTER, 9001);
	ok(seen[EVENT_PORT_CHANGED] == 1 && !last_settings, "its tc filter deleted: PortChanged as for a replug");
	reset();
	feed_tc(m, RTM_NEWQDISC, 9050);
	feed_bridge_note(m, 9050);
	ok(seen[EVENT_PORT_CHANGED] == 0, "qdiscs and bridge notes of other links: no event");

	/* A hook's note, and the state file. */
	reset();
	is_int(manager_notify(m, "100", 0, "prod"), 0, "a hook notes VNet prod");
	ok(strcmp(manager_find(m, "100", 0)->vnet, "prod") == 0 && seen[EVENT_VNET_BOUND] == 1, "the binding is on prod, VNetBound");
	is_int(manager_save(m), 0, "saved");
	{
		_cleanup_free_ char *text = NULL;

		(void)asprintf(&state, "%s/bindings.json", dir);
		ok(read_full_file(state, 1 << 20, &text, NULL) >= 0 && strstr(text, "\"container\":\"100\"") &&
			   strstr(text, "\"vnet\":\"prod\"") && strstr(text, "\"net\":0"),
		   "the state file has container 100, net0 on prod");
	}
	is_int(manager_set_plugged_by(m, "100", 0, PLUGGED_LXCNET), 0, "lxcnetd's hotplug plugged net0 of 100");
	is_int(manager_set_plugged_by(m, "999", 0, PLUGGED_LXCNET), -ENOENT, "a port it does not know: -ENOENT");
	is_int(manager_save(m), 0, "saved again");
	{
		_cleanup_free_ char *text = NULL;

		ok(read_full_file(state, 1 << 20, &text, NULL) >= 0 && strstr(text, "\"plugged\":\"lxcnet\",\"ifindex\":9001"),
		   "the state file says who plugged it, for that port (ifindex 9001)");
	}

	/* A restart we missed the end of: the same netN, another ifindex; the VNet note stays. */
	reset();
	ok(feed(m, RTM_NEWLINK, AF_UNSPEC, 9101, true, "veth100i0", 1, "veth"), "veth100i0 again, ifindex 9101");
	b = manager_find(m, "100", 0);
	ok(b && b->ifindex == 9101 && strcmp(b->vnet, "prod") == 0 && manager_count_container(m, "100") == 1,
	   "one binding, the new ifindex, still on prod");
	ok(b && b->plugged_by == PLUGGED_AT_START, "plugged by its start now, not by the hotplug of the port before");

	/* A second port, then the end of both. */
	ok(feed(m, RTM_NEWLINK, AF_UNSPEC, 9102, true, "veth100i1", 1, "veth") && manager_count_container(m, "100") == 2,
	   "veth100i1: container 100 has two");
	reset();
	ok(feed(m, RTM_DELLINK, AF_UNSPEC, 9101, false, "veth100i0", 0, NULL) && !manager_find(m, "100", 0),
	   "veth100i0 deleted: its binding ended");
	ok(seen[EVENT_VNET_UNBOUND] == 1 && seen[EVENT_CONTAINER_STOPPED] == 0, "VNetUnbound; the container still has a port");
	reset();
	ok(feed(m, RTM_DELLINK, AF_UNSPEC, 9102, false, "veth100i1", 0, NULL) && seen[EVENT_CONTAINER_STOPPED] == 1 &&
		   manager_count_container(m, "100") == 0,
	   "its last port deleted: ContainerStopped");
	ok(!feed(m, RTM_DELLINK, AF_UNSPEC, 9999, false, "veth999i0", 0, NULL), "the delete of a link that was no binding changes nothing");

	oci_cni_ports(m, state);

	/* 10,000 ports: each found by name, then each ended by its ifindex. */
	{
		unsigned found = 0, gone = 0;
		char name[IFNAMSIZ], ct[16];

		for (unsigned i = 0; i < 10000; i++) {
			snprintf(name, sizeof(name), "veth%ui%u", 1000 + i / 4, i % 4);
			(void)feed(m, RTM_NEWLINK, AF_UNSPEC, 100000 + (int)i, true, name, 0, "veth");
		}
		for (unsigned i = 0; i < 10000; i++) {
			snprintf(ct, sizeof(ct), "%u", 1000 + i / 4);
			b = manager_find(m, ct, i % 4);
			found += b && b->ifindex == 100000 + (int)i;
		}
		is_int(found, 10000, "10,000 ports, each found by container and net");
		is_int(manager_count_container(m, "1000"), 4, "container 1000 has its 4");
		/* Ended in an order of their own: the index stays right as bindings move. */
		for (unsigned i = 0; i < 10000; i++) {
			unsigned k = (i * 7919) % 10000;

			snprintf(name, sizeof(name), "veth%ui%u", 1000 + k / 4, k % 4);
			gone += feed(m, RTM_DELLINK, AF_UNSPEC, 100000 + (int)k, false, name, 0, NULL);
		}
		is_int(gone, 10000, "each ended by its ifindex");
		is_int(m->n_bindings, 0, "none left");
	}

	manager_free(m);
	(void)unlink(state);
	(void)unlink(notify);
	(void)rmdir(dir);
	return tap_done();
}
