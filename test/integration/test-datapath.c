/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/datapath.c against the kernel: ports get slots, the tc filters
 * carry them, policies and counters follow the slot, slots come back on
 * clear, on sweep and when the table is full. Runs in its own network and
 * mount namespaces with a fresh bpffs on /sys/fs/bpf, so every link and pin
 * it makes is gone when it exits, whatever happens.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "clock.h"
#include "datapath.h"
#include "fw-classify.h"
#include "fw-rules.h"
#include "macro.h"
#include "tap.h"

static Datapath *dp;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static __u32 slot_in_index(int ifindex)
{
	__u32 key = (__u32)ifindex, slot = 0;

	return bpf_map_lookup_elem(dp->slots_fd, &key, &slot) < 0 ? 0 : slot;
}

static __u32 slot_owner(__u32 slot)
{
	struct lxcnet_port p = {};

	return bpf_map_lookup_elem(dp->ports_fd, &slot, &p) < 0 ? (__u32)-1 : p.ifindex;
}

/* The classid tc shows on ifname's lxcnet filter in direction dir ("ingress"/"egress"), as ":<hex>"; 0 if none. */
static unsigned tc_classid(const char *ifname, const char *dir)
{
	char cmd[128], line[512];
	unsigned classid = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc filter show dev %s %s 2>/dev/null", ifname, dir);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		const char *c = strstr(line, "flowid :");

		if (c && strstr(line, "handle 0x1c"))
			classid = (unsigned)strtoul(c + strlen("flowid :"), NULL, 16);
	}
	pclose(f);
	return classid;
}

static void set_counters(__u32 slot, __u64 packets)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_port_counters *c = calloc((size_t)ncpus, sizeof(*c));

	for (int i = 0; c && i < ncpus; i++)
		c[i].packets[LXCNET_FROM_CT] = packets;
	if (c)
		bpf_map_update_elem(dp->counters_fd, &slot, c, BPF_ANY);
}

/* Every slot but 0 owned by owner; indexed under ifindex base + slot when base is not 0. */
static void fill_slots(__u32 owner, __u32 base)
{
	for (__u32 s = 1; s < LXCNET_PORT_SLOTS; s++) {
		struct lxcnet_port p = { .ifindex = owner ? owner : base + s };
		__u32 key = base + s;

		if (base)
			bpf_map_update_elem(dp->slots_fd, &key, &s, BPF_ANY);
		bpf_map_update_elem(dp->ports_fd, &s, &p, BPF_ANY);
	}
}

/* Entries of slot in map fd (keys with the slot at slot_off, the rules generation after it); *ret_gen: those of gen. */
static size_t gen_entries(int fd, size_t key_size, size_t slot_off, __u32 slot, __u32 gen, size_t *ret_gen)
{
	uint8_t key[64], next[64];
	size_t n = 0;
	bool first = true;

	*ret_gen = 0;
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		__u32 s, g;

		first = false;
		memcpy(key, next, key_size);
		memcpy(&s, key + slot_off, 4);
		memcpy(&g, key + slot_off + 4, 4);
		n += s == slot;
		*ret_gen += s == slot && g == gen;
	}
	return n;
}

/* The rules of slot in lxcnet_fw_rules (rules_fd): in both generations' arrays; *ret_gen: in gen's, of gen. */
static size_t rule_entries(int rules_fd, __u32 slot, __u32 gen, size_t *ret_gen)
{
	size_t n = 0;

	*ret_gen = 0;
	for (__u32 g = 0; g < 2; g++) {
		_cleanup_close_ int fd = datapath_fw_rules_array(rules_fd, slot, g);
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		struct lxcnet_fw_rule first = {};

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			continue;
		n += info.max_entries;
		if ((g & 1) == (gen & 1) && bpf_map_lookup_elem(fd, &(__u32){ 0 }, &first) == 0 && first.rules_gen == gen)
			*ret_gen = info.max_entries;
	}
	return n;
}

/* The guest firewall text as a DatapathFw (policy IN DROP, OUT ACCEPT) in *f; false when it does not compile. */
static bool fw_of(const char *text, DatapathFw *f)
{
	_cleanup_(fw_config_freep) FwConfig *g = NULL;
	FwRuleSet rs = {};
	Diag d = {};
	bool r;

	*f = (DatapathFw){ .fw = { .policy_in = LXCNET_FW_DROP, .policy_out = LXCNET_FW_ACCEPT } };
	r = fw_config_parse("100.fw", FW_GUEST, text, strlen(text), &g, &d) >= 0 && fw_rules_expand(NULL, g, 0, &rs, &d) >= 0 &&
	    fw_classify(&rs, &f->rules) >= 0;
	if (r)
		fw_classifier_describe(f->rules, &f->fw);
	fw_ruleset_done(&rs);
	return r;
}

