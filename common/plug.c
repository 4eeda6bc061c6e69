/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_bridge.h>
#include <netlink/route/qdisc.h>

#include "cni-conf.h"
#include "fw-bridge.h"
#include "fw-compile.h"
#include "log.h"
#include "lxc-hook.h"
#include "plug.h"
#include "pve-fwconf.h"
#include "strutil.h"
#include "shaper.h"

int plug_env_open(PlugEnv *e, const char *pve_dir)
{
	*e = (PlugEnv){ .pve_dir = pve_dir };
	plug_node_name(e->node, sizeof(e->node));
	return netlink_open(&e->nl);
}

void plug_env_done(PlugEnv *e)
{
	nl_socket_free(e->nl);
	e->nl = NULL;
	sdn_config_free(e->sdn);
	e->sdn = NULL;
	e->sdn_loaded = false;
	datapath_free(e->dp);
	e->dp = NULL;
	e->dp_error = 0;
	nl_cache_free(e->qdiscs);
	e->qdiscs = NULL;
}

int plug_env_qdiscs(PlugEnv *e, struct nl_cache **ret)
{
	if (!e->qdiscs) {
		int r = rtnl_qdisc_alloc_cache(e->nl, &e->qdiscs);

		if (r < 0)
			return nlerr_to_errno(r);
	}
	*ret = e->qdiscs;
	return 0;
}

