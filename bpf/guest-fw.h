/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Proxmox's guest firewall (a container NIC with firewall=1 whose firewall
 * is in effect), in the port datapath: included by port.bpf.c, run on the
 * frames of a port whose policy has LXCNET_PORT_FIREWALL, from the
 * container before its tags are pushed and to it after they are popped.
 *
 * The order is pve-firewall's (PVEFW-FORWARD, the tap's IN and OUT chains,
 * ebtables' tap chain):
 *  - not IP: from the container the MAC filter and the ARP filter, then
 *    it passes (ebtables);
 *  - IP: connection tracking first: a packet of an established connection,
 *    or an ICMP error about one (related), passes; one that cannot belong
 *    to a connection (invalid) is dropped; neighbour discovery and MLD are
 *    not tracked;
 *  - a new connection's first packets go through the chain of their
 *    direction. From the container: DHCP client traffic, the MAC filter,
 *    router advertisements, the IP filter, neighbour discovery, the policy
 *    (policy_out). To it: nosmurfs, DHCP server traffic, neighbour
 *    discovery, the policy (policy_in). Accepted, they start a connection.
 *
 * Connection tracking is lxcnet's own (lxcnet_ct4, lxcnet_ct6), so that
 * it works whether or not bridge netfilter is on. Its states and time-outs
 * follow Linux's conntrack; TCP windows are not tracked. A filter
 * (lxcnet_ct_seen) spares a new connection's packets the look-up.
 */
#pragma once

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LXCNET_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct lxcnet_fw);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_fw SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_fw_ipkey);
	__type(value, struct lxcnet_fw_ipentry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_fw_ipset SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LXCNET_CT_ENTRIES);
	__type(key, struct lxcnet_ct4_key);
	__type(value, struct lxcnet_ct);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_ct4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LXCNET_CT_ENTRIES);
	__type(key, struct lxcnet_ct6_key);
	__type(value, struct lxcnet_ct);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_ct6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LXCNET_CT_SEEN_CONTROL + 1);
	__uint(map_flags, BPF_F_MMAPABLE); /* lxcnetd renews it through a mapping of its own */
	__type(key, __u32);
	__type(value, struct lxcnet_ct_seen_line);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_ct_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_fw_matchkey);
	__type(value, struct lxcnet_fw_matchval);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_fw_match SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_fw_matchkey);
	__type(value, struct lxcnet_fw_matchval);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_fw_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1048576);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lxcnet_fw_bitskey);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lxcnet_fw_bits SEC(".maps");

/*
 * A port's rules of one generation: made by user space, as many entries as
 * rules (BPF_F_INNER_MAP), and without BTF: its sizes, not its types.
 */
struct lxcnet_fw_rule_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct lxcnet_fw_rule));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LXCNET_PORT_SLOTS * 2);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct lxcnet_fw_rule_array);
} lxcnet_fw_rules SEC(".maps");

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
#define CT_PROTO_FRAGMENT 255

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define SEC_NS 1000000000ULL

/* Whether the protocol has ports as TCP and UDP do (pve-firewall's $PROTOCOLS_WITH_PORTS). */
static __always_inline int proto_has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == 33 || proto == 132 || proto == 136;
}

/* Time-outs count in seconds: the coarse clock (no clock read per packet) is enough. */
static __always_inline __u64 fw_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

/* What the firewall reads of a frame. Addresses are 16 bytes; IPv4 uses the first 4. */
struct fw_pkt {
	__u32 l4;
	__u8 family; /* 4, 6; 0: not IP */
	__u8 proto;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 frag; /* 0: whole, 1: first fragment, 2: a later fragment */
	__u8 icmp_code;
	__u8 l3;       /* where the IP header starts: after the Ethernet header and a VLAN tag in the frame */
	__u8 l2_group; /* the destination MAC is broadcast or multicast */
	__u16 eth_type; /* host order, inside one VLAN tag */
	__be16 sport, dport;
	__u32 frag_id;
	__u32 src[4], dst[4];
};

enum fw_ct {
	FW_CT_ESTABLISHED, /* or related: passes */
	FW_CT_NEW,	   /* judged by the chain */
	FW_CT_UNTRACKED,   /* neighbour discovery, MLD: judged by the chain, no connection */
	FW_CT_INVALID,	   /* dropped */
};

/* IPv4 and the ports or ICMP header after it; -1 when truncated. */
static __always_inline int fw_parse_ip4(struct __sk_buff *skb, __u32 l3, struct fw_pkt *pk)
{
	struct ip4_hdr ip;
	__u16 frag;

	if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0 || (ip.vihl & 0x0f) < 5)
		return -1;
	pk->family = 4;
	pk->proto = ip.proto;
	pk->src[0] = ip.saddr;
	pk->dst[0] = ip.daddr;
	pk->l4 = l3 + (ip.vihl & 0x0f) * 4;
	frag = bpf_ntohs(ip.frag);
	if (frag & 0x1fff)
		pk->frag = 2;
	else if (frag & 0x2000)
		pk->frag = 1;
	pk->frag_id = bpf_ntohs(ip.id);
	return 0;
}

/* IPv6, up to four extension headers; -1 when truncated. */
static __always_inline int fw_parse_ip6(struct __sk_buff *skb, __u32 l3, struct fw_pkt *pk)
{
	struct ip6_hdr ip;
	__u32 off = l3 + 40;
	__u8 nh;

	if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0)
		return -1;
	pk->family = 6;
	__builtin_memcpy(pk->src, ip.saddr, 16);
	__builtin_memcpy(pk->dst, ip.daddr, 16);
	nh = ip.nexthdr;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		struct {
			__u8 nh, len;
			__be16 frag;
			__be32 id;
		} h;

		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
			break;
		if (bpf_skb_load_bytes(skb, off, &h, sizeof(h)) < 0)
			return -1;
		if (nh == 44) {
			__u16 f = bpf_ntohs(h.frag);

			pk->frag = (f & 0xfff8) ? 2 : (f & 1) ? 1 : 0;
			pk->frag_id = bpf_ntohl(h.id);
			off += 8;
		} else if (nh == 51)
			off += ((__u32)h.len + 2) * 4;
		else
			off += ((__u32)h.len + 1) * 8;
		nh = h.nh;
	}
	pk->proto = nh;
	pk->l4 = off;
	return 0;
}

/*
 * An ICMP query's id as its ports, so that a query and its answer share a
 * key and a query the other way does not (Linux's tuple has the type): the
 * asker's side carries the id. Answers: echo, timestamp, information and
 * address mask replies, ICMPv6 echo and node information replies.
 */
static __always_inline void icmp_ports(__u8 proto, __u8 type, __be16 id, __be16 *sport, __be16 *dport)
{
	int answer = proto == IPPROTO_ICMP_ ? (type == 0 || type == 14 || type == 16 || type == 18) :
					      (type == 129 || type == 140);

	*sport = answer ? 0 : id;
	*dport = answer ? id : 0;
}

/* The ports (TCP, UDP), the TCP flags, or the ICMP type and id (icmp_ports()). */
static __always_inline int fw_parse_l4(struct __sk_buff *skb, struct fw_pkt *pk)
{
	__u8 h[14];

	if (pk->frag == 2)
		return 0;
	if (pk->proto == IPPROTO_TCP_) {
		if (bpf_skb_load_bytes(skb, pk->l4, h, 14) < 0)
			return -1;
		pk->tcp_flags = h[13];
	} else if (proto_has_ports(pk->proto)) {
		if (bpf_skb_load_bytes(skb, pk->l4, h, 4) < 0)
			return -1;
	} else if (pk->proto == IPPROTO_ICMP_ || pk->proto == IPPROTO_ICMPV6_) {
		__be16 id;

		if (bpf_skb_load_bytes(skb, pk->l4, h, 8) < 0)
			return -1;
		pk->icmp_type = h[0];
		pk->icmp_code = h[1];
		__builtin_memcpy(&id, &h[4], 2);
		icmp_ports(pk->proto, h[0], id, &pk->sport, &pk->dport);
		return 0;
	} else
		return 0;
	__builtin_memcpy(&pk->sport, &h[0], 2);
	__builtin_memcpy(&pk->dport, &h[2], 2);
	return 0;
}

