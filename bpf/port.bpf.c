/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The container port datapath, attached to the host end of a container's
 * veth with tc (clsact): tc_ingress sees frames from the container,
 * tc_egress frames to it. VLANs are done here, so neither 8021q devices nor
 * a VLAN-aware bridge are needed. The port's slot comes with the frame (the
 * filter's classid, see port-abi.h): its policy and counters are array
 * entries, found in O(1) whatever the number of ports.
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
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct lxcnet_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct lxcnet_port_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_counters SEC(".maps");

/* Only ports with trunks take memory in this. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lxcnet_trunks);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_trunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LXCNET_PORT_SLOTS + 1);
	__type(key, __u32);
	__type(value, struct lxcnet_port_drops);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct lxcnet_edt);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_edt SEC(".maps");

/* ifindex -> slot: user space's index, never read here. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_slots SEC(".maps");

/*
 * The policy of the port the frame is on. A filter whose slot has been
 * handed to another port since, or that lxcnet did not attach (classid 0),
 * finds none: the slot's owner must be this interface.
 */
static __always_inline struct lxcnet_port *port_of(struct __sk_buff *skb, __u32 *slot)
{
	struct lxcnet_port *p;

	*slot = skb->tc_classid;
	p = bpf_map_lookup_elem(&lxcnet_ports, slot);
	if (!p || p->ifindex != skb->ifindex)
		return 0;
	return p;
}

static __always_inline int pass(struct __sk_buff *skb, __u32 slot, enum lxcnet_dir dir)
{
	struct lxcnet_port_counters *c = bpf_map_lookup_elem(&lxcnet_counters, &slot);

	if (c) {
		c->packets[dir]++;
		c->bytes[dir] += skb->len;
	}
	return TC_ACT_OK;
}

/*
 * A drop, counted in the port's entry, which the CPUs share. Inlined: a
 * call of a function of the program costs some 10 ns where returns are
 * mitigated (retbleed, SRSO), as much as the count.
 */
static __always_inline int drop(__u32 slot, enum lxcnet_drop why)
{
	struct lxcnet_port_drops *s = bpf_map_lookup_elem(&lxcnet_drops, &slot);

	if (s && why < _LXCNET_DROP_MAX)
		__sync_fetch_and_add(&s->drops[why], 1);
	return TC_ACT_SHOT;
}

static __always_inline int trunk_has(const struct lxcnet_port *p, __u32 slot, __u32 vid)
{
	struct lxcnet_trunks *t;

	if (!(p->flags & LXCNET_PORT_TRUNKS))
		return 0;
	t = bpf_map_lookup_elem(&lxcnet_trunks, &slot);
	return t && (t->vids[(vid >> 6) & (LXCNET_TRUNK_WORDS - 1)] >> (vid & 63)) & 1;
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
	if (skb->len < ETH_HLEN)
		return -1;
	/* eth_type_trans() already read the ethertype: no helper call for the common untagged frame. */
	if (skb->protocol != bpf_htons(ETH_P_8021Q) && skb->protocol != bpf_htons(ETH_P_8021AD))
		return 0;
	if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) < 0)
		return -1;
	if (type != bpf_htons(ETH_P_8021Q) && type != bpf_htons(ETH_P_8021AD))
		return 0;
	if (bpf_skb_load_bytes(skb, 12, &vh, sizeof(vh)) < 0 || skb->len < ETH_HLEN + 4)
		return -1;
	*proto = vh.proto;
	*vid = bpf_ntohs(vh.tci) & 0x0fff;
	return 1;
}

/* The fixed IPv4 and IPv6 headers, as read with bpf_skb_load_bytes(). */
struct ip4_hdr {
	__u8 vihl, tos;
	__be16 len, id, frag;
	__u8 ttl, proto;
	__be16 csum;
	__be32 saddr, daddr;
};

struct ip6_hdr {
	__be32 vtcfl;
	__be16 len;
	__u8 nexthdr, hops;
	__u32 saddr[4], daddr[4];
};

#define ETH_P_IP_ 0x0800
#define ETH_P_ARP_ 0x0806
#define ETH_P_IPV6_ 0x86DD

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

