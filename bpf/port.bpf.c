/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The container port datapath, attached to the host end of a container's
 * veth with tc (clsact): tc_ingress sees frames from the container,
 * tc_egress frames to it. VLANs are done here, so neither 8021q devices nor
 * a VLAN-aware bridge are needed: one hash lookup per packet.
 *
 * Tags may sit in the frame or in the skb's metadata (where
 * bpf_skb_vlan_push() and the bridge keep them); both are read.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "port-abi.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LXCNET_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct lxcnet_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, LXCNET_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct lxcnet_port_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_stats SEC(".maps");

static __always_inline struct lxcnet_port_stats *stats(__u32 ifindex)
{
	struct lxcnet_port_stats *s = bpf_map_lookup_elem(&lxcnet_stats, &ifindex);

	if (!s) {
		struct lxcnet_port_stats zero = {};

		bpf_map_update_elem(&lxcnet_stats, &ifindex, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&lxcnet_stats, &ifindex);
	}
	return s;
}

static __always_inline int pass(struct __sk_buff *skb, enum lxcnet_dir dir)
{
	struct lxcnet_port_stats *s = stats(skb->ifindex);

	if (s) {
		s->packets[dir]++;
		s->bytes[dir] += skb->len;
	}
	return TC_ACT_OK;
}

static __always_inline int drop(struct __sk_buff *skb, enum lxcnet_drop why)
{
	struct lxcnet_port_stats *s = stats(skb->ifindex);

	if (s && why < _LXCNET_DROP_MAX)
		s->drops[why]++;
	return TC_ACT_SHOT;
}

static __always_inline int trunk_has(const struct lxcnet_port *p, __u32 vid)
{
	return (p->trunks[(vid >> 6) & (LXCNET_TRUNK_WORDS - 1)] >> (vid & 63)) & 1;
}

/* The outermost tag: 1 tagged, 0 untagged, -1 malformed. proto in network order. */
static __always_inline int outer_tag(struct __sk_buff *skb, __u16 *proto, __u16 *vid)
{
	struct {
		__be16 proto;
		__be16 tci;
	} vh;
	__be16 type;

	if (skb->vlan_present) {
		*proto = (__u16)skb->vlan_proto;
		*vid = skb->vlan_tci & 0x0fff;
		return 1;
	}
	if (skb->len < ETH_HLEN || bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) < 0)
		return -1;
	if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD))
		return 0;
	if (bpf_skb_load_bytes(skb, 12, &vh, sizeof(vh)) < 0 || skb->len < ETH_HLEN + 4)
		return -1;
	*proto = vh.proto;
	*vid = bpf_ntohs(vh.tci) & 0x0fff;
	return 1;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct lxcnet_port *p = bpf_map_lookup_elem(&lxcnet_ports, &ifindex);
	__u16 proto = 0, vid = 0;
	int t;

	/* Attached means managed: without a policy nothing passes. */
	if (!p)
		return drop(skb, LXCNET_DROP_NO_POLICY);
	t = outer_tag(skb, &proto, &vid);
	if (t < 0)
		return drop(skb, LXCNET_DROP_MALFORMED);
	if (t > 0) {
		/* A container may send tagged frames only on its trunk VLANs, as 802.1Q. */
		if (proto != bpf_htons(ETH_P_8021Q) || !trunk_has(p, vid))
			return drop(skb, LXCNET_DROP_VLAN_IN);
	} else if (p->tag) {
		if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), p->tag) < 0)
			return drop(skb, LXCNET_DROP_TAG_OP);
	}
	if (p->service_tag && bpf_skb_vlan_push(skb, p->service_proto, p->service_tag) < 0)
		return drop(skb, LXCNET_DROP_TAG_OP);
	return pass(skb, LXCNET_FROM_CT);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	struct lxcnet_port *p = bpf_map_lookup_elem(&lxcnet_ports, &ifindex);
	__u16 proto = 0, vid = 0, tag;
	int t;

	if (!p)
		return drop(skb, LXCNET_DROP_NO_POLICY);
	tag = p->tag;
	t = outer_tag(skb, &proto, &vid);
	if (t < 0)
		return drop(skb, LXCNET_DROP_MALFORMED);
	if (p->service_tag) {
		if (t == 0 || proto != p->service_proto || vid != p->service_tag)
			return drop(skb, LXCNET_DROP_SERVICE);
		if (bpf_skb_vlan_pop(skb) < 0)
			return drop(skb, LXCNET_DROP_TAG_OP);
		/* The next tag, if any, is now the outer one. */
		proto = vid = 0;
		t = outer_tag(skb, &proto, &vid);
		if (t < 0)
			return drop(skb, LXCNET_DROP_MALFORMED);
	}
	if (t == 0)
		return tag ? drop(skb, LXCNET_DROP_UNTAGGED_OUT) : pass(skb, LXCNET_TO_CT);
	if (proto != bpf_htons(ETH_P_8021Q))
		return drop(skb, LXCNET_DROP_VLAN_OUT);
	if (tag && vid == tag) {
		/* The access VLAN reaches the container untagged (it is also the native VLAN of a trunk). */
		if (bpf_skb_vlan_pop(skb) < 0)
			return drop(skb, LXCNET_DROP_TAG_OP);
		return pass(skb, LXCNET_TO_CT);
	}
	if (trunk_has(p, vid))
		return pass(skb, LXCNET_TO_CT);
	return drop(skb, LXCNET_DROP_VLAN_OUT);
}