/* slot's entries in the four rules maps: all of them, and those of its generation in force. */
static void rules_entries(__u32 slot, size_t all[4], size_t cur[4])
{
	const DatapathFwMaps *m = &dp->fw_rules;
	struct lxcnet_fw fw = {};

	(void)bpf_map_lookup_elem(dp->fw_fd, &slot, &fw);
	all[0] = gen_entries(m->match_fd, sizeof(struct lxcnet_fw_matchkey), offsetof(struct lxcnet_fw_matchkey, slot), slot,
			     fw.rules_gen, &cur[0]);
	all[1] = gen_entries(m->exact_fd, sizeof(struct lxcnet_fw_matchkey), offsetof(struct lxcnet_fw_matchkey, slot), slot,
			     fw.rules_gen, &cur[1]);
	all[2] = gen_entries(m->bits_fd, sizeof(struct lxcnet_fw_bitskey), offsetof(struct lxcnet_fw_bitskey, slot), slot,
			     fw.rules_gen, &cur[2]);
	all[3] = rule_entries(m->rules_fd, slot, fw.rules_gen, &cur[3]);
}

/*
 * New rules are written beside the ones in force and switched to; the old
 * generation's entries then go, from every rules map, and only the port's:
 * another port's 10,000 rules stay as they are. Ports c (10,000 rules) and
 * b (a few) are firewalled for it, and left without a firewall after.
 */
static void fw_generations(int b, int c)
{
	struct lxcnet_port policy = { .flags = LXCNET_PORT_FIREWALL };
	_cleanup_free_ char *big = NULL;
	size_t size = 0, all[4], cur[4], call[4], ccur[4], call2[4], ccur2[4];
	FILE *f = open_memstream(&big, &size);
	DatapathFw fc, fb1, fb2;
	__u32 slot_b, slot_c;
	uint64_t t0, t1;
	Diag d = {};

	if (!f)
		return;
	fputs("[RULES]\n", f);
	for (unsigned i = 0; i < 10000; i++)
		fprintf(f, "IN DROP -source 100.%u.%u.%u,100.128.0.1 -p tcp -dport %u\n", 64 + i / 65536, (i / 256) % 256, i % 256,
			1000 + i % 5000);
	fclose(f);
	if (!ok(fw_of(big, &fc) && fw_of("[RULES]\nIN ACCEPT -p tcp -dport 22\nIN ACCEPT -source 10.0.0.0/8\n", &fb1) &&
			fw_of("[RULES]\nIN ACCEPT -p tcp -dport 80\nOUT DROP -dest 192.168.0.0/16 -p udp\n", &fb2),
		"firewall: three rule sets compiled")) {
		return;
	}
	is_int(datapath_port_set_fw(dp, c, &policy, NULL, &fc, &d), 0, "firewall: dpc with 10,000 rules (%s)", d.msg);
	is_int(datapath_port_set_fw(dp, b, &policy, NULL, &fb1, &d), 0, "firewall: dpb with 2 rules (%s)", d.msg);
	slot_b = slot_in_index(b);
	slot_c = slot_in_index(c);
	rules_entries(slot_c, call, ccur);
	ok(call[3] == 10000 && ccur[3] == 10000 && call[1] > 10000, "firewall: dpc's 10,000 rules in force (%zu exact values)",
	   call[1]);
	{
		_cleanup_free_ struct lxcnet_fw_rule *v = NULL;
		struct lxcnet_fw fw = {};
		size_t all_drop = 0;

		t0 = clock_usec(CLOCK_MONOTONIC);
		if (datapath_port_fw_rules(dp, c, &fw, &v) == 0)
			for (size_t i = 0; i < fw.n_rules[LXCNET_TO_CT]; i++)
				all_drop += v[i].verdict == LXCNET_FW_DROP && v[i].rules_gen == fw.rules_gen;
		t1 = clock_usec(CLOCK_MONOTONIC);
		ok(v && fw.n_rules[LXCNET_TO_CT] == 10000 && all_drop == 10000,
		   "firewall: dpc's 10,000 rules read back, each a DROP of the generation in force (%zu; %.1f ms)", all_drop,
		   (double)(t1 - t0) / 1000);
	}
	t0 = clock_usec(CLOCK_MONOTONIC);
	is_int(datapath_port_set_fw(dp, b, &policy, NULL, &fb2, &d), 0, "firewall: dpb's rules replaced (%s)", d.msg);
	t1 = clock_usec(CLOCK_MONOTONIC);
	tap_diag("replacing dpb's 2 rules beside dpc's 10,000: %.1f ms", (double)(t1 - t0) / 1000);
	rules_entries(slot_b, all, cur);
	ok(all[3] == 2 && cur[3] == 2 && all[0] == cur[0] && all[1] == cur[1] && all[2] == cur[2],
	   "firewall: dpb keeps only the generation in force in every rules map (%zu, %zu, %zu, %zu entries)", all[0], all[1],
	   all[2], all[3]);
	rules_entries(slot_c, call2, ccur2);
	ok(memcmp(call, call2, sizeof(call)) == 0 && memcmp(ccur, ccur2, sizeof(ccur)) == 0,
	   "firewall: dpc's entries are untouched (%zu, %zu, %zu, %zu)", call2[0], call2[1], call2[2], call2[3]);
	policy.flags = 0;
	is_int(datapath_port_set(dp, b, &policy, NULL, &d), 0, "firewall: dpb without it");
	is_int(datapath_port_set(dp, c, &policy, NULL, &d), 0, "firewall: dpc without it");
	rules_entries(slot_b, all, cur);
	rules_entries(slot_c, call, ccur);
	ok(all[0] + all[1] + all[2] + all[3] == 0 && call[0] + call[1] + call[2] + call[3] == 0,
	   "firewall: none of their entries is left");
	datapath_fw_done(&fc);
	datapath_fw_done(&fb1);
	datapath_fw_done(&fb2);
}