/*
 * The common frame read in place (direct packet access, no helper calls):
 * Ethernet with at most one tag in the frame, IPv4 or IPv6 without
 * extension headers, the TCP, UDP or ICMP header, all in the linear part.
 * 1 when the frame is not that: fw_parse() reads it with
 * bpf_skb_load_bytes(). -1 when an IPv4 header is malformed.
 */
static __always_inline int fw_parse_direct(struct __sk_buff *skb, struct fw_pkt *pk)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u8 *l4p, *h = data;
	__u32 l3 = ETH_HLEN, l4;
	__be16 type;

	if (data + ETH_HLEN + 4 > end)
		return 1;
	type = *(__be16 *)(h + 12);
	if (type == bpf_htons(ETH_P_8021Q) || type == bpf_htons(ETH_P_8021AD)) {
		type = *(__be16 *)(h + 16);
		l3 += 4;
	}
	pk->eth_type = bpf_ntohs(type);
	pk->l3 = (__u8)l3;
	pk->l2_group = h[0] & 1;
	if (type == bpf_htons(ETH_P_IP_)) {
		__u8 *ip = data + l3;
		__u16 frag;

		if ((void *)(ip + 20) > end)
			return 1;
		if ((ip[0] & 0x0f) < 5)
			return -1;
		pk->family = 4;
		pk->proto = ip[9];
		__builtin_memcpy(&pk->src[0], ip + 12, 4);
		__builtin_memcpy(&pk->dst[0], ip + 16, 4);
		frag = bpf_ntohs(*(__be16 *)(ip + 6));
		pk->frag = (frag & 0x1fff) ? 2 : (frag & 0x2000) ? 1 : 0;
		pk->frag_id = bpf_ntohs(*(__be16 *)(ip + 4));
		l4 = l3 + (ip[0] & 0x0f) * 4;
	} else if (type == bpf_htons(ETH_P_IPV6_)) {
		__u8 *ip = data + l3, nh;

		if ((void *)(ip + 40) > end)
			return 1;
		nh = ip[6];
		if (nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51)
			return 1;
		pk->family = 6;
		pk->proto = nh;
		__builtin_memcpy(pk->src, ip + 8, 16);
		__builtin_memcpy(pk->dst, ip + 24, 16);
		l4 = l3 + 40;
	} else
		return 0;
	pk->l4 = l4;
	if (pk->frag == 2)
		return 0;
	l4p = data + l4;
	if (pk->proto == IPPROTO_TCP_) {
		if ((void *)(l4p + 14) > end)
			return 1;
		pk->tcp_flags = l4p[13];
	} else if (proto_has_ports(pk->proto)) {
		if ((void *)(l4p + 4) > end)
			return 1;
	} else if (pk->proto == IPPROTO_ICMP_ || pk->proto == IPPROTO_ICMPV6_) {
		if ((void *)(l4p + 8) > end)
			return 1;
		pk->icmp_type = l4p[0];
		pk->icmp_code = l4p[1];
		icmp_ports(pk->proto, l4p[0], *(__be16 *)(l4p + 4), &pk->sport, &pk->dport);
		return 0;
	} else
		return 0;
	pk->sport = *(__be16 *)l4p;
	pk->dport = *(__be16 *)(l4p + 2);
	return 0;
}

/* Ethernet (one VLAN tag in the frame at most), then IP; -1 when truncated. */
static __always_inline int fw_parse(struct __sk_buff *skb, struct fw_pkt *pk)
{
	__be16 type;
	__u32 l3 = ETH_HLEN;
	int r = fw_parse_direct(skb, pk);
	__u8 dst0;

	if (r <= 0)
		return r;
	__builtin_memset(pk, 0, sizeof(*pk));
	if (bpf_skb_load_bytes(skb, 0, &dst0, 1) < 0 || bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) < 0)
		return -1;
	if (type == bpf_htons(ETH_P_8021Q) || type == bpf_htons(ETH_P_8021AD)) {
		if (bpf_skb_load_bytes(skb, 16, &type, sizeof(type)) < 0)
			return -1;
		l3 += 4;
	}
	pk->eth_type = bpf_ntohs(type);
	pk->l3 = (__u8)l3;
	pk->l2_group = dst0 & 1;
	if (type == bpf_htons(ETH_P_IP_)) {
		if (fw_parse_ip4(skb, l3, pk) < 0)
			return -1;
	} else if (type == bpf_htons(ETH_P_IPV6_)) {
		if (fw_parse_ip6(skb, l3, pk) < 0)
			return -1;
	} else
		return 0;
	return fw_parse_l4(skb, pk);
}

/* Whether addr (family 4, 6 or LXCNET_FW_FAMILY_ARP) is in the slot's ipfilter set of generation set_gen. */
static __always_inline int fw_in_set(__u32 slot, __u32 set_gen, __u32 family, const __u32 *addr)
{
	struct lxcnet_fw_ipkey k = {
		.prefixlen = LXCNET_FW_IPKEY_BITS + (family == 6 ? 128 : 32),
		.slot = slot,
		.set_gen = set_gen,
		.family = family,
	};
	struct lxcnet_fw_ipentry *e;

	__builtin_memcpy(k.addr, addr, 16);
	e = bpf_map_lookup_elem(&lxcnet_fw_ipset, &k);
	return e && !e->nomatch;
}

/* A connection's key, in the map of its family, and its byte in the filter. */
struct fw_ct_key {
	__u32 family;
	__u32 seen; /* lxcnet_ct4_seen_hash(), lxcnet_ct6_seen_hash() */
	union {
		struct lxcnet_ct4_key v4;
		struct lxcnet_ct6_key v6;
	};
};

/* Whether k may be in its map: its byte in the filter in use (lxcnet_ct_seen). */
static __always_inline int fw_ct_seen(const struct fw_ct_key *k)
{
	__u32 h = k->seen, control = LXCNET_CT_SEEN_CONTROL, line = h / LXCNET_CT_SEEN_LINE;
	struct lxcnet_ct_seen_line *c = bpf_map_lookup_elem(&lxcnet_ct_seen, &control), *l;

	if (!c)
		return 1;
	if (c->b[0] & 1)
		line += LXCNET_CT_SEEN_LINES;
	l = bpf_map_lookup_elem(&lxcnet_ct_seen, &line);
	return !l || l->b[h % LXCNET_CT_SEEN_LINE];
}

/* k was put in its map: its byte set in both filters, the one in use and the one lxcnetd may be renewing. */
static __always_inline void fw_ct_mark(const struct fw_ct_key *k)
{
	__u32 h = k->seen, line = h / LXCNET_CT_SEEN_LINE, other = line + LXCNET_CT_SEEN_LINES;
	struct lxcnet_ct_seen_line *l = bpf_map_lookup_elem(&lxcnet_ct_seen, &line);

	if (l)
		l->b[h % LXCNET_CT_SEEN_LINE] = 1;
	l = bpf_map_lookup_elem(&lxcnet_ct_seen, &other);
	if (l)
		l->b[h % LXCNET_CT_SEEN_LINE] = 1;
}

static __always_inline struct lxcnet_ct *fw_ct_find(const struct fw_ct_key *k)
{
	if (!fw_ct_seen(k))
		return 0;
	return k->family == 4 ? bpf_map_lookup_elem(&lxcnet_ct4, &k->v4) : bpf_map_lookup_elem(&lxcnet_ct6, &k->v6);
}

