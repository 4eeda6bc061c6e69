/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetctl's offline verbs: they read the configuration files, no agent needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "plug.h"
#include "lxc-hook.h"
#include "lxc-netconf.h"
#include "pve-ctconf.h"
#include "sdn-config.h"
#include "strutil.h"

static int load_ct(const CtlOptions *o, const char *name, CtConfig **ret)
{
	_cleanup_free_ char *path = NULL;
	Diag d = {};
	int r;

	if (!*name || lxc_hook_config_path(name, o->pve_dir, o->conf_dir, &path) < 0) {
		fprintf(stderr, "lxcnetctl: '%s' is not a VMID or container name\n", name);
		return -EINVAL;
	}
	r = ct_config_load(path, ret, &d);
	if (r < 0)
		fprintf(stderr, "%s\n", d.msg);
	return r;
}

static char *value_string(const PveNet *n, PveNetKey k)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	pve_net_print_value(n, k, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static json_object *net_to_json(unsigned idx, const PveNet *n)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *spec = NULL;
	char key[16];

	snprintf(key, sizeof(key), "net%u", idx);
	json_object_object_add(o, "net", json_object_new_string(key));
	for (unsigned k = 0; k < _PVE_NET_KEY_MAX; k++) {
		const char *name = pve_net_key_name((PveNetKey)k);
		json_object *v;

		if (!pve_net_has(n, (PveNetKey)k))
			continue;
		switch (k) {
		case PVE_NET_TAG:
			v = json_object_new_int(n->tag);
			break;
		case PVE_NET_MTU:
			v = json_object_new_int((int32_t)n->mtu);
			break;
		case PVE_NET_RATE:
			v = json_object_new_double(n->rate);
			break;
		case PVE_NET_FIREWALL:
			v = json_object_new_boolean(n->firewall);
			break;
		case PVE_NET_LINK_DOWN:
			v = json_object_new_boolean(n->link_down);
			break;
		case PVE_NET_HOST_MANAGED:
			v = json_object_new_boolean(n->host_managed);
			break;
		case PVE_NET_TRUNKS:
			v = json_object_new_array();
			for (unsigned vid = PVE_VLAN_MIN; vid <= PVE_VLAN_MAX; vid++)
				if (pve_net_trunk_has(n, vid))
					json_object_array_add(v, json_object_new_int((int32_t)vid));
			break;
		default: {
			_cleanup_free_ char *s = value_string(n, (PveNetKey)k);

			v = json_object_new_string(s ?: "");
			break;
		}
		}
		json_object_object_add(o, name, v);
	}
	if (pve_net_format(n, &spec) >= 0)
		json_object_object_add(o, "spec", json_object_new_string(spec));
	return o;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

int ctl_config_show(const CtlOptions *o, const char *vmid)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;

	if (load_ct(o, vmid, &c) < 0)
		return CTL_EXIT_FAIL;

	if (o->json) {
		_cleanup_(json_object_putp) json_object *root = json_object_new_object();
		json_object *nets = json_object_new_array();

		json_object_object_add(root, "vmid", json_object_new_string(vmid));
		json_object_object_add(root, "path", json_object_new_string(c->path));
		for (unsigned i = 0; i < PVE_NET_MAX; i++)
			if (c->nets[i].present)
				json_object_array_add(nets, net_to_json(i, &c->nets[i].net));
		json_object_object_add(root, "nets", nets);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		return CTL_EXIT_OK;
	}

	printf("%-6s %-10s %-15s %-18s %-20s %-5s %-10s %-6s %-6s %-3s %s\n", "NET", "NAME", "BRIDGE", "HWADDR", "IP",
	       "TAG", "TRUNKS", "RATE", "MTU", "FW", "LINK");
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		const PveNet *n = &c->nets[i].net;
		_cleanup_free_ char *hw = NULL, *ip = NULL, *tag = NULL, *trunks = NULL, *rate = NULL, *mtu = NULL;
		char key[16];

		if (!c->nets[i].present)
			continue;
		snprintf(key, sizeof(key), "net%u", i);
		hw = pve_net_has(n, PVE_NET_HWADDR) ? value_string(n, PVE_NET_HWADDR) : NULL;
		ip = pve_net_has(n, PVE_NET_IP) ? value_string(n, PVE_NET_IP) : NULL;
		tag = pve_net_has(n, PVE_NET_TAG) ? value_string(n, PVE_NET_TAG) : NULL;
		trunks = pve_net_has(n, PVE_NET_TRUNKS) ? value_string(n, PVE_NET_TRUNKS) : NULL;
		rate = pve_net_has(n, PVE_NET_RATE) ? value_string(n, PVE_NET_RATE) : NULL;
		mtu = pve_net_has(n, PVE_NET_MTU) ? value_string(n, PVE_NET_MTU) : NULL;
		printf("%-6s %-10s %-15s %-18s %-20s %-5s %-10s %-6s %-6s %-3s %s\n", key, n->name, or_dash(n->bridge),
		       or_dash(hw), or_dash(ip), or_dash(tag), or_dash(trunks), or_dash(rate), or_dash(mtu),
		       n->firewall ? "yes" : "no", n->link_down ? "down" : "up");
	}
	return CTL_EXIT_OK;
}

