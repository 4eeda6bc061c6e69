/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "plug.h"
#include "strutil.h"

/*
 * Binding objects: /org/lxcnet1/binding/<host ifname>, e.g. .../veth100i0.
 * None is allocated: a fallback vtable finds the binding from the path on
 * each call, so 10,000 bindings cost no more than their registry entries.
 */
static Binding *binding_from_path(Manager *m, const char *path)
{
	_cleanup_free_ char *ifname = NULL;

	if (sd_bus_path_decode(path, LXCNET_BUS_BINDING_PATH, &ifname) <= 0)
		return NULL;
	for (size_t i = 0; i < m->n_bindings; i++)
		if (strcmp(m->bindings[i].ifname, ifname) == 0)
			return &m->bindings[i];
	return NULL;
}

static int binding_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
			sd_bus_error *error)
{
	(void)bus, (void)interface, (void)error;
	if (!binding_from_path(userdata, path))
		return 0;
	*found = userdata; /* the Manager: getters look the binding up again, the array may move */
	return 1;
}

static int binding_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Manager *m = userdata;
	char **l = calloc(m->n_bindings + 1, sizeof(char *));

	(void)bus, (void)path, (void)error;
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_bindings; i++)
		if (sd_bus_path_encode(LXCNET_BUS_BINDING_PATH, m->bindings[i].ifname, &l[i]) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
	*nodes = l;
	return 0;
}

/* The config-derived properties: what the container's netN says now (empty values when unreadable). */
static int binding_config_property(sd_bus *bus, const char *path, const char *interface, const char *property,
				   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);
	PveNet n = {};
	int r;

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	(void)manager_binding_net(m, b, &n);
	if (strcmp(property, "Tag") == 0)
		return sd_bus_message_append(reply, "q", pve_net_has(&n, PVE_NET_TAG) ? n.tag : 0);
	if (strcmp(property, "Rate") == 0)
		return sd_bus_message_append(reply, "d", pve_net_has(&n, PVE_NET_RATE) ? n.rate : 0.0);
	if (strcmp(property, "Firewall") == 0)
		return sd_bus_message_append(reply, "b", (int)n.firewall);
	if (strcmp(property, "FirewallEnforcer") == 0) {
		struct lxcnet_port p;
		PlugFwEnforcer f;
		char node[256];
		Diag d = {};

		/* An OCI or CNI port: Proxmox's guest firewall is not its; lxcnet's filter is, when plugged with one. */
		if (b->runtime != RUNTIME_LXC)
			return sd_bus_message_append(reply, "s",
						     manager_datapath(m) && datapath_port_get(m->dp, b->port_ifindex, &p, NULL) >= 0 &&
								     (p.flags & LXCNET_PORT_FIREWALL) ?
							     "lxcnet" :
							     "none");

		/* A firewall file that cannot be read: who filters is not known, and it is not "none". */
		plug_node_name(node, sizeof(node));
		return sd_bus_message_append(reply, "s",
					     plug_fw_enforcer(m->pve_dir, node, b->container, b->net, &n, m->conf->firewall, &f,
							      NULL, NULL, &d) < 0 ?
						     "unknown" :
						     plug_fw_enforcer_name(f));
	}
	if (strcmp(property, "Trunks") == 0) {
		r = sd_bus_message_open_container(reply, 'a', "q");
		for (unsigned vid = PVE_VLAN_MIN; r >= 0 && vid <= PVE_VLAN_MAX; vid++)
			if (pve_net_trunk_has(&n, vid))
				r = sd_bus_message_append(reply, "q", (uint16_t)vid);
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	/* Zone: the VNet's, "" when the NIC names a bridge. */
	if (b->vnet[0]) {
		_cleanup_(sdn_config_freep) SdnConfig *c = NULL;
		const SdnVnet *v;
		Diag d;

		if (sdn_config_load(m->pve_dir, &c, &d) >= 0 && (v = sdn_config_find_vnet(c, b->vnet)))
			return sd_bus_message_append(reply, "s", v->zone);
	}
	return sd_bus_message_append(reply, "s", "");
}

static int binding_property(sd_bus *bus, const char *path, const char *interface, const char *property,
			    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	if (strcmp(property, "Container") == 0)
		return sd_bus_message_append(reply, "s", b->container);
	if (strcmp(property, "Net") == 0)
		return sd_bus_message_append(reply, "s", b->nic);
	if (strcmp(property, "Runtime") == 0)
		return sd_bus_message_append(reply, "s", binding_runtime_name(b->runtime));
	if (strcmp(property, "IfName") == 0)
		return sd_bus_message_append(reply, "s", b->ifname);
	if (strcmp(property, "IfIndex") == 0)
		return sd_bus_message_append(reply, "u", (uint32_t)b->ifindex);
	if (strcmp(property, "Bridge") == 0)
		return sd_bus_message_append(reply, "s", b->bridge);
	if (strcmp(property, "VNet") == 0)
		return sd_bus_message_append(reply, "s", b->vnet);
	if (strcmp(property, "Since") == 0)
		return sd_bus_message_append(reply, "t", b->since);
	/* State: "up" (plugged and up), "unplugged" (up, in no bridge) or "down". */
	return sd_bus_message_append(reply, "s", !b->up ? "down" : b->bridge[0] ? "up" : "unplugged");
}

static int binding_counter(sd_bus *bus, const char *path, const char *interface, const char *property,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);
	struct lxcnet_port_stats st = {};
	uint64_t v, drops = 0;

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	if (manager_datapath(m))
		(void)datapath_port_stats(m->dp, b->port_ifindex, &st);
	for (int i = 0; i < _LXCNET_DROP_MAX; i++)
		drops += st.drops[i];
	v = strcmp(property, "PacketsFromContainer") == 0 ? st.packets[LXCNET_FROM_CT] :
	    strcmp(property, "BytesFromContainer") == 0	  ? st.bytes[LXCNET_FROM_CT] :
	    strcmp(property, "PacketsToContainer") == 0	  ? st.packets[LXCNET_TO_CT] :
	    strcmp(property, "BytesToContainer") == 0	  ? st.bytes[LXCNET_TO_CT] :
								    drops;
	return sd_bus_message_append(reply, "t", v);
}

#define B_PROP(name, sig, get, flags) SD_BUS_PROPERTY(name, sig, get, 0, flags)
static const sd_bus_vtable binding_vtable[] = {
	SD_BUS_VTABLE_START(0),
	B_PROP("Container", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Net", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Runtime", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("IfName", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("IfIndex", "u", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Since", "t", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Bridge", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("State", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("VNet", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Zone", "s", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Tag", "q", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Trunks", "aq", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Rate", "d", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Firewall", "b", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("FirewallEnforcer", "s", binding_config_property, 0),
	B_PROP("PacketsFromContainer", "t", binding_counter, 0),
	B_PROP("BytesFromContainer", "t", binding_counter, 0),
	B_PROP("PacketsToContainer", "t", binding_counter, 0),
	B_PROP("BytesToContainer", "t", binding_counter, 0),
	B_PROP("Drops", "t", binding_counter, 0),
	SD_BUS_VTABLE_END,
};

int bus_bindings_setup(Manager *m, sd_bus *bus)
{
	int r;

	r = sd_bus_add_fallback_vtable(bus, NULL, LXCNET_BUS_BINDING_PATH, LXCNET_BUS_BINDING, binding_vtable, binding_find, m);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(bus, NULL, LXCNET_BUS_BINDING_PATH, binding_enumerate, m);
}