/* Put in the map, then marked: a filter lxcnetd renews holds every key put before it cleared the filter's byte. */
static __always_inline void fw_ct_put(const struct fw_ct_key *k, const struct lxcnet_ct *e)
{
	if (k->family == 4)
		bpf_map_update_elem(&lxcnet_ct4, &k->v4, e, BPF_ANY);
	else
		bpf_map_update_elem(&lxcnet_ct6, &k->v6, e, BPF_ANY);
	fw_ct_mark(k);
}

static __always_inline void fw_ct_forget(const struct fw_ct_key *k)
{
	if (k->family == 4)
		bpf_map_delete_elem(&lxcnet_ct4, &k->v4);
	else
		bpf_map_delete_elem(&lxcnet_ct6, &k->v6);
}

/* The canonical key of (src, sport) <-> (dst, dport); 1 when src is endpoint a. */
static __always_inline int fw_ct_key(struct fw_ct_key *k, __u32 slot, __u32 gen, __u8 family, __u8 proto,
				     const __u32 *src, __be16 sport, const __u32 *dst, __be16 dport)
{
	const __u32 *a, *b;
	int src_a = 1;

	if (src[0] != dst[0])
		src_a = src[0] < dst[0];
	else if (src[1] != dst[1])
		src_a = src[1] < dst[1];
	else if (src[2] != dst[2])
		src_a = src[2] < dst[2];
	else if (src[3] != dst[3])
		src_a = src[3] < dst[3];
	else
		src_a = sport <= dport;
	a = src_a ? src : dst;
	b = src_a ? dst : src;
	k->family = family;
	if (family == 4) {
		k->v4 = (struct lxcnet_ct4_key){ .slot = slot, .gen = gen, .addr_a = a[0], .addr_b = b[0],
						 .proto = proto };
		k->v4.port_a = src_a ? sport : dport;
		k->v4.port_b = src_a ? dport : sport;
		k->seen = lxcnet_ct4_seen_hash(&k->v4);
	} else {
		k->v6 = (struct lxcnet_ct6_key){ .slot = slot, .gen = gen, .proto = proto };
		__builtin_memcpy(k->v6.addr_a, a, 16);
		__builtin_memcpy(k->v6.addr_b, b, 16);
		k->v6.port_a = src_a ? sport : dport;
		k->v6.port_b = src_a ? dport : sport;
		k->seen = lxcnet_ct6_seen_hash(&k->v6);
	}
	return src_a;
}

/* Linux conntrack's time-outs (nf_conntrack_*_timeout*), by protocol and state. */
static __always_inline __u64 fw_ct_timeout(__u8 proto, __u8 state)
{
	switch (proto) {
	case IPPROTO_TCP_:
		return state == LXCNET_CT_REPLIED ? 432000 * SEC_NS :
		       state == LXCNET_CT_CLOSE	  ? 10 * SEC_NS :
						    120 * SEC_NS;
	case IPPROTO_UDP_:
		return state == LXCNET_CT_NEW ? 30 * SEC_NS : 120 * SEC_NS;
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_:
	case CT_PROTO_FRAGMENT:
		return 30 * SEC_NS;
	default:
		return 600 * SEC_NS;
	}
}

/* An ICMP error about a tracked connection (its inner header) is related to it. */
static __always_inline int fw_ct_related(struct __sk_buff *skb, __u32 slot, __u32 gen, const struct fw_pkt *pk)
{
	struct fw_pkt in = {};
	struct fw_ct_key k;
	__u32 inner = pk->l4 + 8;

	if (pk->family == 4) {
		if (fw_parse_ip4(skb, inner, &in) < 0)
			return 0;
	} else {
		struct ip6_hdr ip;

		if (bpf_skb_load_bytes(skb, inner, &ip, sizeof(ip)) < 0)
			return 0;
		in.family = 6;
		in.proto = ip.nexthdr;
		__builtin_memcpy(in.src, ip.saddr, 16);
		__builtin_memcpy(in.dst, ip.daddr, 16);
		in.l4 = inner + 40;
	}
	/* The quoted header has its first 8 bytes: ports, or the ICMP type and id. */
	if (in.proto == IPPROTO_TCP_ || in.proto == IPPROTO_UDP_) {
		__be16 ports[2];

		if (bpf_skb_load_bytes(skb, in.l4, ports, sizeof(ports)) < 0)
			return 0;
		in.sport = ports[0];
		in.dport = ports[1];
	} else if (in.proto == IPPROTO_ICMP_ || in.proto == IPPROTO_ICMPV6_) {
		__u8 h[8];
		__be16 id;

		if (bpf_skb_load_bytes(skb, in.l4, h, sizeof(h)) < 0)
			return 0;
		__builtin_memcpy(&id, &h[4], 2);
		icmp_ports(in.proto, h[0], id, &in.sport, &in.dport);
	}
	fw_ct_key(&k, slot, gen, in.family, in.proto, in.src, in.sport, in.dst, in.dport);
	return fw_ct_find(&k) != 0;
}

static __always_inline int icmp_is_error(const struct fw_pkt *pk)
{
	__u8 t = pk->icmp_type;

	if (pk->proto == IPPROTO_ICMP_)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	return pk->proto == IPPROTO_ICMPV6_ && t >= 1 && t <= 4;
}

/* ICMP queries that may start a connection (their answers may not). */
static __always_inline int icmp_may_start(const struct fw_pkt *pk)
{
	__u8 t = pk->icmp_type;

	if (pk->proto == IPPROTO_ICMP_)
		return t == 8 || t == 13 || t == 15 || t == 17;
	return t == 128 || t == 139;
}

/* ICMPv6 that Linux's conntrack leaves untracked: MLD and neighbour discovery. */
static __always_inline int icmp6_untracked(const struct fw_pkt *pk)
{
	__u8 t = pk->icmp_type;

	return pk->proto == IPPROTO_ICMPV6_ && ((t >= 130 && t <= 137) || t == 143);
}

/*
 * The connection the packet belongs to, updated; *create set when an
 * accepted packet must start one (k filled for it). ICMP errors are
 * related or invalid; a later fragment belongs to its datagram's first.
 */
static __always_inline int fw_ct(struct __sk_buff *skb, __u32 slot, __u32 gen, const struct fw_pkt *pk,
				 struct fw_ct_key *k, int *src_a, int *create)
{
	struct lxcnet_ct *e;
	__u64 now;
	int orig;

	*create = 0;
	if (pk->frag == 2) {
		fw_ct_key(k, slot, gen, pk->family, CT_PROTO_FRAGMENT, pk->src, (__be16)(pk->frag_id >> 16), pk->dst,
			  (__be16)pk->frag_id);
		e = fw_ct_find(k);
		return e && fw_now() - e->seen_ns < 30 * SEC_NS ? FW_CT_ESTABLISHED : FW_CT_INVALID;
	}
	if (icmp_is_error(pk))
		return fw_ct_related(skb, slot, gen, pk) ? FW_CT_ESTABLISHED : FW_CT_INVALID;
	if (pk->family == 6 && icmp6_untracked(pk))
		return FW_CT_UNTRACKED;
	*src_a = fw_ct_key(k, slot, gen, pk->family, pk->proto, pk->src, pk->sport, pk->dst, pk->dport);
	e = fw_ct_find(k);
	now = e ? fw_now() : 0;
	if (e && (now - e->seen_ns > fw_ct_timeout(pk->proto, e->state) ||
		  (e->state == LXCNET_CT_CLOSE && (pk->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN))) {
		/* Over, or a new connection of the same ports after a close: as if there were none. */
		fw_ct_forget(k);
		e = 0;
	}
	if (e) {
		__u8 state = e->state;

		orig = *src_a == e->orig_a;
		if (!orig && state == LXCNET_CT_NEW)
			state = LXCNET_CT_REPLIED;
		if (pk->proto == IPPROTO_TCP_) {
			if (pk->tcp_flags & TCP_RST)
				state = LXCNET_CT_CLOSE;
			else if (pk->tcp_flags & TCP_FIN)
				state = state == LXCNET_CT_FIN ? LXCNET_CT_CLOSE : LXCNET_CT_FIN;
		}
		/* Written only when it changes: both directions of a flow run on different CPUs. */
		if (state != e->state)
			e->state = state;
		if (now - e->seen_ns > SEC_NS / 4)
			e->seen_ns = now;
		/* Linux: the original direction stays NEW until an answer came. */
		return orig && e->state == LXCNET_CT_NEW ? FW_CT_NEW : FW_CT_ESTABLISHED;
	}
	if (pk->proto == IPPROTO_TCP_) {
		__u8 f = pk->tcp_flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);

		/* A SYN starts one; a lone ACK is taken up mid-stream (nf_conntrack_tcp_loose); the rest is invalid. */
		if (f != TCP_SYN && f != TCP_ACK)
			return FW_CT_INVALID;
	} else if ((pk->proto == IPPROTO_ICMP_ || pk->proto == IPPROTO_ICMPV6_) && !icmp_may_start(pk))
		return FW_CT_INVALID;
	*create = 1;
	return FW_CT_NEW;
}

