/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared between bpf/storage.bpf.c and user space: storage networks. The
 * programs sit on a storage interface (tc clsact): frames the host sends to
 * an allowed storage endpoint leave with the storage VLAN pushed, frames
 * arriving on that VLAN from an allowed endpoint are popped and delivered,
 * everything else on the VLAN is dropped and counted. Changing any of this
 * is an ABI change: bump LXCNET_STORAGE_ABI so a new version pins beside
 * the old one.
 */

#include <linux/types.h>

#define LXCNET_STORAGE_ABI "storage-v1"
#define LXCNET_STORAGE_IFS_MAX 256
#define LXCNET_STORAGE_RULES_MAX 16384

/* The whole interface's counters (and every drop) are slot 0; storages and allow entries count from 1. */
#define LXCNET_STORAGE_SLOT_IF 0
#define LXCNET_STORAGE_SLOTS_MAX 256

/* A rule's proto: an IP protocol number, or one of these. */
#define LXCNET_STORAGE_PROTO_ANY 0      /* every protocol and port (a management address) */
#define LXCNET_STORAGE_PROTO_KNOWN 0xff /* marks an allowed address, to name the drop reason */

struct lxcnet_storage_if {
	__u16 vlan;	     /* pushed towards endpoints, popped from them; 0 = no VLAN, filter only */
	__u16 pad;
	__u32 shaper_ifindex; /* rate: frames from endpoints go through this ifb; 0 = none */
	__u32 egress_class;   /* rate: skb->priority for frames to endpoints (an HTB class); 0 = none */
};

struct lxcnet_storage_key {
	__u32 ifindex;
	__u8 family; /* 4 or 6 */
	__u8 proto;  /* IPPROTO_TCP, IPPROTO_UDP, ICMP(v6), or LXCNET_STORAGE_PROTO_* */
	__be16 port; /* the endpoint's port; 0 for ICMP and the special protos */
	__u8 addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

struct lxcnet_storage_rule {
	__u32 slot; /* where its traffic counts */
};

struct lxcnet_storage_stats_key {
	__u32 ifindex;
	__u32 slot;
};

enum lxcnet_storage_dir {
	LXCNET_STORAGE_OUT, /* tc egress: host -> endpoint */
	LXCNET_STORAGE_IN,  /* tc ingress: endpoint -> host */
	_LXCNET_STORAGE_DIR_MAX,
};

enum lxcnet_storage_drop {
	LXCNET_STORAGE_DROP_MALFORMED, /* runt or truncated header */
	LXCNET_STORAGE_DROP_ADDRESS,   /* the peer is not an allowed endpoint */
	LXCNET_STORAGE_DROP_PORT,      /* an allowed endpoint, but not this protocol/port */
	LXCNET_STORAGE_DROP_PROTOCOL,  /* neither IPv4, IPv6 nor ARP on the storage VLAN */
	LXCNET_STORAGE_DROP_UNTAGGED,  /* IP or ARP arriving without the storage VLAN */
	LXCNET_STORAGE_DROP_TAG_OP,    /* the kernel refused a VLAN push or pop */
	LXCNET_STORAGE_DROP_NO_POLICY, /* attached to an interface without policy */
	_LXCNET_STORAGE_DROP_MAX,
};

struct lxcnet_storage_stats {
	__u64 packets[_LXCNET_STORAGE_DIR_MAX];
	__u64 bytes[_LXCNET_STORAGE_DIR_MAX];
	__u64 drops[_LXCNET_STORAGE_DROP_MAX][_LXCNET_STORAGE_DIR_MAX];
};