int ctl_config_check(const CtlOptions *o, const char *vmid)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;

	return load_ct(o, vmid, &c) < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static json_object *strv_to_json(char **l)
{
	json_object *a = json_object_new_array();

	for (; l && *l; l++)
		json_object_array_add(a, json_object_new_string(*l));
	return a;
}

static char *plug_text(const SdnPlug *p)
{
	char *s = NULL;

	if (p->service_tag)
		return asprintf(&s, "%s, service tag %u (%s), tag %u", p->bridge, p->service_tag,
				p->service_proto == 0x88a8 ? "802.1ad" : "802.1q", p->tag) < 0 ? NULL : s;
	if (p->tag)
		return asprintf(&s, "%s, tag %u", p->bridge, p->tag) < 0 ? NULL : s;
	return asprintf(&s, "%s%s", p->bridge, p->vnet_bridge ? " (VNet bridge)" : "") < 0 ? NULL : s;
}

static json_object *zone_json(const SdnZone *z)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "id", json_object_new_string(z->id));
	json_object_object_add(j, "type", json_object_new_string(z->type_name));
	if (*z->bridge)
		json_object_object_add(j, "bridge", json_object_new_string(z->bridge));
	if (z->tag)
		json_object_object_add(j, "tag", json_object_new_int(z->tag));
	if (z->type == SDN_ZONE_QINQ)
		json_object_object_add(j, "vlan-protocol", json_object_new_string(z->vlan_protocol == 0x88a8 ? "802.1ad" : "802.1q"));
	if (z->mtu)
		json_object_object_add(j, "mtu", json_object_new_int((int32_t)z->mtu));
	if (z->nodes)
		json_object_object_add(j, "nodes", strv_to_json(z->nodes));
	if (z->peers)
		json_object_object_add(j, "peers", strv_to_json(z->peers));
	if (z->controller)
		json_object_object_add(j, "controller", json_object_new_string(z->controller));
	if (z->vrf_vxlan)
		json_object_object_add(j, "vrf-vxlan", json_object_new_int((int32_t)z->vrf_vxlan));
	return j;
}

/* A VNet, and where it plugs on node (or why it cannot). */
static json_object *vnet_json(const SdnConfig *c, const SdnVnet *v, const char *node)
{
	json_object *j = json_object_new_object(), *plug = json_object_new_object();
	SdnPlug p;
	Diag pd = {};

	json_object_object_add(j, "id", json_object_new_string(v->id));
	json_object_object_add(j, "zone", json_object_new_string(v->zone));
	if (v->tag)
		json_object_object_add(j, "tag", json_object_new_int64(v->tag));
	if (v->alias)
		json_object_object_add(j, "alias", json_object_new_string(v->alias));
	json_object_object_add(j, "vlanaware", json_object_new_boolean(v->vlanaware));
	json_object_object_add(j, "isolate-ports", json_object_new_boolean(v->isolate_ports));
	if (sdn_vnet_resolve(c, v->id, node, sdn_bridge_exists_sysfs, NULL, &p, &pd) >= 0) {
		json_object_object_add(plug, "bridge", json_object_new_string(p.bridge));
		json_object_object_add(plug, "vnet-bridge", json_object_new_boolean(p.vnet_bridge));
		json_object_object_add(plug, "tag", json_object_new_int(p.tag));
		json_object_object_add(plug, "service-tag", json_object_new_int(p.service_tag));
		if (p.service_tag)
			json_object_object_add(plug, "service-protocol",
					       json_object_new_string(p.service_proto == 0x88a8 ? "802.1ad" : "802.1q"));
	} else
		json_object_object_add(plug, "error", json_object_new_string(pd.msg));
	json_object_object_add(j, "plug", plug);
	return j;
}

static json_object *subnet_json(const SdnSubnet *s)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "id", json_object_new_string(s->id));
	json_object_object_add(j, "vnet", json_object_new_string(s->vnet));
	if (s->gateway)
		json_object_object_add(j, "gateway", json_object_new_string(s->gateway));
	json_object_object_add(j, "snat", json_object_new_boolean(s->snat));
	if (s->dhcp_ranges)
		json_object_object_add(j, "dhcp-range", strv_to_json(s->dhcp_ranges));
	return j;
}