/* 4-byte words: the addresses in struct lxcnet_port are only 4-byte aligned. */
static __always_inline int ip6_eq(const void *a, const void *b)
{
	const __u32 *x = a, *y = b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/*
 * Anti-spoofing for frames from the container (firewall=1): the source MAC
 * is the NIC's; IPv4 and ARP use its address, except DHCP from 0.0.0.0;
 * IPv6 uses its address, its EUI-64 link-local address, or :: (duplicate
 * address detection). Returns -1 to pass, else the drop reason.
 */
static __always_inline int spoofed(struct __sk_buff *skb, const struct lxcnet_port *p)
{
	__u8 src[6];
	__be16 type;
	__u32 l3 = ETH_HLEN;

	if (bpf_skb_load_bytes(skb, 6, src, sizeof(src)) < 0)
		return LXCNET_DROP_MALFORMED;
	if ((p->flags & LXCNET_PORT_FILTER_MAC) && !mac_eq(src, p->mac))
		return LXCNET_DROP_SPOOF_MAC;
	if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) < 0)
		return LXCNET_DROP_MALFORMED;
	if (type == bpf_htons(ETH_P_8021Q)) {
		if (bpf_skb_load_bytes(skb, 16, &type, sizeof(type)) < 0)
			return LXCNET_DROP_MALFORMED;
		l3 += 4;
	}

	if (type == bpf_htons(ETH_P_IP_) && (p->flags & LXCNET_PORT_FILTER_IP4)) {
		struct ip4_hdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0)
			return LXCNET_DROP_MALFORMED;
		if (ip.saddr == p->ip4)
			return -1;
		/* DHCP before the address is known: 0.0.0.0:68 -> :67 over UDP. */
		if (ip.saddr == 0 && ip.proto == 17) {
			__be16 ports[2];

			if (bpf_skb_load_bytes(skb, l3 + (ip.vihl & 0x0f) * 4, ports, sizeof(ports)) < 0)
				return LXCNET_DROP_MALFORMED;
			if (ports[0] == bpf_htons(68) && ports[1] == bpf_htons(67))
				return -1;
		}
		return LXCNET_DROP_SPOOF_IP4;
	}
	if (type == bpf_htons(ETH_P_ARP_) && (p->flags & (LXCNET_PORT_FILTER_IP4 | LXCNET_PORT_FILTER_MAC))) {
		struct {
			__be16 htype, ptype;
			__u8 hlen, plen;
			__be16 op;
			__u8 sha[6];
			__be32 spa;
		} __attribute__((packed)) arp;

		if (bpf_skb_load_bytes(skb, l3, &arp, sizeof(arp)) < 0)
			return LXCNET_DROP_MALFORMED;
		if ((p->flags & LXCNET_PORT_FILTER_MAC) && !mac_eq(arp.sha, p->mac))
			return LXCNET_DROP_SPOOF_MAC;
		/* 0.0.0.0 is an ARP probe (RFC 5227). */
		if ((p->flags & LXCNET_PORT_FILTER_IP4) && arp.spa != p->ip4 && arp.spa != 0)
			return LXCNET_DROP_SPOOF_IP4;
		return -1;
	}
	if (type == bpf_htons(ETH_P_IPV6_) && (p->flags & LXCNET_PORT_FILTER_IP6)) {
		__u32 saddr[4];

		if (bpf_skb_load_bytes(skb, l3 + 8, saddr, sizeof(saddr)) < 0)
			return LXCNET_DROP_MALFORMED;
		if (ip6_eq(saddr, p->ip6) || ip6_eq(saddr, p->ip6_ll) || (saddr[0] | saddr[1] | saddr[2] | saddr[3]) == 0)
			return -1;
		return LXCNET_DROP_SPOOF_IP6;
	}
	return -1;
}

#include "guest-fw.h"

/* A frame the guest firewall refused: counted; dropped, or sent on as the answer to it (fw_check()). */
static __always_inline int refuse(__u32 slot, int why)
{
	int r = drop(slot, (enum lxcnet_drop)(why & 0xff));

	return why & FW_REPLIED ? TC_ACT_REDIRECT : r;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	__u32 slot;
	struct lxcnet_port *p = port_of(skb, &slot);
	__u16 proto = 0, vid = 0;
	int t, own;

	/* Attached means managed: without a policy nothing passes. */
	if (!p)
		return drop(LXCNET_PORT_SLOTS, LXCNET_DROP_NO_POLICY);
	/* The answer to a frame rejected on its way to the container goes to the sender as the container's. */
	own = skb->mark == LXCNET_REJECT_MARK;
	if (own)
		skb->mark = 0;
	t = outer_tag(skb, &proto, &vid);
	if (t < 0)
		return drop(slot, LXCNET_DROP_MALFORMED);
	if ((p->flags & LXCNET_PORT_FILTERS) && !own) {
		int why = spoofed(skb, p);

		if (why >= 0)
			return drop(slot, (enum lxcnet_drop)why);
	}
	if ((p->flags & LXCNET_PORT_FIREWALL) && !own) {
		int why = fw_check(skb, slot, p->mac, LXCNET_FROM_CT);

		if (why >= 0)
			return refuse(slot, why);
	}
	if (t > 0) {
		/* A container may send tagged frames only on its trunk VLANs, as 802.1Q. */
		if (proto != bpf_htons(ETH_P_8021Q) || !trunk_has(p, slot, vid))
			return drop(slot, LXCNET_DROP_VLAN_IN);
	} else if (p->tag) {
		if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), p->tag) < 0)
			return drop(slot, LXCNET_DROP_TAG_OP);
	}
	if (p->service_tag && bpf_skb_vlan_push(skb, p->service_proto, p->service_tag) < 0)
		return drop(slot, LXCNET_DROP_TAG_OP);
	if (p->shaper_ifindex) {
		/*
		 * rate: shaped by the tbf of the port's ifb. lxcnet's mirred filter
		 * after this one redirects the frame there (shaper.c), and the ifb
		 * hands it back to this port's receive path with classification
		 * skipped.
		 */
		pass(skb, slot, LXCNET_FROM_CT);
		return TC_ACT_UNSPEC;
	}
	return pass(skb, slot, LXCNET_FROM_CT);
}

