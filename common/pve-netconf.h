/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox `netN` property strings of a container (net0..net31):
 *   name=eth0,bridge=vmbr0,hwaddr=BC:24:11:..,ip=10.0.0.2/24,gw=..,tag=100,...
 * Parsed into a plain value struct (no heap), validated the way Proxmox's
 * pve-container schema does, and printed back in Proxmox's order.
 */

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

#define PVE_NET_MAX 32			/* net0..net31 */
#define PVE_NET_STRING_MAX (64 * 1024)	/* longest property string we accept */
#define PVE_VLAN_MIN 1
#define PVE_VLAN_MAX 4094
#define PVE_MTU_MIN 64
#define PVE_MTU_MAX 65535

/* In ASCII order of the key names: that is the printing order after `name`. */
typedef enum PveNetKey {
	PVE_NET_BRIDGE,
	PVE_NET_FIREWALL,
	PVE_NET_GW,
	PVE_NET_GW6,
	PVE_NET_HOST_MANAGED,
	PVE_NET_HWADDR,
	PVE_NET_IP,
	PVE_NET_IP6,
	PVE_NET_LINK_DOWN,
	PVE_NET_MTU,
	PVE_NET_NAME,
	PVE_NET_RATE,
	PVE_NET_TAG,
	PVE_NET_TRUNKS,
	PVE_NET_TYPE,
	_PVE_NET_KEY_MAX,
} PveNetKey;

typedef enum PveIpMode {
	PVE_IP_STATIC,
	PVE_IP_DHCP,
	PVE_IP_MANUAL,
	PVE_IP_AUTO, /* ip6 only: SLAAC */
} PveIpMode;

typedef struct PveIpConfig {
	PveIpMode mode;
	unsigned prefixlen; /* PVE_IP_STATIC only */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
} PveIpConfig;

typedef struct PveNet {
	uint32_t keys; /* bit (1u << PveNetKey) for every key present */
	char name[IFNAMSIZ];
	char bridge[IFNAMSIZ];
	uint8_t hwaddr[6];
	PveIpConfig ip;
	PveIpConfig ip6;
	struct in_addr gw;
	struct in6_addr gw6;
	bool firewall;
	bool link_down;
	bool host_managed;
	uint16_t tag;
	uint32_t mtu;
	double rate; /* MiB/s; 0 = no limit */
	unsigned n_trunks;
	uint64_t trunks[(PVE_VLAN_MAX + 64) / 64]; /* bitmap of VLAN ids */
} PveNet;

static inline bool pve_net_has(const PveNet *n, PveNetKey k)
{
	return n->keys & (1u << k);
}

static inline bool pve_net_trunk_has(const PveNet *n, unsigned vid)
{
	return vid <= PVE_VLAN_MAX && (n->trunks[vid / 64] & (UINT64_C(1) << (vid % 64)));
}

const char *pve_net_key_name(PveNetKey k);

/* Parse and validate one property string. On error *ret is untouched and d says why. */
int pve_net_parse(const char *s, PveNet *ret, Diag *d);
/* A NIC's hwaddr as Proxmox takes it: XX:XX:XX:XX:XX:XX and unicast; d names the key "hwaddr". */
int pve_parse_hwaddr(const char *v, uint8_t ret[6], Diag *d);

/* The IPv6 link-local address a NIC of MAC mac has: fe80::/64 with its modified EUI-64 (RFC 4291). */
void pve_mac_link_local(const uint8_t mac[6], uint8_t ret[16]);

/* Write one key's value in Proxmox's text form. The key must be present. */
void pve_net_print_value(const PveNet *n, PveNetKey k, FILE *f);

/* The whole property string, `name` first, then the other keys in ASCII order. */
int pve_net_format(const PveNet *n, char **ret);

/* "net12" -> 12; -EINVAL when not of the form net<digits>, -ERANGE beyond net31. */
int pve_net_index_from_key(const char *key);

/* 0..31 in the order of their key names as strings (net0, net1, net10, ..., net2, ...), as Proxmox iterates. */
void pve_net_key_order(unsigned ret[PVE_NET_MAX]);

bool pve_net_equal(const PveNet *a, const PveNet *b);