static __always_inline void fw_ct_start(const struct fw_ct_key *k, int src_a)
{
	struct lxcnet_ct e = { .seen_ns = fw_now(), .state = LXCNET_CT_NEW, .orig_a = src_a };

	fw_ct_put(k, &e);
}

/* A first fragment that passed: the later ones carry no ports, they follow it by the datagram's id. */
static __always_inline void fw_frag_start(__u32 slot, __u32 gen, const struct fw_pkt *pk)
{
	struct lxcnet_ct e = { .seen_ns = fw_now(), .state = LXCNET_CT_NEW };
	struct fw_ct_key fk;

	fw_ct_key(&fk, slot, gen, pk->family, CT_PROTO_FRAGMENT, pk->src, (__be16)(pk->frag_id >> 16), pk->dst,
		  (__be16)pk->frag_id);
	fw_ct_put(&fk, &e);
}

static __always_inline int is_udp_ports(const struct fw_pkt *pk, __u16 sport, __u16 dport)
{
	return pk->proto == IPPROTO_UDP_ && pk->sport == bpf_htons(sport) && pk->dport == bpf_htons(dport);
}

#define FW_NO_RULE (-1)

/*
 * The index of the lowest bit set in w (w != 0), without branches: the
 * verifier would otherwise follow each of the 64 outcomes on its own.
 */
static __always_inline __u32 lowest_bit(__u64 w)
{
	__u64 x = (w & -w) - 1; /* the bits below it */

	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((x * 0x0101010101010101ULL) >> 56);
}

/*
 * fw_rules()' working memory, off the stack: the chains' call depth leaves
 * it little. Per CPU, not pinned.
 */
struct fw_scratch {
	struct lxcnet_fw_matchkey k;
	struct lxcnet_fw_bitskey bk;
	__u32 rules_key; /* of the generation's array in lxcnet_fw_rules */
	__u32 rules_gen;
	__u32 rule_base; /* where the direction's rules start in it */
	__u32 ids[_LXCNET_FW_FIELDS]; /* 0: a field no rule restricts, not looked up */
	__s32 rule;
	__u16 n_cand; /* of the value that lists the fewest rules, LXCNET_FW_MANY when none lists them */
	__u16 cand[LXCNET_FW_CANDIDATES];
	__u8 tested;  /* and each of those is one test in the other fields */
	__u16 n_list[_LXCNET_FW_FIELDS]; /* each looked-up field's value's n_cand */
	__u16 list[_LXCNET_FW_FIELDS][LXCNET_FW_CANDIDATES]; /* and its list */
	__u16 sport, dport; /* the port fields' values */
	__u32 len;
	__u8 fields, exact, whole_only, nothing_else; /* lxcnet_fw's, of the direction */
	__u8 started; /* bits and summary hold a field's sets */
	__u8 skip;    /* the fields the first list not tested needs not (its need's others): not looked up */
	__u8 skipped; /* and one of them was restricted by some rule: each candidate's test judges it */
	__u64 bits[LXCNET_FW_INLINE_WORDS];
	__u64 summary[LXCNET_FW_SUMMARY_WORDS];
	__u64 full[_LXCNET_FW_FIELDS][LXCNET_FW_SUMMARY_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_scratch);
} lxcnet_fw_scratch SEC(".maps");

static __always_inline int fw_in_ranges(const __u16 (*r)[2], __u16 v)
{
	int in = 0;

#pragma clang loop unroll(full)
	for (int i = 0; i < LXCNET_FW_TEST_RANGES; i++)
		in |= v >= r[i][0] && v <= r[i][1];
	return in;
}

/* Whether address a (16 bytes, IPv4 in the first 4) is under prefix p of len bits. */
static __always_inline int fw_under(const __u8 *p, __u32 len, const __u32 *a)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < 4; i++) {
		__u32 bits = len > 32 * i ? len - 32 * i : 0, pw, m;

		if (!bits)
			break;
		m = bits >= 32 ? 0xffffffffU : bpf_htonl(~0U << ((32 - bits) & 31));
		__builtin_memcpy(&pw, p + 4 * i, 4);
		if ((a[i] ^ pw) & m)
			return 0;
	}
	return 1;
}

/* Whether the packet passes a rule's test (sport, dport as the classifier's fields have them). */
static __always_inline int fw_test(const struct lxcnet_fw_test *t, const struct fw_pkt *pk, __u16 sport, __u16 dport)
{
	if ((t->family && t->family != pk->family) || (t->proto >= 0 && t->proto != pk->proto))
		return 0;
	if (!fw_in_ranges(t->sport, sport) || !fw_in_ranges(t->dport, dport))
		return 0;
	return fw_under(t->src, t->src_len, pk->src) && fw_under(t->dst, t->dst_len, pk->dst);
}

/* Rule index of the direction fw_rules() judges in (sc), or NULL: not in force any more. */
static __always_inline struct lxcnet_fw_rule *fw_rule(const struct fw_scratch *sc, __u32 index)
{
	struct lxcnet_fw_rule *r;
	__u32 i = sc->rule_base + index;
	void *rules;

	rules = bpf_map_lookup_elem(&lxcnet_fw_rules, &sc->rules_key);
	if (!rules)
		return 0;
	r = bpf_map_lookup_elem(rules, &i);
	/* A generation two ahead may be in its place already. */
	return r && r->rules_gen == sc->rules_gen ? r : 0;
}

/* The rule matched: counted (shared by the CPUs; only new connections' first packets come here), and its verdict. */
static __always_inline int fw_rule_hit(struct lxcnet_fw_rule *r, __u32 len)
{
	__sync_fetch_and_add(&r->packets, 1);
	__sync_fetch_and_add(&r->bytes, len);
	return r->verdict;
}

/*
 * Whether every field looked up (sc) matches rule: one whose value lists
 * its rules by its list; the others (their sets, intersected in sc) for
 * the first 256 by their bits together, beyond by a chunk all of them have
 * a rule in, then each one's chunk word, unless its value matches every
 * rule of the chunk.
 */
static __always_inline int fw_all_have(struct fw_scratch *sc, __u32 rule)
{
	__u32 chunk = (rule / 64) & (LXCNET_FW_CHUNKS - 1), bit = rule % 64, word = (chunk / 64) & 3, at = chunk % 64;

#pragma clang loop unroll(full)
	for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
		int found = 0;

		if (sc->n_list[f] > LXCNET_FW_CANDIDATES)
			continue;
#pragma clang loop unroll(full)
		for (int j = 0; j < LXCNET_FW_CANDIDATES; j++)
			if (j < sc->n_list[f] && sc->list[f][j] == rule)
				found = 1;
		if (!found)
			return 0;
	}
	if (!sc->started)
		return 1;
	if (chunk < LXCNET_FW_INLINE_WORDS)
		return (sc->bits[chunk & 3] >> bit) & 1;
	if (!((sc->summary[word] >> at) & 1))
		return 0;
