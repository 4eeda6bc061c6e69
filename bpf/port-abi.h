/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared between bpf/port.bpf.c and user space. Each port (host veth) owns a
 * slot: its tc filters carry the slot as their classid, which cls_bpf hands
 * to the program in skb->tc_classid, so finding the policy and the counters
 * is an array index, not a hash lookup. user space keeps ifindex -> slot in
 * lxcnet_slots. Changing any of this is an ABI change: bump LXCNET_BPF_ABI
 * so a new version pins beside the old one.
 */

#include <linux/types.h>

#define LXCNET_BPF_ABI "v2"
#define LXCNET_PORT_SLOTS 16384 /* ports per host; slot 0 is never handed out */
#define LXCNET_TRUNK_WORDS 64	/* 64 x 64 bits: VLAN ids 0..4095 */

/* flags */
#define LXCNET_PORT_FILTER_MAC 0x1 /* frames from the container must come from mac */
#define LXCNET_PORT_FILTER_IP4 0x2 /* IPv4 and ARP from the container must use ip4 (or be DHCP) */
#define LXCNET_PORT_FILTER_IP6 0x4 /* IPv6 from the container must use ip6, its link-local, or :: */
#define LXCNET_PORT_TRUNKS 0x8	   /* lxcnet_trunks has this slot's VLANs (set by datapath_port_set) */
#define LXCNET_PORT_FILTERS (LXCNET_PORT_FILTER_MAC | LXCNET_PORT_FILTER_IP4 | LXCNET_PORT_FILTER_IP6)

/* lxcnet_ports[slot]: all the programs read for a frame, in one cache line. */
struct lxcnet_port {
	__u32 ifindex;	     /* the port owning the slot (set by datapath_port_set); 0 = free */
	__u16 tag;	     /* access VLAN: pushed on untagged frames from the container, popped towards it; 0 = none */
	__u16 service_tag;   /* qinq: outer tag pushed/popped outside everything else; 0 = none */
	__u16 service_proto; /* qinq: network order ETH_P_8021Q or ETH_P_8021AD */
	__u16 flags;	     /* LXCNET_PORT_* */
	__u8 mac[6];	     /* the NIC's hwaddr */
	__u8 pad[2];
	__u32 ip4;	     /* network order */
	__u8 ip6[16];
	__u8 ip6_ll[16];     /* fe80::/64 with the EUI-64 of mac */
	__u32 shaper_ifindex; /* rate: frames from the container go through this ifb; 0 = none */
};

/* lxcnet_trunks{slot}: VLANs passed tagged both ways, only for ports that have trunks. */
struct lxcnet_trunks {
	__u64 vids[LXCNET_TRUNK_WORDS];
};

enum lxcnet_dir {
	LXCNET_FROM_CT, /* tc ingress of the host veth */
	LXCNET_TO_CT,	/* tc egress of the host veth */
	_LXCNET_DIR_MAX,
};

enum lxcnet_drop {
	LXCNET_DROP_MALFORMED,	   /* runt or truncated header */
	LXCNET_DROP_VLAN_IN,	   /* tagged frame from the container, VLAN not in trunks */
	LXCNET_DROP_VLAN_OUT,	   /* tagged frame to the container, VLAN neither its tag nor a trunk */
	LXCNET_DROP_UNTAGGED_OUT,  /* untagged frame to an access port of a VLAN */
	LXCNET_DROP_SERVICE,	   /* qinq: outer tag missing or another service's */
	LXCNET_DROP_TAG_OP,	   /* the kernel refused a VLAN push or pop */
	LXCNET_DROP_NO_POLICY,	   /* attached to an interface without policy */
	LXCNET_DROP_SPOOF_MAC,	   /* source MAC is not the NIC's */
	LXCNET_DROP_SPOOF_IP4,	   /* IPv4 source (or ARP sender) is not the NIC's */
	LXCNET_DROP_SPOOF_IP6,	   /* IPv6 source is not the NIC's */
	_LXCNET_DROP_MAX,
};

/* lxcnet_counters[slot], per CPU: every passed frame. */
struct lxcnet_port_counters {
	__u64 packets[_LXCNET_DIR_MAX];
	__u64 bytes[_LXCNET_DIR_MAX];
};

/* lxcnet_drops{slot}, per CPU, made at the port's first drop; key LXCNET_PORT_SLOTS counts frames of no port. */
struct lxcnet_port_drops {
	__u64 drops[_LXCNET_DROP_MAX];
};

/* Both, summed over CPUs, as user space reads them. */
struct lxcnet_port_stats {
	__u64 packets[_LXCNET_DIR_MAX];
	__u64 bytes[_LXCNET_DIR_MAX];
	__u64 drops[_LXCNET_DROP_MAX];
};
