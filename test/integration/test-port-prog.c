/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bpf/port.bpf.c on crafted frames with bpf_prog_test_run_opts(): every
 * VLAN decision, the tags that end up in the frame, and the counters.
 * Needs root (loads BPF); the maps are not pinned.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "datapath.h"
#include "fw-classify.h"
#include "fw-compile.h"
#include "fw-rules.h"
#include "macro.h"
#include "port-abi.h"
#include "port.skel.h"
#include "tap.h"

static struct port_bpf *skel;
static const __u32 ifindex = 1; /* lo: test runs with ctx ifindex need an existing device */
/* A test run has no tc filter, so skb->tc_classid is 0: the port is in slot 0, which lxcnet never hands out. */
static const __u32 slot = 0, no_port = LXCNET_PORT_SLOTS;

static void set_policy(struct lxcnet_port p, const struct lxcnet_trunks *trunks)
{
	p.ifindex = ifindex;
	if (trunks) {
		p.flags |= LXCNET_PORT_TRUNKS;
		bpf_map__update_elem(skel->maps.lxcnet_trunks, &slot, sizeof(slot), trunks, sizeof(*trunks), BPF_ANY);
	}
	bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
}

/* dst, src, then what follows: a list of (tpid, vid) tags, then ethertype 0x0800 and payload. */
static size_t frame(unsigned char *buf, const unsigned (*tags)[2], int ntags)
{
	static const unsigned char macs[12] = { 0xbc, 0x24, 0x11, 0, 0, 1, 0xbc, 0x24, 0x11, 0, 0, 2 };
	size_t o = 12;

	memcpy(buf, macs, 12);
	for (int i = 0; i < ntags; i++) {
		buf[o++] = (unsigned char)(tags[i][0] >> 8);
		buf[o++] = (unsigned char)tags[i][0];
		buf[o++] = (unsigned char)(tags[i][1] >> 8);
		buf[o++] = (unsigned char)tags[i][1];
	}
	buf[o++] = 0x08;
	buf[o++] = 0x00;
	memset(buf + o, 0x45, 46); /* an IPv4-looking payload */
	return o + 46;
}

static void set_port(unsigned tag, unsigned service, unsigned service_proto, const unsigned *trunks)
{
	struct lxcnet_port p = { .tag = (__u16)tag, .service_tag = (__u16)service, .service_proto = htons((__u16)service_proto) };
	struct lxcnet_trunks t = {};

	for (const unsigned *v = trunks; v && *v; v++)
		t.vids[*v / 64] |= 1ULL << (*v % 64);
	set_policy(p, trunks ? &t : NULL);
}

/* The port's counters and the drops counted under key (slot, or no_port for frames of no port), summed over CPUs. */
static struct lxcnet_port_stats stats_of(__u32 key)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t n = ncpus > 0 ? (size_t)ncpus : 1;
	_cleanup_free_ struct lxcnet_port_counters *c = calloc(n, sizeof(*c));
	struct lxcnet_port_drops dr = {};
	struct lxcnet_port_stats sum = {};

	if (!c || ncpus <= 0)
		return sum;
	if (bpf_map__lookup_elem(skel->maps.lxcnet_counters, &slot, sizeof(slot), c, sizeof(*c) * n, 0) < 0)
		memset(c, 0, sizeof(*c) * n);
	if (bpf_map__lookup_elem(skel->maps.lxcnet_drops, &key, sizeof(key), &dr, sizeof(dr), 0) < 0)
		memset(&dr, 0, sizeof(dr));
	for (size_t cpu = 0; cpu < n; cpu++)
		for (int i = 0; i < _LXCNET_DIR_MAX; i++) {
			sum.packets[i] += c[cpu].packets[i];
			sum.bytes[i] += c[cpu].bytes[i];
		}
	memcpy(sum.drops, dr.drops, sizeof(sum.drops));
	return sum;
}

static struct lxcnet_port_stats stats(void)
{
	return stats_of(slot);
}

/* Rule index of direction dir of the slot's rules generation gen (in force: lxcnet_fw has its numbers). */
static int rule_read(__u32 gen, int dir, __u32 index, struct lxcnet_fw_rule *ret)
{
	struct lxcnet_fw fw = {};
	_cleanup_close_ int fd = -1;

	if (bpf_map__lookup_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), 0) < 0 || fw.rules_gen != gen)
		return -1;
	fd = datapath_fw_rules_array(bpf_map__fd(skel->maps.lxcnet_fw_rules), slot, gen);
	if (dir == LXCNET_TO_CT)
		index += fw.n_rules[LXCNET_FROM_CT];
	return fd >= 0 && bpf_map_lookup_elem(fd, &index, ret) == 0 && ret->rules_gen == gen ? 0 : -1;
}

/* Run prog on the frame; returns the tc verdict, out/out_len get the frame after the program. */
static int run(struct bpf_program *prog, const unsigned char *in, size_t len, unsigned char *out, __u32 *out_len)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = 256, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);

	*out_len = o.data_size_out;
	return r < 0 ? r : (int)o.retval;
}

/* One case: verdict, drop reason counted (or packet passed), and optionally the first tag left in the frame. */
static void expect(const char *what, struct bpf_program *prog, const unsigned (*tags)[2], int ntags, int verdict,
		   int drop_reason, int frame_tag)
{
	unsigned char in[128], out[256];
	__u32 key = drop_reason == LXCNET_DROP_NO_POLICY ? no_port : slot;
	struct lxcnet_port_stats before = stats_of(key), after;
	int dir = prog == skel->progs.tc_ingress ? LXCNET_FROM_CT : LXCNET_TO_CT;
	size_t len = frame(in, tags, ntags);
	__u32 out_len = 0;
	int r = run(prog, in, len, out, &out_len);

	after = stats_of(key);
	is_int(r, verdict, "%s: %s", what, verdict == TC_ACT_OK ? "passes" : "dropped");
	if (drop_reason >= 0)
		is_int(after.drops[drop_reason] - before.drops[drop_reason], 1, "%s: counted as drop reason %d", what, drop_reason);
	else
		is_int(after.packets[dir] - before.packets[dir], 1, "%s: counted as passed", what);
	if (frame_tag >= 0 && r == TC_ACT_OK) {
		unsigned type = (unsigned)(out[12] << 8 | out[13]);

		if (frame_tag == 0)
			ok(type == 0x0800 && out_len == len - 4u * (unsigned)ntags, "%s: leaves untagged (type %04x, %u bytes)", what,
			   type, out_len);
		else
			ok(type == 0x8100 && (unsigned)((out[14] << 8 | out[15]) & 0xfff) == (unsigned)frame_tag,
			   "%s: frame carries 802.1Q tag %d (type %04x vid %u)", what, frame_tag, type,
			   (unsigned)((out[14] << 8 | out[15]) & 0xfff));
	}
}

/* An Ethernet frame from src_mac with ethertype type (after an optional 802.1Q tag) and l3 bytes. */
static size_t frame_l3(unsigned char *buf, unsigned char src_last, unsigned vlan, unsigned type, const void *l3, size_t l3len)
{
	static const unsigned char dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t o = 12;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, (unsigned char[]){ 0xbc, 0x24, 0x11, 0, 0, src_last }, 6);
	if (vlan) {
		buf[o++] = 0x81, buf[o++] = 0x00, buf[o++] = (unsigned char)(vlan >> 8), buf[o++] = (unsigned char)vlan;
	}
	buf[o++] = (unsigned char)(type >> 8);
	buf[o++] = (unsigned char)type;
	memcpy(buf + o, l3, l3len);
	o += l3len;
	while (o < 60)
		buf[o++] = 0;
	return o;
}

static size_t ipv4(unsigned char *buf, unsigned char src_last, unsigned vlan, const char *saddr, unsigned proto, unsigned sport,
		   unsigned dport)
{
	unsigned char ip[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, (unsigned char)proto };

	inet_pton(AF_INET, saddr, ip + 12);
	inet_pton(AF_INET, "255.255.255.255", ip + 16);
	ip[20] = (unsigned char)(sport >> 8), ip[21] = (unsigned char)sport, ip[22] = (unsigned char)(dport >> 8), ip[23] = (unsigned char)dport;
	return frame_l3(buf, src_last, vlan, 0x0800, ip, sizeof(ip));
}

static size_t arp(unsigned char *buf, unsigned char eth_src_last, unsigned char sha_last, const char *spa)
{
	unsigned char a[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 0xbc, 0x24, 0x11, 0, 0, sha_last };

	inet_pton(AF_INET, spa, a + 14);
	inet_pton(AF_INET, "10.0.0.1", a + 24);
	return frame_l3(buf, eth_src_last, 0, 0x0806, a, sizeof(a));
}

static size_t ipv6(unsigned char *buf, const char *saddr)
{
	unsigned char ip[40] = { 0x60, 0, 0, 0, 0, 0, 58, 255 };

	inet_pton(AF_INET6, saddr, ip + 8);
	inet_pton(AF_INET6, "ff02::1", ip + 24);
	return frame_l3(buf, 2, 0, 0x86dd, ip, sizeof(ip));
}

static void expect_raw(const char *what, const unsigned char *f, size_t len, int verdict, int drop_reason)
{
	unsigned char out[256];
	struct lxcnet_port_stats before = stats(), after;
	__u32 out_len;
	int r = run(skel->progs.tc_ingress, f, len, out, &out_len);

	after = stats();
	is_int(r, verdict, "%s: %s", what, verdict == TC_ACT_OK ? "passes" : "dropped");
	if (drop_reason >= 0)
		is_int(after.drops[drop_reason] - before.drops[drop_reason], 1, "%s: counted as drop reason %d", what, drop_reason);
	else
		is_int(after.packets[LXCNET_FROM_CT] - before.packets[LXCNET_FROM_CT], 1, "%s: counted as passed", what);
}

static void firewall_cases(void)
{
	static const unsigned char mac[6] = { 0xbc, 0x24, 0x11, 0, 0, 2 };
	struct lxcnet_port p = { .flags = LXCNET_PORT_FILTER_MAC | LXCNET_PORT_FILTER_IP4 | LXCNET_PORT_FILTER_IP6 };
	unsigned char f[128];

	memcpy(p.mac, mac, 6);
	inet_pton(AF_INET, "10.0.0.2", &p.ip4);
	inet_pton(AF_INET6, "fd00::2", p.ip6);
	inet_pton(AF_INET6, "fe80::be24:11ff:fe00:2", p.ip6_ll);
	struct lxcnet_trunks t5 = { .vids = { 1ULL << 5 } };
	set_policy(p, &t5);

	expect_raw("firewall: IPv4 from its own address", f, ipv4(f, 2, 0, "10.0.0.2", 1, 0, 0), TC_ACT_OK, -1);
	expect_raw("firewall: IPv4 from another address", f, ipv4(f, 2, 0, "10.0.0.9", 1, 0, 0), TC_ACT_SHOT, LXCNET_DROP_SPOOF_IP4);
	expect_raw("firewall: IPv4 from another MAC", f, ipv4(f, 3, 0, "10.0.0.2", 1, 0, 0), TC_ACT_SHOT, LXCNET_DROP_SPOOF_MAC);
	expect_raw("firewall: DHCP discover from 0.0.0.0:68 to :67", f, ipv4(f, 2, 0, "0.0.0.0", 17, 68, 67), TC_ACT_OK, -1);
	expect_raw("firewall: other UDP from 0.0.0.0", f, ipv4(f, 2, 0, "0.0.0.0", 17, 1234, 67), TC_ACT_SHOT,
		   LXCNET_DROP_SPOOF_IP4);
	expect_raw("firewall: spoofed IPv4 inside a trunk VLAN", f, ipv4(f, 2, 5, "10.0.0.9", 1, 0, 0), TC_ACT_SHOT,
		   LXCNET_DROP_SPOOF_IP4);
	expect_raw("firewall: own IPv4 inside a trunk VLAN", f, ipv4(f, 2, 5, "10.0.0.2", 1, 0, 0), TC_ACT_OK, -1);
	expect_raw("firewall: ARP for its own address", f, arp(f, 2, 2, "10.0.0.2"), TC_ACT_OK, -1);
	expect_raw("firewall: ARP claiming another address", f, arp(f, 2, 2, "10.0.0.9"), TC_ACT_SHOT, LXCNET_DROP_SPOOF_IP4);
	expect_raw("firewall: ARP with another sender MAC", f, arp(f, 2, 7, "10.0.0.2"), TC_ACT_SHOT, LXCNET_DROP_SPOOF_MAC);
	expect_raw("firewall: ARP probe from 0.0.0.0", f, arp(f, 2, 2, "0.0.0.0"), TC_ACT_OK, -1);
	expect_raw("firewall: IPv6 from its own address", f, ipv6(f, "fd00::2"), TC_ACT_OK, -1);
	expect_raw("firewall: IPv6 from its EUI-64 link-local address", f, ipv6(f, "fe80::be24:11ff:fe00:2"), TC_ACT_OK, -1);
	expect_raw("firewall: IPv6 duplicate address detection from ::", f, ipv6(f, "::"), TC_ACT_OK, -1);
	expect_raw("firewall: IPv6 from another address", f, ipv6(f, "fd00::9"), TC_ACT_SHOT, LXCNET_DROP_SPOOF_IP6);
	expect_raw("firewall: IPv6 from another link-local address", f, ipv6(f, "fe80::1"), TC_ACT_SHOT, LXCNET_DROP_SPOOF_IP6);

	/* ip=dhcp: only the MAC is known. */
	p.flags = LXCNET_PORT_FILTER_MAC;
	set_policy(p, NULL);
	expect_raw("firewall, MAC only: IPv4 from any address", f, ipv4(f, 2, 0, "10.0.0.9", 1, 0, 0), TC_ACT_OK, -1);
	expect_raw("firewall, MAC only: from another MAC", f, ipv4(f, 4, 0, "10.0.0.2", 1, 0, 0), TC_ACT_SHOT, LXCNET_DROP_SPOOF_MAC);
}