#pragma clang loop unroll(full)
	for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
		__u64 *b;

		if (!sc->ids[f] || ((sc->full[f][word] >> at) & 1))
			continue;
		sc->bk.id = sc->ids[f];
		sc->bk.chunk = chunk;
		b = bpf_map_lookup_elem(&lxcnet_fw_bits, &sc->bk);
		if (!b || !((*b >> bit) & 1))
			return 0;
	}
	return 1;
}

/*
 * The guest's rules for a new connection's packet in direction dir: the
 * verdict of the first rule it matches (counted), FW_NO_RULE when none.
 */
__attribute__((noinline)) int fw_rules(__u32 slot, const struct lxcnet_fw *fw, __u32 dir, const struct fw_pkt *pk, __u32 len)
{
	struct lxcnet_fw_matchval *v;
	struct lxcnet_fw_matchkey *kp;
	struct fw_scratch *sc;
	struct lxcnet_fw_rule *r;
	__u32 zero = 0;

	/* A global function, verified once for both chains: its pointers may be NULL as far as the verifier knows. */
	if (!fw || !pk || !fw->n_rules[dir & 1])
		return FW_NO_RULE;
	sc = bpf_map_lookup_elem(&lxcnet_fw_scratch, &zero);
	if (!sc)
		return FW_NO_RULE;
	kp = &sc->k;
	sc->rule = FW_NO_RULE;
	sc->n_cand = LXCNET_FW_MANY;
	sc->tested = 0;
	sc->started = 0;
	sc->skip = sc->skipped = 0;
	kp->slot = sc->bk.slot = slot;
	kp->rules_gen = sc->bk.rules_gen = fw->rules_gen;
	kp->dir = (__u8)dir;
	/* Kept here, not in registers: the look-ups below leave few, and interpreted BPF's 512 bytes of stack are near. */
	sc->rules_key = LXCNET_FW_RULES_KEY(slot, fw->rules_gen);
	sc->rules_gen = fw->rules_gen;
	sc->rule_base = dir & 1 ? fw->n_rules[LXCNET_FROM_CT] : 0;
	sc->len = len;
	sc->fields = fw->fields[dir & 1];
	sc->exact = fw->exact[dir & 1];
	sc->whole_only = fw->whole_only[dir & 1];
	sc->nothing_else = fw->nothing_else[dir & 1];
	sc->sport = sc->dport = 0;
	if (pk->proto == IPPROTO_ICMP_ || pk->proto == IPPROTO_ICMPV6_)
		sc->dport = (__u16)(pk->icmp_type << 8 | pk->icmp_code);
	else if (proto_has_ports(pk->proto) && pk->frag != 2) {
		sc->sport = bpf_ntohs(pk->sport);
		sc->dport = bpf_ntohs(pk->dport);
	}
#pragma clang loop unroll(full)
	for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
		sc->ids[f] = 0;
		sc->n_list[f] = LXCNET_FW_MANY;
		if (!(sc->fields & (1 << f)))
			continue;
		if (sc->skip & (1 << f)) {
			sc->skipped = 1;
			continue;
		}
		__builtin_memset(kp->value, 0, sizeof(kp->value));
		kp->field = (__u8)f;
		kp->family = 0;
		if (f == LXCNET_FW_SRC || f == LXCNET_FW_DST) {
			kp->family = pk->family;
			__builtin_memcpy(kp->value, f == LXCNET_FW_SRC ? pk->src : pk->dst, 16);
			kp->prefixlen = LXCNET_FW_MATCHKEY_BITS + (pk->family == 4 ? 32 : 128);
		} else if (f == LXCNET_FW_PROTO) {
			kp->value[0] = pk->proto;
			kp->prefixlen = LXCNET_FW_MATCHKEY_BITS + 8;
		} else {
			__u16 port = f == LXCNET_FW_SPORT ? sc->sport : sc->dport;

			kp->value[0] = (__u8)(port >> 8);
			kp->value[1] = (__u8)port;
			kp->prefixlen = LXCNET_FW_MATCHKEY_BITS + 16;
		}
		v = 0;
		if (sc->exact & (1 << f))
			v = bpf_map_lookup_elem(&lxcnet_fw_exact, kp);
		if (!v) {
			/* Not a whole value of the field: its prefixes', or the whole range's (in the hash map when it is the only one). */
			if (sc->nothing_else & (1 << f))
				return FW_NO_RULE;
			if (sc->whole_only & (1 << f)) {
				kp->prefixlen = LXCNET_FW_MATCHKEY_BITS;
				__builtin_memset(kp->value, 0, sizeof(kp->value));
				v = bpf_map_lookup_elem(&lxcnet_fw_exact, kp);
			} else
				v = bpf_map_lookup_elem(&lxcnet_fw_match, kp);
		}
		if (!v)
			return FW_NO_RULE;
		sc->n_list[f] = v->n_cand;
		if (v->n_cand <= LXCNET_FW_CANDIDATES) {
			__builtin_memcpy(sc->list[f], v->cand, sizeof(sc->list[f]));
			if (v->tested || v->n_cand < sc->n_cand) {
				sc->n_cand = v->n_cand;
				__builtin_memcpy(sc->cand, v->cand, sizeof(sc->cand));
			}
			if (v->tested) {
				sc->tested = 1;
				break;
			}
			/* Every rule the packet can match is on any list: the first one's need does. */
			if (!sc->skip && v->need)
				sc->skip = (__u8)~v->need;
			/* Its list says which rules it matches: its sets are not needed. */
			continue;
		}
		/* The first field's sets are taken as they are, the next ones' intersected with them. */
		if (!sc->started) {
			sc->started = 1;
			for (int i = 0; i < LXCNET_FW_INLINE_WORDS; i++)
				sc->bits[i] = ~0ULL;
			for (int i = 0; i < LXCNET_FW_SUMMARY_WORDS; i++)
				sc->summary[i] = ~0ULL;
		}
		sc->ids[f] = v->id;
		for (int i = 0; i < LXCNET_FW_INLINE_WORDS; i++)
			sc->bits[i] &= v->bits[i];
		for (int i = 0; i < LXCNET_FW_SUMMARY_WORDS; i++) {
			sc->summary[i] &= v->summary[i];
			sc->full[f][i] = v->full[i];
		}
	}
	if (sc->tested) {
		/* A value with few rules, each one test in the other fields: the first whose test passes decides. */
#pragma clang loop unroll(full)
		for (int i = 0; i < LXCNET_FW_CANDIDATES; i++) {
			if (i >= sc->n_cand)
				break;
			r = fw_rule(sc, sc->cand[i]);
			if (!r)
				break;
			if (fw_test(&r->test, pk, sc->sport, sc->dport))
				return fw_rule_hit(r, sc->len);
		}
		return FW_NO_RULE;
	}
	if (sc->n_cand <= LXCNET_FW_CANDIDATES) {
		/* The first rule of the shortest list every field looked up has, and whose test judges the others. */
#pragma clang loop unroll(full)
		for (int i = 0; i < LXCNET_FW_CANDIDATES; i++) {
			if (i >= sc->n_cand)
				break;
			if (!fw_all_have(sc, sc->cand[i]))
				continue;
			r = fw_rule(sc, sc->cand[i]);
			if (!r)
				return FW_NO_RULE;
			if (!sc->skipped || fw_test(&r->test, pk, sc->sport, sc->dport))
				return fw_rule_hit(r, sc->len);
		}
		return FW_NO_RULE;
	}
	if (!sc->started) {
		/* No field restricted by any rule: every rule matches. */
		for (int i = 0; i < LXCNET_FW_INLINE_WORDS; i++)
			sc->bits[i] = ~0ULL;
		for (int i = 0; i < LXCNET_FW_SUMMARY_WORDS; i++)
			sc->summary[i] = ~0ULL;
	}
	for (int i = 0; i < LXCNET_FW_INLINE_WORDS; i++)
		if (sc->bits[i]) {
			sc->rule = (__s32)(i * 64 + lowest_bit(sc->bits[i]));
			break;
		}
	/*
	 * Beyond the inline words: the chunks every field has a rule in, lowest
	 * first, until one has a rule in common; a field whose value matches
	 * every rule of the chunk has no word to look up. Unrolled: kernels running BPF
	 * interpreted refuse bpf_loop()'s callbacks, and Linux 6.1 refused this
	 * loop's back-edge under User-Mode Linux.
	 */
