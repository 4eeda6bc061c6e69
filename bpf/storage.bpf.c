/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Storage networks, attached to a storage interface with tc (clsact):
 * tc_egress sees what the host sends, tc_ingress what arrives. The host's
 * IPv4, IPv6 and ARP on the interface belong to the storage network: they
 * may only reach allowed endpoints (address + protocol + port, from
 * storage.cfg), leave with the storage VLAN pushed and arrive with it
 * popped. Frames on other VLANs and non-IP link protocols (LLDP, LACP, STP)
 * pass untouched; every other frame is dropped and counted by reason.
 *
 * The check is stateless: to an endpoint, its port is the destination
 * port; from it, the source port. Non-first IPv4 fragments carry no ports
 * and pass when their peer is an allowed endpoint.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "storage-abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LXCNET_STORAGE_IFS_MAX);
	__type(key, __u32);
	__type(value, struct lxcnet_storage_if);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_storage_ifs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LXCNET_STORAGE_RULES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_storage_key);
	__type(value, struct lxcnet_storage_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_storage_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, LXCNET_STORAGE_IFS_MAX * LXCNET_STORAGE_SLOTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_storage_stats_key);
	__type(value, struct lxcnet_storage_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_storage_stats SEC(".maps");

#define ETH_P_IP_ 0x0800
#define ETH_P_ARP_ 0x0806
#define ETH_P_IPV6_ 0x86DD
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* Not an error: the frame is not the storage network's to judge. */
#define NOT_STORAGE (-2)

static __always_inline struct lxcnet_storage_stats *stats(__u32 ifindex, __u32 slot)
{
	struct lxcnet_storage_stats_key k = { .ifindex = ifindex, .slot = slot };
	struct lxcnet_storage_stats *s = bpf_map_lookup_elem(&lxcnet_storage_stats, &k);

	if (!s) {
		struct lxcnet_storage_stats zero = {};

		bpf_map_update_elem(&lxcnet_storage_stats, &k, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&lxcnet_storage_stats, &k);
	}
	return s;
}

static __always_inline void count(struct __sk_buff *skb, __u32 slot, enum lxcnet_storage_dir dir)
{
	struct lxcnet_storage_stats *s = stats(skb->ifindex, slot);

	if (s) {
		s->packets[dir]++;
		s->bytes[dir] += skb->len;
	}
}

static __always_inline int drop(struct __sk_buff *skb, int why, enum lxcnet_storage_dir dir)
{
	struct lxcnet_storage_stats *s = stats(skb->ifindex, LXCNET_STORAGE_SLOT_IF);

	if (s && why >= 0 && why < _LXCNET_STORAGE_DROP_MAX)
		s->drops[why][dir]++;
	return TC_ACT_SHOT;
}

/* The outermost tag: 1 tagged (*in_frame: in the frame, not the skb's metadata), 0 untagged, -1 malformed. */
static __always_inline int outer_tag(struct __sk_buff *skb, __u16 *proto, __u16 *vid, int *in_frame)
{
	struct {
		__be16 proto;
		__be16 tci;
	} vh;

	*in_frame = 0;
	if (skb->vlan_present) {
		*proto = (__u16)skb->vlan_proto;
		*vid = skb->vlan_tci & 0x0fff;
		return 1;
	}
	if (skb->len < ETH_HLEN)
		return -1;
	if (bpf_skb_load_bytes(skb, 12, &vh.proto, sizeof(vh.proto)) < 0)
		return -1;
	if (vh.proto != bpf_htons(ETH_P_8021Q_) && vh.proto != bpf_htons(ETH_P_8021AD_))
		return 0;
	if (bpf_skb_load_bytes(skb, 12, &vh, sizeof(vh)) < 0 || skb->len < ETH_HLEN + 4)
		return -1;
	*proto = vh.proto;
	*vid = bpf_ntohs(vh.tci) & 0x0fff;
	*in_frame = 1;
	return 1;
}

/* The rule for the peer: exact protocol and port, else any (a management address); else why not. */
static __always_inline int lookup(struct lxcnet_storage_key *k, __u32 *ret_slot)
{
	struct lxcnet_storage_rule *r = bpf_map_lookup_elem(&lxcnet_storage_rules, k);

	if (!r) {
		k->proto = LXCNET_STORAGE_PROTO_ANY;
		k->port = 0;
		r = bpf_map_lookup_elem(&lxcnet_storage_rules, k);
	}
	if (!r) {
		k->proto = LXCNET_STORAGE_PROTO_KNOWN;
		return bpf_map_lookup_elem(&lxcnet_storage_rules, k) ? LXCNET_STORAGE_DROP_PORT : LXCNET_STORAGE_DROP_ADDRESS;
	}
	*ret_slot = r->slot;
	return -1;
}

/* Whether the host may exchange this frame with its peer: -1 yes (*ret_slot counts it), NOT_STORAGE, or a drop reason. */
static __always_inline int judge(struct __sk_buff *skb, __u32 l3, enum lxcnet_storage_dir dir, __u32 *ret_slot)
{
	struct lxcnet_storage_key k = { .ifindex = skb->ifindex };
	int out = dir == LXCNET_STORAGE_OUT;
	__be16 type;

	if (bpf_skb_load_bytes(skb, l3 - 2, &type, sizeof(type)) < 0)
		return LXCNET_STORAGE_DROP_MALFORMED;

	if (type == bpf_htons(ETH_P_IP_)) {
		struct {
			__u8 vihl, tos;
			__be16 len, id, frag;
			__u8 ttl, proto;
			__be16 csum;
			__be32 saddr, daddr;
		} ip;
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0 || (ip.vihl & 0x0f) < 5)
			return LXCNET_STORAGE_DROP_MALFORMED;
		k.family = 4;
		__builtin_memcpy(k.addr, out ? &ip.daddr : &ip.saddr, 4);
		k.proto = ip.proto;
		if (ip.frag & bpf_htons(0x1fff)) {
			/* A later fragment: no ports to check. */
			k.proto = LXCNET_STORAGE_PROTO_KNOWN;
			return bpf_map_lookup_elem(&lxcnet_storage_rules, &k) ? (*ret_slot = LXCNET_STORAGE_SLOT_IF, -1)
									      : LXCNET_STORAGE_DROP_ADDRESS;
		}
		if (ip.proto == IPPROTO_TCP_ || ip.proto == IPPROTO_UDP_) {
			if (bpf_skb_load_bytes(skb, l3 + (ip.vihl & 0x0f) * 4, ports, sizeof(ports)) < 0)
				return LXCNET_STORAGE_DROP_MALFORMED;
			k.port = out ? ports[1] : ports[0];
		}
		return lookup(&k, ret_slot);
	}
	if (type == bpf_htons(ETH_P_IPV6_)) {
		struct {
			__be32 vtf;
			__be16 len;
			__u8 next, hops;
			__u8 saddr[16], daddr[16];
		} ip6;
		__be16 ports[2];
		__u8 icmp_type;

		if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)) < 0)
			return LXCNET_STORAGE_DROP_MALFORMED;
		k.family = 6;
		__builtin_memcpy(k.addr, out ? ip6.daddr : ip6.saddr, 16);
		k.proto = ip6.next;
		if (ip6.next == IPPROTO_TCP_ || ip6.next == IPPROTO_UDP_) {
			if (bpf_skb_load_bytes(skb, l3 + 40, ports, sizeof(ports)) < 0)
				return LXCNET_STORAGE_DROP_MALFORMED;
			k.port = out ? ports[1] : ports[0];
		} else if (ip6.next == IPPROTO_ICMPV6_) {
			if (bpf_skb_load_bytes(skb, l3 + 40, &icmp_type, 1) < 0)
				return LXCNET_STORAGE_DROP_MALFORMED;
			/* Neighbour discovery and MLD: IPv6 needs them to resolve anything at all. */
			if ((icmp_type >= 130 && icmp_type <= 137) || icmp_type == 143) {
				*ret_slot = LXCNET_STORAGE_SLOT_IF;
				return -1;
			}
		}
		return lookup(&k, ret_slot);
	}
	if (type == bpf_htons(ETH_P_ARP_)) {
		/* Ethernet/IPv4 ARP: the sender's address at 14, the target's at 24. */
		__be32 addr;

		if (bpf_skb_load_bytes(skb, l3 + (out ? 24 : 14), &addr, sizeof(addr)) < 0)
			return LXCNET_STORAGE_DROP_MALFORMED;
		/* Resolving an endpoint, or an endpoint resolving the host. */
		k.family = 4;
		k.proto = LXCNET_STORAGE_PROTO_KNOWN;
		__builtin_memcpy(k.addr, &addr, 4);
		if (!bpf_map_lookup_elem(&lxcnet_storage_rules, &k))
			return LXCNET_STORAGE_DROP_ADDRESS;
		*ret_slot = LXCNET_STORAGE_SLOT_IF;
		return -1;
	}
	return NOT_STORAGE;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex, slot = LXCNET_STORAGE_SLOT_IF;
	struct lxcnet_storage_if *p = bpf_map_lookup_elem(&lxcnet_storage_ifs, &ifindex);
	__u16 proto = 0, vid = 0;
	int t, in_frame, why;

	if (!p)
		return drop(skb, LXCNET_STORAGE_DROP_NO_POLICY, LXCNET_STORAGE_OUT);
	t = outer_tag(skb, &proto, &vid, &in_frame);
	if (t < 0)
		return drop(skb, LXCNET_STORAGE_DROP_MALFORMED, LXCNET_STORAGE_OUT);
	if (t > 0 && (!p->vlan || proto != bpf_htons(ETH_P_8021Q_) || vid != p->vlan))
		return TC_ACT_OK; /* another VLAN: not ours */
	why = judge(skb, ETH_HLEN + (in_frame ? 4 : 0), LXCNET_STORAGE_OUT, &slot);
	if (why == NOT_STORAGE)
		/* Untagged link protocols pass; on the storage VLAN nothing else does. */
		return t ? drop(skb, LXCNET_STORAGE_DROP_PROTOCOL, LXCNET_STORAGE_OUT) : TC_ACT_OK;
	if (why >= 0)
		return drop(skb, why, LXCNET_STORAGE_OUT);
	if (!t && p->vlan && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q_), p->vlan) < 0)
		return drop(skb, LXCNET_STORAGE_DROP_TAG_OP, LXCNET_STORAGE_OUT);
	if (p->egress_class)
		skb->priority = p->egress_class;
	count(skb, slot, LXCNET_STORAGE_OUT);
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex, slot = LXCNET_STORAGE_SLOT_IF;
	struct lxcnet_storage_if *p = bpf_map_lookup_elem(&lxcnet_storage_ifs, &ifindex);
	__u16 proto = 0, vid = 0;
	int t, in_frame, why;

	if (!p)
		return drop(skb, LXCNET_STORAGE_DROP_NO_POLICY, LXCNET_STORAGE_IN);
	t = outer_tag(skb, &proto, &vid, &in_frame);
	if (t < 0)
		return drop(skb, LXCNET_STORAGE_DROP_MALFORMED, LXCNET_STORAGE_IN);
	if (t > 0 && (!p->vlan || proto != bpf_htons(ETH_P_8021Q_) || vid != p->vlan))
		return TC_ACT_OK;
	why = judge(skb, ETH_HLEN + (in_frame ? 4 : 0), LXCNET_STORAGE_IN, &slot);
	if (why == NOT_STORAGE)
		return t ? drop(skb, LXCNET_STORAGE_DROP_PROTOCOL, LXCNET_STORAGE_IN) : TC_ACT_OK;
	/* With a storage VLAN, the host's storage address is reached through it only. */
	if (!t && p->vlan)
		return drop(skb, LXCNET_STORAGE_DROP_UNTAGGED, LXCNET_STORAGE_IN);
	if (why >= 0)
		return drop(skb, why, LXCNET_STORAGE_IN);
	if (t && bpf_skb_vlan_pop(skb) < 0)
		return drop(skb, LXCNET_STORAGE_DROP_TAG_OP, LXCNET_STORAGE_IN);
	count(skb, slot, LXCNET_STORAGE_IN);
	if (p->shaper_ifindex)
		/*
		 * rate: lxcnet's mirred filter after this one redirects it into the
		 * ifb (shaper.c), whose tbf shapes it and hands it back to this
		 * interface's receive path.
		 */
		return TC_ACT_UNSPEC;
	return TC_ACT_OK;
}