/* ---- the guest firewall (bpf/guest-fw.h) ---- */

#define OWN 2 /* the container's MAC ends in 02, as the port's mac */

/* An IPv4 frame: from MAC bc:24:11:00:00:<mac_last>, src -> dst, proto, the fragment field, then l4. */
static size_t pkt4(unsigned char *buf, unsigned char mac_last, const char *src, const char *dst, unsigned proto,
		   unsigned frag, const unsigned char *l4, size_t l4len)
{
	unsigned char ip[100] = { 0x45, 0, 0, 0, 0x12, 0x34, (unsigned char)(frag >> 8), (unsigned char)frag, 64,
				  (unsigned char)proto };

	ip[3] = (unsigned char)(20 + l4len);
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	memcpy(ip + 20, l4, l4len);
	return frame_l3(buf, mac_last, 0, 0x0800, ip, 20 + l4len);
}

static size_t pkt6(unsigned char *buf, unsigned char mac_last, const char *src, const char *dst, unsigned nexthdr,
		   const unsigned char *l4, size_t l4len)
{
	unsigned char ip[100] = { 0x60, 0, 0, 0, 0, (unsigned char)l4len, (unsigned char)nexthdr, 255 };

	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	memcpy(ip + 40, l4, l4len);
	return frame_l3(buf, mac_last, 0, 0x86dd, ip, 40 + l4len);
}

#define TCP_SYN_ 0x02
#define TCP_ACK_ 0x10
#define TCP_RST_ 0x04
#define TCP_FIN_ 0x01

static const unsigned char *tcp(unsigned sport, unsigned dport, unsigned flags)
{
	static unsigned char h[20];

	memset(h, 0, sizeof(h));
	h[0] = (unsigned char)(sport >> 8), h[1] = (unsigned char)sport, h[2] = (unsigned char)(dport >> 8);
	h[3] = (unsigned char)dport, h[12] = 0x50, h[13] = (unsigned char)flags;
	return h;
}

static const unsigned char *udp(unsigned sport, unsigned dport)
{
	static unsigned char h[8];

	memset(h, 0, sizeof(h));
	h[0] = (unsigned char)(sport >> 8), h[1] = (unsigned char)sport, h[2] = (unsigned char)(dport >> 8);
	h[3] = (unsigned char)dport, h[5] = 8;
	return h;
}

static const unsigned char *icmp(unsigned type, unsigned id)
{
	static unsigned char h[8];

	memset(h, 0, sizeof(h));
	h[0] = (unsigned char)type, h[4] = (unsigned char)(id >> 8), h[5] = (unsigned char)id;
	return h;
}

/* An ICMP destination unreachable quoting the IPv4 UDP datagram src:sport -> dst:dport. */
static size_t icmp_error4(unsigned char *buf, const char *from, const char *to, const char *src, unsigned sport,
			  const char *dst, unsigned dport)
{
	unsigned char l4[36] = { 3, 3 }, *in = l4 + 8;

	in[0] = 0x45, in[3] = 28, in[8] = 64, in[9] = 17;
	inet_pton(AF_INET, src, in + 12);
	inet_pton(AF_INET, dst, in + 16);
	memcpy(in + 20, udp(sport, dport), 8);
	return pkt4(buf, 9, from, to, 1, 0, l4, sizeof(l4));
}

static void fw_set(__u16 flags, __u8 policy_in, __u8 policy_out, __u32 gen)
{
	struct lxcnet_port p = { .flags = LXCNET_PORT_FIREWALL, .mac = { 0xbc, 0x24, 0x11, 0, 0, OWN } };
	struct lxcnet_fw fw = { .ifindex = ifindex, .gen = gen, .flags = flags, .policy_in = policy_in, .policy_out = policy_out };

	bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), BPF_ANY);
	set_policy(p, NULL);
}

static void fw_set_entry(__u32 family, const char *cidr, bool nomatch)
{
	struct lxcnet_fw_ipkey k = { .slot = slot, .family = family };
	struct lxcnet_fw_ipentry v = { .nomatch = nomatch };
	char addr[64];
	const char *slash = strchr(cidr, '/');

	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - cidr), cidr);
	inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, k.addr);
	k.prefixlen = LXCNET_FW_IPKEY_BITS + (unsigned)atoi(slash + 1);
	bpf_map__update_elem(skel->maps.lxcnet_fw_ipset, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
}

/* One frame through prog (tc_ingress: from the container, tc_egress: to it): its verdict and the reason counted. */
static void fw_expect(const char *what, struct bpf_program *prog, const unsigned char *f, size_t len, int drop_reason)
{
	unsigned char out[256];
	int dir = prog == skel->progs.tc_ingress ? LXCNET_FROM_CT : LXCNET_TO_CT;
	struct lxcnet_port_stats before = stats(), after;
	__u32 out_len;
	int r = run(prog, f, len, out, &out_len);

	after = stats();
	if (drop_reason < 0)
		ok(r == TC_ACT_OK && after.packets[dir] - before.packets[dir] == 1, "%s %s: passes (verdict %d)",
		   dir == LXCNET_FROM_CT ? "out:" : "in:", what, r);
	else
		ok(r == TC_ACT_SHOT && after.drops[drop_reason] - before.drops[drop_reason] == 1,
		   "%s %s: dropped as %d (verdict %d)", dir == LXCNET_FROM_CT ? "out:" : "in:", what, drop_reason, r);
}

/*
 * Whether every key of the connection maps is marked in filter f of the
 * connection filter mem; *n: how many keys, *distinct: how many bytes they
 * make (when the filter holds nothing else, the bytes set in it).
 */
static bool ct_seen_all_marked(const uint8_t *mem, unsigned f, size_t *n, size_t *distinct)
{
	const uint8_t *filter = mem + (size_t)f * LXCNET_CT_SEEN_BYTES;
	static uint8_t mine[LXCNET_CT_SEEN_BYTES];
	struct {
		int fd;
		size_t size;
	} maps[] = { { bpf_map__fd(skel->maps.lxcnet_ct4), sizeof(struct lxcnet_ct4_key) },
		     { bpf_map__fd(skel->maps.lxcnet_ct6), sizeof(struct lxcnet_ct6_key) } };
	bool all = true;

	memset(mine, 0, sizeof(mine));
	*n = *distinct = 0;
	for (size_t m = 0; m < ELEMENTSOF(maps); m++) {
		union {
			struct lxcnet_ct4_key v4;
			struct lxcnet_ct6_key v6;
		} key, next;
		void *prev = NULL;

		while (bpf_map_get_next_key(maps[m].fd, prev, &next) == 0) {
			__u32 h = m == 0 ? lxcnet_ct4_seen_hash(&next.v4) : lxcnet_ct6_seen_hash(&next.v6);

			all = all && filter[h];
			*distinct += !mine[h];
			mine[h] = 1;
			(*n)++;
			key = next;
			prev = &key;
		}
	}
	return all;
}

/* The connection filter: what the program marks, what it trusts, and what datapath_ct_seen_renew() rebuilds. */
static void ct_seen_cases(void)
{
	const size_t size = LXCNET_CT_SEEN_MAPPED, filter = LXCNET_CT_SEEN_BYTES;
	const uint8_t *control;
	int seen = bpf_map__fd(skel->maps.lxcnet_ct_seen), ct4 = bpf_map__fd(skel->maps.lxcnet_ct4),
	    ct6 = bpf_map__fd(skel->maps.lxcnet_ct6);
	struct bpf_program *out = skel->progs.tc_ingress, *in = skel->progs.tc_egress;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, seen, 0);
	unsigned char f[160];
	DatapathCtSeen st;
	size_t n, distinct, n_before;
	unsigned use;
	bool marked;
	int r;

	if (mem == MAP_FAILED) {
		ok(false, "connection filter: mapped (%m)");
		return;
	}
	control = mem + (size_t)LXCNET_CT_SEEN_CONTROL * LXCNET_CT_SEEN_LINE;
	use = *control & 1;
	fw_set(0, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 60);
	n = pkt4(f, OWN, "10.0.6.2", "10.0.6.9", 6, 0, tcp(41000, 80, TCP_SYN_), 20);
	fw_expect("filter: a TCP SYN out", out, f, n, -1);
	n = pkt6(f, OWN, "fd00:6::2", "fd00:6::9", 17, udp(41001, 53), 8);
	fw_expect("filter: UDP over IPv6 out", out, f, n, -1);
	marked = ct_seen_all_marked(mem, use, &n_before, &distinct);
	ok(marked && n_before >= 2, "filter: each of the %zu connections is marked in the filter in use", n_before);
	ok(ct_seen_all_marked(mem, 1 - use, &n, &distinct), "filter: and in the other one");

	/* A filter that lost a connection's byte hides it: the program trusts the filter. */
	memset(mem + use * filter, 0, filter);
	n = pkt4(f, 9, "10.0.6.9", "10.0.6.2", 6, 0, tcp(80, 41000, TCP_SYN_ | TCP_ACK_), 20);
	fw_expect("filter cleared: the SYN-ACK finds no connection", in, f, n, LXCNET_DROP_FW_INVALID);

	r = datapath_ct_seen_renew(seen, ct4, ct6, LXCNET_CT_SEEN_BYTES, &st);
	ok(r == 0 && !st.renewed && st.in_use == use && st.set_before == 0,
	   "filter: not renewed while less than asked is set (%d, renewed %d, %zu set)", r, st.renewed, st.set_before);
	r = datapath_ct_seen_renew(seen, ct4, ct6, 0, &st);
	ct_seen_all_marked(mem, 1 - use, &n, &distinct);
	ok(r == 0 && st.renewed && st.in_use == 1 - use && *control == 1 - use,
	   "filter: renewed, the program switched to the other filter (%d)", r);
	ok(st.connections == n && st.set_after == distinct && n >= n_before,
	   "filter: renewed with the %zu connections of the maps, %zu bytes (%zu, %zu)", n, distinct, st.connections,
	   st.set_after);
	n = pkt4(f, 9, "10.0.6.9", "10.0.6.2", 6, 0, tcp(80, 41000, TCP_SYN_ | TCP_ACK_), 20);
	fw_expect("filter renewed: the SYN-ACK is established again", in, f, n, -1);

	/* A connection gone from the map leaves the renewed filter. */
	{
		struct lxcnet_ct4_key k = { .slot = slot, .gen = 60, .port_a = htons(41000), .port_b = htons(80), .proto = 6 };
		__u32 h;

		inet_pton(AF_INET, "10.0.6.2", &k.addr_a);
		inet_pton(AF_INET, "10.0.6.9", &k.addr_b);
		h = lxcnet_ct4_seen_hash(&k);
		ok(bpf_map_delete_elem(ct4, &k) == 0 && mem[(1 - use) * filter + h],
		   "filter: the TCP connection's key, as the program made it, is marked; deleted from the map");
		r = datapath_ct_seen_renew(seen, ct4, ct6, 0, &st);
		marked = ct_seen_all_marked(mem, use, &n, &distinct);
		ok(r == 0 && st.in_use == use && !mem[use * filter + h] && marked && st.set_after == distinct,
		   "filter: renewed again, its byte is clear, every other connection's set (%zu bytes)", st.set_after);
	}
	n = pkt4(f, OWN, "10.0.6.2", "10.0.6.9", 1, 0, icmp(8, 66), 8);
	fw_expect("filter: an ICMP echo request out after the renewal", out, f, n, -1);
	ok(ct_seen_all_marked(mem, 0, &n, &distinct) && ct_seen_all_marked(mem, 1, &n, &distinct),
	   "filter: a connection started after it is marked in both filters");
	n = pkt4(f, 9, "10.0.6.9", "10.0.6.2", 1, 0, icmp(0, 66), 8);
	fw_expect("filter: its echo reply (established)", in, f, n, -1);
	munmap(mem, size);
}

