/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox SDN: zones, VNets and subnets, read either from the applied
 * `<pve-dir>/sdn/.running-config` (JSON, what Proxmox itself plugs from)
 * or from the section-config files zones.cfg / vnets.cfg / subnets.cfg.
 * Both become the same SdnConfig. Keys lxcnet does not use are kept in
 * the source but ignored here; keys it uses are validated.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "macro.h"
#include "section-config.h"

#define SDN_ID_MAX 8		 /* zone and VNet ids: [a-zA-Z][a-zA-Z0-9]*, 2..8 chars */

/* pve-sdn-zone-id / pve-sdn-vnet-id: [a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9], 2..8 characters. */
bool sdn_id_valid(const char *s);
#define SDN_VNI_MAX 16777215

typedef enum SdnZoneType {
	SDN_ZONE_SIMPLE,
	SDN_ZONE_VLAN,
	SDN_ZONE_QINQ,
	SDN_ZONE_VXLAN,
	SDN_ZONE_EVPN,
	SDN_ZONE_OTHER, /* a type lxcnet does not plug (e.g. faucet): kept, reported */
	_SDN_ZONE_TYPE_MAX,
} SdnZoneType;

typedef struct SdnZone {
	char id[SDN_ID_MAX + 1];
	char *type_name;
	SdnZoneType type;
	char bridge[IFNAMSIZ]; /* vlan, qinq */
	uint16_t tag;	       /* qinq service VLAN */
	uint16_t vlan_protocol; /* qinq: 0x8100 (802.1q, default) or 0x88a8 (802.1ad) */
	uint32_t mtu;	       /* 0 = not set */
	char **nodes;	       /* NULL = every node */
	char **peers;	       /* vxlan */
	char *controller;      /* evpn */
	uint32_t vrf_vxlan;    /* evpn */
	char *ipam;
} SdnZone;

typedef struct SdnVnet {
	char id[SDN_ID_MAX + 1];
	char zone[SDN_ID_MAX + 1];
	uint32_t tag; /* VLAN id (vlan/qinq) or VNI (vxlan/evpn); 0 = none */
	char *alias;
	bool vlanaware;
	bool isolate_ports;
} SdnVnet;

typedef struct SdnSubnet {
	char *id;
	char vnet[SDN_ID_MAX + 1];
	char *gateway;
	bool snat;
	char **dhcp_ranges;
} SdnSubnet;

typedef struct SdnConfig {
	char *source; /* the file(s) it came from, for messages */
	long version; /* running config only; -1 otherwise */
	SdnZone *zones;
	size_t n_zones;
	SdnVnet *vnets;
	size_t n_vnets;
	SdnSubnet *subnets;
	size_t n_subnets;
} SdnConfig;

void sdn_config_free(SdnConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(SdnConfig, sdn_config_free);

const char *sdn_zone_type_name(SdnZoneType t);

/* The JSON running config, from text (name used in messages). */
int sdn_config_parse_running(const char *name, const char *json, size_t size, SdnConfig **ret, Diag *d);

/* From section files already read; any of them may be NULL (= empty). */
int sdn_config_from_sections(const SectionFile *zones, const SectionFile *vnets, const SectionFile *subnets,
			     SdnConfig **ret, Diag *d);

/*
 * What a node plugs from: <pve_dir>/sdn/.running-config if it exists, else
 * the .cfg files; a directory with neither gives an empty config.
 */
int sdn_config_load(const char *pve_dir, SdnConfig **ret, Diag *d);

const SdnZone *sdn_config_find_zone(const SdnConfig *c, const char *id);
const SdnVnet *sdn_config_find_vnet(const SdnConfig *c, const char *id);

/* Where a NIC on a VNet is plugged, per DESIGN.md §4. */
typedef struct SdnPlug {
	char bridge[IFNAMSIZ];
	bool vnet_bridge;	/* plugged into the bridge named like the VNet */
	uint16_t tag;		/* access VLAN pushed/popped by the datapath; 0 = none */
	uint16_t service_tag;	/* qinq: outer tag; 0 = none */
	uint16_t service_proto; /* qinq: 0x8100 or 0x88a8 */
} SdnPlug;

typedef bool (*SdnBridgeExists)(const char *ifname, void *userdata);

/*
 * Resolve vnet for this node (node NULL: skip the zone's `nodes` check).
 * bridge_exists tells whether a bridge of that name exists on the host.
 * Errors: -ENOENT unknown VNet, -EPERM not allowed on node, -ENXIO a needed
 * bridge is missing, -EOPNOTSUPP zone type not pluggable; d says which.
 */
int sdn_vnet_resolve(const SdnConfig *c, const char *vnet, const char *node, SdnBridgeExists bridge_exists,
		     void *userdata, SdnPlug *ret, Diag *d);

/* /sys/class/net/<ifname>/bridge exists. */
bool sdn_bridge_exists_sysfs(const char *ifname, void *userdata);
