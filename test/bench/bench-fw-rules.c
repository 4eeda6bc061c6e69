/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest firewall's rules: ns per packet of the port program against
 * 0, 1, 100, 1,000 and 10,000 IN rules, through bpf_prog_test_run_opts(),
 * against the no-op program (test/bench/noop.bpf.o) in the same run.
 * Three packets per size:
 *  - a new TCP connection to the container (a SYN) matching the last rule;
 *  - one matching no rule (policy DROP): both are judged again at every
 *    repetition, since neither makes a connection;
 *  - a packet of an established connection (one the container opened),
 *    which passes on the connection table before any rule: most traffic.
 * And the same established packet through a port without the firewall,
 * for what the rest of the port program costs. Each figure is the median
 * of 25 rounds; a round times every size in turn, so that what the machine
 * does meanwhile falls on all of them alike (on a shared virtual machine,
 * a neighbour's burst of some seconds can slow one round by a third: many
 * short rounds leave it out of the median). A benchmark: it prints figures
 * and ratios, never fails.
 * Needs root. LXCNET_BENCH_REPEAT (default 100000).
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

#define TCP_SYN_ 0x02
#define TCP_ACK_ 0x10

/* An Ethernet frame of TCP from src:sport to dst:dport with flags. */
static size_t tcp(unsigned char *f, const char *src, unsigned sport, const char *dst, unsigned dport, unsigned flags)
{
	unsigned char *ip = f + 14, *th = ip + 20;

	memset(f, 0, 74);
	memcpy(f, "\xbc\x24\x11\x00\x00\x02\xbc\x24\x11\x00\x00\x09\x08\x00", 14);
	ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	th[0] = (unsigned char)(sport >> 8), th[1] = (unsigned char)sport;
	th[2] = (unsigned char)(dport >> 8), th[3] = (unsigned char)dport;
	th[12] = 0x50, th[13] = (unsigned char)flags;
	return 54;
}

/* A SYN to the container (10.0.0.2) from src to dport. */
static size_t syn(unsigned char *f, const char *src, unsigned dport)
{
	return tcp(f, src, 12345, "10.0.0.2", dport, TCP_SYN_);
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

/* How the rules of a table name their addresses and ports. */
enum rules_form {
	ONE_EACH,  /* one address, one port: each rule one test, a candidate of its address */
	ADDR_LIST, /* a second address, 100.128.0.1: one test in the other fields, still its address's candidate */
	TWO_LISTS, /* and four more ports: not one test in two fields: the source's list needs the port looked up too */
};

/* n IN rules, each dropping one source address to one port, in form; none matches 172.16.0.1. */
static int load_rules(struct port_bpf *skel, unsigned n, enum rules_form form, __u32 gen, struct lxcnet_fw *ret)
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
		fprintf(f, "IN DROP -source 100.%u.%u.%u%s -p tcp -dport %u%s\n", 64 + i / 65536, (i / 256) % 256, i % 256,
			form != ONE_EACH ? ",100.128.0.1" : "", 1000 + i % 5000, form == TWO_LISTS ? ",40001,40003,40005,40007" : "");
	fclose(f);
	if (fw_config_parse("100.fw", FW_GUEST, text, size, &g, &d) >= 0 && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 &&
	    fw_classify(&rs, &c) >= 0 &&
	    datapath_fw_rules_write(&DATAPATH_FW_MAPS_OF(skel), slot, gen, c) >= 0) {
		struct lxcnet_fw fw = { .ifindex = ifindex, .gen = 1, .policy_in = LXCNET_FW_DROP, .policy_out = LXCNET_FW_ACCEPT,
					.rules_gen = gen };
		struct lxcnet_port p = { .ifindex = ifindex, .flags = LXCNET_PORT_FIREWALL };

		fw_classifier_describe(c, &fw);
		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
		*ret = fw;
		r = 0;
	}
	fw_classifier_free(c);
	fw_ruleset_done(&rs);
	fw_config_free(g);
	return r;
}