static void guest_firewall_cases(void)
{
	const __u16 defaults = LXCNET_FW_MACFILTER | LXCNET_FW_L2MACFILTER | LXCNET_FW_DHCP | LXCNET_FW_NDP | LXCNET_FW_NOSMURFS;
	struct bpf_program *out = skel->progs.tc_ingress, *in = skel->progs.tc_egress;
	unsigned char f[160];
	size_t n;

	/* Proxmox's defaults: policy_in DROP, policy_out ACCEPT, MAC filter, DHCP, NDP, nosmurfs. */
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 1);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40000, 80, TCP_SYN_), 20);
	fw_expect("TCP SYN to 10.0.0.9:80", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(80, 40000, TCP_SYN_ | TCP_ACK_), 20);
	fw_expect("its SYN-ACK (established)", in, f, n, -1);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40000, 80, TCP_ACK_), 20);
	fw_expect("its ACK", out, f, n, -1);
	n = pkt4(f, 7, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40000, 80, TCP_ACK_), 20);
	fw_expect("its ACK from another MAC (established: Proxmox checks MACs of new connections)", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5555, 22, TCP_SYN_), 20);
	fw_expect("TCP SYN to port 22", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5556, 22, TCP_ACK_), 20);
	fw_expect("a lone ACK of no connection (new, mid-stream)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(81, 40001, TCP_SYN_ | TCP_ACK_), 20);
	fw_expect("a SYN-ACK of no connection", in, f, n, LXCNET_DROP_FW_INVALID);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(81, 40001, TCP_RST_), 20);
	fw_expect("a RST of no connection", in, f, n, LXCNET_DROP_FW_INVALID);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40002, 443, TCP_SYN_), 20);
	fw_expect("another TCP SYN", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(443, 40002, TCP_RST_ | TCP_ACK_), 20);
	fw_expect("refused with a RST", in, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(443, 40002, TCP_ACK_), 20);
	fw_expect("an ACK after the RST (within the close time)", in, f, n, -1);

	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 17, 0, udp(5353, 53), 8);
	fw_expect("UDP to port 53", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(53, 5353), 8);
	fw_expect("its answer", in, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(53, 5354), 8);
	fw_expect("UDP from port 53 to another port", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = icmp_error4(f, "10.0.0.9", "10.0.0.2", "10.0.0.2", 5353, "10.0.0.9", 53);
	fw_expect("ICMP port unreachable about the UDP flow (related)", in, f, n, -1);
	n = icmp_error4(f, "10.0.0.9", "10.0.0.2", "10.0.0.2", 6000, "10.0.0.9", 53);
	fw_expect("ICMP port unreachable about nothing", in, f, n, LXCNET_DROP_FW_INVALID);

	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 1, 0, icmp(8, 7), 8);
	fw_expect("ICMP echo request id 7", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 1, 0, icmp(0, 7), 8);
	fw_expect("its echo reply", in, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 1, 0, icmp(0, 8), 8);
	fw_expect("an echo reply to nothing", in, f, n, LXCNET_DROP_FW_INVALID);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 1, 0, icmp(8, 7), 8);
	fw_expect("an echo request from outside, with the id of the container's own", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	n = pkt4(f, 7, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40003, 80, TCP_SYN_), 20);
	fw_expect("a new connection from another MAC", out, f, n, LXCNET_DROP_FW_MAC);
	n = pkt4(f, 7, "0.0.0.0", "255.255.255.255", 17, 0, udp(68, 67), 8);
	fw_expect("DHCP discover, even from another MAC (accepted before the MAC filter)", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.1", "255.255.255.255", 17, 0, udp(67, 68), 8);
	fw_expect("a DHCP offer", in, f, n, -1);
	n = arp(f, 7, 7, "10.0.0.2");
	fw_expect("ARP from another MAC (ebtables)", out, f, n, LXCNET_DROP_FW_MAC);
	n = arp(f, OWN, OWN, "10.0.0.77");
	fw_expect("ARP for any address without ipfilter", out, f, n, -1);
	n = pkt4(f, 9, "224.0.0.5", "10.0.0.2", 17, 0, udp(1000, 1000), 8);
	fw_expect("UDP from a multicast source (nosmurfs)", in, f, n, LXCNET_DROP_FW_SMURF);
	n = pkt4(f, 9, "255.255.255.255", "10.0.0.2", 17, 0, udp(1000, 1000), 8);
	fw_expect("UDP from the broadcast address (nosmurfs)", in, f, n, LXCNET_DROP_FW_SMURF);

	/* A datagram in fragments: the later ones follow the first by its IP id. */
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 17, 0x2000, udp(7000, 7001), 8);
	fw_expect("the first fragment of a UDP datagram", out, f, n, -1);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 17, 0x0010, udp(0, 0), 8);
	fw_expect("its second fragment", out, f, n, -1);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0x0010, udp(0, 0), 8);
	fw_expect("a later fragment of no datagram seen", in, f, n, LXCNET_DROP_FW_INVALID);

	/* IPv6 fragments: behind an extension header (read with bpf_skb_load_bytes()). */
	{
		unsigned char fh[16] = { 17, 0, 0, 1, 0, 0, 0x33, 0x44 }; /* UDP, offset 0, more fragments, id 0x3344 */

		memcpy(fh + 8, udp(7002, 7003), 8);
		n = pkt6(f, OWN, "fd00::2", "fd00::9", 44, fh, sizeof(fh));
		fw_expect("the first fragment of an IPv6 UDP datagram", out, f, n, -1);
		fh[2] = 0, fh[3] = 0x10; /* offset 2 (16 bytes), last */
		n = pkt6(f, OWN, "fd00::2", "fd00::9", 44, fh, sizeof(fh));
		fw_expect("its last fragment", out, f, n, -1);
		n = pkt6(f, 9, "fd00::9", "fd00::2", 44, fh, sizeof(fh));
		fw_expect("a later IPv6 fragment of no datagram seen", in, f, n, LXCNET_DROP_FW_INVALID);
	}

	/* IPv6: neighbour discovery passes, router advertisements from the container do not. */
	n = pkt6(f, OWN, "fe80::be24:11ff:fe00:2", "ff02::1:ff00:9", 58, icmp(135, 0), 8);
	fw_expect("a neighbour solicitation", out, f, n, -1);
	n = pkt6(f, 9, "fe80::9", "fe80::be24:11ff:fe00:2", 58, icmp(136, 0), 8);
	fw_expect("a neighbour advertisement", in, f, n, -1);
	n = pkt6(f, OWN, "fe80::be24:11ff:fe00:2", "ff02::1", 58, icmp(134, 0), 8);
	fw_expect("a router advertisement (radv: 0)", out, f, n, LXCNET_DROP_FW_RADV);
	n = pkt6(f, OWN, "fd00::2", "fd00::9", 58, icmp(128, 3), 8);
	fw_expect("ICMPv6 echo request", out, f, n, -1);
	n = pkt6(f, 9, "fd00::9", "fd00::2", 58, icmp(129, 3), 8);
	fw_expect("its reply", in, f, n, -1);
	n = pkt6(f, 9, "fd00::9", "fd00::2", 6, tcp(1234, 22, TCP_SYN_), 20);
	fw_expect("TCP over IPv6 to port 22", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	/* radv: 1 and ndp: 0. */
	fw_set(defaults | LXCNET_FW_RADV, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 1);
	n = pkt6(f, OWN, "fe80::be24:11ff:fe00:2", "ff02::1", 58, icmp(134, 0), 8);
	fw_expect("a router advertisement with radv: 1", out, f, n, -1);
	fw_set(defaults & ~LXCNET_FW_NDP, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 1);
	n = pkt6(f, 9, "fe80::9", "fe80::be24:11ff:fe00:2", 58, icmp(136, 0), 8);
	fw_expect("a neighbour advertisement with ndp: 0 (policy_in)", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	/* The IP filter: the set, its nomatch entries, and ARP's own list. */
	fw_set(defaults | LXCNET_FW_IPFILTER | LXCNET_FW_ARPFILTER, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 1);
	fw_set_entry(4, "10.0.0.2/32", false);
	fw_set_entry(4, "10.0.1.0/24", false);
	fw_set_entry(4, "10.0.1.128/25", true);
	fw_set_entry(6, "fe80::be24:11ff:fe00:2/128", false);
	fw_set_entry(6, "fe80::/10", true);
	fw_set_entry(6, "fd00::2/128", false);
	fw_set_entry(LXCNET_FW_FAMILY_ARP, "10.0.0.2/32", false);
	n = pkt4(f, OWN, "10.0.0.3", "10.0.0.9", 6, 0, tcp(40010, 80, TCP_SYN_), 20);
	fw_expect("ipfilter: a new connection from 10.0.0.3", out, f, n, LXCNET_DROP_FW_IP);
	n = pkt4(f, OWN, "10.0.1.5", "10.0.0.9", 6, 0, tcp(40011, 80, TCP_SYN_), 20);
	fw_expect("ipfilter: from 10.0.1.5 (in 10.0.1.0/24)", out, f, n, -1);
	n = pkt4(f, OWN, "10.0.1.200", "10.0.0.9", 6, 0, tcp(40012, 80, TCP_SYN_), 20);
	fw_expect("ipfilter: from 10.0.1.200 (!10.0.1.128/25)", out, f, n, LXCNET_DROP_FW_IP);
	n = pkt6(f, OWN, "fe80::1", "ff02::1", 17, udp(546, 547), 8);
	fw_expect("ipfilter: DHCPv6 from another link-local address (accepted before the filter)", out, f, n, -1);
	n = pkt6(f, OWN, "fe80::1", "fd00::9", 6, tcp(40013, 80, TCP_SYN_), 20);
	fw_expect("ipfilter: from another link-local address (!fe80::/10)", out, f, n, LXCNET_DROP_FW_IP);
	n = pkt6(f, OWN, "fd00::2", "fd00::9", 6, tcp(40014, 80, TCP_SYN_), 20);
	fw_expect("ipfilter: from fd00::2", out, f, n, -1);
	n = arp(f, OWN, OWN, "10.0.0.2");
	fw_expect("ipfilter: ARP for 10.0.0.2", out, f, n, -1);
	n = arp(f, OWN, OWN, "10.0.1.5");
	fw_expect("ipfilter: ARP for 10.0.1.5 (not on ARP's list)", out, f, n, LXCNET_DROP_FW_IP);

	/* policy_out DROP: new connections out are dropped, established ones not. */
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_DROP, 1);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40020, 80, TCP_SYN_), 20);
	fw_expect("policy_out DROP: a TCP SYN", out, f, n, LXCNET_DROP_FW_POLICY_OUT);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40000, 80, TCP_ACK_), 20);
	fw_expect("policy_out DROP: the connection made before", out, f, n, -1);

	/* A slot handed to another port (another generation) knows none of the old connections. */
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 2);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(80, 40000, TCP_ACK_), 20);
	fw_expect("another generation: the old connection is unknown (policy_in)", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	/* policy_in ACCEPT: what comes in starts a connection. */
	fw_set(defaults, LXCNET_FW_ACCEPT, LXCNET_FW_ACCEPT, 2);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5557, 22, TCP_SYN_), 20);
	fw_expect("policy_in ACCEPT: a TCP SYN to port 22", in, f, n, -1);
	n = pkt4(f, 7, "10.0.0.2", "10.0.0.9", 6, 0, tcp(22, 5557, TCP_SYN_ | TCP_ACK_), 20);
	fw_expect("policy_in ACCEPT: its SYN-ACK (established, whatever the MAC)", out, f, n, -1);
}

