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

#define LXCNET_BPF_ABI "v6"
#define LXCNET_PORT_SLOTS 16384 /* ports per host; slot 0 is never handed out */
#define LXCNET_TRUNK_WORDS 64	/* 64 x 64 bits: VLAN ids 0..4095 */

/* flags */
#define LXCNET_PORT_FILTER_MAC 0x1 /* frames from the container must come from mac */
#define LXCNET_PORT_FILTER_IP4 0x2 /* IPv4 and ARP from the container must use ip4 (or be DHCP) */
#define LXCNET_PORT_FILTER_IP6 0x4 /* IPv6 from the container must use ip6, its link-local, or :: */
#define LXCNET_PORT_TRUNKS 0x8	   /* lxcnet_trunks has this slot's VLANs (set by datapath_port_set) */
#define LXCNET_PORT_FIREWALL 0x10  /* Proxmox's guest firewall, enforced here as lxcnet_fw[slot] says */
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
	__u32 shaper_ifindex; /* rate: frames from the container go on to lxcnet's redirect into this ifb; 0 = none */
	__u32 edt_bps;	      /* rate: frames to the container leave at this many bytes/s (fq at the root); 0 = none */
};

/*
 * lxcnet_edt[slot]: the earliest departure time of the port's next frame to
 * the container (CLOCK_MONOTONIC ns) while edt_bps is set. A frame that
 * would leave more than LXCNET_EDT_HORIZON_NS ahead is dropped: the queue
 * holds 50 ms at the rate, as the tbf does; after a pause the port may
 * send LXCNET_EDT_BURST bytes at once, the tbf's bucket.
 */
#define LXCNET_EDT_HORIZON_NS 50000000ULL
#define LXCNET_EDT_BURST (1024 * 1024)
struct lxcnet_edt {
	__u64 next_ns;
};

/* lxcnet_trunks{slot}: VLANs passed tagged both ways, only for ports that have trunks. */
struct lxcnet_trunks {
	__u64 vids[LXCNET_TRUNK_WORDS];
};

/*
 * lxcnet_fw[slot]: a port's Proxmox guest firewall (guest-fw.h), as
 * pve-firewall builds it for the NIC: connection tracking first
 * (established and related pass, invalid is dropped), then for a new
 * connection the chain of its direction, then the policy.
 */
#define LXCNET_FW_MACFILTER 0x01 /* from the container: the source MAC is the NIC's */
#define LXCNET_FW_IPFILTER 0x02	 /* from the container: IP sources in lxcnet_fw_ipset (family 4, 6) */
#define LXCNET_FW_ARPFILTER 0x04 /* from the container: ARP senders in lxcnet_fw_ipset (family ARP) */
#define LXCNET_FW_DHCP 0x08	 /* DHCP client traffic passes (and DHCPv6) */
#define LXCNET_FW_NDP 0x10	 /* neighbour discovery passes */
#define LXCNET_FW_RADV 0x20	 /* router advertisements from the container pass */
#define LXCNET_FW_NOSMURFS 0x40	 /* host.fw nosmurfs: new IPv4 to the container from broadcast or multicast dropped */
#define LXCNET_FW_L2MACFILTER 0x80 /* from the container: the MAC filter for frames that are not IP (ebtables) */

/*
 * skb->mark of the answer to a rejected frame while the port's other
 * program passes it on (guest-fw.h fw_reply()): its own firewall and
 * anti-spoofing do not judge it. A container cannot send it: a frame
 * leaving the container's network namespace loses its mark.
 */
#define LXCNET_REJECT_MARK 0x4c58726aU

enum lxcnet_fw_verdict {
	LXCNET_FW_ACCEPT,
	LXCNET_FW_DROP,
	LXCNET_FW_REJECT,
};

