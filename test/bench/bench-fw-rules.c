/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest firewall's rules: ns per packet of the port program judging a
 * new connection (a TCP SYN to the container) against 0, 1, 100, 1,000 and
 * 10,000 IN rules, through bpf_prog_test_run_opts(), against the no-op
 * program (test/bench/noop.bpf.o) in the same run. The policy drops, so no
 * connection is made and each repetition is judged again: the cost of the
 * classifier, not of connection tracking. Two packets per size: one that
 * matches the last rule, one that matches none (every field looked up, the
 * chunks scanned). A benchmark: it prints figures and ratios, never fails.
 * Needs root. LXCNET_BENCH_REPEAT (default 200000).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datapath.h"
#include "fw-classify.h"
#include "fw-rules.h"
#include "port-abi.h"
#include "port.skel.h"

static const __u32 slot = 0, ifindex = 1;

static size_t syn(unsigned char *f, const char *src, unsigned dport)
{
	unsigned char *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, 74);
	memcpy(f, "\xbc\x24\x11\x00\x00\x02\xbc\x24\x11\x00\x00\x09\x08\x00", 14);
	ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, "10.0.0.2", ip + 16);
	tcp[0] = 0x30, tcp[1] = 0x39, tcp[2] = (unsigned char)(dport >> 8), tcp[3] = (unsigned char)dport;
	tcp[12] = 0x50, tcp[13] = 0x02;
	return 54;
}

/* ns per run of prog on frame f, repeat times in the kernel. */
static double ns_per_packet(int prog_fd, const unsigned char *f, size_t len, unsigned repeat, int *ret_verdict)
{
	struct __sk_buff ctx = { .ifindex = ifindex };
	unsigned char out[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return -1;
	*ret_verdict = (int)o.retval;
	return (double)o.duration;
}

/* n IN rules, each dropping one source address to one port; none matches 172.16.0.1. */
static int load_rules(struct port_bpf *skel, unsigned n, __u32 gen)
{
	_cleanup_free_ char *text = NULL;
	FwConfig *g = NULL;
	FwClassifier *c = NULL;
	FwRuleSet rs = {};
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	Diag d = {};
	int r = -1;

	if (!f)
		return -1;
	fputs("[RULES]\n", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "IN DROP -source 100.%u.%u.%u -p tcp -dport %u\n", 64 + i / 65536, (i / 256) % 256, i % 256,
			1000 + i % 5000);
	fclose(f);
	if (fw_config_parse("100.fw", FW_GUEST, text, size, &g, &d) >= 0 && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 &&
	    fw_classify(&rs, &c) >= 0 &&
	    datapath_fw_rules_write(bpf_map__fd(skel->maps.lxcnet_fw_match), bpf_map__fd(skel->maps.lxcnet_fw_bits),
				    bpf_map__fd(skel->maps.lxcnet_fw_rule), slot, gen, c) >= 0) {
		struct lxcnet_fw fw = { .ifindex = ifindex, .gen = 1, .policy_in = LXCNET_FW_DROP, .policy_out = LXCNET_FW_ACCEPT,
					.rules_gen = gen };
		struct lxcnet_port p = { .ifindex = ifindex, .flags = LXCNET_PORT_FIREWALL };

		memcpy(fw.n_rules, c->n_rules, sizeof(fw.n_rules));
		bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), &fw, sizeof(fw), BPF_ANY);
		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
		r = 0;
	}
	fw_classifier_free(c);
	fw_ruleset_done(&rs);
	fw_config_free(g);
	return r;
}

int main(int argc, char **argv)
{
	static const unsigned sizes[] = { 0, 1, 100, 1000, 10000 };
	const char *noop_path = argc > 1 ? argv[1] : "test/bench/noop.bpf.o";
	const char *rep = getenv("LXCNET_BENCH_REPEAT");
	unsigned repeat = rep && atoi(rep) > 0 ? (unsigned)atoi(rep) : 200000;
	struct bpf_object *noop_obj;
	struct bpf_program *noop;
	struct port_bpf *skel;
	struct bpf_map *map;
	unsigned char f[128];
	double base, first = 0;
	int verdict;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to load BPF programs\n");
		return 0;
	}
	noop_obj = bpf_object__open_file(noop_path, NULL);
	if (!noop_obj || bpf_object__load(noop_obj) < 0 || !(noop = bpf_object__next_program(noop_obj, NULL))) {
		printf("1..0 # SKIP cannot load %s (make bench builds it)\n", noop_path);
		return 0;
	}
	skel = port_bpf__open();
	if (!skel) {
		printf("1..0 # SKIP cannot open the port program\n");
		return 0;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	if (port_bpf__load(skel) < 0) {
		printf("1..0 # SKIP the kernel refused the port program\n");
		return 0;
	}
	base = ns_per_packet(bpf_program__fd(noop), f, syn(f, "172.16.0.1", 80), repeat, &verdict);
	printf("# a new TCP connection to the container, judged by the guest firewall's IN rules (policy DROP);\n");
	printf("# ns per packet through bpf_prog_test_run, %u repetitions; the no-op program: %.1f ns\n", repeat, base);
	printf("# %7s  %12s  %12s  %12s  %s\n", "rules", "last rule", "no rule", "over no-op", "ratio to 1 rule");
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		unsigned n = sizes[i], last = n ? n - 1 : 0;
		char src[32];
		double hit, miss;
		int vh = 0, vm = 0;

		if (load_rules(skel, n, (__u32)(i + 1)) < 0) {
			printf("# %7u  cannot load the rules\n", n);
			continue;
		}
		snprintf(src, sizeof(src), "100.%u.%u.%u", 64 + last / 65536, (last / 256) % 256, last % 256);
		hit = ns_per_packet(bpf_program__fd(skel->progs.tc_egress), f, syn(f, src, 1000 + last % 5000), repeat, &vh);
		miss = ns_per_packet(bpf_program__fd(skel->progs.tc_egress), f, syn(f, "172.16.0.1", 80), repeat, &vm);
		if (n == 1)
			first = miss;
		printf("# %7u  %9.1f ns  %9.1f ns  %9.1f ns  %s%.2f%s\n", n, hit, miss, miss - base, n ? "" : "(",
		       first > 0 ? miss / first : 1.0, n ? "" : ")");
		if (vh != TC_ACT_SHOT || vm != TC_ACT_SHOT)
			printf("#   (verdicts %d and %d, not a drop: the figures are not what they say)\n", vh, vm);
	}
	printf("ok 1 - benchmark ran\n1..1\n");
	port_bpf__destroy(skel);
	bpf_object__close(noop_obj);
	return 0;
}