/*
 * rate towards the container by earliest departure time: the frame gets
 * the time it may leave, and the fq qdisc at the port's root holds it
 * until then. CPUs may race on next_ns; a lost update lets one frame
 * leave early, as in the usual EDT implementations. 0: stamped, -1: over
 * the horizon. skb->tstamp is written directly (Linux 5.0+; on 5.18+ at
 * tc egress this is a delivery time, which is what fq reads).
 */
static __always_inline int edt_stamp(struct __sk_buff *skb, __u32 slot, __u32 bps)
{
	struct lxcnet_edt *e = bpf_map_lookup_elem(&lxcnet_edt, &slot);
	__u64 now, t, burst;

	if (!e)
		return 0;
	now = bpf_ktime_get_ns();
	t = e->next_ns;
	if (t < now) {
		/* After a pause: the bucket's worth may go at once. */
		burst = (__u64)LXCNET_EDT_BURST * 1000000000ULL / bps;
		if (now > burst && t < now - burst)
			t = now - burst;
	} else if (t - now > LXCNET_EDT_HORIZON_NS)
		return -1;
	e->next_ns = t + (__u64)skb->len * 1000000000ULL / bps;
	/* Also a time past: fq sends it now, and no stale stamp of the frame's is left for it to read. */
	skb->tstamp = t;
	return 0;
}

/* A frame for the container, its tags done: the guest firewall, its departure time, then it passes. */
static __always_inline int deliver(struct __sk_buff *skb, __u32 slot, const struct lxcnet_port *p)
{
	if (p->flags & LXCNET_PORT_FIREWALL) {
		int why = fw_check(skb, slot, p->mac, LXCNET_TO_CT);

		if (why >= 0)
			return refuse(slot, why);
	}
	if (p->edt_bps && edt_stamp(skb, slot, p->edt_bps) < 0)
		return drop(slot, LXCNET_DROP_RATE);
	return pass(skb, slot, LXCNET_TO_CT);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	__u32 slot;
	struct lxcnet_port *p = port_of(skb, &slot);
	__u16 proto = 0, vid = 0, tag;
	int t;

	if (!p)
		return drop(LXCNET_PORT_SLOTS, LXCNET_DROP_NO_POLICY);
	/* The answer to a frame the container sent and its guest firewall rejected: it goes in as it is. */
	if (skb->mark == LXCNET_REJECT_MARK) {
		skb->mark = 0;
		return pass(skb, slot, LXCNET_TO_CT);
	}
	tag = p->tag;
	t = outer_tag(skb, &proto, &vid);
	if (t < 0)
		return drop(slot, LXCNET_DROP_MALFORMED);
	if (p->service_tag) {
		if (t == 0 || proto != p->service_proto || vid != p->service_tag)
			return drop(slot, LXCNET_DROP_SERVICE);
		if (bpf_skb_vlan_pop(skb) < 0)
			return drop(slot, LXCNET_DROP_TAG_OP);
		/* The next tag, if any, is now the outer one. */
		proto = vid = 0;
		t = outer_tag(skb, &proto, &vid);
		if (t < 0)
			return drop(slot, LXCNET_DROP_MALFORMED);
	}
	if (t == 0)
		return tag ? drop(slot, LXCNET_DROP_UNTAGGED_OUT) : deliver(skb, slot, p);
	if (proto != bpf_htons(ETH_P_8021Q))
		return drop(slot, LXCNET_DROP_VLAN_OUT);
	if (tag && vid == tag) {
		/* The access VLAN reaches the container untagged (it is also the native VLAN of a trunk). */
		if (bpf_skb_vlan_pop(skb) < 0)
			return drop(slot, LXCNET_DROP_TAG_OP);
		return deliver(skb, slot, p);
	}
	if (trunk_has(p, slot, vid))
		return deliver(skb, slot, p);
	return drop(slot, LXCNET_DROP_VLAN_OUT);
}