#pragma clang loop unroll(full)
	for (int it = 0; it < LXCNET_FW_CHUNKS - LXCNET_FW_INLINE_WORDS; it++) {
		__u64 w = ~0ULL, sum, *b;
		__u32 word, c, bit;

		if (sc->rule != FW_NO_RULE)
			break;
		if (sc->summary[0])
			word = 0;
		else if (sc->summary[1])
			word = 1;
		else if (sc->summary[2])
			word = 2;
		else if (sc->summary[3])
			word = 3;
		else
			break;
		sum = sc->summary[word & 3];
		sc->summary[word & 3] = sum & (sum - 1);
		bit = lowest_bit(sum);
		c = word * 64 + bit;
		sc->bk.chunk = c;
#pragma clang loop unroll(full)
		for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
			if (!w)
				break;
			if (!sc->ids[f] || ((sc->full[f][word & 3] >> (bit & 63)) & 1))
				continue;
			sc->bk.id = sc->ids[f];
			b = bpf_map_lookup_elem(&lxcnet_fw_bits, &sc->bk);
			w = b ? w & *b : 0;
		}
		if (w) {
			sc->rule = (__s32)(c * 64 + lowest_bit(w));
			break;
		}
	}
	if (sc->rule == FW_NO_RULE)
		return FW_NO_RULE;
	r = fw_rule(sc, (__u32)sc->rule);
	return r ? fw_rule_hit(r, sc->len) : FW_NO_RULE;
}

/*
 * REJECT. A chain's verdict is -1 (accept), a drop reason, or
 * LXCNET_DROP_FW_REJECT with how to answer above FW_REPLY_SHIFT; fw_check()
 * then answers and says so with FW_REPLIED.
 */
#define FW_REPLY_SHIFT 8
#define FW_REPLIED 0x1000
enum fw_reply {
	FW_REPLY_NONE,
	FW_REPLY_TCP_RST,	/* tcp-reset */
	FW_REPLY_PORT_UNREACH,	/* icmp-port-unreachable, icmp6-port-unreachable */
	FW_REPLY_PROHIBITED,	/* icmp-host-prohibited, icmp6-adm-prohibited */
};

static __always_inline int ip4_multicast(__u32 a)
{
	return (bpf_ntohl(a) >> 28) == 0xe;
}

static __always_inline int ip6_multicast(const __u32 *a)
{
	return (bpf_ntohl(a[0]) >> 24) == 0xff;
}

/* To broadcast or multicast, as pve-firewall's PVEFW-DropBroadcast sees it: IPv4 by the frame's MAC or the address. */
static __always_inline int fw_to_group(const struct fw_pkt *pk)
{
	if (pk->family == 4)
		return pk->l2_group || pk->dst[0] == 0xffffffff || ip4_multicast(pk->dst[0]);
	return ip6_multicast(pk->dst);
}

/*
 * pve-firewall's PVEFW-reject for a new connection's packet refused with
 * reason: no answer to broadcast, multicast (Linux sends none there
 * either), ICMP, a later fragment or a TCP reset; TCP gets a reset, UDP
 * port unreachable, the rest host (IPv6: administratively) prohibited.
 */
static __always_inline int fw_rejected(const struct fw_pkt *pk, int reason)
{
	int how;

	if (pk->l2_group || pk->frag == 2 || fw_to_group(pk))
		return reason;
	if (pk->family == 4) {
		if (ip4_multicast(pk->src[0]) || !pk->src[0] || pk->proto == IPPROTO_ICMP_)
			return reason;
	} else if (ip6_multicast(pk->src) || !(pk->src[0] | pk->src[1] | pk->src[2] | pk->src[3]) ||
		   pk->proto == IPPROTO_ICMPV6_)
		return reason;
	if (pk->proto == IPPROTO_TCP_) {
		if (pk->tcp_flags & TCP_RST)
			return reason;
		how = FW_REPLY_TCP_RST;
	} else
		how = pk->proto == IPPROTO_UDP_ ? FW_REPLY_PORT_UNREACH : FW_REPLY_PROHIBITED;
	return LXCNET_DROP_FW_REJECT | how << FW_REPLY_SHIFT;
}

/* A rule's verdict as the chain's. */
static __always_inline int fw_rule_verdict(int verdict, const struct fw_pkt *pk)
{
	return verdict == LXCNET_FW_ACCEPT ? -1 :
	       verdict == LXCNET_FW_REJECT ? fw_rejected(pk, LXCNET_DROP_FW_RULE) :
					     LXCNET_DROP_FW_RULE;
}

/* Microsoft SMB noise, which pve-firewall's REJECT policy rejects rather than drops. */
static __always_inline int fw_smb(const struct fw_pkt *pk)
{
	__u16 s = bpf_ntohs(pk->sport), d = bpf_ntohs(pk->dport);

	if (pk->proto == IPPROTO_UDP_)
		return d == 135 || d == 445 || (d >= 137 && d <= 139) || (s == 137 && d >= 1024);
	return pk->proto == IPPROTO_TCP_ && (d == 135 || d == 139 || d == 445);
}

/*
 * The policy for a new connection's packet no rule took: ACCEPT; DROP
 * (PVEFW-Drop, whose IPv6 version rejects TCP to port 43); REJECT
 * (PVEFW-Reject: broadcast and multicast dropped, SMB rejected, UPnP, TCP
 * that is not a SYN and DNS answers dropped, then PVEFW-reject).
 */
static __always_inline int fw_policy(const struct fw_pkt *pk, __u8 policy, int reason)
{
	int tcp43 = pk->family == 6 && pk->proto == IPPROTO_TCP_ && pk->frag != 2 && pk->dport == bpf_htons(43);

	if (policy == LXCNET_FW_ACCEPT)
		return -1;
	if (tcp43)
		return fw_rejected(pk, reason);
	if (policy != LXCNET_FW_REJECT)
		return reason;
	if (fw_to_group(pk))
		return reason;
	if (pk->frag != 2 && fw_smb(pk))
		return fw_rejected(pk, reason);
	if (pk->proto == IPPROTO_UDP_ && (pk->dport == bpf_htons(1900) || pk->sport == bpf_htons(53)))
		return reason;
	if (pk->proto == IPPROTO_TCP_ && (pk->tcp_flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK)) != TCP_SYN)
		return reason;
	return fw_rejected(pk, reason);
}

