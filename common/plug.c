/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "plug.h"

void plug_env_done(PlugEnv *e)
{
	sdn_config_free(e->sdn);
	e->sdn = NULL;
	e->sdn_loaded = false;
}

void plug_node_name(char *buf, size_t bufsz)
{
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(buf, bufsz, "localhost");
	else
		snprintf(buf, bufsz, "%s", u.nodename);
	buf[strcspn(buf, ".")] = '\0';
}

static bool bridge_exists_netlink(const char *ifname, void *userdata)
{
	LinkInfo li;

	return link_get(userdata, ifname, &li) >= 0 && li.is_bridge;
}

/*
 * What the NIC needs from the eBPF datapath. Until the datapath is part of
 * lxcnet, such a NIC must not start at all: plugging it without its VLAN
 * isolation, rate limit or filtering would be silently wrong.
 */
static int check_datapath(const PveNet *n, const PlugTarget *t, Diag *d)
{
	static const char why[] = "needs the lxcnet eBPF datapath, which this lxcnet version does not have yet";

	if (pve_net_has(n, PVE_NET_TAG))
		return diag_error(d, -EOPNOTSUPP, "tag: VLAN %u %s", n->tag, why);
	if (pve_net_has(n, PVE_NET_TRUNKS))
		return diag_error(d, -EOPNOTSUPP, "trunks: VLAN trunking %s", why);
	if (pve_net_has(n, PVE_NET_RATE) && n->rate > 0)
		return diag_error(d, -EOPNOTSUPP, "rate: rate limiting %s", why);
	if (n->firewall)
		return diag_error(d, -EOPNOTSUPP, "firewall: MAC/IP filtering %s", why);
	if (t->vlan_tag || t->service_tag)
		return diag_error(d, -EOPNOTSUPP, "bridge: VNet '%s' is VLAN %u on bridge '%s', and tagging %s", t->vnet,
				  t->vlan_tag, t->bridge, why);
	return 0;
}

static int load_sdn(PlugEnv *e, const char *bridge, Diag *d)
{
	int r;

	if (e->sdn_loaded)
		return 0;
	r = sdn_config_load(e->pve_dir, &e->sdn, d);
	if (r < 0) {
		diag_prefix(d, "bridge: '%s': the SDN configuration cannot be read: ", bridge);
		return r;
	}
	e->sdn_loaded = true;
	return 0;
}

/* Like Proxmox: a NIC may only carry its own VLANs on a VLAN-aware VNet. */
static int check_vnet_tags(const SdnVnet *v, const PveNet *n, Diag *d)
{
	if (!v->vlanaware && pve_net_has(n, PVE_NET_TAG))
		return diag_error(d, -EINVAL, "tag: not allowed on VNet '%s' (not VLAN-aware)", v->id);
	if (!v->vlanaware && pve_net_has(n, PVE_NET_TRUNKS))
		return diag_error(d, -EINVAL, "trunks: not allowed on VNet '%s' (not VLAN-aware)", v->id);
	return 0;
}

int plug_resolve(PlugEnv *e, const PveNet *n, PlugTarget *ret, Diag *d)
{
	const SdnVnet *v = NULL;
	PlugTarget t = {};
	LinkInfo li;
	int r;

	if (!pve_net_has(n, PVE_NET_BRIDGE))
		return diag_error(d, -EINVAL, "bridge: missing (lxcnet plugs every NIC into a bridge or VNet)");

	r = link_get(e->nl, n->bridge, &li);
	if (r >= 0 && !li.is_bridge)
		return diag_error(d, -EINVAL, "bridge: '%s' is not a bridge", n->bridge);
	if (r >= 0) {
		/* A bridge of that name is used as is, also when it is an SDN VNet's bridge... */
		strcpy(t.bridge, n->bridge);
		/* ...whose VLAN rules still hold (the SDN config is read only when they can matter). */
		if (pve_net_has(n, PVE_NET_TAG) || pve_net_has(n, PVE_NET_TRUNKS)) {
			r = load_sdn(e, n->bridge, d);
			if (r < 0)
				return r;
			v = sdn_config_find_vnet(e->sdn, n->bridge);
			if (v) {
				strcpy(t.vnet, v->id);
				r = check_vnet_tags(v, n, d);
				if (r < 0)
					return r;
			}
		}
	} else if (r == -ENODEV) {
		SdnPlug p;

		r = load_sdn(e, n->bridge, d);
		if (r < 0)
			return r;
		v = sdn_config_find_vnet(e->sdn, n->bridge);
		if (!v)
			return diag_error(d, -ENODEV, "bridge: '%s' is neither a bridge nor an SDN VNet", n->bridge);
		r = sdn_vnet_resolve(e->sdn, n->bridge, e->node, bridge_exists_netlink, e->nl, &p, d);
		if (r < 0) {
			diag_prefix(d, "bridge: ");
			return r;
		}
		r = check_vnet_tags(v, n, d);
		if (r < 0)
			return r;
		strcpy(t.bridge, p.bridge);
		strcpy(t.vnet, v->id);
		t.vlan_tag = p.tag;
		t.service_tag = p.service_tag;
		r = link_get(e->nl, t.bridge, &li);
		if (r < 0)
			return diag_error(d, r, "bridge: bridge '%s' of VNet '%s': %s", t.bridge, v->id, strerror(-r));
	} else
		return diag_error(d, r, "bridge: cannot look up '%s': %s", n->bridge, strerror(-r));

	t.bridge_ifindex = li.ifindex;
	t.bridge_mtu = li.mtu;
	if (pve_net_has(n, PVE_NET_MTU) && n->mtu > t.bridge_mtu)
		return diag_error(d, -EINVAL, "mtu: %u is bigger than the MTU %u of bridge '%s'", n->mtu, t.bridge_mtu, t.bridge);
	r = check_datapath(n, &t, d);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

int plug_host_veth(PlugEnv *e, const char *ifname, const PveNet *n, const PlugTarget *t, Diag *d)
{
	LinkInfo before;
	int r;

	r = link_get(e->nl, ifname, &before);
	if (r < 0)
		return diag_error(d, r, "host interface '%s': %s", ifname, strerror(-r));

	if (n->link_down)
		r = link_set(e->nl, before.ifindex, 0, t->bridge_mtu, false);
	else
		r = link_set(e->nl, before.ifindex, t->bridge_ifindex, t->bridge_mtu, true);
	if (r < 0) {
		/* The kernel applies the attributes one by one: put back what may have changed. */
		(void)link_set(e->nl, before.ifindex, before.master, before.mtu, before.up);
		return diag_error(d, r, "cannot plug '%s' into bridge '%s': %s", ifname, t->bridge, strerror(-r));
	}
	return 0;
}