/* Port slot to the rules of size i: their array in its place, then the firewall's entry. */
static void rules_switch(struct port_bpf *skel, const struct lxcnet_fw *fw, int array_fd)
{
	__u32 key = LXCNET_FW_RULES_KEY(slot, fw->rules_gen);

	if (array_fd >= 0)
		bpf_map__update_elem(skel->maps.lxcnet_fw_rules, &key, sizeof(key), &array_fd, sizeof(array_fd), BPF_ANY);
	bpf_map__update_elem(skel->maps.lxcnet_fw, &slot, sizeof(slot), fw, sizeof(*fw), BPF_ANY);
}

#define ROUNDS 25

/* The median of ROUNDS runs of prog on frame f. */
static double median_ns(int prog_fd, const unsigned char *f, size_t len, unsigned repeat, int *ret_verdict)
{
	double v[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		v[i] = ns_per_packet(prog_fd, f, len, repeat, ret_verdict);
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];

			v[j] = v[j - 1], v[j - 1] = t;
		}
	}
	return v[ROUNDS / 2];
}

/*
 * An established connection: the container (10.0.0.2) opens one to
 * 172.16.0.1:80, which answers; its next packet to the container is in f.
 * The verdict of the answer, or -1.
 */
static int establish(struct port_bpf *skel, unsigned char *f, size_t *len)
{
	int v1 = -1, v2 = -1;

	*len = tcp(f, "10.0.0.2", 40000, "172.16.0.1", 80, TCP_SYN_);
	if (ns_per_packet(bpf_program__fd(skel->progs.tc_ingress), f, *len, 1, &v1) < 0)
		return -1;
	*len = tcp(f, "172.16.0.1", 80, "10.0.0.2", 40000, TCP_SYN_ | TCP_ACK_);
	if (ns_per_packet(bpf_program__fd(skel->progs.tc_egress), f, *len, 1, &v2) < 0)
		return -1;
	*len = tcp(f, "172.16.0.1", 80, "10.0.0.2", 40000, TCP_ACK_);
	return v2;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * One table: the three packets against each number of rules. The rule sets
 * are all written first, each a rules generation of its own; a round then
 * switches the port to each in turn (one write of lxcnet_fw) and times the
 * no-op program and the three packets once: what the machine does meanwhile
 * falls on every size alike. Each figure is the median of ROUNDS rounds.
 */
static void table(struct port_bpf *skel, enum rules_form form, int noop_fd, unsigned repeat)
{
	static const unsigned sizes[] = { 0, 1, 100, 1000, 10000 };
	enum { N_SIZES = ELEMENTSOF(sizes) };
	int egress = bpf_program__fd(skel->progs.tc_egress);
	struct lxcnet_fw fw[N_SIZES];
	int array_fd[N_SIZES];
	bool loaded[N_SIZES];
	double t[N_SIZES][3][ROUNDS], base[ROUNDS], first[3] = {}, b;
	int vh[N_SIZES] = {}, vm[N_SIZES] = {}, ve[N_SIZES] = {}, va = -1, v;
	unsigned char fh[N_SIZES][128], fm[128], fe[128];
	size_t lh[N_SIZES], lm, le = 0;

	for (size_t i = 0; i < N_SIZES; i++) {
		unsigned n = sizes[i], last = n ? n - 1 : 0;
		char src[32];

		loaded[i] = load_rules(skel, n, form, (__u32)(form * 10 + i + 1), &fw[i]) >= 0;
		/* A slot has two places in lxcnet_fw_rules: a round puts each size's array back in its place. */
		array_fd[i] = loaded[i] ? datapath_fw_rules_array(bpf_map__fd(skel->maps.lxcnet_fw_rules), slot, fw[i].rules_gen) :
					  -1;
		snprintf(src, sizeof(src), "100.%u.%u.%u", 64 + last / 65536, (last / 256) % 256, last % 256);
		lh[i] = syn(fh[i], src, 1000 + last % 5000);
	}
	lm = syn(fm, "172.16.0.1", 80);
	for (size_t i = 0; i < N_SIZES; i++)
		if (loaded[i]) {
			/* The connection is the slot's (its gen), whatever the rules: made once, it is there for every size. */
			rules_switch(skel, &fw[i], array_fd[i]);
			va = establish(skel, fe, &le);
			break;
		}
	for (int r = 0; r < ROUNDS; r++) {
		base[r] = ns_per_packet(noop_fd, fm, lm, repeat, &v);
		for (size_t i = 0; i < N_SIZES; i++) {
			if (!loaded[i])
				continue;
			rules_switch(skel, &fw[i], array_fd[i]);
			t[i][0][r] = ns_per_packet(egress, fh[i], lh[i], repeat, &vh[i]);
			t[i][1][r] = ns_per_packet(egress, fm, lm, repeat, &vm[i]);
			t[i][2][r] = ns_per_packet(egress, fe, le, repeat, &ve[i]);
		}
	}
	qsort(base, ROUNDS, sizeof(*base), cmp_double);
	b = base[ROUNDS / 2];
	printf("# %7s  %-27s %-27s %-27s\n", "rules", "new conn., last rule", "new conn., no rule", "established");
	printf("# %7s  %-27s %-27s %-27s   (no-op %.1f ns)\n", "", "ns (over no-op, to 1 rule)", "ns (over no-op, to 1 rule)",
	       "ns (over no-op, to 1 rule)", b);
	for (size_t i = 0; i < N_SIZES; i++) {
		unsigned n = sizes[i];

		if (!loaded[i]) {
			printf("# %7u  cannot load the rules\n", n);
			continue;
		}
		printf("# %7u ", n);
		for (int k = 0; k < 3; k++) {
			char cell[64];
			double m;

			qsort(t[i][k], ROUNDS, sizeof(double), cmp_double);
			m = t[i][k][ROUNDS / 2];
			if (n == 1)
				first[k] = m;
			snprintf(cell, sizeof(cell), "%.1f (%.1f, %s%.2f%s)", m, m - b, n ? "" : "[",
				 first[k] > 0 ? m / first[k] : 1.0, n ? "" : "]");
			printf(" %-27s", cell);
		}
		printf("\n");
		if ((n && vh[i] != TC_ACT_SHOT) || vm[i] != TC_ACT_SHOT || va == TC_ACT_SHOT || ve[i] == TC_ACT_SHOT)
			printf("#   (verdicts %d, %d, %d: not a drop, a drop, a pass as they should be; the figures are not what they say)\n",
			       vh[i], vm[i], ve[i]);
	}
	for (size_t i = 0; i < N_SIZES; i++)
		if (array_fd[i] >= 0)
			close(array_fd[i]);
}

int main(int argc, char **argv)
{
	const char *noop_path = argc > 1 ? argv[1] : "test/bench/noop.bpf.o";
	const char *rep = getenv("LXCNET_BENCH_REPEAT");
	unsigned repeat = rep && atoi(rep) > 0 ? (unsigned)atoi(rep) : 100000;
	struct bpf_object *noop_obj;
	struct bpf_program *noop;
	struct port_bpf *skel;
	struct bpf_map *map;
	unsigned char f[128];
	double base, plain;
	int verdict;
	size_t len;

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
	base = median_ns(bpf_program__fd(noop), f, syn(f, "172.16.0.1", 80), repeat, &verdict);
	{
		struct lxcnet_port p = { .ifindex = ifindex };

		bpf_map__update_elem(skel->maps.lxcnet_ports, &slot, sizeof(slot), &p, sizeof(p), BPF_ANY);
		len = tcp(f, "172.16.0.1", 80, "10.0.0.2", 40000, TCP_ACK_);
		plain = median_ns(bpf_program__fd(skel->progs.tc_egress), f, len, repeat, &verdict);
	}
	printf("# the guest firewall's IN rules (policy DROP), ns per packet through bpf_prog_test_run, medians of %d x %u;\n", ROUNDS,
	       repeat);
	printf("# the no-op program: %.1f ns; the port program without the firewall, a TCP ACK: %.1f ns (%.1f over no-op)\n",
	       base, plain, plain - base);
	table(skel, ONE_EACH, bpf_program__fd(noop), repeat);
	printf("# the same, each rule naming a second source address (one test in the other fields, its first address's candidate)\n");
	table(skel, ADDR_LIST, bpf_program__fd(noop), repeat);
	printf("# the same, each rule naming four more ports too (not one test in two fields: the port looked up too)\n");
	table(skel, TWO_LISTS, bpf_program__fd(noop), repeat);
	printf("# [ ]: no rule, to the 1-rule figure\n");
	printf("ok 1 - benchmark ran\n1..1\n");
	port_bpf__destroy(skel);
	bpf_object__close(noop_obj);
	return 0;
}