static void sdn_show_json(const SdnConfig *c, const char *node)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *zones = json_object_new_array(), *vnets = json_object_new_array();
	json_object *subnets = json_object_new_array();

	json_object_object_add(root, "source", json_object_new_string(or_dash(c->source)));
	if (c->version >= 0)
		json_object_object_add(root, "version", json_object_new_int64(c->version));
	json_object_object_add(root, "node", json_object_new_string(node));
	for (size_t i = 0; i < c->n_zones; i++)
		json_object_array_add(zones, zone_json(&c->zones[i]));
	for (size_t i = 0; i < c->n_vnets; i++)
		json_object_array_add(vnets, vnet_json(c, &c->vnets[i], node));
	for (size_t i = 0; i < c->n_subnets; i++)
		json_object_array_add(subnets, subnet_json(&c->subnets[i]));
	json_object_object_add(root, "zones", zones);
	json_object_object_add(root, "vnets", vnets);
	json_object_object_add(root, "subnets", subnets);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void sdn_show_text(const SdnConfig *c, const char *node)
{
	printf("Source: %s", or_dash(c->source));
	if (c->version >= 0)
		printf(" (version %ld)", c->version);
	printf("\nNode: %s\n\n", node);
	printf("%-9s %-7s %-15s %-5s %-6s %s\n", "ZONE", "TYPE", "BRIDGE", "TAG", "MTU", "NODES");
	for (size_t i = 0; i < c->n_zones; i++) {
		const SdnZone *z = &c->zones[i];
		_cleanup_free_ char *nodes = NULL;
		char tag[8] = "-", mtu[12] = "-";

		if (z->tag)
			snprintf(tag, sizeof(tag), "%u", z->tag);
		if (z->mtu)
			snprintf(mtu, sizeof(mtu), "%u", z->mtu);
		if (z->nodes && strv_join(z->nodes, ",", &nodes) < 0)
			nodes = NULL;
		printf("%-9s %-7s %-15s %-5s %-6s %s\n", z->id, z->type_name, or_dash(z->bridge), tag, mtu, nodes ?: "all");
	}
	printf("\n%-9s %-9s %-9s %s\n", "VNET", "ZONE", "TAG", "PLUGS INTO");
	for (size_t i = 0; i < c->n_vnets; i++) {
		const SdnVnet *v = &c->vnets[i];
		_cleanup_free_ char *text = NULL;
		char tag[12] = "-";
		SdnPlug p;
		Diag pd = {};

		if (v->tag)
			snprintf(tag, sizeof(tag), "%u", v->tag);
		if (sdn_vnet_resolve(c, v->id, node, sdn_bridge_exists_sysfs, NULL, &p, &pd) >= 0)
			text = plug_text(&p);
		printf("%-9s %-9s %-9s %s\n", v->id, v->zone, tag, text ?: pd.msg);
	}
}

int ctl_sdn_show(const CtlOptions *o)
{
	_cleanup_(sdn_config_freep) SdnConfig *c = NULL;
	char node[256];
	Diag d = {};
	int r;

	r = sdn_config_load(o->pve_dir, &c, &d);
	if (r < 0) {
		fprintf(stderr, "%s\n", d.msg);
		return CTL_EXIT_FAIL;
	}
	plug_node_name(node, sizeof(node));
	if (o->json)
		sdn_show_json(c, node);
	else
		sdn_show_text(c, node);
	return CTL_EXIT_OK;
}

int ctl_lxc_config(const CtlOptions *o, const char *vmid)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_(sdn_config_freep) SdnConfig *sdn = NULL;
	bool sdn_tried = false;
	int ret = CTL_EXIT_OK;

	if (load_ct(o, vmid, &c) < 0)
		return CTL_EXIT_FAIL;

	unsigned order[PVE_NET_MAX];

	/* pve-container's order: keys sorted as strings (net0, net1, net10, ..., net2). */
	pve_net_key_order(order);
	if (o->start_host)
		printf("lxc.hook.start-host = %s\n", o->netup_path);
	for (unsigned pass = 0; pass < PVE_NET_MAX; pass++) {
		const PveNet *n;
		uint32_t mtu = 0;
		Diag d = {};

		if (!c->nets[order[pass]].present)
			continue;
		n = &c->nets[order[pass]].net;

		if (pve_net_has(n, PVE_NET_BRIDGE) && lxc_netconf_read_mtu(n->bridge, &mtu) < 0) {
			/* Not a host bridge: maybe a VNet that plugs into its zone's bridge. */
			SdnPlug p;

			if (!sdn_tried) {
				Diag sd = {};

				sdn_tried = true;
				if (sdn_config_load(o->pve_dir, &sdn, &sd) < 0)
					fprintf(stderr, "lxcnetctl: warning: %s\n", sd.msg);
			}
			if (sdn && sdn_vnet_resolve(sdn, n->bridge, NULL, sdn_bridge_exists_sysfs, NULL, &p, NULL) >= 0)
				(void)lxc_netconf_read_mtu(p.bridge, &mtu);
			if (!mtu && !pve_net_has(n, PVE_NET_MTU))
				fprintf(stderr, "lxcnetctl: warning: net%u: bridge '%s' not found, no mtu line written\n",
					order[pass], n->bridge);
		}
		if (lxc_netconf_print(stdout, vmid, order[pass], n, mtu, o->start_host ? NULL : o->netup_path, &d) < 0) {
			fprintf(stderr, "%s\n", d.msg);
			ret = CTL_EXIT_FAIL;
		}
	}
	return ret;
}