int main(void)
{
	struct lxcnet_port policy = { .tag = 100 }, got;
	struct lxcnet_trunks trunks = { .vids = { [300 / 64] = 1ULL << (300 % 64) } }, got_trunks;
	struct lxcnet_port_stats st;
	int a, b, c, d_if;
	__u32 slot_a, slot_b, slot_c;
	unsigned removed = 0;
	Diag d = {};
	int r;

	if (geteuid() != 0)
		tap_skip_all("needs root (namespaces, BPF)");
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
		tap_skip_all("cannot make private network and mount namespaces with a bpffs");
	setenv("LXCNET_BPF_ROOT", "/sys/fs/bpf/lxcnet", 1);
	if (sh("ip link add dpa type veth peer name dpa-p && ip link add dpb type veth peer name dpb-p && "
	       "ip link add dpc type veth peer name dpc-p && ip link add dpd type veth peer name dpd-p") != 0)
		tap_skip_all("cannot create veths");
	a = (int)if_nametoindex("dpa");
	b = (int)if_nametoindex("dpb");
	c = (int)if_nametoindex("dpc");
	d_if = (int)if_nametoindex("dpd");

	r = datapath_open(true, &dp, &d);
	if (r < 0) {
		tap_diag("%s", d.msg);
		tap_skip_all("cannot load the datapath");
	}

	/* A port gets a slot; the filters carry it; the policy reads back with its owner. */
	r = datapath_port_set(dp, a, &policy, NULL, &d);
	is_int(r, 0, "set the policy of dpa (%s)", d.msg);
	slot_a = slot_in_index(a);
	ok(slot_a > 0 && slot_a < LXCNET_PORT_SLOTS, "dpa has slot %u", slot_a);
	is_int((int)slot_owner(slot_a), a, "the slot's owner is dpa");
	is_int((int)tc_classid("dpa", "ingress"), (int)slot_a, "the ingress filter's classid is the slot");
	is_int((int)tc_classid("dpa", "egress"), (int)slot_a, "the egress filter's classid is the slot");
	r = datapath_port_get(dp, a, &got, &got_trunks);
	ok(r == 0 && got.tag == 100 && got.ifindex == (__u32)a && !(got.flags & LXCNET_PORT_TRUNKS), "get: tag 100, owner dpa, no trunks");
	r = datapath_port_stats(dp, a, &st);
	ok(r == 0 && st.packets[LXCNET_FROM_CT] == 0, "a new port counts zero");

	/* Setting again keeps the slot and the counters. */
	set_counters(slot_a, 7);
	policy.tag = 200;
	is_int(datapath_port_set(dp, a, &policy, NULL, &d), 0, "set dpa again with tag 200");
	is_int((int)slot_in_index(a), (int)slot_a, "same slot");
	r = datapath_port_get(dp, a, &got, NULL);
	ok(r == 0 && got.tag == 200, "get: tag 200");
	r = datapath_port_stats(dp, a, &st);
	ok(r == 0 && st.packets[LXCNET_FROM_CT] == 7u * (unsigned)libbpf_num_possible_cpus(), "its counters are kept");

	/* Trunks go to their own map, flagged in the policy. */
	policy.tag = 0;
	is_int(datapath_port_set(dp, b, &policy, &trunks, &d), 0, "set dpb with trunks=300");
	slot_b = slot_in_index(b);
	ok(slot_b > 0 && slot_b != slot_a, "dpb has its own slot %u", slot_b);
	r = datapath_port_get(dp, b, &got, &got_trunks);
	ok(r == 0 && (got.flags & LXCNET_PORT_TRUNKS) && got_trunks.vids[300 / 64] == 1ULL << (300 % 64),
	   "get: trunks flag and VLAN 300");
	is_int(datapath_port_set(dp, b, &policy, NULL, &d), 0, "set dpb without trunks");
	r = datapath_port_get(dp, b, &got, &got_trunks);
	ok(r == 0 && !(got.flags & LXCNET_PORT_TRUNKS) && got_trunks.vids[300 / 64] == 0, "get: no trunks");
	ok(bpf_map_lookup_elem(dp->trunks_fd, &slot_b, &got_trunks) < 0 && errno == ENOENT, "the trunks entry is gone");

	/* A fresh slot starts at zero, whatever was left in it. */
	slot_c = 1 + (__u32)c % (LXCNET_PORT_SLOTS - 1);
	set_counters(slot_c, 5);
	is_int(datapath_port_set(dp, c, &policy, NULL, &d), 0, "set dpc");
	is_int((int)slot_in_index(c), (int)slot_c, "dpc's slot is the one its ifindex points to");
	r = datapath_port_stats(dp, c, &st);
	ok(r == 0 && st.packets[LXCNET_FROM_CT] == 0, "leftover counters in a new slot are cleared");

	fw_generations(b, c);

	/* Clear gives the slot back. */
	is_int(datapath_port_clear(dp, a), 0, "clear dpa");
	is_int(datapath_port_get(dp, a, &got, NULL), -ENOENT, "get after clear: -ENOENT");
	is_int(datapath_port_stats(dp, a, &st), -ENOENT, "stats after clear: -ENOENT");
	is_int((int)slot_owner(slot_a), 0, "dpa's slot is free");
	is_int((int)slot_in_index(a), 0, "and dpa is no longer indexed");
	is_int((int)tc_classid("dpa", "ingress"), 0, "dpa's filter is gone");
	is_int(datapath_port_clear(dp, a), 0, "clear again: still fine");

	/* An index entry pointing at someone else's slot is not a port. */
	{
		__u32 key = (__u32)d_if;

		bpf_map_update_elem(dp->slots_fd, &key, &slot_c, BPF_ANY);
		is_int(datapath_port_get(dp, d_if, &got, NULL), -ENOENT, "stale index entry: get -ENOENT");
		is_int(datapath_port_set(dp, d_if, &policy, NULL, &d), 0, "and set takes a slot of its own");
		ok(slot_in_index(d_if) != slot_c && slot_owner(slot_c) == (__u32)c, "dpc keeps its slot");
		datapath_port_clear(dp, d_if);
	}

	/* Sweep: dpb's interface goes without being cleared. */
	sh("ip link del dpb");
	is_int(datapath_sweep(dp, &removed), 0, "sweep");
	is_int((int)removed, 1, "sweep removed one port");
	is_int((int)slot_owner(slot_b), 0, "dpb's slot is free");
	ok(slot_owner(slot_c) == (__u32)c, "dpc's slot is kept");

	/* Full: every slot owned by a live interface. */
	datapath_port_clear(dp, c);
	fill_slots(1, 0);
	d = (Diag){};
	r = datapath_port_set(dp, a, &policy, NULL, &d);
	is_int(r, -ENOSPC, "no free slot: -ENOSPC");
	is_str(d.msg, "all 16383 datapath port slots are in use", "and says so");
	is_int((int)tc_classid("dpa", "ingress"), 0, "nothing attached");

	/* Full of ports whose interfaces are gone: they are taken back. */
	fill_slots(0, 100000);
	d = (Diag){};
	r = datapath_port_set(dp, a, &policy, NULL, &d);
	is_int(r, 0, "slots of gone interfaces are taken back when full (%s)", d.msg);
	{
		__u32 key = 100000 + 5, slot;

		ok(bpf_map_lookup_elem(dp->slots_fd, &key, &slot) < 0, "their index entries are gone");
	}
	is_int((int)slot_owner(slot_in_index(a)), a, "dpa owns its slot");

	datapath_free(dp);
	return tap_done();
}