/* The tap's OUT chain for a new connection's packet: -1 accepts, else the drop reason. */
static __always_inline int fw_chain_out(struct __sk_buff *skb, __u32 slot, const struct lxcnet_fw *fw, const __u8 *mac,
					const struct fw_pkt *pk)
{
	__u8 src[6];
	int verdict;

	if ((fw->flags & LXCNET_FW_DHCP) &&
	    (pk->family == 4 ? is_udp_ports(pk, 68, 67) : is_udp_ports(pk, 546, 547)))
		return -1;
	if (fw->flags & LXCNET_FW_MACFILTER) {
		if (bpf_skb_load_bytes(skb, 6, src, sizeof(src)) < 0)
			return LXCNET_DROP_MALFORMED;
		if (!mac_eq(src, mac))
			return LXCNET_DROP_FW_MAC;
	}
	if (pk->family == 6 && pk->proto == IPPROTO_ICMPV6_ && pk->icmp_type == 134 && !(fw->flags & LXCNET_FW_RADV))
		return LXCNET_DROP_FW_RADV;
	if ((fw->flags & LXCNET_FW_IPFILTER) && !fw_in_set(slot, fw->set_gen, pk->family, pk->src))
		return LXCNET_DROP_FW_IP;
	if ((fw->flags & LXCNET_FW_NDP) && pk->family == 6 && pk->proto == IPPROTO_ICMPV6_ &&
	    (pk->icmp_type == 133 || pk->icmp_type == 135 || pk->icmp_type == 136 ||
	     (pk->icmp_type == 134 && (fw->flags & LXCNET_FW_RADV))))
		return -1;
	verdict = fw_rules(slot, fw, LXCNET_FROM_CT, pk, skb->len);
	if (verdict != FW_NO_RULE)
		return fw_rule_verdict(verdict, pk);
	return fw_policy(pk, fw->policy_out, LXCNET_DROP_FW_POLICY_OUT);
}

/* The tap's IN chain (after pve-firewall's input filters) for a new connection's packet. */
static __always_inline int fw_chain_in(struct __sk_buff *skb, __u32 slot, const struct lxcnet_fw *fw, const struct fw_pkt *pk)
{
	int verdict;

	if ((fw->flags & LXCNET_FW_NOSMURFS) && pk->family == 4 && pk->src[0] &&
	    (pk->src[0] == 0xffffffff || ip4_multicast(pk->src[0])))
		return LXCNET_DROP_FW_SMURF;
	if ((fw->flags & LXCNET_FW_DHCP) &&
	    (pk->family == 4 ? is_udp_ports(pk, 67, 68) : is_udp_ports(pk, 547, 546)))
		return -1;
	if ((fw->flags & LXCNET_FW_NDP) && pk->family == 6 && pk->proto == IPPROTO_ICMPV6_ && pk->icmp_type >= 133 &&
	    pk->icmp_type <= 136)
		return -1;
	verdict = fw_rules(slot, fw, LXCNET_TO_CT, pk, skb->len);
	if (verdict != FW_NO_RULE)
		return fw_rule_verdict(verdict, pk);
	return fw_policy(pk, fw->policy_in, LXCNET_DROP_FW_POLICY_IN);
}

/* Frames that are not IP, from the container (ebtables): the MAC filter, and ARP's sender. */
static __always_inline int fw_l2_out(struct __sk_buff *skb, __u32 slot, const struct lxcnet_fw *fw, const __u8 *mac,
				     const struct fw_pkt *pk)
{
	__u8 src[6];

	if (fw->flags & LXCNET_FW_L2MACFILTER) {
		if (bpf_skb_load_bytes(skb, 6, src, sizeof(src)) < 0)
			return LXCNET_DROP_MALFORMED;
		if (!mac_eq(src, mac))
			return LXCNET_DROP_FW_MAC;
	}
	if (pk->eth_type == ETH_P_ARP_ && (fw->flags & LXCNET_FW_ARPFILTER)) {
		__u32 spa[4] = {};
		__u32 l3 = ETH_HLEN;
		__be16 type;

		if (bpf_skb_load_bytes(skb, 12, &type, sizeof(type)) < 0)
			return LXCNET_DROP_MALFORMED;
		if (type == bpf_htons(ETH_P_8021Q) || type == bpf_htons(ETH_P_8021AD))
			l3 += 4;
		/* htype, ptype, hlen, plen, op, sha[6]: the sender's address follows. */
		if (bpf_skb_load_bytes(skb, l3 + 14, &spa[0], 4) < 0)
			return LXCNET_DROP_MALFORMED;
		if (!fw_in_set(slot, fw->set_gen, LXCNET_FW_FAMILY_ARP, spa))
			return LXCNET_DROP_FW_IP;
	}
	return -1;
}

/*
 * The answer to a rejected frame is built in its place; the rejected frame
 * is gone. An ICMP error quotes as much of it as Linux's does: the whole
 * error in 576 bytes for IPv4 (RFC 1812), in the minimum IPv6 MTU, 1280
 * bytes, for IPv6 (RFC 4443).
 */
#define FW_QUOTE4 (576 - 20 - 8)
#define FW_QUOTE6 (1280 - 40 - 8)
#define FW_CSUM_CHUNK 512 /* what one bpf_csum_diff() sums */

struct fw_reply_scratch {
	__u8 macs[12];
	__u32 pseudo[10]; /* the checksum's pseudo-header */
	__u8 l3[40];
	__u8 l4[8 + FW_QUOTE6]; /* the TCP header, or the ICMP header and the quote */
};

/* Clamp a length in place, on the register the verifier then sees passed. */
#define FW_CLAMP(v, max) asm volatile("if %0 <= %1 goto +1; %0 = %1" : "+r"(v) : "i"(max))

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_reply_scratch);
} lxcnet_fw_reply SEC(".maps");

static __always_inline __u16 csum_fold(__s64 sum)
{
	__u32 x = (__u32)sum;

	x = (x & 0xffff) + (x >> 16);
	x = (x & 0xffff) + (x >> 16);
	return (__u16)~x;
}

/*
 * Turn the rejected frame pk into its answer (how: enum fw_reply), from
 * its destination to its source, and send it back where it came from:
 * into the container (dir LXCNET_FROM_CT: the port's egress) or into the
 * bridge (LXCNET_TO_CT: the port's ingress, as if the container answered;
 * its tags are pushed there). 0 when sent. Linux's REJECT writes the same
 * headers: a reset acknowledges what it refuses unless that carried an
 * ACK, TTL and hop limit 64; the addresses are the rejected packet's, as
 * proxmox-firewall's bridge REJECT sends them.
 */
