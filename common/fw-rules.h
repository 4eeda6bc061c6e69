/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The [RULES] of Proxmox's guest firewall as they apply to one container
 * NIC, in the order pve-firewall puts them into the NIC's chains
 * (ruleset_generate_vm_rules): the guest's rules in file order, a GROUP
 * rule replaced by its security group's rules of the same direction
 * (cluster.fw [group name]), a macro rule by the macro's rules. Rules that
 * are disabled ('|'), for another NIC (-i netM), of another type (FORWARD)
 * do not apply. A rule pve-firewall refuses (verify_rule: an unknown
 * protocol, macro, ipset, alias or port name, ports without a protocol,
 * mixed address families, ...) is skipped as pve-firewall skips it, with a
 * warning naming file, line and reason.
 *
 * Each rule is a conjunction of five fields: source and destination (sets
 * of prefixes, where an ipset's '!' entries are prefixes that do not
 * match: the longest prefix of a set that contains an address decides),
 * protocol, source port and destination port (ranges as prefixes of the
 * 16-bit port; for ICMP and ICMPv6 the destination port field holds type
 * << 8 | code). An empty set matches everything.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "pve-fwconf.h"

/* Proxmox's firewall macros (common/fw-macros.c, generated from Proxmox's macros.json). */
typedef struct FwMacroRule {
	const char *proto, *dport, *sport, *icmp_type; /* NULL: not set */
} FwMacroRule;

typedef struct FwMacro {
	const char *name, *desc;
	const FwMacroRule *rules;
	size_t n_rules;
} FwMacro;

extern const FwMacro fw_macros[];
extern const size_t fw_n_macros;

/* The macro named so, case-insensitively (pve-firewall's preferred names), or NULL. */
const FwMacro *fw_macro_find(const char *name);

/* A prefix of an address (family 4 or 6) or of a port (family 0: addr[0..1] big-endian, len <= 16). */
typedef struct FwPrefix {
	uint8_t family;
	uint8_t len;
	bool nomatch;
	uint8_t addr[16];
} FwPrefix;

typedef struct FwRule {
	uint8_t dir;	 /* LXCNET_FROM_CT for OUT rules, LXCNET_TO_CT for IN rules */
	uint8_t verdict; /* FW_ACCEPT, FW_DROP or FW_REJECT */
	uint8_t family;	 /* 4 or 6: the rule applies to that family only; 0: to both */
	int proto;	 /* IP protocol number; -1: any */
	FwPrefix *src, *dst, *sport, *dport;
	size_t n_src, n_dst, n_sport, n_dport; /* 0: any */
	char *origin;			       /* "100.fw:12" (and the group's or macro's line when expanded from one) */
} FwRule;

typedef struct FwRuleSet {
	FwRule *rules;
	size_t n_rules;
	char **warnings; /* rules skipped as pve-firewall skips them */
} FwRuleSet;

void fw_ruleset_done(FwRuleSet *s);

/*
 * The rules of guest (and cluster's groups, ipsets and aliases; cluster
 * NULL when cluster.fw does not exist) that apply to netIDX, expanded.
 * Errors are -ENOMEM only.
 */
int fw_rules_expand(const FwConfig *cluster, const FwConfig *guest, unsigned idx, FwRuleSet *ret, Diag *d);

/*
 * Whether rule r matches a packet: family 4 or 6, addresses (16 bytes,
 * IPv4 in the first 4), protocol, ports (for ICMP: sport 0, dport type <<
 * 8 | code). The reference the datapath's classifier is tested against.
 */
bool fw_rule_matches(const FwRule *r, int family, const uint8_t src[16], const uint8_t dst[16], int proto, uint16_t sport,
		     uint16_t dport);

/*
 * An address or network of an ipset entry or alias ("10.0.0.1",
 * "10.0.0.0/24", "fd00::/64"), or an alias name resolved as pve-firewall's
 * resolve_alias() does ("dc/name": the cluster's, "guest/name": the
 * guest's, "name": the guest's, then the cluster's). -ENOENT for an alias
 * neither has, -EINVAL for what is neither.
 */
int fw_resolve_cidr(const FwConfig *cluster, const FwConfig *guest, const char *s, int *ret_family, uint8_t ret_addr[16],
		    unsigned *ret_prefixlen);

/* The protocol numbers of ICMP and ICMPv6. */
#define FW_PROTO_ICMP 1
#define FW_PROTO_ICMPV6 58