struct lxcnet_fw {
	__u32 ifindex;	 /* the port it was set for */
	__u32 gen;	 /* its connections' generation: a slot handed to another port knows none of the old ones */
	__u32 set_gen;	 /* its ipfilter set's: a new set is written beside the old one, then this switches to it */
	__u16 flags;	 /* LXCNET_FW_* */
	__u8 policy_in;	 /* enum lxcnet_fw_verdict: new connections to the container */
	__u8 policy_out; /* and from it */
	__u32 rules_gen; /* its rules' generation (lxcnet_fw_match, _bits, _rules), switched to as set_gen is */
	__u16 n_rules[2]; /* rules per direction (enum lxcnet_dir: [LXCNET_FROM_CT] OUT, [LXCNET_TO_CT] IN) */
	__u64 rules_hash; /* of the rules as compiled, for comparing them without reading them back */
	__u8 fields[2];	  /* per direction, likewise: the fields (1 << enum lxcnet_fw_field) some rule restricts */
	__u8 exact[2];	  /* and those with whole values (in lxcnet_fw_exact) */
	/*
	 * Of those, the fields whose other entries are all whole values: a value
	 * not in lxcnet_fw_exact matches what the whole range does, which is
	 * there too (prefix length 0), so the trie is not looked up; 0 (as an
	 * older lxcnet wrote it): look it up.
	 */
	__u8 whole_only[2];
	__u8 nothing_else[2]; /* and of these, those whose whole range matches no rule: a value not there matches none */
};

/*
 * The guest's [RULES] (fw-rules.c, fw-classify.c), judged for a new
 * connection after the chain's own filters and before the policy, first
 * match wins, at a cost that does not grow with their number: each of five
 * fields (source, destination, protocol, source port, destination port)
 * looks up the set of rules its value matches, as a bitmap; the first rule
 * in all five is the one. Rules 0..255 of a direction are bits in the
 * field's entry itself; beyond, the entry's summary says which 64-rule
 * chunks hold a rule, and lxcnet_fw_bits the chunk's bits, unless its full
 * summary says the value matches every rule of the chunk. A field no rule
 * of the direction restricts is not looked up at all (lxcnet_fw.fields).
 */
#define LXCNET_FW_RULES_MAX 16384 /* per direction of a port */
#define LXCNET_FW_INLINE_WORDS 4
#define LXCNET_FW_CHUNKS (LXCNET_FW_RULES_MAX / 64)
#define LXCNET_FW_SUMMARY_WORDS (LXCNET_FW_CHUNKS / 64)

enum lxcnet_fw_field {
	LXCNET_FW_SRC,
	LXCNET_FW_DST,
	LXCNET_FW_PROTO,
	LXCNET_FW_SPORT,
	LXCNET_FW_DPORT, /* for ICMP and ICMPv6: type << 8 | code */
	_LXCNET_FW_FIELDS,
};

/*
 * lxcnet_fw_match: an LPM trie over slot, rules generation, direction,
 * field, family, then the value. The entries of whole values (an address's
 * 32 or 128 bits, a protocol, a port) are in lxcnet_fw_exact instead, a
 * hash map with the same keys, looked up first: a trie's look-up grows
 * with the entries it holds, a hash map's does not.
 */
#define LXCNET_FW_MATCHKEY_BITS 96
struct lxcnet_fw_matchkey {
	__u32 prefixlen; /* LXCNET_FW_MATCHKEY_BITS + the value's prefix length */
	__u32 slot;
	__u32 rules_gen;
	__u8 dir;
	__u8 field;	/* enum lxcnet_fw_field */
	__u16 family;	/* 4 or 6 for the addresses, 0 for the others */
	__u8 value[16]; /* an address; the protocol in value[0]; a port big-endian in value[0..1] */
};

/*
 * A value that matches at most LXCNET_FW_CANDIDATES rules lists them. When
 * each of them is one test (lxcnet_fw_test) in the other fields (tested),
 * the first whose test the packet passes is the rule, without looking up
 * the other fields. Otherwise the fields some of them is not one test in
 * (need) are looked up, and the first listed rule they all match and whose
 * test the packet passes is the rule: beyond the first 256, by their own
 * lists, or where a field has none, its chunk's word.
 */