/* ---- the guest firewall's rules, through the real program against fw_rule_matches() ---- */

/* Rules c (generation rules_gen) in force on the slot, behind a firewalled port; false when they cannot be written. */
static bool rules_install(const char *what, const FwClassifier *c, __u32 rules_gen)
{
	struct lxcnet_port p = { .flags = LXCNET_PORT_FIREWALL, .mac = { 0xbc, 0x24, 0x11, 0, 0, OWN } };
	struct lxcnet_fw fw = { .ifindex = ifindex, .gen = 77, .policy_in = LXCNET_FW_DROP, .policy_out = LXCNET_FW_ACCEPT,
				.rules_gen = rules_gen };
	int r;

	fw_classifier_describe(c, &fw);
	r = datapath_fw_rules_write(&DATAPATH_FW_MAPS_OF(skel), slot, rules_gen, c);
	ok(r >= 0, "%s: written into the maps (%zu entries, %zu chunk words; %u out, %u in) %s", what, c->n_match, c->n_chunks,
	   c->n_rules[LXCNET_FROM_CT], c->n_rules[LXCNET_TO_CT], r < 0 ? strerror(-r) : "");
	bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), BPF_ANY);
	set_policy(p, NULL);
	return r >= 0;
}

/*
 * n random new connections (TCP, UDP, ICMP echo; both ways; addresses from
 * srcs4 and srcs6) through the program against rules rs in force: its
 * verdict and drop reason must be the reference's first rule's, or the
 * policy's (IN DROP, OUT ACCEPT).
 */
static void rules_agree(const char *what, const FwRuleSet *rs, const char *const *srcs4, size_t n4, const char *const *srcs6,
			size_t n6, unsigned n)
{
	struct bpf_program *out = skel->progs.tc_ingress, *in = skel->progs.tc_egress;
	unsigned same = 0, rule_drops = 0, accepts = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned char f[160], src[16] = {}, dst[16] = {};
		int family = tap_random() % 4 ? 4 : 6, dir = (int)(tap_random() % 2), proto, ref = -1, r;
		unsigned sport = 1024 + tap_random() % 60000, dport, reason;
		const char *a, *b;
		size_t len;
		struct lxcnet_port_stats before = stats(), after;
		__u32 out_len;
		unsigned char obuf[256];
		static const unsigned dports[] = { 22, 80, 53, 123, 1000, 1500, 2000, 2001, 9, 443, 5, 23 };

		if (family == 4) {
			a = srcs4[tap_random() % n4];
			b = srcs4[tap_random() % n4];
		} else {
			a = srcs6[tap_random() % n6];
			b = srcs6[tap_random() % n6];
		}
		inet_pton(family == 4 ? AF_INET : AF_INET6, a, src);
		inet_pton(family == 4 ? AF_INET : AF_INET6, b, dst);
		switch (tap_random() % 3) {
		case 0:
			proto = 6;
			dport = dports[tap_random() % ELEMENTSOF(dports)];
			len = family == 4 ? pkt4(f, OWN, a, b, 6, 0, tcp(sport, dport, TCP_SYN_), 20) :
					    pkt6(f, OWN, a, b, 6, tcp(sport, dport, TCP_SYN_), 20);
			break;
		case 1:
			proto = 17;
			dport = dports[tap_random() % ELEMENTSOF(dports)];
			len = family == 4 ? pkt4(f, OWN, a, b, 17, 0, udp(sport, dport), 8) :
					    pkt6(f, OWN, a, b, 17, udp(sport, dport), 8);
			break;
		default:
			proto = family == 4 ? 1 : 58;
			dport = (family == 4 ? 8u : 128u) << 8; /* echo-request, code 0 */
			len = family == 4 ? pkt4(f, OWN, a, b, 1, 0, icmp(8, sport), 8) : pkt6(f, OWN, a, b, 58, icmp(128, sport), 8);
			sport = 0;
			break;
		}
		for (size_t k = 0; k < rs->n_rules; k++)
			if (rs->rules[k].dir == dir &&
			    fw_rule_matches(&rs->rules[k], family, src, dst, proto, (uint16_t)sport, (uint16_t)dport)) {
				ref = (int)k;
				break;
			}
		r = run(dir == LXCNET_FROM_CT ? out : in, f, len, obuf, &out_len);
		after = stats();
		if (ref >= 0)
			reason = rs->rules[ref].verdict == FW_ACCEPT ? ~0u : LXCNET_DROP_FW_RULE;
		else
			reason = dir == LXCNET_FROM_CT ? ~0u : LXCNET_DROP_FW_POLICY_IN;
		if (reason == ~0u ? r == TC_ACT_OK : (r == TC_ACT_SHOT && after.drops[reason] - before.drops[reason] == 1))
			same++;
		else if (i + 1 - same <= 5)
			tap_diag("%s %s -> %s proto %d dport %u: verdict %d, the reference's rule %s", dir ? "in" : "out", a, b, proto,
				 dport, r, ref >= 0 ? rs->rules[ref].origin : "none");
		rule_drops += ref >= 0 && reason != ~0u;
		accepts += reason == ~0u;
	}
	ok(same == n, "%s: the program's verdict is the reference's first rule's (or the policy's) for %u of %u new connections "
		      "(%u dropped by a rule, %u accepted)", what, same, n, rule_drops, accepts);
}

static void rules_off(void)
{
	struct lxcnet_fw none = {};

	bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &none, sizeof(none), BPF_ANY);
}

static void rules_cases(void)
{
	static const char *const rules_text =
		"[IPSET admins]\n10.1.0.0/16\n!10.1.2.0/24\n"
		"[RULES]\n"
		"IN ACCEPT -source +admins -p tcp -dport 22\n"
		"IN DROP -p tcp -dport 1000:2000\n"
		"IN ACCEPT -p udp -dport 53,123\n"
		"IN Ping(ACCEPT)\n"
		"IN DROP -source 10.9.0.5-10.9.0.20\n"
		"IN ACCEPT -dest fd00:1::/64 -p tcp -dport 80\n"
		"IN ACCEPT -source 10.9.0.0/24\n"
		"OUT DROP -dest 192.168.0.0/16\n"
		"OUT DROP -p udp -dport 9\n";
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_(fw_config_freep) FwConfig *g = NULL;
	static const char *const srcs4[] = { "10.1.9.9", "10.1.2.3", "10.9.0.4", "10.9.0.5", "10.9.0.20", "10.9.0.21",
					     "10.9.0.99", "172.16.0.1", "192.168.3.3" };
	static const char *const srcs6[] = { "fd00:1::1", "fd00:2::1", "fd00:1::99" };
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);
	FwRuleSet rs = {};
	Diag d = {};

	if (!fp)
		return;
	/* 600 rules first (300 each way), none matching the packets below: the interesting ones are past the 256 inline bits. */
	fputs(rules_text, fp);
	fclose(fp);
	{
		_cleanup_free_ char *big = NULL;
		size_t bsize = 0;
		FILE *bf = open_memstream(&big, &bsize);
		const char *r = strstr(text, "[RULES]\n") + 8;

		if (!bf)
			return;
		fwrite(text, 1, (size_t)(r - text), bf);
		for (unsigned i = 0; i < 600; i++)
			fprintf(bf, "%s DROP -source 100.64.%u.%u\n", i % 2 ? "IN" : "OUT", i / 200, i % 200);
		fputs(r, bf);
		fclose(bf);
		if (fw_config_parse("100.fw", FW_GUEST, big, strlen(big), &g, &d) < 0)
			g = NULL;
	}
	if (!ok(g && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 && fw_classify(&rs, &c) >= 0, "rules: 610 rules compiled"))
		return;
	if (rules_install("rules", c, 5))
		rules_agree("rules", &rs, srcs4, ELEMENTSOF(srcs4), srcs6, ELEMENTSOF(srcs6), 2000);
	{
		/* The counters of a rule: the packets that matched it. */
		struct lxcnet_fw_rule v = {};
		unsigned long long pk = 0;

		if (rule_read(5, LXCNET_TO_CT, 301, &v) == 0)
			pk = v.packets;
		ok(pk > 0, "rules: IN rule 301 (tcp 1000:2000, past the inline bits) counted %llu packets", pk);
	}
	fw_ruleset_done(&rs);
	rules_off();
}

static FwConfig *parse_fw(const char *text)
{
	FwConfig *g = NULL;
	Diag d = {};

	return fw_config_parse("100.fw", FW_GUEST, text, strlen(text), &g, &d) < 0 ? NULL : g;
}

/*
 * Fields whose every value is whole (one address, protocol, port): a value
 * without an entry takes the whole range's from the hash map, not the trie,
 * or, when no rule leaves the field open, matches no rule at once.
 */
/*
 * Rules whose address lists, '!' sets or port lists are not one test are
 * still their values' candidates in that field: the test checks the
 * others. A rule not one test in two fields is listed but not tested:
 * every field is looked up, and the first listed rule all of them have is
 * the rule. 300 rules first, so that these are past the inline bits: TCP,
 * which the 300 and three of these name, then has its chunk's word.
 */
