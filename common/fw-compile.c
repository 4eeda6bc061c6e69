/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "fw-classify.h"
#include "fw-compile.h"
#include "fw-rules.h"
#include "strutil.h"

static int push(DatapathFw *f, uint32_t family, const uint8_t addr[16], unsigned prefixlen, bool nomatch, Diag *d,
		const char *guest_name)
{
	DatapathFwEntry *e;

	if (f->n_set >= DATAPATH_FW_SET_MAX)
		return diag_error(d, -EOPNOTSUPP, "%s: more than %d addresses in the NIC's ipfilter set", guest_name,
				  DATAPATH_FW_SET_MAX);
	e = &f->set[f->n_set++];
	*e = (DatapathFwEntry){ .family = family, .prefixlen = (uint8_t)prefixlen, .nomatch = nomatch };
	memcpy(e->addr, addr, 16);
	return 0;
}

/* The guest's rules for netIDX, as the datapath's classifier. */
static int compile_rules(const FwConfig *cluster, const FwConfig *guest, unsigned idx, DatapathFw *ret, Diag *d)
{
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	FwRuleSet rs = {};
	int r;

	r = fw_rules_expand(cluster, guest, idx, &rs, d);
	if (r < 0)
		return r;
	r = fw_classify(&rs, &c);
	if (r == -E2BIG) {
		r = diag_error(d, -EOPNOTSUPP, "%s: more than %d rules in a direction", guest->name, LXCNET_FW_RULES_MAX);
		goto out;
	}
	if (r < 0) {
		r = diag_error(d, r, "%s: cannot compile the rules: %s", guest->name, strerror(-r));
		goto out;
	}
	fw_classifier_describe(c, &ret->fw);
	ret->rules = c->n_rules[0] || c->n_rules[1] ? TAKE_PTR(c) : NULL;
	ret->warnings = TAKE_PTR(rs.warnings);
	r = 0;
out:
	fw_ruleset_done(&rs);
	return r;
}

/* Options lxcnet does not enforce: set to anything but 0, the NIC stays with Proxmox's firewall. */
static int check_options(const FwConfig *c, const char *const *keys, Diag *d)
{
	for (size_t i = 0; c && keys[i]; i++) {
		const char *v = fw_config_option(c, keys[i]);

		if (v && strcmp(v, "0") != 0)
			return diag_error(d, -EOPNOTSUPP, "%s: option '%s: %s' (not enforced by lxcnet)", c->name, keys[i], v);
	}
	return 0;
}

static bool option_off(const FwConfig *c, const char *key)
{
	const char *v = fw_config_option(c, key);

	return v && strcmp(v, "0") == 0;
}

/*
 * The ipfilter set (compile_ipsets): the guest's ipfilter-netN entries,
 * then the NIC's own addresses, which win over an entry of the same
 * network: its EUI-64 link-local address, the rest of fe80::/10 out, its
 * static ip and ip6. An entry that does not resolve is skipped, as
 * pve-firewall skips it (with a warning).
 */