#define LXCNET_FW_CANDIDATES 4
#define LXCNET_FW_MANY 0xffff /* n_cand: more */

struct lxcnet_fw_matchval {
	__u32 id; /* of this value's chunks in lxcnet_fw_bits */
	__u16 n_cand;
	__u8 tested; /* each of the n_cand (when not LXCNET_FW_MANY) is one test in the other fields */
	/*
	 * Not tested: the fields (1 << enum lxcnet_fw_field) some of them is
	 * not one test in. Only those are looked up after this one, each
	 * candidate's test judging the others.
	 */
	__u8 need;
	__u16 cand[LXCNET_FW_CANDIDATES]; /* rule indices, lowest first */
	__u64 bits[LXCNET_FW_INLINE_WORDS];	/* the rules 0..255 this value matches */
	__u64 summary[LXCNET_FW_SUMMARY_WORDS]; /* the chunks beyond those with a rule this value matches */
	__u64 full[LXCNET_FW_SUMMARY_WORDS];	/* of those, the ones whose every rule it matches (no lxcnet_fw_bits entry) */
};

/*
 * lxcnet_fw_bits is a hash map without preallocation: its look-ups cost the
 * same at any size. Linux 6.1 takes its elements from a cache refilled
 * asynchronously, which a burst of updates can find empty (ENOMEM): the
 * writer waits for it and tries again.
 */

/* lxcnet_fw_bits: the 64 rules of chunk of a value (its id) that it matches, when any. */
struct lxcnet_fw_bitskey {
	__u32 slot;
	__u32 rules_gen;
	__u32 id;
	__u32 chunk;
};

/*
 * lxcnet_fw_rules[slot * 2 + (rules_gen & 1)]: the rules of a port's
 * generation, an array map of their own (made by the writer, one per
 * generation: a look-up there is an index, not a hash) holding first the
 * OUT rules (n_rules[LXCNET_FROM_CT]), then the IN ones. Each has its
 * verdict and what it matched (new connections' first packets, added
 * atomically).
 */
#define LXCNET_FW_RULES_KEY(slot, rules_gen) ((slot) * 2 + ((rules_gen) & 1))

/*
 * A rule as one test in the fields that are that simple: one family,
 * protocol, source and destination prefix, and up to four ranges of ports
 * each. The fields that are not (an address list, a set with '!', more
 * than four port ranges) are left out of it, as "any", and said in
 * complex: the rule is a candidate only of the values of such a field,
 * which say it matches there. For ICMP the destination port is
 * type << 8 | code, as in the classifier.
 */
#define LXCNET_FW_TEST_RANGES 4
struct lxcnet_fw_test {
	__u8 complex; /* the fields (1 << enum lxcnet_fw_field) not in the test; 0xff: none can be a candidate */
	__u8 family;  /* 4 or 6; 0: either */
	__s16 proto;  /* -1: any */
	__u8 src_len; /* prefix lengths; 0: any address */
	__u8 dst_len;
	__u8 pad[2];
	__u16 sport[LXCNET_FW_TEST_RANGES][2]; /* [lo, hi], the last repeated; {0, 65535}: any */
	__u16 dport[LXCNET_FW_TEST_RANGES][2];
	__u8 src[16], dst[16];
};

struct lxcnet_fw_rule {
	__u8 verdict; /* enum lxcnet_fw_verdict */
	__u8 pad[3];
	__u32 rules_gen; /* the generation it belongs to */
	__u64 packets;
	__u64 bytes;
	struct lxcnet_fw_test test;
};