static void candidate_cases(void)
{
	static const struct {
		const char *src;
		unsigned proto, dport;
		int reason; /* -1: passes */
		int rule;   /* that counts it, or -1 */
		const char *what;
	} cases[] = {
		{ "10.7.0.2", 6, 80, LXCNET_DROP_FW_RULE, 300, "the list's second address" },
		{ "10.7.0.2", 6, 81, LXCNET_DROP_FW_POLICY_IN, -1, "no rule's test (policy DROP)" },
		{ "10.8.0.9", 6, 23, -1, -1, "in the set" },
		{ "10.8.1.9", 6, 23, LXCNET_DROP_FW_POLICY_IN, -1, "the set's '!' (policy DROP)" },
		{ "10.7.0.3", 6, 5, LXCNET_DROP_FW_RULE, 303, "two lists (listed; the protocol not looked up, the test judges it)" },
		{ "10.7.0.3", 6, 6, LXCNET_DROP_FW_POLICY_IN, -1, "listed, but not port 6's (policy DROP)" },
		{ "10.7.0.4", 17, 5, LXCNET_DROP_FW_POLICY_IN, -1, "listed, but not UDP's: the rule's test (policy DROP)" },
		{ "10.7.0.4", 6, 9, LXCNET_DROP_FW_RULE, 303, "listed, port 9 of 301 rules (its chunk word)" },
		{ "10.7.0.4", 17, 9, LXCNET_DROP_FW_POLICY_IN, -1, "listed, port 9's chunk word, not UDP's (policy DROP)" },
	};
	static const char *const srcs4[] = { "10.7.0.1", "10.7.0.2", "10.7.0.3", "10.7.0.4", "10.8.0.9", "10.8.1.9", "172.16.0.1" };
	static const char *const srcs6[] = { "fd00:1::1" };
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	_cleanup_(fw_config_freep) FwConfig *g = NULL;
	struct bpf_program *in = skel->progs.tc_egress;
	_cleanup_free_ char *text = NULL;
	struct lxcnet_fw_rule v = {};
	unsigned char f[128];
	size_t n, size = 0;
	FILE *fp = open_memstream(&text, &size);
	FwRuleSet rs = {};
	Diag d = {};

	if (!fp)
		return;
	fputs("[IPSET ops]\n10.8.0.0/16\n!10.8.1.0/24\n[RULES]\n", fp);
	for (unsigned i = 0; i < 300; i++)
		fprintf(fp, "IN DROP -source 100.64.%u.%u -p tcp -dport 9\n", i / 200, i % 200);
	fputs("IN DROP -source 10.7.0.1,10.7.0.2 -p tcp -dport 80\n" /* 300 */
	      "IN ACCEPT -source 10.7.0.1 -p udp\n"		       /* 301 */
	      "IN ACCEPT -source +ops -p tcp -dport 22:23\n"	       /* 302 */
	      "IN DROP -source 10.7.0.3,10.7.0.4 -p tcp -dport 1,3,5,7,9\n", /* 303 */
	      fp);
	fclose(fp);
	g = parse_fw(text);
	if (!ok(g && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 && fw_classify(&rs, &c) >= 0, "candidates: 304 rules compiled"))
		return;
	if (!rules_install("candidates", c, 7))
		goto done;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		unsigned sport = 40000 + (unsigned)i;
		char what[160];

		n = cases[i].proto == 6 ? pkt4(f, 9, cases[i].src, "10.0.0.2", 6, 0, tcp(sport, cases[i].dport, TCP_SYN_), 20) :
					  pkt4(f, 9, cases[i].src, "10.0.0.2", 17, 0, udp(sport, cases[i].dport), 8);
		snprintf(what, sizeof(what), "candidates: %s to %s %u, %s", cases[i].src, cases[i].proto == 6 ? "tcp" : "udp",
			 cases[i].dport, cases[i].what);
		fw_expect(what, in, f, n, cases[i].reason);
		if (cases[i].rule < 0)
			continue;
		unsigned counted = 0;

		for (size_t j = 0; j <= i; j++)
			counted += cases[j].rule == cases[i].rule;
		if (rule_read(7, LXCNET_TO_CT, (__u32)cases[i].rule, &v) < 0)
			v.packets = 0;
		ok(v.packets == counted, "candidates: rule %d counted it (%llu of %u)", cases[i].rule,
		   (unsigned long long)v.packets, counted);
	}
	rules_agree("candidates", &rs, srcs4, ELEMENTSOF(srcs4), srcs6, ELEMENTSOF(srcs6), 1000);
done:
	fw_ruleset_done(&rs);
	rules_off();
}

static void whole_value_cases(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = parse_fw("[RULES]\n"
							  "IN ACCEPT -source 10.9.0.5 -p tcp -dport 22\n"
							  "IN DROP -p tcp -dport 1000\n"
							  "IN ACCEPT -p udp -dport 53,123\n"
							  "IN DROP -source 10.9.0.20\n"
							  "IN ACCEPT -dest fd00:1::1 -p tcp -dport 80\n"
							  "IN DROP -source fd00:2::1 -p udp\n"
							  "OUT DROP -dest 192.168.3.3 -p tcp\n"
							  "OUT DROP -p udp -dport 9\n");
	_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
	static const char *const srcs4[] = { "10.9.0.5", "10.9.0.20", "10.9.0.21", "172.16.0.1", "192.168.3.3" };
	static const char *const srcs6[] = { "fd00:1::1", "fd00:2::1", "fd00:1::99" };
	FwRuleSet rs = {};
	Diag d = {};
	__u8 all = (1 << LXCNET_FW_SRC) | (1 << LXCNET_FW_DST) | (1 << LXCNET_FW_PROTO) | (1 << LXCNET_FW_DPORT);

	if (!ok(g && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 && fw_classify(&rs, &c) >= 0, "whole values: 8 rules compiled"))
		return;
	ok(c->fields[LXCNET_TO_CT] == all && c->whole_only[LXCNET_TO_CT] == all && c->nothing_else[LXCNET_TO_CT] == 0,
	   "whole values: IN looks up four fields, none in the trie, each with rules for the values without an entry "
	   "(fields %#x, whole %#x, nothing else %#x)", c->fields[LXCNET_TO_CT], c->whole_only[LXCNET_TO_CT],
	   c->nothing_else[LXCNET_TO_CT]);
	ok(c->whole_only[LXCNET_FROM_CT] == c->fields[LXCNET_FROM_CT] &&
		   c->nothing_else[LXCNET_FROM_CT] == (1 << LXCNET_FW_PROTO),
	   "whole values: OUT, a protocol without an entry matches no rule (fields %#x, whole %#x, nothing else %#x)",
	   c->fields[LXCNET_FROM_CT], c->whole_only[LXCNET_FROM_CT], c->nothing_else[LXCNET_FROM_CT]);
	if (rules_install("whole values", c, 6))
		rules_agree("whole values", &rs, srcs4, ELEMENTSOF(srcs4), srcs6, ELEMENTSOF(srcs6), 1000);
	fw_ruleset_done(&rs);
	rules_off();
}

/* ---- REJECT: the answer built in place of the rejected frame (guest-fw.h fw_reply()) ---- */

/* Run prog with skb->mark = mark; *ret_mark: the mark after it. */
static int run_mark(struct bpf_program *prog, const unsigned char *in, size_t len, __u32 mark, unsigned char *out,
		    __u32 *out_len, __u32 *ret_mark)
{
	struct __sk_buff ctx = { .ifindex = ifindex, .mark = mark }, ctx_out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = 1600, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);

	*out_len = o.data_size_out;
	*ret_mark = ctx_out.mark;
	return r < 0 ? r : (int)o.retval;
}

/* The Internet checksum of b (with sum carried in): 0 over a header whose checksum is right. */
static unsigned csum16(const unsigned char *b, size_t len, unsigned long sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (unsigned long)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (unsigned long)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned)(~sum & 0xffff);
}

/* The pseudo-header's sum for an upper-layer checksum (IPv4 or IPv6 by family). */
static unsigned long pseudo(int family, const unsigned char *ip, unsigned proto, unsigned len)
{
	unsigned long sum = proto + len;
	const unsigned char *a = ip + (family == 4 ? 12 : 8);
	size_t alen = family == 4 ? 8 : 32;

	for (size_t i = 0; i < alen; i += 2)
		sum += (unsigned long)(a[i] << 8 | a[i + 1]);
	return sum;
}

static unsigned be16(const unsigned char *b)
{
	return (unsigned)(b[0] << 8 | b[1]);
}

static unsigned long be32(const unsigned char *b)
{
	return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
}

/* The frame f, rejected by prog: answered (redirected, marked, counted as fw-reject) from its destination to its source. */
static bool rejected(const char *what, struct bpf_program *prog, unsigned char *f, size_t len, unsigned char *o,
		     __u32 *olen)
{
	struct lxcnet_port_stats before = stats(), after;
	unsigned char orig[1600];
	__u32 mark = 0;
	int r;

	if (len > sizeof(orig))
		return ok(false, "%s: a frame of %zu bytes is more than the test keeps", what, len);
	memcpy(orig, f, len);
	r = run_mark(prog, f, len, 0, o, olen, &mark);
	after = stats();
	return ok(r == TC_ACT_REDIRECT && mark == LXCNET_REJECT_MARK &&
			  after.drops[LXCNET_DROP_FW_REJECT] - before.drops[LXCNET_DROP_FW_REJECT] == 1 &&
			  memcmp(o, orig + 6, 6) == 0 && memcmp(o + 6, orig, 6) == 0,
		  "%s: answered (verdict %d, mark %#x, counted as fw-reject, MACs swapped)", what, r, mark);
}

