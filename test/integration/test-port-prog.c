/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bpf/port.bpf.c on crafted frames with bpf_prog_test_run_opts(): every
 * VLAN decision, the tags that end up in the frame, and the counters.
 * Needs root (loads BPF); the maps are not pinned.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include <unistd.h>

#include "macro.h"
#include "port-abi.h"
#include "port.skel.h"
#include "tap.h"

static struct port_bpf *skel;
static const __u32 ifindex = 1; /* lo: test runs with ctx ifindex need an existing device */

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

	for (; trunks && *trunks; trunks++)
		p.trunks[*trunks / 64] |= 1ULL << (*trunks % 64);
	bpf_map__update_elem(skel->maps.lxcnet_ports, &ifindex, sizeof(ifindex), &p, sizeof(p), BPF_ANY);
}

static struct lxcnet_port_stats stats(void)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_port_stats *per = calloc(ncpus > 0 ? (size_t)ncpus : 1, sizeof(*per));
	struct lxcnet_port_stats sum = {};

	if (!per || ncpus <= 0 ||
	    bpf_map__lookup_elem(skel->maps.lxcnet_stats, &ifindex, sizeof(ifindex), per, sizeof(*per) * (size_t)ncpus, 0) < 0)
		return sum;
	for (int c = 0; c < ncpus; c++) {
		for (int i = 0; i < _LXCNET_DIR_MAX; i++)
			sum.packets[i] += per[c].packets[i];
		for (int i = 0; i < _LXCNET_DROP_MAX; i++)
			sum.drops[i] += per[c].drops[i];
	}
	return sum;
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
	struct lxcnet_port_stats before = stats(), after;
	int dir = prog == skel->progs.tc_ingress ? LXCNET_FROM_CT : LXCNET_TO_CT;
	size_t len = frame(in, tags, ntags);
	__u32 out_len = 0;
	int r = run(prog, in, len, out, &out_len);

	after = stats();
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

int main(void)
{
	static const unsigned untagged[1][2] = { { 0, 0 } };
	static const unsigned q100[1][2] = { { 0x8100, 100 } }, q200[1][2] = { { 0x8100, 200 } };
	static const unsigned q300[1][2] = { { 0x8100, 300 } }, ad200[1][2] = { { 0x88a8, 200 } };
	static const unsigned ad20_q100[2][2] = { { 0x88a8, 20 }, { 0x8100, 100 } };
	static const unsigned ad30_q100[2][2] = { { 0x88a8, 30 }, { 0x8100, 100 } };
	static const unsigned t200[] = { 200, 0 }, t100_200[] = { 100, 200, 0 };
	struct bpf_program *in, *eg;

	if (geteuid() != 0)
		tap_skip_all("needs root to load BPF programs");
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	skel = port_bpf__open();
	if (!skel)
		tap_skip_all("cannot open the BPF object");
	/* No pinning for a test. */
	bpf_map__set_pin_path(skel->maps.lxcnet_ports, NULL);
	bpf_map__set_pin_path(skel->maps.lxcnet_stats, NULL);
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

	port_bpf__destroy(skel);
	return tap_done();
}