/* lxcnet_fw_ipset: the ipfilter set of a slot, an LPM trie over slot, set generation, family and address. */
#define LXCNET_FW_FAMILY_ARP 0x0806
#define LXCNET_FW_IPKEY_BITS 96 /* slot, set_gen and family: always matched whole */
struct lxcnet_fw_ipkey {
	__u32 prefixlen; /* LXCNET_FW_IPKEY_BITS + the address's prefix length */
	__u32 slot;
	__u32 set_gen; /* lxcnet_fw[slot].set_gen */
	__u32 family;  /* 4, 6 or LXCNET_FW_FAMILY_ARP (ARP senders, IPv4) */
	__u8 addr[16];
};

struct lxcnet_fw_ipentry {
	__u8 nomatch; /* ipset's "!": addresses under it are not in the set */
};

/*
 * lxcnet_ct4 and lxcnet_ct6: connection tracking, LRU hashes shared by
 * every port, one per family (an IPv4 key is half as long, and its look-up
 * cheaper). The key is canonical: endpoint a sorts before endpoint b, so
 * both directions of a connection find one entry. An ICMP query and its
 * answer carry the query's id as the asker's port, 0 as the other; a
 * protocol without ports uses 0.
 */
#define LXCNET_CT_ENTRIES 131072 /* per family */
struct lxcnet_ct4_key {
	__u32 slot;
	__u32 gen; /* lxcnet_fw[slot].gen */
	__u32 addr_a, addr_b;
	__be16 port_a, port_b;
	__u8 proto; /* IPPROTO_*; 255 (reserved) for the fragments of one datagram, keyed by its IP id */
	__u8 pad[3];
};

/* The same for IPv6. */
struct lxcnet_ct6_key {
	__u32 slot;
	__u32 gen;
	__u32 addr_a[4], addr_b[4];
	__be16 port_a, port_b;
	__u8 proto;
	__u8 pad[3];
};

/*
 * lxcnet_ct_seen: the connections lxcnet_ct4 and lxcnet_ct6 may hold, so
 * that a packet of none (a new connection's first) looks neither up: a
 * hash look-up costs some 25 ns where kernel returns are mitigated, a
 * filter byte almost nothing. Two filters of LXCNET_CT_SEEN_BYTES
 * bytes, in lines of 64, and a last line whose byte 0 names the one in use
 * (0 or 1). A key's byte is lxcnet_ct4_seen_hash() (lxcnet_ct6_seen_hash())
 * of it; the program sets it in both filters after it put the key in its
 * map, with a plain store, never a read-modify-write, so that CPUs marking
 * neighbouring keys lose nothing. A byte 0 in the filter in use: the key
 * is in neither map.
 *
 * Keys leave the maps (expired, evicted) but not the filter, which only
 * fills: lxcnetd renews it (datapath_ct_seen_renew()), clearing the other
 * filter, marking there every key the maps hold, then switching to it. A
 * connection the program starts meanwhile is marked in both. Without
 * lxcnetd the filter fills and lets more look-ups through: never fewer.
 */
#define LXCNET_CT_SEEN_BITS 20
#define LXCNET_CT_SEEN_BYTES (1U << LXCNET_CT_SEEN_BITS) /* per filter */
#define LXCNET_CT_SEEN_LINE 64
#define LXCNET_CT_SEEN_LINES (LXCNET_CT_SEEN_BYTES / LXCNET_CT_SEEN_LINE) /* per filter */
#define LXCNET_CT_SEEN_CONTROL (2 * LXCNET_CT_SEEN_LINES)		   /* the last line's index */
#define LXCNET_CT_SEEN_MAPPED ((LXCNET_CT_SEEN_CONTROL + 1) * LXCNET_CT_SEEN_LINE) /* the map's bytes */
struct lxcnet_ct_seen_line {
	__u8 b[LXCNET_CT_SEEN_LINE];
};

/*
 * The filter byte of a connection key, for the program and user space
 * alike: its fields in 64-bit words, a multiply per word, the product's top
 * bits. From the fields, not the key's bytes: the program has just stored
 * them, and wider loads of narrower stores stall.
 */