static void reject_cases(void)
{
	const __u16 defaults = LXCNET_FW_MACFILTER | LXCNET_FW_L2MACFILTER | LXCNET_FW_DHCP | LXCNET_FW_NDP | LXCNET_FW_NOSMURFS;
	struct bpf_program *out = skel->progs.tc_ingress, *in = skel->progs.tc_egress;
	static const unsigned char own_mac[6] = { 0xbc, 0x24, 0x11, 0, 0, OWN }, peer_mac[6] = { 0xbc, 0x24, 0x11, 0, 0, 9 };
	unsigned char f[160], o[1600];
	const unsigned char *ip, *l4;
	__u32 olen, mark;
	size_t n;
	int r;

	/* policy_in REJECT: a SYN from outside gets a reset from the container's address and port. */
	fw_set(defaults, LXCNET_FW_REJECT, LXCNET_FW_ACCEPT, 3);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5555, 22, TCP_SYN_), 20);
	memcpy(f, own_mac, 6);
	f[14 + 20 + 4] = 0x11, f[14 + 20 + 7] = 0x22; /* seq 0x11000022 */
	if (rejected("policy_in REJECT: TCP SYN to port 22", in, f, n, o, &olen)) {
		ip = o + 14, l4 = ip + 20;
		ok(olen == 54 && be16(o + 12) == 0x0800 && ip[0] == 0x45 && be16(ip + 2) == 40 && ip[8] == 64 && ip[9] == 6 &&
			   memcmp(ip + 12, f + 14 + 16, 4) == 0 && memcmp(ip + 16, f + 14 + 12, 4) == 0 && csum16(ip, 20, 0) == 0,
		   "the answer: IPv4 10.0.0.2 -> 10.0.0.9, TCP, TTL 64, 54 bytes, header checksum right");
		ok(be16(l4) == 22 && be16(l4 + 2) == 5555 && l4[13] == (TCP_RST_ | TCP_ACK_) && be32(l4 + 4) == 0 &&
			   be32(l4 + 8) == 0x11000023 && l4[12] == 0x50 && csum16(l4, 20, pseudo(4, ip, 6, 20)) == 0,
		   "the answer: a reset from port 22 to 5555 acknowledging the SYN (ack %#lx), TCP checksum right",
		   be32(l4 + 8));
	}
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5556, 22, TCP_ACK_), 20);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in REJECT: a lone ACK (PVEFW-Reject drops TCP that is not a SYN)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(5000, 161), 8);
	memcpy(f, own_mac, 6);
	if (rejected("policy_in REJECT: UDP to port 161", in, f, n, o, &olen)) {
		ip = o + 14, l4 = ip + 20;
		ok(ip[9] == 1 && ip[1] == 0xc0 && l4[0] == 3 && l4[1] == 3 && be16(ip + 2) == 20 + 8 + 28 && olen == 14u + 56 &&
			   memcmp(l4 + 8, f + 14, 28) == 0 && csum16(ip, 20, 0) == 0 && csum16(l4, 36, 0) == 0,
		   "the answer: ICMP port unreachable quoting the datagram's header and 8 bytes, checksums right (%u bytes)",
		   olen);
	}
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(5000, 1900), 8);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in REJECT: UDP to 1900 (UPnP, dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(53, 5000), 8);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in REJECT: UDP from port 53 (DNS answers, dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(53, 137), 8);
	memcpy(f, own_mac, 6);
	rejected("policy_in REJECT: UDP from 53 to 137 (SMB, rejected before the DNS rule)", in, f, n, o, &olen);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 1, 0, icmp(8, 9), 8);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in REJECT: ICMP echo request (ICMP is dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(5557, 22, TCP_SYN_), 20);
	fw_expect("policy_in REJECT: a SYN to the broadcast MAC (dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);
	{
		unsigned char gre[8] = { 0, 0, 0x08, 0 };

		n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 47, 0, gre, sizeof(gre));
		memcpy(f, own_mac, 6);
		if (rejected("policy_in REJECT: GRE", in, f, n, o, &olen))
			ok(o[14 + 9] == 1 && o[34] == 3 && o[35] == 10, "the answer: ICMP host prohibited (3/%u)", o[35]);
	}
	/* IPv6: the reset and the port unreachable with the pseudo-header in their checksums. */
	n = pkt6(f, 9, "fd00::9", "fd00::2", 6, tcp(6000, 80, TCP_SYN_), 20);
	memcpy(f, own_mac, 6);
	if (rejected("policy_in REJECT: TCP SYN over IPv6", in, f, n, o, &olen)) {
		ip = o + 14, l4 = ip + 40;
		ok(olen == 14 + 40 + 20 && ip[0] >> 4 == 6 && be16(ip + 4) == 20 && ip[6] == 6 && ip[7] == 64 &&
			   memcmp(ip + 8, f + 14 + 24, 16) == 0 && memcmp(ip + 24, f + 14 + 8, 16) == 0 &&
			   l4[13] == (TCP_RST_ | TCP_ACK_) && be32(l4 + 8) == 1 && csum16(l4, 20, pseudo(6, ip, 6, 20)) == 0,
		   "the answer: IPv6 fd00::2 -> fd00::9, hop limit 64, a reset with its checksum right");
	}
	n = pkt6(f, 9, "fd00::9", "fd00::2", 17, udp(6000, 69), 8);
	memcpy(f, own_mac, 6);
	if (rejected("policy_in REJECT: UDP over IPv6", in, f, n, o, &olen)) {
		ip = o + 14, l4 = ip + 40;
		ok(ip[6] == 58 && l4[0] == 1 && l4[1] == 4 && be16(ip + 4) == 8 + 48 && memcmp(l4 + 8, f + 14, 48) == 0 &&
			   csum16(l4, 56, pseudo(6, ip, 58, 56)) == 0,
		   "the answer: ICMPv6 port unreachable quoting 48 bytes, checksum right");
	}
	/* A big datagram: as much is quoted as Linux quotes, the whole error in 576 bytes (IPv4) or 1280 (IPv6). */
	for (int fam = 4; fam <= 6; fam += 2) {
		static unsigned char big[1500];
		unsigned hl = fam == 4 ? 20 : 40, len = 1400, want = fam == 4 ? 548 : 1232;
		unsigned char *ip6 = big + 14;

		memset(big, 0, sizeof(big));
		memcpy(big, own_mac, 6);
		memcpy(big + 6, peer_mac, 6);
		big[12] = fam == 4 ? 0x08 : 0x86, big[13] = fam == 4 ? 0x00 : 0xdd;
		if (fam == 4) {
			ip6[0] = 0x45, ip6[2] = (unsigned char)(len >> 8), ip6[3] = (unsigned char)len, ip6[8] = 64, ip6[9] = 17;
			inet_pton(AF_INET, "10.0.0.9", ip6 + 12);
			inet_pton(AF_INET, "10.0.0.2", ip6 + 16);
		} else {
			ip6[0] = 0x60, ip6[4] = (unsigned char)((len - 40) >> 8), ip6[5] = (unsigned char)(len - 40), ip6[6] = 17, ip6[7] = 64;
			inet_pton(AF_INET6, "fd00::9", ip6 + 8);
			inet_pton(AF_INET6, "fd00::2", ip6 + 24);
		}
		memcpy(ip6 + hl, udp(6100, 69), 8);
		ip6[hl + 4] = (unsigned char)((len - hl) >> 8), ip6[hl + 5] = (unsigned char)(len - hl);
		for (unsigned k = hl + 8; k < len; k++)
			ip6[k] = (unsigned char)(k * 7);
		if (rejected(fam == 4 ? "policy_in REJECT: a 1400-byte UDP datagram" : "policy_in REJECT: a 1400-byte UDP datagram over IPv6",
			     in, big, 14 + len, o, &olen)) {
			ip = o + 14, l4 = ip + (fam == 4 ? 20 : 40);
			ok(olen == 14 + hl + 8 + want && memcmp(l4 + 8, big + 14, want) == 0 &&
				   (fam == 4 ? be16(ip + 2) == 20 + 8 + want && csum16(l4, 8 + want, 0) == 0 :
					       be16(ip + 4) == 8 + want && csum16(l4, 8 + want, pseudo(6, ip, 58, 8 + want)) == 0),
			   "the answer quotes %u bytes of it (the error %u bytes), its checksum right", want, olen - 14);
		}
	}
	n = pkt6(f, 9, "fd00::9", "ff02::1", 17, udp(6000, 69), 8);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in REJECT: UDP to ff02::1 (multicast, dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	/* policy_out REJECT: the container's own SYN is answered into the container. */
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_REJECT, 3);
	n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40100, 443, TCP_SYN_), 20);
	memcpy(f, peer_mac, 6);
	if (rejected("policy_out REJECT: the container's TCP SYN", out, f, n, o, &olen))
		ok(memcmp(o, own_mac, 6) == 0 && be16(o + 14 + 20) == 443 && be16(o + 14 + 22) == 40100,
		   "the answer goes to the container's MAC, from port 443 to 40100");

	/* policy_in DROP: pve-firewall's IPv6 PVEFW-Drop rejects TCP to port 43; IPv4's drops it. */
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 3);
	n = pkt6(f, 9, "fd00::9", "fd00::2", 6, tcp(6001, 43, TCP_SYN_), 20);
	memcpy(f, own_mac, 6);
	rejected("policy_in DROP: TCP to port 43 over IPv6 (reset, as pve-firewall)", in, f, n, o, &olen);
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(6001, 43, TCP_SYN_), 20);
	memcpy(f, own_mac, 6);
	fw_expect("policy_in DROP: TCP to port 43 over IPv4 (dropped)", in, f, n, LXCNET_DROP_FW_POLICY_IN);

	/* The answer passes the port's other program without being judged again. */
	n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 6, 0, tcp(22, 5555, TCP_RST_ | TCP_ACK_), 20);
	r = run_mark(in, f, n, LXCNET_REJECT_MARK, o, &olen, &mark);
	ok(r == TC_ACT_OK && mark == 0, "an answer (marked) to the container passes though no connection has it (verdict %d, "
					"mark %#x after)", r, mark);
	set_port(100, 0, 0, NULL);
	fw_set(defaults, LXCNET_FW_DROP, LXCNET_FW_ACCEPT, 3);
	{
		struct lxcnet_port p = { .ifindex = ifindex, .tag = 100, .flags = LXCNET_PORT_FIREWALL | LXCNET_PORT_FILTER_MAC,
					 .mac = { 0xbc, 0x24, 0x11, 0, 0, OWN } };

		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
	}
	n = pkt4(f, 7, "10.0.0.7", "10.0.0.9", 6, 0, tcp(22, 5555, TCP_RST_ | TCP_ACK_), 20);
	r = run_mark(out, f, n, LXCNET_REJECT_MARK, o, &olen, &mark);
	ok(r == TC_ACT_OK && mark == 0, "an answer (marked) from the container's side passes its MAC filter and firewall "
					"(verdict %d, mark %#x after)", r, mark);
	r = run_mark(out, f, n, 0, o, &olen, &mark);
	ok(r == TC_ACT_SHOT, "the same frame unmarked is dropped (verdict %d)", r);

	/* A REJECT rule: answered, and the rule counts it. */
	{
		static const char *const text = "[RULES]\nOUT REJECT -p tcp -dport 25\nIN REJECT -p udp -dport 514\n";
		_cleanup_(fw_classifier_freep) FwClassifier *c = NULL;
		_cleanup_(fw_config_freep) FwConfig *g = NULL;
		struct lxcnet_fw fw = { .ifindex = ifindex, .gen = 4, .flags = defaults, .policy_in = LXCNET_FW_ACCEPT,
					.policy_out = LXCNET_FW_ACCEPT, .rules_gen = 6 };
		struct lxcnet_fw_rule v = {};
		FwRuleSet rs = {};
		Diag d = {};

		if (!ok(fw_config_parse("100.fw", FW_GUEST, text, strlen(text), &g, &d) >= 0 &&
				fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 && fw_classify(&rs, &c) >= 0 &&
				datapath_fw_rules_write(&DATAPATH_FW_MAPS_OF(skel), slot, 6, c) >= 0,
			"REJECT rules compiled and written"))
			goto done;
		fw_classifier_describe(c, &fw);
		bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), BPF_ANY);
		set_port(0, 0, 0, NULL);
		fw_set(defaults, LXCNET_FW_ACCEPT, LXCNET_FW_ACCEPT, 4);
		bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), BPF_ANY);
		n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40200, 25, TCP_SYN_), 20);
		memcpy(f, peer_mac, 6);
		rejected("OUT REJECT -p tcp -dport 25: the container's SYN to port 25", out, f, n, o, &olen);
		if (rule_read(6, LXCNET_FROM_CT, 0, &v) < 0)
			v = (struct lxcnet_fw_rule){};
		ok(v.packets == 1 && v.verdict == LXCNET_FW_REJECT,
		   "the rule counted it (%llu packets)", (unsigned long long)v.packets);
		n = pkt4(f, OWN, "10.0.0.2", "10.0.0.9", 6, 0, tcp(40201, 26, TCP_SYN_), 20);
		memcpy(f, peer_mac, 6);
		fw_expect("a SYN to port 26 (policy_out ACCEPT)", out, f, n, -1);
		n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(5001, 514), 8);
		memcpy(f, own_mac, 6);
		if (rejected("IN REJECT -p udp -dport 514", in, f, n, o, &olen))
			ok(o[14 + 20] == 3 && o[14 + 21] == 3, "the answer: ICMP port unreachable");
		n = pkt4(f, 9, "10.0.0.9", "10.0.0.2", 17, 0, udp(5001, 514), 8);
		fw_expect("IN REJECT -p udp -dport 514, to the broadcast MAC (dropped, as the rule's)", in, f, n,
			  LXCNET_DROP_FW_RULE);
done:
		fw_ruleset_done(&rs);
	}
	{
		struct lxcnet_fw none = {};

		bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &none, sizeof(none), BPF_ANY);
	}
}

/* ---- pve-firewall's simulator vectors (pve-firewall/test/test-NAME/tests) through the real program ---- */

/* The guests of pve-firewall's simulator (fwtester), as lxcnet sees a NIC: bridge vmbr0, firewall=1. */
static const struct sim_nic {
	const char *zone; /* as the vectors name it: vm<id>, vm<id>i<N>, ct<id> */
	const char *vmid;
	unsigned idx;
	unsigned char mac_last;
	const char *addr; /* the NIC's address, the default source or destination of a vector */
	const char *ip;	  /* the NIC's ip= (ct200 has one: test-vm-ipfilter2 allows it), or NULL */
} sim_nics[] = {
	{ "vm100", "100", 0, 0x10, "10.0.100.1", NULL },    { "vm100i1", "100", 1, 0x11, "10.0.100.2", NULL },
	{ "vm100i2", "100", 2, 0x12, "10.0.100.3", NULL },  { "vm101", "101", 0, 0x20, "10.0.101.1", NULL },
	{ "vm110", "110", 0, 0x30, "10.0.110.1", NULL },    { "ct200", "200", 0, 0x40, "10.0.200.1", "10.0.200.1/24" },
	{ "ct201", "201", 0, 0x50, "10.0.201.1", NULL },
};

/* A vector's value of key ("from", "dport", ...) into buf; false when it has none. */
static bool sim_field(const char *line, const char *key, char *buf, size_t size)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s =>", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p == '\'') {
		e = strchr(++p, '\'');
	} else
		for (e = p; *e && *e != ',' && *e != ' ' && *e != '}'; e++)
			;
	if (!e)
		return false;
	snprintf(buf, size, "%.*s", (int)(e - p), p);
	return true;
}

typedef struct SimFiles {
	FwConfig *cluster, *host;
	FwConfig *guest[8]; /* by sim_nics' vmid, loaded once per directory */
	char vmid[8][8];
	size_t n;
} SimFiles;

static const FwConfig *sim_guest(SimFiles *f, const char *dir, const char *vmid)
{
	char path[4096];
	FwConfig *g = NULL;
	Diag d = {};

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->vmid[i], vmid) == 0)
			return f->guest[i];
	snprintf(path, sizeof(path), "%.3000s/%.8s.fw", dir, vmid);
	if (access(path, F_OK) == 0 && fw_config_load(path, FW_GUEST, &g, &d) < 0)
		tap_diag("%s: %s", path, d.msg);
	if (f->n < ELEMENTSOF(f->guest)) {
		snprintf(f->vmid[f->n], sizeof(f->vmid[f->n]), "%s", vmid);
		f->guest[f->n++] = g;
	}
	return g;
}