static int ip_set(const FwConfig *cluster, const FwConfig *guest, const PveNet *n, const FwNicPolicy *pol, DatapathFw *f,
		  Diag *d)
{
	static const uint8_t fe80[16] = { 0xfe, 0x80 };
	uint8_t addr[16];
	unsigned plen;
	int family, r;

	for (size_t i = 0; pol->ipfilter_set && i < pol->ipfilter_set->n_entries; i++) {
		const FwIpsetEntry *e = &pol->ipfilter_set->entries[i];

		if (fw_resolve_cidr(cluster, guest, e->cidr, &family, addr, &plen) < 0)
			continue;
		r = push(f, (uint32_t)family, addr, plen, e->nomatch, d, guest->name);
		if (r < 0)
			return r;
	}
	if (pve_net_has(n, PVE_NET_HWADDR)) {
		pve_mac_link_local(n->hwaddr, addr);
		r = push(f, 6, addr, 128, false, d, guest->name);
		if (r >= 0)
			r = push(f, 6, fe80, 10, true, d, guest->name);
		if (r < 0)
			return r;
	}
	if (pve_net_has(n, PVE_NET_IP) && n->ip.mode == PVE_IP_STATIC) {
		memset(addr, 0, sizeof(addr));
		memcpy(addr, &n->ip.addr.v4, 4);
		r = push(f, 4, addr, 32, false, d, guest->name);
		if (r < 0)
			return r;
	}
	if (pve_net_has(n, PVE_NET_IP6) && n->ip6.mode == PVE_IP_STATIC) {
		memcpy(addr, &n->ip6.addr.v6, 16);
		r = push(f, 6, addr, 128, false, d, guest->name);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * ebtables' ARP filter (compile_ebtables_filter): the IPv4 addresses and
 * networks written in ipfilter-netN (aliases are not resolved there, and
 * '!' is not heeded), and the NIC's static ip when ipfilter: 1.
 */
static int arp_set(const FwConfig *guest, const PveNet *n, const FwNicPolicy *pol, DatapathFw *f, Diag *d)
{
	uint8_t addr[16];
	unsigned plen;
	int family, r;

	for (size_t i = 0; pol->ipfilter_set && i < pol->ipfilter_set->n_entries; i++) {
		if (fw_resolve_cidr(NULL, NULL, pol->ipfilter_set->entries[i].cidr, &family, addr, &plen) < 0 || family != 4)
			continue;
		r = push(f, LXCNET_FW_FAMILY_ARP, addr, plen, false, d, guest->name);
		if (r < 0)
			return r;
	}
	if (guest->options.ipfilter == 1 && pve_net_has(n, PVE_NET_IP) && n->ip.mode == PVE_IP_STATIC) {
		memset(addr, 0, sizeof(addr));
		memcpy(addr, &n->ip.addr.v4, 4);
		r = push(f, LXCNET_FW_FAMILY_ARP, addr, 32, false, d, guest->name);
		if (r < 0)
			return r;
	}
	return 0;
}

static uint8_t verdict(FwVerdict v)
{
	return v == FW_ACCEPT ? LXCNET_FW_ACCEPT : v == FW_REJECT ? LXCNET_FW_REJECT : LXCNET_FW_DROP;
}

int fw_compile_nic(const FwConfig *cluster, const FwConfig *host, const FwConfig *guest, unsigned idx, const PveNet *n,
		   const FwNicPolicy *pol, DatapathFw *ret, Diag *d)
{
	static const char *const guest_unsupported[] = { "ips", "layer2_protocols", NULL };
	static const char *const host_unsupported[] = { "tcpflags", "nf_conntrack_allow_invalid", "protection_synflood",
							NULL };
	bool ebtables = !option_off(cluster, "ebtables");
	size_t arp_from;
	int r;

	datapath_fw_done(ret);
	memset(ret, 0, offsetof(DatapathFw, set));
	ret->n_set = 0;
	r = check_options(guest, guest_unsupported, d);
	if (r >= 0)
		r = check_options(host, host_unsupported, d);
	if (r < 0)
		return r;
	if (cluster && fw_config_find_ipset(cluster, "blacklist"))
		return diag_error(d, -EOPNOTSUPP, "%s: ipset 'blacklist' (not enforced by lxcnet yet)", cluster->name);
	r = compile_rules(cluster, guest, idx, ret, d);
	if (r < 0) {
		datapath_fw_done(ret);
		return r;
	}

	ret->fw.policy_in = verdict(pol->policy_in);
	ret->fw.policy_out = verdict(pol->policy_out);
	if (pol->dhcp)
		ret->fw.flags |= LXCNET_FW_DHCP;
	if (pol->ndp)
		ret->fw.flags |= LXCNET_FW_NDP;
	if (pol->radv)
		ret->fw.flags |= LXCNET_FW_RADV;
	/* host.fw's nosmurfs (on unless 0) guards every firewalled guest (PVEFW-FWBR-IN). */
	if (!option_off(host, "nosmurfs"))
		ret->fw.flags |= LXCNET_FW_NOSMURFS;
	/* Proxmox writes hwaddr for every NIC; without it there is no MAC to filter on. */
	if (pol->macfilter && pve_net_has(n, PVE_NET_HWADDR)) {
		ret->fw.flags |= LXCNET_FW_MACFILTER;
		if (ebtables)
			ret->fw.flags |= LXCNET_FW_L2MACFILTER;
	}
	if (pol->ipfilter) {
		ret->fw.flags |= LXCNET_FW_IPFILTER;
		r = ip_set(cluster, guest, n, pol, ret, d);
		if (r < 0) {
			datapath_fw_done(ret);
			return r;
		}
	}
	arp_from = ret->n_set;
	if (ebtables) {
		r = arp_set(guest, n, pol, ret, d);
		if (r < 0) {
			datapath_fw_done(ret);
			return r;
		}
		if (ret->n_set > arp_from)
			ret->fw.flags |= LXCNET_FW_ARPFILTER;
	}
	return 0;
}