#define LXCNET_CT_SEEN_MIX(h, w) ((h) = ((h) ^ (w)) * 0x9e3779b97f4a7c15ULL)
static inline __u32 lxcnet_ct4_seen_hash(const struct lxcnet_ct4_key *k)
{
	__u64 h = 0;

	LXCNET_CT_SEEN_MIX(h, (__u64)k->slot << 32 | k->gen);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->addr_a << 32 | k->addr_b);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->port_a << 48 | (__u64)k->port_b << 32 | k->proto);
	return (__u32)(h >> (64 - LXCNET_CT_SEEN_BITS));
}

static inline __u32 lxcnet_ct6_seen_hash(const struct lxcnet_ct6_key *k)
{
	__u64 h = 0;

	LXCNET_CT_SEEN_MIX(h, (__u64)k->slot << 32 | k->gen);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->addr_a[0] << 32 | k->addr_a[1]);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->addr_a[2] << 32 | k->addr_a[3]);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->addr_b[0] << 32 | k->addr_b[1]);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->addr_b[2] << 32 | k->addr_b[3]);
	LXCNET_CT_SEEN_MIX(h, (__u64)k->port_a << 48 | (__u64)k->port_b << 32 | k->proto);
	return (__u32)(h >> (64 - LXCNET_CT_SEEN_BITS));
}

enum lxcnet_ct_state {
	LXCNET_CT_NEW,	     /* seen one way only */
	LXCNET_CT_REPLIED,   /* seen both ways: established */
	LXCNET_CT_FIN,	     /* TCP: a FIN seen */
	LXCNET_CT_CLOSE,     /* TCP: a RST seen, or FINs both ways */
};

struct lxcnet_ct {
	__u64 seen_ns; /* bpf_ktime_get_ns() of its last packet */
	__u8 state;    /* enum lxcnet_ct_state */
	__u8 orig_a;   /* the first packet came from endpoint a */
	__u8 pad[6];
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
	LXCNET_DROP_FW_INVALID,	   /* guest firewall: no connection it belongs to, and it cannot start one */
	LXCNET_DROP_FW_MAC,	   /* guest firewall: macfilter */
	LXCNET_DROP_FW_IP,	   /* guest firewall: ipfilter (or its ARP filter) */
	LXCNET_DROP_FW_RADV,	   /* guest firewall: a router advertisement from the container */
	LXCNET_DROP_FW_SMURF,	   /* guest firewall: nosmurfs */
	LXCNET_DROP_FW_POLICY_IN,  /* guest firewall: policy_in */
	LXCNET_DROP_FW_POLICY_OUT, /* guest firewall: policy_out */
	LXCNET_DROP_RATE,	   /* rate: to the container more than LXCNET_EDT_HORIZON_NS ahead */
	LXCNET_DROP_FW_RULE,	   /* guest firewall: a rule that drops (or rejects where no answer may go) */
	LXCNET_DROP_FW_REJECT,	   /* guest firewall: rejected (rule or policy), answered with a TCP reset or an ICMP error */
	_LXCNET_DROP_MAX,
};

/* lxcnet_counters[slot], per CPU: every passed frame. */
struct lxcnet_port_counters {
	__u64 packets[_LXCNET_DIR_MAX];
	__u64 bytes[_LXCNET_DIR_MAX];
};

/*
 * lxcnet_drops[slot], shared by the CPUs and added atomically (drops are
 * the slow path: a per-CPU hash cost 50 ns per drop, this 13);
 * LXCNET_PORT_SLOTS counts frames of no port. Zeroed as the slot is given.
 */
struct lxcnet_port_drops {
	__u64 drops[_LXCNET_DROP_MAX];
};

/* Both, summed over CPUs, as user space reads them. */
struct lxcnet_port_stats {
	__u64 packets[_LXCNET_DIR_MAX];
	__u64 bytes[_LXCNET_DIR_MAX];
	__u64 drops[_LXCNET_DROP_MAX];
};