/*
 * Put zone's firewall on the test's port (slot 0) as lxcnet compiles it.
 * 0: its firewall is in effect and installed; 1: not in effect (nothing
 * filters it); -1: lxcnet leaves it to Proxmox's firewall (why in d).
 */
static int sim_install(SimFiles *f, const char *dir, const struct sim_nic *z, __u32 gen, Diag *d)
{
	_cleanup_(datapath_fw_freep) DatapathFw *dfw = calloc(1, sizeof(*dfw));
	const FwConfig *guest = sim_guest(f, dir, z->vmid);
	struct lxcnet_port p = { .ifindex = ifindex, .flags = LXCNET_PORT_FIREWALL, .mac = { 0xbc, 0x24, 0x11, 0, 0, z->mac_last } };
	char spec[160];
	FwNicPolicy pol;
	PveNet n;

	snprintf(spec, sizeof(spec), "name=eth%u,bridge=vmbr0,hwaddr=BC:24:11:00:00:%02X,firewall=1%s%s", z->idx, z->mac_last,
		 z->ip ? ",ip=" : "", z->ip ?: "");
	if (!dfw || pve_net_parse(spec, &n, d) < 0)
		return -1;
	fw_nic_policy(f->cluster, guest, z->idx, &n, time(NULL), &pol);
	if (!pol.effective)
		return 1;
	if (fw_compile_nic(f->cluster, f->host, guest, z->idx, &n, &pol, dfw, d) < 0)
		return -1;
	dfw->fw.ifindex = ifindex;
	dfw->fw.gen = gen;
	dfw->fw.set_gen = gen;
	dfw->fw.rules_gen = gen;
	if (dfw->rules && datapath_fw_rules_write(&DATAPATH_FW_MAPS_OF(skel), slot, gen, dfw->rules) < 0)
		return -1;
	for (size_t i = 0; i < dfw->n_set; i++) {
		struct lxcnet_fw_ipkey k = { .prefixlen = LXCNET_FW_IPKEY_BITS + dfw->set[i].prefixlen, .slot = slot,
					     .set_gen = gen, .family = dfw->set[i].family };
		struct lxcnet_fw_ipentry v = { .nomatch = dfw->set[i].nomatch };

		memcpy(k.addr, dfw->set[i].addr, 16);
		bpf_map__update_elem(skel->maps.lxcnet_fw_ipset, &k, sizeof(k), &v, sizeof(v), BPF_ANY);
	}
	bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &dfw->fw, sizeof(dfw->fw), BPF_ANY);
	bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
	return 0;
}

/* What the receiver's IN rules alone say (the reference, fw_rule_matches()), or its policy_in. */
static const char *sim_rules_verdict(SimFiles *f, const char *dir, const struct sim_nic *z, int family, const uint8_t *src,
				     const uint8_t *dst, int proto, const char *dport)
{
	const FwConfig *guest = sim_guest(f, dir, z->vmid);
	unsigned type = strcmp(dport, "host-unreachable") == 0 ? 3 << 8 | 1 : (unsigned)atoi(dport) << 8;
	const char *v = NULL;
	FwRuleSet rs = {};
	Diag d = {};

	if (!guest || fw_rules_expand(f->cluster, guest, z->idx, &rs, &d) < 0)
		return "";
	for (size_t i = 0; !v && i < rs.n_rules; i++)
		if (rs.rules[i].dir == LXCNET_TO_CT && fw_rule_matches(&rs.rules[i], family, src, dst, proto, 0, (uint16_t)type))
			v = rs.rules[i].verdict == FW_ACCEPT ? "ACCEPT" : rs.rules[i].verdict == FW_REJECT ? "REJECT" : "DROP";
	fw_ruleset_done(&rs);
	return v ?: fw_verdict_name(guest->options.policy_in == FW_VERDICT_UNSET ? FW_DROP : guest->options.policy_in);
}

static const struct sim_nic *sim_nic(const char *zone)
{
	for (size_t i = 0; i < ELEMENTSOF(sim_nics); i++)
		if (strcmp(sim_nics[i].zone, zone) == 0)
			return &sim_nics[i];
	return NULL;
}

/* One frame of the vector through the zone's chain: "ACCEPT", "DROP" or "REJECT" as the program decided. */
static const char *sim_verdict(struct bpf_program *prog, const unsigned char *f, size_t len, int *ret_reason)
{
	struct lxcnet_port_stats before = stats(), after;
	unsigned char o[1600];
	__u32 olen, mark;
	int r = run_mark(prog, f, len, 0, o, &olen, &mark);

	after = stats();
	*ret_reason = -1;
	for (int i = 0; i < _LXCNET_DROP_MAX; i++)
		if (after.drops[i] != before.drops[i])
			*ret_reason = i;
	return r == TC_ACT_OK ? "ACCEPT" : r == TC_ACT_REDIRECT ? "REJECT" : "DROP";
}

static void simulator_cases(void)
{
	const char *samples = getenv("LXCNET_SAMPLES_DIR");
	unsigned total = 0, host = 0, ran = 0, same = 0, invalid = 0, unsupported = 0;
	char base[4096];
	__u32 gen = 100;
	DIR *dirp;
	struct dirent *de;

	if (!samples || !*samples) {
		tap_skip(1, "LXCNET_SAMPLES_DIR is not set: pve-firewall's simulator vectors not run");
		return;
	}
	snprintf(base, sizeof(base), "%.1000s/pve-firewall/test", samples);
	dirp = opendir(base);
	if (!ok(dirp != NULL, "pve-firewall's simulator vectors in %s", base))
		return;
	while ((de = readdir(dirp))) {
		char dir[4096], path[4096], line[512];
		SimFiles files = {};
		Diag d = {};
		FILE *fp;

		if (strncmp(de->d_name, "test-", 5) != 0)
			continue;
		snprintf(dir, sizeof(dir), "%.2000s/%.200s", base, de->d_name);
		snprintf(path, sizeof(path), "%.3000s/cluster.fw", dir);
		if (access(path, F_OK) == 0 && fw_config_load(path, FW_CLUSTER, &files.cluster, &d) < 0)
			tap_diag("%s: %s", path, d.msg);
		snprintf(path, sizeof(path), "%.3000s/host.fw", dir);
		if (access(path, F_OK) == 0 && fw_config_load(path, FW_HOST, &files.host, &d) < 0)
			tap_diag("%s: %s", path, d.msg);
		snprintf(path, sizeof(path), "%.3000s/tests", dir);
		fp = fopen(path, "re");
		while (fp && fgets(line, sizeof(line), fp)) {
			char from[32] = "outside", to[32] = "outside", action[16] = "", proto[16] = "tcp", dport[32] = "4000",
			     source[64] = "", dest[64] = "", verdict[16] = "ACCEPT", why[64] = "";
			const struct sim_nic *zf, *zt;
			unsigned char src[16], dst[16];
			int family, protonum, reason = -1;
			unsigned sport = 20000 + total;

			if (!strchr(line, '{') || !sim_field(line, "action", action, sizeof(action)))
				continue;
			total++;
			sim_field(line, "from", from, sizeof(from));
			sim_field(line, "to", to, sizeof(to));
			sim_field(line, "proto", proto, sizeof(proto));
			sim_field(line, "dport", dport, sizeof(dport));
			/* The host's own firewall (host.fw, PVEFW-HOST-IN/OUT) is not lxcnet's. */
			if (strcmp(from, "host") == 0 || strcmp(to, "host") == 0) {
				host++;
				continue;
			}
			zf = sim_nic(from);
			zt = sim_nic(to);
			if (!sim_field(line, "source", source, sizeof(source)))
				snprintf(source, sizeof(source), "%s", zf ? zf->addr : "172.16.99.1");
			if (!sim_field(line, "dest", dest, sizeof(dest)))
				snprintf(dest, sizeof(dest), "%s", zt ? zt->addr : "172.16.99.2");
			family = strchr(source, ':') ? 6 : 4;
			memset(src, 0, sizeof(src));
			memset(dst, 0, sizeof(dst));
			inet_pton(family == 6 ? AF_INET6 : AF_INET, source, src);
			inet_pton(family == 6 ? AF_INET6 : AF_INET, dest, dst);
			protonum = strcmp(proto, "udp") == 0 ? 17 : strcmp(proto, "icmp") == 0 ? 1 : strcmp(proto, "icmpv6") == 0 ? 58 : 6;
			ran++;
			/* Through the sender's OUT chain, then the receiver's IN chain, each as lxcnet compiles that guest's files. */
			for (int side = 0; side < 2 && strcmp(verdict, "ACCEPT") == 0; side++) {
				const struct sim_nic *z = side ? zt : zf;
				unsigned char f[160], l4[20];
				size_t n, l4len;
				int rr;

				if (!z)
					continue;
				rr = sim_install(&files, dir, z, ++gen, &d);
				if (rr < 0) {
					snprintf(why, sizeof(why), "%.60s", d.msg);
					break;
				}
				if (rr > 0)
					continue;
				if (protonum == 1 || protonum == 58) {
					unsigned type = strcmp(dport, "host-unreachable") == 0 ? 3 : (unsigned)atoi(dport);

					memset(l4, 0, 8);
					l4[0] = (unsigned char)type;
					l4[1] = strcmp(dport, "host-unreachable") == 0 ? 1 : 0;
					l4len = 8;
				} else if (protonum == 17) {
					memcpy(l4, udp(sport, (unsigned)atoi(dport)), 8);
					l4len = 8;
				} else {
					memcpy(l4, tcp(sport, (unsigned)atoi(dport), TCP_SYN_), 20);
					l4len = 20;
				}
				n = family == 4 ? pkt4(f, zf ? zf->mac_last : 0x99, source, dest, (unsigned)protonum, 0, l4, l4len) :
						  pkt6(f, zf ? zf->mac_last : 0x99, source, dest, (unsigned)protonum, l4, l4len);
				memcpy(f, (unsigned char[]){ 0xbc, 0x24, 0x11, 0, 0, zt ? zt->mac_last : 0x98 }, 6);
				snprintf(verdict, sizeof(verdict), "%s",
					 sim_verdict(side ? skel->progs.tc_egress : skel->progs.tc_ingress, f, n, &reason));
			}
			if (why[0]) {
				unsupported++;
				tap_diag("%s: %s -> %s: left to Proxmox's firewall: %s", de->d_name, from, to, why);
				continue;
			}
			if (strcmp(verdict, action) == 0) {
				same++;
				continue;
			}
			/*
			 * An ICMP error or echo reply that starts nothing: conntrack calls it
			 * invalid (on a Proxmox node too: PVEFW-FORWARD drops it before the
			 * rules); the simulator judges the rules alone.
			 */
			if (reason == LXCNET_DROP_FW_INVALID && (protonum == 1 || protonum == 58) && zt &&
			    strcmp(sim_rules_verdict(&files, dir, zt, family, src, dst, protonum, dport), action) == 0) {
				invalid++;
				tap_diag("%s: %s -> %s %s %s: %s by the rules (checked against the reference), dropped as invalid by "
					 "connection tracking first",
					 de->d_name, from, to, proto, dport, action);
				continue;
			}
			tap_diag("%s: %s -> %s %s %s -> %s, source %s dest %s: %s, the simulator says %s (drop reason %d)", de->d_name,
				 from, to, proto, dport, dest, source, dest, verdict, action, reason);
		}
		if (fp)
			fclose(fp);
		fw_config_free(files.cluster);
		fw_config_free(files.host);
		for (size_t i = 0; i < files.n; i++)
			fw_config_free(files.guest[i]);
	}
	closedir(dirp);
	ok(ran > 0 && same + invalid + unsupported == ran && unsupported == 0,
	   "pve-firewall's simulator: %u of %u vectors ran (%u are the host's own firewall), the program's verdict is the "
	   "simulator's for %u; %u ICMP packets that start no connection dropped as invalid; %u left to Proxmox's firewall",
	   ran, total, host, same, invalid, unsupported);
	{
		struct lxcnet_fw none = {};

		bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &none, sizeof(none), BPF_ANY);
	}
}