static __attribute__((noinline)) int fw_reply(struct __sk_buff *skb, const struct fw_pkt *pk, __u32 how, __u32 dir)
{
	struct fw_reply_scratch *sc;
	__u32 zero = 0, l3 = pk->l3, l3len;
	__u64 l4len, c;
	__u64 plen, room; /* 64 bits: the verifier follows bounds through no zero extension */
	__u8 proto, mac[12];
	__s64 sum = 0;

	sc = bpf_map_lookup_elem(&lxcnet_fw_reply, &zero);
	if (!sc || (l3 != ETH_HLEN && l3 != ETH_HLEN + 4) || skb->len <= l3)
		return -1;
	if (bpf_skb_load_bytes(skb, 0, mac, sizeof(mac)) < 0)
		return -1;
	__builtin_memcpy(sc->macs, mac + 6, 6);
	__builtin_memcpy(sc->macs + 6, mac, 6);
	/* The rejected packet's length as its header says, within the frame (no Ethernet padding). */
	if (pk->family == 4) {
		struct ip4_hdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) < 0)
			return -1;
		plen = bpf_ntohs(ip.len);
	} else {
		__be16 len;

		if (bpf_skb_load_bytes(skb, l3 + 4, &len, sizeof(len)) < 0)
			return -1;
		plen = 40 + (__u64)bpf_ntohs(len);
	}
	room = skb->len - l3;
	if (plen > room)
		plen = room;

	if (how == FW_REPLY_TCP_RST) {
		struct {
			__be16 sport, dport;
			__be32 seq, ack;
			__u8 off, flags;
		} th;
		__u32 hdrs, data;

		if (bpf_skb_load_bytes(skb, pk->l4, &th, sizeof(th)) < 0)
			return -1;
		hdrs = (pk->l4 - l3) + (__u32)(th.off >> 4) * 4;
		data = plen > hdrs ? (__u32)(plen - hdrs) : 0;
		__builtin_memset(sc->l4, 0, 20);
		__builtin_memcpy(sc->l4, &th.dport, 2);
		__builtin_memcpy(sc->l4 + 2, &th.sport, 2);
		if (th.flags & TCP_ACK) {
			__builtin_memcpy(sc->l4 + 4, &th.ack, 4);
			sc->l4[13] = TCP_RST;
		} else {
			__be32 ack = bpf_htonl(bpf_ntohl(th.seq) + !!(th.flags & TCP_SYN) + !!(th.flags & TCP_FIN) + data);

			__builtin_memcpy(sc->l4 + 8, &ack, 4);
			sc->l4[13] = TCP_RST | TCP_ACK;
		}
		sc->l4[12] = 5 << 4;
		proto = IPPROTO_TCP_;
		l4len = 20;
	} else {
		__u64 q, odd = plen & 3;

		if (plen < 28)
			return -1;
		/*
		 * Whole words (for the checksum's chunks), at most the family's
		 * quote: the barrier keeps the compiler from making the
		 * subtraction an AND (which the verifier cannot bound from
		 * below), and the clamps are done in place.
		 */
		asm volatile("" : "+r"(odd));
		q = plen - odd;
		FW_CLAMP(q, FW_QUOTE6);
		if (pk->family == 4)
			FW_CLAMP(q, FW_QUOTE4);
		if (bpf_skb_load_bytes(skb, l3, sc->l4 + 8, q) < 0)
			return -1;
		__builtin_memset(sc->l4, 0, 8);
		if (pk->family == 4) {
			sc->l4[0] = 3; /* destination unreachable */
			sc->l4[1] = how == FW_REPLY_PORT_UNREACH ? 3 : 10;
			proto = IPPROTO_ICMP_;
		} else {
			sc->l4[0] = 1; /* destination unreachable */
			sc->l4[1] = how == FW_REPLY_PORT_UNREACH ? 4 : 1;
			proto = IPPROTO_ICMPV6_;
		}
		l4len = 8 + q;
	}

	if (pk->family == 4) {
		struct ip4_hdr *ip = (void *)sc->l3;

		ip->vihl = 0x45;
		ip->tos = proto == IPPROTO_TCP_ ? 0 : 0xc0; /* ICMP: internetwork control, as Linux */
		ip->len = bpf_htons((__u16)(20 + l4len));
		ip->id = 0;
		ip->frag = proto == IPPROTO_TCP_ ? bpf_htons(0x4000) : 0;
		ip->ttl = 64;
		ip->proto = proto;
		ip->csum = 0;
		ip->saddr = pk->dst[0];
		ip->daddr = pk->src[0];
		ip->csum = csum_fold(bpf_csum_diff(0, 0, (__be32 *)sc->l3, 20, 0));
		l3len = 20;
		if (proto == IPPROTO_TCP_) {
			sc->pseudo[0] = pk->dst[0];
			sc->pseudo[1] = pk->src[0];
			sc->pseudo[2] = bpf_htonl((__u32)proto << 16 | (__u32)l4len);
			sum = bpf_csum_diff(0, 0, sc->pseudo, 12, 0);
		}
	} else {
		struct ip6_hdr *ip = (void *)sc->l3;

		ip->vtcfl = bpf_htonl(0x60000000);
		ip->len = bpf_htons((__u16)l4len);
		ip->nexthdr = proto;
		ip->hops = 64;
		__builtin_memcpy(ip->saddr, pk->dst, 16);
		__builtin_memcpy(ip->daddr, pk->src, 16);
		l3len = 40;
		__builtin_memcpy(sc->pseudo, pk->dst, 16);
		__builtin_memcpy(sc->pseudo + 4, pk->src, 16);
		sc->pseudo[8] = bpf_htonl((__u32)l4len);
		sc->pseudo[9] = bpf_htonl(proto);
		sum = bpf_csum_diff(0, 0, sc->pseudo, 40, 0);
	}
	if (sum < 0)
		return -1;
	/* In chunks one bpf_csum_diff() takes: 8 + FW_QUOTE6 is 1240 bytes. */
	c = l4len;
	FW_CLAMP(c, FW_CSUM_CHUNK);
	sum = bpf_csum_diff(0, 0, (__be32 *)sc->l4, (__u32)c, (__wsum)sum);
	if (sum >= 0 && l4len > FW_CSUM_CHUNK) {
		c = l4len - FW_CSUM_CHUNK;
		FW_CLAMP(c, FW_CSUM_CHUNK);
		sum = bpf_csum_diff(0, 0, (__be32 *)(sc->l4 + FW_CSUM_CHUNK), (__u32)c, (__wsum)sum);
	}
	if (sum >= 0 && l4len > 2 * FW_CSUM_CHUNK) {
		c = l4len - 2 * FW_CSUM_CHUNK;
		FW_CLAMP(c, sizeof(sc->l4) - 2 * FW_CSUM_CHUNK);
		sum = bpf_csum_diff(0, 0, (__be32 *)(sc->l4 + 2 * FW_CSUM_CHUNK), (__u32)c, (__wsum)sum);
	}
	if (sum < 0)
		return -1;
	{
		__u16 folded = csum_fold(sum);

		/* Where the checksum sits: TCP's at 16, ICMP's at 2. */
		__builtin_memcpy(sc->l4 + (proto == IPPROTO_TCP_ ? 16 : 2), &folded, 2);
	}

	if (bpf_skb_change_tail(skb, l3 + l3len + l4len, 0) < 0 ||
	    bpf_skb_store_bytes(skb, 0, sc->macs, sizeof(sc->macs), 0) < 0 ||
	    bpf_skb_store_bytes(skb, l3, sc->l3, l3len, 0) < 0 ||
	    bpf_skb_store_bytes(skb, l3 + l3len, sc->l4, l4len, 0) < 0)
		return -1;
	skb->mark = LXCNET_REJECT_MARK;
	return bpf_redirect(skb->ifindex, dir == LXCNET_FROM_CT ? 0 : BPF_F_INGRESS) == TC_ACT_REDIRECT ? 0 : -1;
}

/*
 * The guest firewall for one frame in direction dir: -1 passes, else the
 * drop reason, with FW_REPLIED when the frame became the answer to it,
 * to be returned as TC_ACT_REDIRECT. Inlined, as drop() is: each program
 * has one call of it, with dir a constant, so it carries one chain only.
 */
static __always_inline int fw_check(struct __sk_buff *skb, __u32 slot, const __u8 *mac, __u32 dir)
{
	struct lxcnet_fw *fw = bpf_map_lookup_elem(&lxcnet_fw, &slot);
	struct fw_pkt pk = {};
	struct fw_ct_key k;
	int ct, why, src_a = 1, create = 0;

	if (!fw)
		return LXCNET_DROP_NO_POLICY;
	if (fw_parse(skb, &pk) < 0)
		return LXCNET_DROP_MALFORMED;
	if (!pk.family)
		return dir == LXCNET_FROM_CT ? fw_l2_out(skb, slot, fw, mac, &pk) : -1;
	ct = fw_ct(skb, slot, fw->gen, &pk, &k, &src_a, &create);
	if (ct == FW_CT_INVALID)
		return LXCNET_DROP_FW_INVALID;
	why = ct == FW_CT_ESTABLISHED ? -1 :
	      dir == LXCNET_FROM_CT	 ? fw_chain_out(skb, slot, fw, mac, &pk) :
					   fw_chain_in(skb, slot, fw, &pk);
	if (why < 0 && create)
		fw_ct_start(&k, src_a);
	if (why < 0 && pk.frag == 1)
		fw_frag_start(slot, fw->gen, &pk);
	if (why >= 0 && (why >> FW_REPLY_SHIFT))
		return fw_reply(skb, &pk, (__u32)why >> FW_REPLY_SHIFT, dir) == 0 ? LXCNET_DROP_FW_REJECT | FW_REPLIED :
										 LXCNET_DROP_FW_REJECT;
	return why;
}