/* The datapath, opened once per PlugEnv; NULL (and e->dp_reason) when it cannot be. */
static Datapath *plug_datapath(PlugEnv *e)
{
	Diag d = {};

	if (e->dp || e->dp_error)
		return e->dp;
	e->dp_error = datapath_open(true, &e->dp, &d);
	if (e->dp_error < 0)
		snprintf(e->dp_reason, sizeof(e->dp_reason), "%s", d.msg);
	else
		e->dp_error = 0;
	return e->dp;
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

/* A Proxmox firewall file: NULL when it does not exist (pve-firewall reads that as empty). */
static int load_fw(const char *pve_dir, const char *rel, FwFileKind kind, FwConfig **ret, Diag *d)
{
	_cleanup_free_ char *path = NULL;
	int r;

	*ret = NULL;
	if (asprintf(&path, "%s/%s", pve_dir, rel) < 0)
		return -ENOMEM;
	r = fw_config_load(path, kind, ret, d);
	return r == -ENOENT ? 0 : r;
}

/* The policy does more than drop tagged frames: tags, filters, trunks or a shaper. */
static bool needs_datapath(const PveNet *n, const PlugTarget *t)
{
	/* On a VLAN-aware bridge the port's membership carries the NIC's trunks (and tag: only a qinq inner tag is left). */
	return t->policy.tag || t->policy.service_tag || t->policy.flags || t->rate > 0 ||
	       (!t->bridge_vlan_aware && pve_net_has(n, PVE_NET_TRUNKS));
}

static void vids_set(struct lxcnet_trunks *v, unsigned first, unsigned last)
{
	for (unsigned vid = first; vid <= last; vid++)
		v->vids[vid / 64] |= UINT64_C(1) << (vid % 64);
}

static bool vids_any(const struct lxcnet_trunks *v)
{
	for (size_t i = 0; i < ELEMENTSOF(v->vids); i++)
		if (v->vids[i])
			return true;
	return false;
}

/*
 * On a VLAN-aware bridge, Proxmox's membership for the port (pve-common's
 * bridge_add_interface): the NIC's tag (or VLAN 1) as PVID, untagged; its
 * trunks tagged, or without tag and trunks every VLAN 2-4094 tagged. The
 * datapath keeps filtering and counting, and lets through, tagged, the
 * VLANs the port carries tagged. The VNet's tag of a vlan zone becomes the
 * PVID; a qinq zone's service tag too when the bridge's VLAN protocol is
 * the zone's, with the VNet's tag still pushed inside by the datapath.
 */
static int vlan_aware_policy(const PveNet *n, PlugTarget *t, Diag *d)
{
	struct lxcnet_port *p = &t->policy;

	memset(&t->port_vids, 0, sizeof(t->port_vids));
	if (t->service_tag) {
		if (t->service_proto != t->bridge_vlan_proto)
			return diag_error(d, -EOPNOTSUPP,
					  "bridge: qinq VNet '%s' uses service VLAN protocol 0x%04x, bridge '%s' 0x%04x "
					  "(its vlan_protocol)",
					  t->vnet, t->service_proto, t->bridge, t->bridge_vlan_proto);
		if (vids_any(&t->trunks))
			return diag_error(d, -EOPNOTSUPP, "trunks: not supported inside qinq VNet '%s' on VLAN-aware bridge '%s'",
					  t->vnet, t->bridge);
		t->port_pvid = p->service_tag;
		p->service_tag = 0;
		p->service_proto = 0;
		return 0;
	}
	if (p->service_tag)
		/* A VLAN-aware VNet's own VLAN around the NIC's: two 802.1Q tags the bridge cannot take apart. */
		return diag_error(d, -EOPNOTSUPP,
				  "tag: a VLAN inside VLAN-aware VNet '%s' is not supported on VLAN-aware bridge '%s' "
				  "(the VNet's VLAN is the bridge's, the NIC's would be a second 802.1Q tag)",
				  t->vnet, t->bridge);
	if (t->vlan_tag && vids_any(&t->trunks))
		return diag_error(d, -EOPNOTSUPP, "trunks: not supported inside VNet '%s' on VLAN-aware bridge '%s'", t->vnet,
				  t->bridge);
	t->port_pvid = p->tag ? p->tag : 1;
	p->tag = 0;
	if (vids_any(&t->trunks))
		t->port_vids = t->trunks;
	else if (!pve_net_has(n, PVE_NET_TAG) && !t->vlan_tag) {
		vids_set(&t->port_vids, 2, 4094);
		/* The container may use them as on Proxmox: the datapath lets them through. */
		t->trunks = t->port_vids;
	}
	t->port_vids.vids[t->port_pvid / 64] &= ~(UINT64_C(1) << (t->port_pvid % 64));
	return 0;
}

/* The port's VLANs on its VLAN-aware bridge: none of the defaults left, then t's. */
static int set_port_vlans(PlugEnv *e, int ifindex, const PlugTarget *t, Diag *d)
{
	int r;

	r = bridge_port_vlans(e->nl, ifindex, false, 1, 4094, 0);
	if (r < 0 && r != -ENOENT)
		return diag_error(d, r, "cannot clear the VLANs of the port on bridge '%s': %s", t->bridge, strerror(-r));
	for (unsigned vid = 1; vid <= 4094; vid++) {
		unsigned last = vid;

		if (!(t->port_vids.vids[vid / 64] >> (vid % 64) & 1))
			continue;
		while (last < 4094 && (t->port_vids.vids[(last + 1) / 64] >> ((last + 1) % 64) & 1))
			last++;
		r = bridge_port_vlans(e->nl, ifindex, true, (uint16_t)vid, (uint16_t)last, 0);
		if (r < 0)
			return diag_error(d, r, "cannot add VLANs %u-%u to the port on bridge '%s': %s", vid, last, t->bridge,
					  strerror(-r));
		vid = last;
	}
	r = bridge_port_vlans(e->nl, ifindex, true, t->port_pvid, t->port_pvid,
			      BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED);
	if (r < 0)
		return diag_error(d, r, "cannot make VLAN %u the port's untagged VLAN on bridge '%s': %s", t->port_pvid,
				  t->bridge, strerror(-r));
	return 0;
}

/* Proxmox's rules decide, not lxcnet's anti-spoofing: the filters go, and the datapath if nothing else needs it. */
static void drop_filters(const PveNet *n, PlugTarget *t)
{
	memset(t->policy.mac, 0, sizeof(t->policy.mac));
	memset(t->policy.ip6, 0, sizeof(t->policy.ip6));
	memset(t->policy.ip6_ll, 0, sizeof(t->policy.ip6_ll));
	t->policy.ip4 = 0;
	t->policy.flags &= (uint16_t)~LXCNET_PORT_FILTERS;
	t->needs_datapath = needs_datapath(n, t);
}

const char *plug_fw_enforcer_name(PlugFwEnforcer f)
{
	return f == FW_ENFORCER_PROXMOX_IPTABLES ? fw_backend_name(FW_BACKEND_IPTABLES) :
	       f == FW_ENFORCER_PROXMOX_NFTABLES ? fw_backend_name(FW_BACKEND_NFTABLES) :
	       f == FW_ENFORCER_LXCNET		 ? "lxcnet" :
						   "none";
}

int plug_fw_enforcer(const char *pve_dir, const char *node, const char *vmid, unsigned idx, const PveNet *n,
		     FirewallMode mode, PlugFwEnforcer *ret, DatapathFw *ret_fw, char *why_not, Diag *d)
{
	_cleanup_(fw_config_freep) FwConfig *cluster = NULL, *guest = NULL, *host = NULL;
	_cleanup_free_ char *guest_rel = NULL, *host_rel = NULL;
	const char *nft = getenv("LXCNET_PROXMOX_FIREWALL"); /* tests: where proxmox-firewall is */
	FwNicPolicy fw;
	int r;

	*ret = FW_ENFORCER_NONE;
	if (!n->firewall || !lxc_hook_is_vmid(vmid))
		return 0;
	if (asprintf(&guest_rel, "firewall/%s.fw", vmid) < 0 || asprintf(&host_rel, "nodes/%s/host.fw", node) < 0)
		return -ENOMEM;
	/* A file that exists but cannot be read could hide an enabled firewall: never guess open. */
	r = load_fw(pve_dir, "firewall/cluster.fw", FW_CLUSTER, &cluster, d);
	if (r >= 0)
		r = load_fw(pve_dir, guest_rel, FW_GUEST, &guest, d);
	if (r >= 0)
		r = load_fw(pve_dir, host_rel, FW_HOST, &host, d);
	if (r < 0) {
		diag_prefix(d, "firewall: ");
		return r;
	}
	fw_nic_policy(cluster, guest, idx, n, time(NULL), &fw);
	if (fw.effective && mode == FIREWALL_LXCNET) {
		_cleanup_(datapath_fw_freep) DatapathFw *compiled = ret_fw ? NULL : calloc(1, sizeof(*compiled));
		Diag why = {};

		if (!ret_fw && !compiled)
			return -ENOMEM;
		r = fw_compile_nic(cluster, host, guest, idx, n, &fw, ret_fw ? ret_fw : compiled, &why);
		if (r >= 0) {
			*ret = FW_ENFORCER_LXCNET;
			return 0;
		}
		if (r != -EOPNOTSUPP)
			return diag_error(d, r, "firewall: %s", why.msg);
		if (why_not)
			snprintf(why_not, DIAG_MAX, "%s", why.msg);
	}
	if (fw.effective)
		*ret = fw_backend(host, access(FW_NFT_FORCE_DISABLE_FILE, F_OK) == 0,
				  access(nft && *nft ? nft : FW_NFT_BINARY, X_OK) == 0) == FW_BACKEND_IPTABLES ?
			       FW_ENFORCER_PROXMOX_IPTABLES :
			       FW_ENFORCER_PROXMOX_NFTABLES;
	return 0;
}

void plug_log_fw_fallback(const char *vmid, unsigned idx, const PlugTarget *t)
{
	log_ctx(&(LogContext){ .vmid = vmid }, LOG_NOTICE, "The guest firewall of net%u of container '%s' is left to %s: %s",
		idx, vmid, t->fw_enforcer == FW_ENFORCER_PROXMOX_NFTABLES ? "proxmox-firewall" : "pve-firewall",
		t->fw_fallback);
}

/*
 * Proxmox's guest firewall for netIDX of container vmid, after
 * resolve() (which adds lxcnet's own anti-spoofing for firewall=1):
 * t->fw_enforcer from plug_fw_enforcer(). With proxmox-firewall (nftables)
 * the veth on the bridge is what it filters, so lxcnet plugs it there. With
 * pve-firewall (iptables) the rules apply on Proxmox's firewall bridge, which
 * plug_host_veth() then builds. Not in effect, Proxmox filters nothing.
 * With lxcnet's own guest firewall (FW_ENFORCER_LXCNET), the datapath
 * enforces t->fw on the veth in the bridge.
 * Unless e->fw_mode is FIREWALL_ALWAYS, lxcnet's anti-spoofing is taken off t in all
 * three cases. A container that is no Proxmox VMID (plain LXC) has no
 * Proxmox firewall: t stays as it is.
 */
static int guest_firewall(PlugEnv *e, const char *vmid, unsigned idx, const PveNet *n, PlugTarget *t, Diag *d)
{
	int r;

	/* A plain LXC container has no Proxmox firewall: lxcnet's own anti-spoofing stays. */
	if (!n->firewall || !lxc_hook_is_vmid(vmid)) {
		t->fw_enforcer = FW_ENFORCER_NONE;
		return 0;
	}
	/* resolve(vmid) left out the MAC filter it has no MAC for: only lxcnet's own needs one. */
	if (e->fw_mode == FIREWALL_ALWAYS && !pve_net_has(n, PVE_NET_HWADDR))
		return diag_error(d, -EINVAL, "firewall: needs hwaddr (lxcnet.conf 'firewall always' filters the MAC "
				  "address frames must come from)");
	t->fw_fallback[0] = '\0';
	r = plug_fw_enforcer(e->pve_dir, e->node, vmid, idx, n, e->fw_mode, &t->fw_enforcer, &t->fw, t->fw_fallback, d);
	if (r < 0)
		return r;
	if (t->fw_fallback[0] && !e->fw_quiet)
		plug_log_fw_fallback(vmid, idx, t);
	for (size_t i = 0; t->fw_enforcer == FW_ENFORCER_LXCNET && !e->fw_quiet && t->fw.warnings && t->fw.warnings[i]; i++)
		log_ctx(&(LogContext){ .vmid = vmid }, LOG_WARNING, "Guest firewall of net%u of container '%s': %s", idx, vmid,
			t->fw.warnings[i]);
	/*
	 * Each firewall does Proxmox's anti-spoofing itself; off, Proxmox filters
	 * nothing. lxcnet's own guest firewall needs the datapath.
	 */
	if (e->fw_mode != FIREWALL_ALWAYS)
		drop_filters(n, t);
	if (t->fw_enforcer == FW_ENFORCER_LXCNET) {
		/* Its MAC filter is the port's MAC (not lxcnet's own filter, whose flag stays off). */
		if (pve_net_has(n, PVE_NET_HWADDR))
			memcpy(t->policy.mac, n->hwaddr, sizeof(t->policy.mac));
		t->needs_datapath = true;
		if (!plug_datapath(e))
			return diag_error(d, -EOPNOTSUPP, "firewall: lxcnet's guest firewall needs the eBPF datapath: %s",
					  e->dp_reason);
	}
	return 0;
}

/*
 * firewall=1: the source MAC must be hwaddr; a static ip/ip6 must be the
 * source address (IPv6 also from the EUI-64 link-local address and ::).
 * With dhcp, manual or auto the address is not known here, so that family
 * is not filtered by address.
 */
static int firewall_policy(const PveNet *n, bool pve_guest, struct lxcnet_port *p, Diag *d)
{
	if (!pve_net_has(n, PVE_NET_HWADDR)) {
		/* A Proxmox container's filters are its guest firewall's: guest_firewall() decides. */
		if (pve_guest)
			return 0;
		return diag_error(d, -EINVAL, "firewall: needs hwaddr (the MAC address frames must come from)");
	}
	memcpy(p->mac, n->hwaddr, 6);
	p->flags |= LXCNET_PORT_FILTER_MAC;
	if (pve_net_has(n, PVE_NET_IP) && n->ip.mode == PVE_IP_STATIC) {
		p->ip4 = n->ip.addr.v4.s_addr;
		p->flags |= LXCNET_PORT_FILTER_IP4;
	}
	if (pve_net_has(n, PVE_NET_IP6) && n->ip6.mode == PVE_IP_STATIC) {
		memcpy(p->ip6, &n->ip6.addr.v6, 16);
		pve_mac_link_local(n->hwaddr, p->ip6_ll);
		p->flags |= LXCNET_PORT_FILTER_IP6;
	}
	return 0;
}

/*
 * The port policy: the NIC's own tag and trunks, inside the VNet's tags when
 * lxcnet plugs a VNet into its zone's bridge, its anti-spoofing rules, and
 * whether it is shaped (the shaper itself is set up when plugging).
 */
static int build_policy(PlugEnv *e, const PveNet *n, bool pve_guest, PlugTarget *t, Diag *d)
{
	struct lxcnet_port *p = &t->policy;

	memset(p, 0, sizeof(*p));
	memset(&t->trunks, 0, sizeof(t->trunks));
	if (n->firewall) {
		int r = firewall_policy(n, pve_guest, p, d);

		if (r < 0)
			return r;
	}
	if (pve_net_has(n, PVE_NET_TRUNKS))
		memcpy(t->trunks.vids, n->trunks, sizeof(t->trunks.vids));
	p->tag = pve_net_has(n, PVE_NET_TAG) && !t->proxmox_vlan_bridge ? n->tag : 0;
	if (t->service_tag) {
		/* A qinq VNet: its zone's service tag outside, the VNet's tag inside. */
		if (p->tag)
			return diag_error(d, -EOPNOTSUPP, "tag: a third VLAN tag inside qinq VNet '%s' is not supported", t->vnet);
		p->service_tag = t->service_tag;
		p->service_proto = htons(t->service_proto);
		p->tag = t->vlan_tag;
	} else if (t->vlan_tag && p->tag) {
		/* A VLAN-aware VNet in a vlan zone: the VNet's VLAN carries the NIC's. */
		p->service_tag = t->vlan_tag;
		p->service_proto = htons(0x8100);
	} else if (t->vlan_tag)
		p->tag = t->vlan_tag;

	if (t->bridge_vlan_aware) {
		int r = vlan_aware_policy(n, t, d);

		if (r < 0)
			return r;
	}
	t->rate = pve_net_has(n, PVE_NET_RATE) ? n->rate : 0;
	if (t->rate > 0) {
		int r = shaper_check_rate(t->rate, d);

		if (r < 0)
			return r;
	}
	t->needs_datapath = needs_datapath(n, t);
	if (t->needs_datapath && !plug_datapath(e))
		return diag_error(d, -EOPNOTSUPP, "%s: needs the lxcnet eBPF datapath, which cannot be used: %s",
				  pve_net_has(n, PVE_NET_TAG) ? "tag" : pve_net_has(n, PVE_NET_TRUNKS) ? "trunks" :
				  n->firewall ? "firewall" : t->rate > 0 ? "rate" : "bridge",
				  e->dp_reason);
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

bool plug_names_vnet(PlugEnv *e, const char *bridge)
{
	Diag d;

	return load_sdn(e, bridge, &d) >= 0 && sdn_config_find_vnet(e->sdn, bridge);
}

bool plug_net_up_decision(PlugEnv *e, const LxcnetConf *conf, const PveNet *n, RolloutDecision *ret)
{
	bool is_vnet = conf->phase < PHASE_FULL && pve_net_has(n, PVE_NET_BRIDGE) && plug_names_vnet(e, n->bridge);

	rollout_decide(conf, ROP_NET_UP, rollout_nic_class(n, is_vnet), ret);
	return is_vnet;
}

bool plug_test_failure(void)
{
	const char *path = getenv("LXCNET_TEST_FAIL");

	return path && *path && access(path, F_OK) >= 0;
}

/*
 * plug_resolve() for a NIC of container ct (NULL: none): a Proxmox
 * container's firewall=1 NIC without hwaddr is no error here, because its
 * filters are its guest firewall's (Proxmox filters the MAC only when it
 * has one); guest_firewall() refuses it where lxcnet's own MAC filter
 * applies (firewall always).
 */
static int resolve(PlugEnv *e, const char *ct, const PveNet *n, PlugTarget *ret, Diag *d)
{
	const SdnVnet *v = NULL;
	PlugTarget t = {};
	LinkInfo li;
	int r;

	if (!pve_net_has(n, PVE_NET_BRIDGE))
		return diag_error(d, -EINVAL, "bridge: missing (lxcnet plugs every NIC into a bridge or VNet)");

	r = link_get(e->nl, n->bridge, &li);
	if (r >= 0 && li.is_ovs)
		/* Proxmox's own plug does OVS (and its firewall plumbing there): fallback on leaves it that. */
		return diag_error(d, -EOPNOTSUPP, "bridge: '%s' is an Open vSwitch bridge, which lxcnet does not plug",
				  n->bridge);
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
		t.service_proto = p.service_proto;
		r = link_get(e->nl, t.bridge, &li);
		if (r < 0)
			return diag_error(d, r, "bridge: bridge '%s' of VNet '%s': %s", t.bridge, v->id, strerror(-r));
	} else
		return diag_error(d, r, "bridge: cannot look up '%s': %s", n->bridge, strerror(-r));

	t.bridge_vlan_aware = li.vlan_filtering;
	t.bridge_vlan_proto = li.vlan_protocol;
	if (!t.bridge_vlan_aware && !*t.vnet && pve_net_has(n, PVE_NET_TAG)) {
		/*
		 * Proxmox plugs tag=N on a bridge that is not VLAN-aware into
		 * <bridge>vN, whose 8021q device on the uplink takes every VLAN N
		 * frame before the bridge sees it: where it exists, lxcnet plugs
		 * there as well, untagged, or the NIC would reach neither the
		 * wire nor Proxmox's guests on that VLAN.
		 */
		char vbridge[IFNAMSIZ + 8];
		LinkInfo vli;

		snprintf(vbridge, sizeof(vbridge), "%sv%u", t.bridge, n->tag);
		if (strlen(vbridge) < IFNAMSIZ && link_get(e->nl, vbridge, &vli) >= 0 && vli.is_bridge) {
			if (pve_net_has(n, PVE_NET_TRUNKS))
				return diag_error(d, -EOPNOTSUPP,
						  "trunks: bridge '%s' is not VLAN-aware and Proxmox's '%s' takes VLAN %u off its "
						  "uplink; trunks need a VLAN-aware bridge (bridge-vlan-aware yes)",
						  t.bridge, vbridge, n->tag);
			strcpy(t.bridge, vbridge);
			t.proxmox_vlan_bridge = true;
			li = vli;
		}
	}
	t.bridge_ifindex = li.ifindex;
	t.bridge_mtu = li.mtu;
	if (pve_net_has(n, PVE_NET_MTU) && n->mtu > t.bridge_mtu)
		return diag_error(d, -EINVAL, "mtu: %u is bigger than the MTU %u of bridge '%s'", n->mtu, t.bridge_mtu, t.bridge);
	r = build_policy(e, n, ct && lxc_hook_is_vmid(ct), &t, d);
	if (r < 0)
		return r;
	plug_target_done(ret);
	*ret = t;
	return 0;
}

int plug_resolve(PlugEnv *e, const PveNet *n, PlugTarget *ret, Diag *d)
{
	return resolve(e, NULL, n, ret, d);
}

int plug_resolve_nic(PlugEnv *e, const char *ct, unsigned idx, const PveNet *n, PlugTarget *ret, bool *ret_invalid, Diag *d)
{
	int r;

	if (ret_invalid)
		*ret_invalid = false;
	r = resolve(e, ct, n, ret, d);
	if (r < 0) {
		if (ret_invalid)
			*ret_invalid = true;
		return r;
	}
	/* Proxmox's firewall in effect where lxcnet cannot plug for it: lxcnet fails, the legacy command may not. */
	return guest_firewall(e, ct, idx, n, ret, d);
}

void plug_target_done(PlugTarget *t)
{
	datapath_fw_done(&t->fw);
}

/* A Proxmox-named veth's firewall bridge, and what the datapath and the shaper kept for its fwpr. */
static int remove_fw_bridge(PlugEnv *e, const FwBridge *fb)
{
	int fwpr, r;

	r = fw_bridge_remove(e->nl, fb, &fwpr);
	if (fwpr > 0) {
		if (plug_datapath(e))
			(void)datapath_port_clear(e->dp, fwpr);
		(void)shaper_clear(e->nl, fwpr);
	}
	return r;
}

/* Policy and shaper of port ifindex (the veth, or the fwpr of its firewall bridge), before it joins the bridge. */
static int set_port_policy(PlugEnv *e, int ifindex, const char *ifname, const PlugTarget *t, Diag *d)
{
	struct lxcnet_port policy = t->policy;
	int ifb = 0, r;

	if (!plug_datapath(e)) {
		if (t->needs_datapath)
			return diag_error(d, -EOPNOTSUPP, "the lxcnet eBPF datapath cannot be used: %s", e->dp_reason);
		log_ctx(NULL, LOG_WARNING, "Plugging '%s' without the datapath (tagged frames from the container are not dropped): %s",
			ifname, e->dp_reason);
		return 0;
	}
	if (t->rate > 0) {
		r = shaper_set(e->nl, ifindex, t->rate, &ifb, &policy.edt_bps, d);
		if (r < 0)
			return r;
		policy.shaper_ifindex = (__u32)ifb;
	} else
		/* Plugged again without a rate (a VNet change, a hotplug update): no shaper left over. */
		(void)shaper_clear(e->nl, ifindex);
	r = datapath_port_set_fw(e->dp, ifindex, &policy, &t->trunks, t->fw_enforcer == FW_ENFORCER_LXCNET ? &t->fw : NULL,
				 d);
	if (r < 0)
		(void)shaper_clear(e->nl, ifindex);
	return r;
}

int plug_host_veth(PlugEnv *e, const char *ifname, const PveNet *n, const PlugTarget *t, Diag *d)
{
	bool fw_bridge = t->fw_enforcer == FW_ENFORCER_PROXMOX_IPTABLES && !n->link_down;
	bool proxmox_name, described = false; /* d already says what failed */
	FwBridge fb;
	LinkInfo before;
	int port, r;

	r = fw_bridge_names(ifname, &fb);
	proxmox_name = r >= 0;
	if (fw_bridge && !proxmox_name)
		return diag_error(d, r, "firewall: pve-firewall filters the NIC on Proxmox's firewall bridge, which needs a host "
				  "interface named veth<vmid>i<N> (fwbr<vmid>i<N> at most %d characters), not '%s'",
				  IFNAMSIZ - 1, ifname);
	/* As Proxmox's tap_plug: a firewall bridge left from before (firewall=1 then, or a crash) goes first. */
	if (proxmox_name) {
		r = remove_fw_bridge(e, &fb);
		if (r < 0)
			return diag_error(d, r, "cannot remove the firewall bridge '%s' left from before: %s", fb.fwbr,
					  strerror(-r));
	}
	r = link_get(e->nl, ifname, &before);
	if (r < 0)
		return diag_error(d, r, "host interface '%s': %s", ifname, strerror(-r));
	port = before.ifindex;
	if (fw_bridge) {
		r = fw_bridge_create(e->nl, &fb, t->bridge_ifindex, t->bridge_mtu);
		if (r < 0)
			return diag_error(d, r, "firewall: cannot build Proxmox's firewall bridge '%s' (%s, %s) for '%s': %s",
					  fb.fwbr, fb.fwln, fb.fwpr, ifname, strerror(-r));
		port = fb.fwpr_ifindex;
		/* Plugged before without it: the veth's own policy would tag frames inside the firewall bridge. */
		if (plug_datapath(e))
			(void)datapath_port_clear(e->dp, before.ifindex);
		(void)shaper_clear(e->nl, before.ifindex);
	}

	/* Shaping and policy are in force before the port joins the bridge. */
	r = set_port_policy(e, port, fw_bridge ? fb.fwpr : ifname, t, d);
	if (r < 0) {
		if (fw_bridge)
			(void)fw_bridge_remove(e->nl, &fb, NULL);
		return r;
	}

	if (n->link_down)
		r = link_set(e->nl, before.ifindex, 0, t->bridge_mtu, false);
	else {
		r = link_set(e->nl, port, t->bridge_ifindex, t->bridge_mtu, true);
		if (r >= 0 && t->bridge_vlan_aware) {
			r = set_port_vlans(e, port, t, d);
			described = r < 0;
		}
		/* The guest's veth into its firewall bridge, without IPv6 as Proxmox has it. */
		if (r >= 0 && fw_bridge && (r = link_disable_ipv6(ifname)) >= 0)
			r = link_set(e->nl, before.ifindex, fb.fwbr_ifindex, t->bridge_mtu, true);
	}
	if (r >= 0 && plug_test_failure())
		r = -EIO; /* after the last step, so that everything is undone below */
	if (r < 0) {
		/* The kernel applies the attributes one by one: put back what may have changed. */
		(void)link_set(e->nl, before.ifindex, before.master, before.mtu, before.up);
		if (e->dp) {
			(void)datapath_port_clear(e->dp, port);
			(void)shaper_clear(e->nl, port);
		}
		if (fw_bridge)
			(void)fw_bridge_remove(e->nl, &fb, NULL);
		return described ? r : diag_error(d, r, "cannot plug '%s' into bridge '%s': %s", ifname, t->bridge, strerror(-r));
	}
	return 0;
}

uint32_t plug_nic_mtu(const PveNet *n, const PlugTarget *t)
{
	return pve_net_has(n, PVE_NET_MTU) ? n->mtu : t->bridge_mtu;
}

int plug_netns_add(PlugEnv *e, CtNetns *ns, const char *host_ifname, const char *alias, const PveNet *n, const PlugTarget *t,
		   Diag *d)
{
	LinkInfo li;
	int r;

	r = ct_netif_add(e->nl, ns, host_ifname, n, plug_nic_mtu(n, t), d);
	if (r < 0)
		return r;
	if (alias) {
		r = link_get(e->nl, host_ifname, &li);
		if (r >= 0)
			r = link_set_alias(e->nl, li.ifindex, alias);
		if (r < 0) {
			(void)link_delete(e->nl, host_ifname);
			return diag_error(d, r, "cannot mark host interface '%s': %s", host_ifname, strerror(-r));
		}
	}
	r = plug_host_veth(e, host_ifname, n, t, d);
	if (r < 0)
		(void)plug_remove(e, host_ifname, NULL);
	return r;
}

int plug_remove(PlugEnv *e, const char *ifname, LinkDeletion *del)
{
	FwBridge fb;
	LinkInfo li;
	int r;

	if (del)
		(void)link_delete_wait(del);
	/* Taking an entry out needs the pins, not a load. */
	if (!e->dp && datapath_open(false, &e->dp, &(Diag){}) < 0)
		e->dp = NULL;
	/* Its firewall bridge also when the veth itself is gone already. */
	if (fw_bridge_names(ifname, &fb) >= 0)
		(void)remove_fw_bridge(e, &fb);
	r = link_get(e->nl, ifname, &li);
	if (r < 0)
		return r == -ENODEV ? 0 : r;
	if (e->dp)
		(void)datapath_port_clear(e->dp, li.ifindex);
	(void)shaper_clear(e->nl, li.ifindex);
	if (del && link_delete_start(del, li.ifindex) >= 0)
		return 0;
	r = link_delete(e->nl, ifname);
	return r == -ENODEV ? 0 : r;
}

int plug_remove_detached(PlugEnv *e, const char *ifname)
{
	char ifb[IFNAMSIZ];
	int gone[2], r;
	size_t n = 0;
	LinkInfo li;

	if (!e->dp && datapath_open(false, &e->dp, &(Diag){}) < 0)
		e->dp = NULL;
	r = link_get(e->nl, ifname, &li);
	if (r < 0)
		return r == -ENODEV ? 0 : r;
	/* The slot goes now: the ifindex may come back as another port's. */
	if (e->dp)
		(void)datapath_port_clear(e->dp, li.ifindex);
	gone[n++] = li.ifindex;
	/* Its ifb (rate) goes at the same time; the veth takes its own qdiscs along. */
	shaper_ifb_name(li.ifindex, ifb);
	if (link_get(e->nl, ifb, &li) >= 0)
		gone[n++] = li.ifindex;
	r = link_delete_detached(gone, n);
	/* Nothing could be started, or a name is still there: the slow way, on the caller's clock. */
	return r >= 0 ? r : plug_remove(e, ifname, NULL);
}

int plug_owned(PlugEnv *e, const char *ifname, const char *alias, LinkInfo *ret)
{
	int r = link_get(e->nl, ifname, ret);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	return strcmp(ret->alias, alias) == 0 ? 1 : -EEXIST;
}

int plug_sweep(PlugEnv *e)
{
	unsigned removed = 0;
	int r, q = 0;

	r = shaper_sweep(e->nl);
	if (!e->dp && datapath_open(false, &e->dp, &(Diag){}) < 0)
		e->dp = NULL;
	if (e->dp)
		q = datapath_sweep(e->dp, &removed);
	if (removed)
		log_ctx(NULL, LOG_DEBUG, "Removed %u stale datapath entries", removed);
	return r < 0 ? r : q;
}

_Static_assert(PLUG_OWNER_NETWORK_MAX == CNI_NAME_MAX, "a CNI network name fits a PlugOwner");

void plug_owner_alias(const PlugOwner *o, char *ret, size_t size)
{
	if (o->cni)
		snprintf(ret, size, "lxcnet-cni %s %s %s", o->network, o->container, o->ifname);
	else
		snprintf(ret, size, "lxcnet-oci %s net%u", o->container, o->net);
}

/* The next word of *p (at most max characters) into ret; false when there is none or it is longer. */
static bool next_word(const char **p, char *ret, size_t max)
{
	size_t n = strcspn(*p, " ");

	if (n == 0 || n > max)
		return false;
	memcpy(ret, *p, n);
	ret[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return true;
}

/* What a CNI attachment's owner must be: a network name, and an interface name without blanks or '/'. */
static bool owner_cni_valid(const PlugOwner *o)
{
	return cni_name_valid(o->network, strlen(o->network)) && o->ifname[0] && !strpbrk(o->ifname, " \t\n/");
}

int plug_owner_parse_nic(const char *nic, PlugOwner *ret)
{
	const char *slash = strchr(nic, '/');
	PlugOwner o = { .cni = true };

	if (!slash || slash - nic > PLUG_OWNER_NETWORK_MAX || strlen(slash + 1) >= IFNAMSIZ)
		return -EINVAL;
	memcpy(o.network, nic, (size_t)(slash - nic));
	strcpy(o.ifname, slash + 1);
	if (!owner_cni_valid(&o))
		return -EINVAL;
	*ret = o;
	return 0;
}

int plug_owner_parse(const char *alias, PlugOwner *ret)
{
	PlugOwner o = {};
	uint64_t idx = 0;
	char net[8];

	if (!alias)
		return -EINVAL;
	if (strncmp(alias, "lxcnet-oci ", 11) == 0) {
		alias += 11;
		if (!next_word(&alias, o.container, PLUG_OWNER_ID_MAX) || !next_word(&alias, net, sizeof(net) - 1) || *alias ||
		    strncmp(net, "net", 3) != 0 || parse_uint_range(net + 3, 0, PVE_NET_MAX - 1, &idx) < 0)
			return -EINVAL;
		o.net = (unsigned)idx;
	} else if (strncmp(alias, "lxcnet-cni ", 11) == 0) {
		alias += 11;
		o.cni = true;
		if (!next_word(&alias, o.network, PLUG_OWNER_NETWORK_MAX) || !next_word(&alias, o.container, PLUG_OWNER_ID_MAX) ||
		    !next_word(&alias, o.ifname, IFNAMSIZ - 1) || *alias)
			return -EINVAL;
	} else
		return -EINVAL;
	if (strpbrk(o.container, "\t\n") || (o.cni && !owner_cni_valid(&o)))
		return -EINVAL;
	*ret = o;
	return 0;
}

void plug_hashed_ifname(char ret[IFNAMSIZ], const char *prefix, const char *key, int index)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	if (index >= 0)
		snprintf(ret, IFNAMSIZ, "%.3s%08xi%u", prefix, h, (unsigned)index % 100);
	else
		snprintf(ret, IFNAMSIZ, "%.3s%08x", prefix, h);
}