/* Run prog on frame f; *ret_tstamp: the skb's tstamp after it. */
static int run_tstamp(struct bpf_program *prog, const unsigned char *f, size_t len, __u64 *ret_tstamp)
{
	struct __sk_buff ctx = { .ifindex = ifindex }, ctx_out = {};
	unsigned char out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &o);

	*ret_tstamp = ctx_out.tstamp;
	return r < 0 ? r : (int)o.retval;
}

static __u64 edt_next(void)
{
	struct lxcnet_edt e = {};

	bpf_map__lookup_elem(skel->maps.lxcnet_edt, &slot, sizeof(slot), &e, sizeof(e), 0);
	return e.next_ns;
}

static void edt_set_next(__u64 ns)
{
	struct lxcnet_edt e = { .next_ns = ns };

	bpf_map__update_elem(skel->maps.lxcnet_edt, &slot, sizeof(slot), &e, sizeof(e), BPF_ANY);
}

/* rate towards the container by departure times (edt_bps): the stamps, their spacing, the horizon, the bucket. */
static void edt_cases(void)
{
	static const unsigned untagged[1][2] = { { 0, 0 } };
	const __u64 bps = 1000000, gap = 60 * 1000000000ULL / bps; /* a 60-byte frame at 1 MB/s: 60 us */
	const __u64 burst = (__u64)LXCNET_EDT_BURST * 1000000000ULL / bps;
	struct lxcnet_port p = { .edt_bps = (__u32)bps };
	struct lxcnet_port_stats before, after;
	unsigned char f[128];
	size_t len = frame(f, untagged, 0);
	__u64 t0, t1, t2, now;
	struct timespec ts;

	is_int((int)len, 60, "EDT: the frame is 60 bytes");
	set_policy(p, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	t0 = now + 10000000ULL;
	edt_set_next(t0);
	is_int(run_tstamp(skel->progs.tc_egress, f, len, &t1), TC_ACT_OK, "EDT: a frame to the container passes");
	ok(t1 == t0, "EDT: it leaves at the port's next departure time (%+lld ns)", (long long)(t1 - t0));
	ok(edt_next() == t0 + gap, "EDT: the next departure is its length at the rate later (%+lld ns)",
	   (long long)(edt_next() - t0));
	run_tstamp(skel->progs.tc_egress, f, len, &t2);
	ok(t2 == t0 + gap, "EDT: the second frame leaves one gap after the first (%+lld ns)", (long long)(t2 - t1));

	/* Past the horizon (50 ms ahead): dropped, counted as "rate", the next departure unchanged. */
	edt_set_next(now + 2 * LXCNET_EDT_HORIZON_NS);
	before = stats();
	is_int(run_tstamp(skel->progs.tc_egress, f, len, &t1), TC_ACT_SHOT, "EDT: a frame more than 50 ms ahead is dropped");
	after = stats();
	is_int((int)(after.drops[LXCNET_DROP_RATE] - before.drops[LXCNET_DROP_RATE]), 1, "EDT: counted as drop reason rate");
	ok(edt_next() == now + 2 * LXCNET_EDT_HORIZON_NS, "EDT: the dropped frame takes no departure time");

	/* After a pause the bucket's worth may leave at once: a stamp in the past, by at most the bucket at the rate. */
	edt_set_next(0);
	run_tstamp(skel->progs.tc_egress, f, len, &t1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	ok(t1 < now && now - t1 >= burst - 1000000000ULL / 10 && now - t1 <= burst + 1000000000ULL / 10,
	   "EDT: after a pause the frame leaves at once, the bucket's %llu ms behind (%lld ms)", (unsigned long long)(burst / 1000000),
	   (long long)(now - t1) / 1000000);
	ok(edt_next() == t1 + gap, "EDT: and the next departure follows it");

	/* From the container, and without a rate: no stamp. */
	edt_set_next(now + 10000000ULL);
	run_tstamp(skel->progs.tc_ingress, f, len, &t1);
	ok(t1 == 0 && edt_next() == now + 10000000ULL, "EDT: a frame from the container gets no departure time");
	set_port(0, 0, 0, NULL);
	run_tstamp(skel->progs.tc_egress, f, len, &t1);
	ok(t1 == 0, "EDT: without edt_bps a frame to the container gets none");

	/* rate from the container: counted, then on to lxcnet's redirect into the ifb (the next filter). */
	p = (struct lxcnet_port){ .shaper_ifindex = 4242 };
	set_policy(p, NULL);
	before = stats();
	is_int(run_tstamp(skel->progs.tc_ingress, f, len, &t1), TC_ACT_UNSPEC,
	       "rate: a frame from the container goes on to the next filter (the redirect into the ifb)");
	after = stats();
	is_int((int)(after.packets[LXCNET_FROM_CT] - before.packets[LXCNET_FROM_CT]), 1, "rate: and is counted as passed");
}

int main(void)
{
	static const unsigned untagged[1][2] = { { 0, 0 } };
	static const unsigned q100[1][2] = { { 0x8100, 100 } }, q200[1][2] = { { 0x8100, 200 } };
	static const unsigned q300[1][2] = { { 0x8100, 300 } }, ad200[1][2] = { { 0x88a8, 200 } };
	static const unsigned ad20_q100[2][2] = { { 0x88a8, 20 }, { 0x8100, 100 } };
	static const unsigned ad30_q100[2][2] = { { 0x88a8, 30 }, { 0x8100, 100 } };
	static const unsigned t200[] = { 200, 0 }, t100_200[] = { 100, 200, 0 };
	struct bpf_program *in, *eg;
	struct bpf_map *map;

	if (geteuid() != 0)
		tap_skip_all("needs root to load BPF programs");
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = port_bpf__open();
	if (!skel)
		tap_skip_all("cannot open the BPF object");
	/* No pinning for a test: none of its maps. */
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (port_bpf__load(skel) < 0) {
		port_bpf__destroy(skel);
		tap_skip_all("the kernel refused to load the BPF programs");
	}
	in = skel->progs.tc_ingress;
	eg = skel->progs.tc_egress;

	/* No policy: nothing passes. */
	expect("no policy, from container", in, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_NO_POLICY, -1);
	expect("no policy, to container", eg, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_NO_POLICY, -1);

	/* Untagged port. */
	set_port(0, 0, 0, NULL);
	expect("untagged port: untagged from container", in, untagged, 0, TC_ACT_OK, -1, 0);
	expect("untagged port: tagged from container", in, q100, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_IN, -1);
	expect("untagged port: untagged to container", eg, untagged, 0, TC_ACT_OK, -1, 0);
	expect("untagged port: tagged to container", eg, q100, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_OUT, -1);

	/* Access port tag=100. (The pushed tag lives in skb metadata; the netns test sees it on the wire.) */
	set_port(100, 0, 0, NULL);
	expect("tag=100: untagged from container", in, untagged, 0, TC_ACT_OK, -1, -1);
	expect("tag=100: VLAN 100 from container (not a trunk)", in, q100, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_IN, -1);
	expect("tag=100: VLAN 100 to container", eg, q100, 1, TC_ACT_OK, -1, 0);
	expect("tag=100: VLAN 200 to container", eg, q200, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_OUT, -1);
	expect("tag=100: untagged to container", eg, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_UNTAGGED_OUT, -1);
	expect("tag=100: 802.1ad tag to container", eg, ad200, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_OUT, -1);

	/* Trunk port trunks=200. */
	set_port(0, 0, 0, t200);
	expect("trunks=200: VLAN 200 from container", in, q200, 1, TC_ACT_OK, -1, 200);
	expect("trunks=200: VLAN 300 from container", in, q300, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_IN, -1);
	expect("trunks=200: 802.1ad VLAN 200 from container", in, ad200, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_IN, -1);
	expect("trunks=200: VLAN 200 to container stays tagged", eg, q200, 1, TC_ACT_OK, -1, 200);
	expect("trunks=200: untagged to container", eg, untagged, 0, TC_ACT_OK, -1, 0);
	expect("trunks=200: VLAN 300 to container", eg, q300, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_OUT, -1);

	/* tag=100 and trunks=100;200: the tag is the native VLAN. */
	set_port(100, 0, 0, t100_200);
	expect("tag=100,trunks=100;200: VLAN 100 to container arrives untagged", eg, q100, 1, TC_ACT_OK, -1, 0);
	expect("tag=100,trunks=100;200: VLAN 200 to container stays tagged", eg, q200, 1, TC_ACT_OK, -1, 200);
	expect("tag=100,trunks=100;200: VLAN 200 from container", in, q200, 1, TC_ACT_OK, -1, 200);

	/* qinq: service tag 20 (802.1ad) outside VLAN 100. */
	set_port(100, 20, 0x88a8, NULL);
	expect("qinq: untagged from container gets both tags (inner 100 in the frame)", in, untagged, 0, TC_ACT_OK, -1, 100);
	expect("qinq: S20/C100 to container arrives untagged", eg, ad20_q100, 2, TC_ACT_OK, -1, 0);
	expect("qinq: S30/C100 (another service) to container", eg, ad30_q100, 2, TC_ACT_SHOT, LXCNET_DROP_SERVICE, -1);
	expect("qinq: untagged to container", eg, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_SERVICE, -1);
	expect("qinq: C100 without the service tag to container", eg, q100, 1, TC_ACT_SHOT, LXCNET_DROP_SERVICE, -1);

	/* Malformed: an 802.1Q ethertype with no room for the tag. */
	{
		unsigned char f[14] = { 0xbc, 0x24, 0x11, 0, 0, 1, 0xbc, 0x24, 0x11, 0, 0, 2, 0x81, 0x00 }, out[256];
		struct lxcnet_port_stats before, after;
		__u32 out_len;

		set_port(100, 0, 0, NULL);
		before = stats();
		is_int(run(in, f, sizeof(f), out, &out_len), TC_ACT_SHOT, "truncated 802.1Q header from container: dropped");
		after = stats();
		is_int(after.drops[LXCNET_DROP_MALFORMED] - before.drops[LXCNET_DROP_MALFORMED], 1, "counted as malformed");
	}

	/* A slot that belongs to another interface (handed on since the filter was attached): no policy. */
	{
		struct lxcnet_port other = { .ifindex = ifindex + 1000 };

		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &other, sizeof(other), BPF_ANY);
		expect("slot owned by another interface, from container", in, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_NO_POLICY, -1);
		expect("slot owned by another interface, to container", eg, untagged, 0, TC_ACT_SHOT, LXCNET_DROP_NO_POLICY, -1);
	}
	/* The trunks flag with no trunks entry passes no tagged frame. */
	{
		struct lxcnet_port p = { .ifindex = ifindex, .flags = LXCNET_PORT_TRUNKS };

		bpf_map__delete_elem(skel->maps.lxcnet_trunks, &slot, sizeof(slot), 0);
		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
		expect("trunks flag without trunks: VLAN 200 from container", in, q200, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_IN, -1);
		expect("trunks flag without trunks: VLAN 200 to container", eg, q200, 1, TC_ACT_SHOT, LXCNET_DROP_VLAN_OUT, -1);
	}
	/* Passed frames count bytes too. */
	{
		struct lxcnet_port_stats before, after;
		unsigned char f[128], out[256];
		size_t len = frame(f, untagged, 0);
		__u32 out_len;

		set_port(0, 0, 0, NULL);
		before = stats();
		run(eg, f, len, out, &out_len);
		after = stats();
		is_int((int)(after.bytes[LXCNET_TO_CT] - before.bytes[LXCNET_TO_CT]), (int)len, "bytes to container counted");
	}

	firewall_cases();
	guest_firewall_cases();
	ct_seen_cases();
	rules_cases();
	whole_value_cases();
	candidate_cases();
	reject_cases();
	simulator_cases();
	edt_cases();

	port_bpf__destroy(skel);
	return tap_done();
}
