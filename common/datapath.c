/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "datapath.h"
#include "fw-classify.h"
#include "port.skel.h"
#include "strutil.h"

static const char *const pin_names[] = { "lxcnet_ports",    "lxcnet_counters", "lxcnet_trunks",   "lxcnet_drops",
					 "lxcnet_slots",    "lxcnet_fw",       "lxcnet_fw_ipset", "lxcnet_ct4",
					 "lxcnet_ct6",      "lxcnet_edt",      "lxcnet_fw_match", "lxcnet_fw_exact",
					 "lxcnet_fw_bits",  "lxcnet_fw_rules", "lxcnet_ct_seen",  "tc_ingress",
					 "tc_egress" };

void datapath_free(Datapath *dp)
{
	if (!dp)
		return;
	closep(&dp->ports_fd);
	closep(&dp->counters_fd);
	closep(&dp->trunks_fd);
	closep(&dp->drops_fd);
	closep(&dp->slots_fd);
	closep(&dp->fw_fd);
	closep(&dp->fw_ipset_fd);
	closep(&dp->ct4_fd);
	closep(&dp->ct6_fd);
	closep(&dp->ct_seen_fd);
	closep(&dp->edt_fd);
	closep(&dp->fw_rules.match_fd);
	closep(&dp->fw_rules.exact_fd);
	closep(&dp->fw_rules.bits_fd);
	closep(&dp->fw_rules.rules_fd);
	closep(&dp->ingress_fd);
	closep(&dp->egress_fd);
	free(dp->pin_dir);
	free(dp);
}

/* Load bpf/port.bpf.c; its maps pin themselves by name under pin_dir, the programs are pinned here. */
static int load_and_pin(const char *pin_dir, Diag *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct port_bpf *skel;
	int r;

	skel = port_bpf__open_opts(&opts);
	if (!skel)
		return diag_error(d, negative_errno(), "cannot open the datapath object: %m");
	r = port_bpf__load(skel);
	if (r < 0) {
		port_bpf__destroy(skel);
		return diag_error(d, r, "the kernel refused the datapath programs: %s", strerror(-r));
	}
	r = bpf_pin_programs(skel->obj, pin_dir, d);
	port_bpf__destroy(skel);
	return r;
}

int datapath_open(bool load, Datapath **ret, Diag *d)
{
	_cleanup_(datapath_freep) Datapath *dp = calloc(1, sizeof(*dp));
	int r;

	if (!dp)
		return -ENOMEM;
	dp->ports_fd = dp->counters_fd = dp->trunks_fd = dp->drops_fd = dp->slots_fd = dp->ingress_fd = dp->egress_fd = -1;
	dp->fw_fd = dp->fw_ipset_fd = dp->ct4_fd = dp->ct6_fd = dp->ct_seen_fd = dp->edt_fd = -1;
	dp->fw_rules = (DatapathFwMaps){ -1, -1, -1, -1 };
	r = bpf_pins_open(LXCNET_BPF_ABI, pin_names,
			  (int *const[]){ &dp->ports_fd, &dp->counters_fd, &dp->trunks_fd, &dp->drops_fd, &dp->slots_fd,
					  &dp->fw_fd, &dp->fw_ipset_fd, &dp->ct4_fd, &dp->ct6_fd, &dp->edt_fd,
					  &dp->fw_rules.match_fd, &dp->fw_rules.exact_fd, &dp->fw_rules.bits_fd,
					  &dp->fw_rules.rules_fd, &dp->ct_seen_fd, &dp->ingress_fd, &dp->egress_fd },
			  ELEMENTSOF(pin_names), load, load_and_pin, &dp->pin_dir, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(dp);
	return 0;
}

bool datapath_current(const Datapath *dp)
{
	return bpf_pin_is(dp->pin_dir, "lxcnet_ports", dp->ports_fd);
}

bool datapath_orphans_possible(void)
{
	__u32 id = 0;

	for (;;) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		_cleanup_close_ int fd = -1;

		if (bpf_prog_get_next_id(id, &id) < 0)
			return errno != ENOENT; /* not allowed to look: it cannot be ruled out */
		fd = bpf_prog_get_fd_by_id(id);
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strcmp(info.name, "tc_ingress") == 0 &&
		    !bpf_prog_pinned_anywhere(id, "tc_ingress"))
			return true;
	}
}

bool datapath_port_orphaned(int ifindex)
{
	uint32_t id;

	return tc_filter_prog_id(ifindex, &id) >= 0 && id && !bpf_prog_pinned_anywhere(id, "tc_ingress");
}

/*
 * Slots are handed out and taken back under BPF_PINS_LOCK (hooks of containers
 * starting at once, lxcnetd). The index entry ifindex -> slot is written
 * before the slot and removed after it, so a slot in use is always indexed;
 * an index entry whose slot belongs to someone else is stale and ignored.
 */

/* The slot ifindex owns, or 0. */
static __u32 slot_of(Datapath *dp, __u32 ifindex, struct lxcnet_port *ret)
{
	struct lxcnet_port p;
	__u32 slot;

	if (bpf_map_lookup_elem(dp->slots_fd, &ifindex, &slot) < 0 || slot == 0 || slot >= LXCNET_PORT_SLOTS ||
	    bpf_map_lookup_elem(dp->ports_fd, &slot, &p) < 0 || p.ifindex != ifindex)
		return 0;
	if (ret)
		*ret = p;
	return slot;
}

/* A free slot, looked for from where ifindex points: interfaces are numbered in turn, so it is usually the first. */
static int slot_find_free(Datapath *dp, __u32 ifindex, __u32 *ret)
{
	const __u32 n = LXCNET_PORT_SLOTS - 1;

	for (__u32 i = 0; i < n; i++) {
		__u32 slot = 1 + (ifindex + i) % n;
		struct lxcnet_port p;

		if (bpf_map_lookup_elem(dp->ports_fd, &slot, &p) < 0)
			return negative_errno();
		if (p.ifindex == 0) {
			*ret = slot;
			return 0;
		}
	}
	return -ENOSPC;
}

/*
 * Onto keys (n of them), key when it is slot's (at slot_off, its generation
 * right after) and of another generation than keep.
 */
static int gen_collect(uint8_t **keys, size_t *n, const uint8_t *key, size_t key_size, size_t slot_off, __u32 slot,
		       __u32 keep)
{
	uint8_t *at;
	__u32 s, g;

	memcpy(&s, key + slot_off, 4);
	memcpy(&g, key + slot_off + 4, 4);
	if (s != slot || (keep && g == keep))
		return 0;
	at = array_grow(keys, *n, key_size);
	if (!at)
		return -ENOMEM;
	memcpy(at, key, key_size);
	(*n)++;
	return 0;
}

#define PRUNE_BATCH 4096

/*
 * gen_collect() over hash map fd, read PRUNE_BATCH entries at a time: one
 * call where key by key costs one per entry, which the datapath lock would
 * be held for.
 */
static int gen_stale_batch(int fd, size_t key_size, size_t value_size, size_t slot_off, __u32 slot, __u32 keep,
			   uint8_t **keys, size_t *n)
{
	_cleanup_free_ uint8_t *kb = malloc(PRUNE_BATCH * key_size), *vb = malloc(PRUNE_BATCH * value_size);
	uint64_t in = 0, out = 0; /* the walk's position: a bucket's index for hash maps */
	bool first = true;

	if (!kb || !vb)
		return -ENOMEM;
	for (;;) {
		__u32 count = PRUNE_BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, kb, vb, &count, NULL);

		if (r < 0 && errno != ENOENT)
			return negative_errno();
		for (__u32 i = 0; i < count; i++)
			if (gen_collect(keys, n, kb + i * key_size, key_size, slot_off, slot, keep) < 0)
				return -ENOMEM;
		if (r < 0) /* ENOENT: that was the last */
			return 0;
		in = out;
		first = false;
	}
}

/*
 * Delete slot's entries of every generation but keep (all with keep 0,
 * which no generation has) from the map fd, whose keys have the slot at
 * slot_off and the generation right after it: the ipfilter set's and the
 * rules' maps. Collected first: deleting while walking restarts the walk.
 * Hash maps are read and deleted in batches; the tries key by key.
 */
static int gen_prune(int fd, size_t key_size, size_t slot_off, __u32 slot, __u32 keep)
{
	_cleanup_free_ uint8_t *keys = NULL;
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	uint8_t key[64], next[64];
	size_t n = 0;
	bool first = true;
	int r = -EOPNOTSUPP;

	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0 && info.type == BPF_MAP_TYPE_HASH && info.key_size == key_size)
		r = gen_stale_batch(fd, key_size, info.value_size, slot_off, slot, keep, &keys, &n);
	/* No batches here (or they failed): key by key, as before them. */
	if (r < 0) {
		free(keys);
		keys = NULL;
		n = 0;
		while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
			first = false;
			memcpy(key, next, key_size);
			if (gen_collect(&keys, &n, key, key_size, slot_off, slot, keep) < 0)
				return -ENOMEM;
		}
	}
	if (n && info.type == BPF_MAP_TYPE_HASH) {
		__u32 count = (__u32)n;

		if (bpf_map_delete_batch(fd, keys, &count, NULL) == 0)
			return 0;
	}
	for (size_t i = 0; i < n; i++)
		(void)bpf_map_delete_elem(fd, keys + i * key_size);
	return 0;
}

static int fw_set_prune(Datapath *dp, __u32 slot, __u32 keep)
{
	return gen_prune(dp->fw_ipset_fd, sizeof(struct lxcnet_fw_ipkey), offsetof(struct lxcnet_fw_ipkey, slot), slot, keep);
}

static void fw_rules_prune(Datapath *dp, __u32 slot, __u32 keep)
{
	const DatapathFwMaps *m = &dp->fw_rules;

	(void)gen_prune(m->match_fd, sizeof(struct lxcnet_fw_matchkey), offsetof(struct lxcnet_fw_matchkey, slot), slot, keep);
	(void)gen_prune(m->exact_fd, sizeof(struct lxcnet_fw_matchkey), offsetof(struct lxcnet_fw_matchkey, slot), slot, keep);
	(void)gen_prune(m->bits_fd, sizeof(struct lxcnet_fw_bitskey), offsetof(struct lxcnet_fw_bitskey, slot), slot, keep);
	/* The rules' arrays: the other generation's place (both with keep 0); the kernel frees one no one holds. */
	for (__u32 g = 0; g < 2; g++)
		if (!keep || (g & 1) != (keep & 1)) {
			__u32 k = LXCNET_FW_RULES_KEY(slot, g);

			(void)bpf_map_delete_elem(m->rules_fd, &k);
		}
}

/*
 * An element of a map without preallocation. Linux 6.1 takes hash maps'
 * elements from a per-CPU cache that is refilled asynchronously (at once
 * where the CPU can interrupt itself, at the next tick elsewhere, as under
 * User-Mode Linux): ENOMEM there means wait a little. Memory that is
 * really short fails the write after 2 s without progress; a slow refill
 * (UML's ticks) only makes it slower.
 */
static int map_add(int fd, const void *key, const void *value)
{
	for (int tries = 0;; tries++) {
		if (bpf_map_update_elem(fd, key, value, BPF_ANY) == 0)
			return 0;
		if (errno != ENOMEM || tries >= 2000)
			return negative_errno();
		(void)usleep(1000);
	}
}

/*
 * The rules of generation gen (OUT, then IN) in an array of their own, put
 * in gen's place in lxcnet_fw_rules (rules_fd); none without rules.
 */
static int fw_rules_array_write(int rules_fd, uint32_t slot, uint32_t gen, const FwClassifier *c)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_INNER_MAP);
	__u32 n = (__u32)c->n_rules[LXCNET_FROM_CT] + c->n_rules[LXCNET_TO_CT], o = 0, count;
	__u32 key = LXCNET_FW_RULES_KEY(slot, gen);
	_cleanup_free_ struct lxcnet_fw_rule *v = NULL;
	_cleanup_free_ __u32 *keys = NULL;
	_cleanup_close_ int fd = -1;

	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	keys = calloc(n, sizeof(*keys));
	if (!v || !keys)
		return -ENOMEM;
	for (int dir = 0; dir < _LXCNET_DIR_MAX; dir++)
		for (uint16_t i = 0; i < c->n_rules[dir]; i++, o++) {
			v[o] = (struct lxcnet_fw_rule){ .verdict = c->verdicts[dir][i], .rules_gen = gen,
							.test = c->tests[dir][i] };
			keys[o] = o;
		}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lxcnet_fw_rule", sizeof(__u32), sizeof(*v), n, &opts);
	if (fd < 0)
		return negative_errno();
	count = n;
	if (bpf_map_update_batch(fd, keys, v, &count, NULL) < 0) {
		/* No batches here: one by one. */
		for (__u32 i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], &v[i], BPF_ANY) < 0)
				return negative_errno();
	}
	return bpf_map_update_elem(rules_fd, &key, &fd, BPF_ANY) < 0 ? negative_errno() : 0;
}

int datapath_fw_rules_write(const DatapathFwMaps *m, uint32_t slot, uint32_t gen, const FwClassifier *c)
{
	int r;

	for (size_t i = 0; i < c->n_match; i++) {
		const FwMatchEntry *e = &c->match[i];
		struct lxcnet_fw_matchkey k = { .prefixlen = LXCNET_FW_MATCHKEY_BITS + e->len, .slot = slot, .rules_gen = gen,
						.dir = e->dir, .field = e->field, .family = e->family };

		memcpy(k.value, e->value, sizeof(k.value));
		r = map_add(fw_value_whole(e->field, e->family, e->len) ? m->exact_fd : m->match_fd, &k, &e->val);
		/* The whole range of a field without other prefixes: beside the whole values too (the trie keeps it for older programs). */
		if (r >= 0 && e->len == 0 && ((c->whole_only[e->dir] >> e->field) & 1))
			r = map_add(m->exact_fd, &k, &e->val);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < c->n_chunks; i++) {
		struct lxcnet_fw_bitskey k = { .slot = slot, .rules_gen = gen, .id = c->chunks[i].id,
					       .chunk = c->chunks[i].chunk };

		r = map_add(m->bits_fd, &k, &c->chunks[i].word);
		if (r < 0)
			return r;
	}
	return fw_rules_array_write(m->rules_fd, slot, gen, c);
}

/* The slot's guest firewall goes (its connections are of a generation nobody uses any more). */
static void fw_clear(Datapath *dp, __u32 slot)
{
	struct lxcnet_fw fw = {};

	if (bpf_map_lookup_elem(dp->fw_fd, &slot, &fw) < 0 || !fw.ifindex)
		return;
	fw = (struct lxcnet_fw){};
	(void)bpf_map_update_elem(dp->fw_fd, &slot, &fw, BPF_ANY);
	(void)fw_set_prune(dp, slot, 0);
	fw_rules_prune(dp, slot, 0);
}

/* Give slot back: its policy, trunks, drops and firewall go, then the index entry. Under the lock. */
static void slot_free(Datapath *dp, __u32 ifindex, __u32 slot)
{
	struct lxcnet_port none = {};

	if (slot) {
		(void)bpf_map_update_elem(dp->ports_fd, &slot, &none, BPF_ANY);
		(void)bpf_map_delete_elem(dp->trunks_fd, &slot);
		fw_clear(dp, slot);
	}
	(void)bpf_map_delete_elem(dp->slots_fd, &ifindex);
}

/*
 * slot's firewall and set for ifindex, before the policy that uses them.
 * The new set is written beside the one in force (another set generation);
 * the firewall's entry then switches to it in one write, and the old set
 * goes. Under the lock.
 */
static int fw_install(Datapath *dp, __u32 slot, __u32 ifindex, const DatapathFw *f)
{
	struct lxcnet_fw fw = f->fw, old = {};
	int r = 0;

	/* The same port keeps its connections; a new owner of the slot gets a generation of its own. */
	(void)bpf_map_lookup_elem(dp->fw_fd, &slot, &old);
	if (old.ifindex == ifindex && old.gen)
		fw.gen = old.gen;
	else
		do
			r = (int)getrandom(&fw.gen, sizeof(fw.gen), 0);
		while (r >= 0 && !fw.gen);
	fw.ifindex = ifindex;
	fw.set_gen = old.set_gen + 1 ? old.set_gen + 1 : 1;
	r = 0;
	for (size_t i = 0; r >= 0 && i < f->n_set; i++) {
		const DatapathFwEntry *e = &f->set[i];
		struct lxcnet_fw_ipkey k = { .prefixlen = LXCNET_FW_IPKEY_BITS + e->prefixlen, .slot = slot,
					     .set_gen = fw.set_gen, .family = e->family };
		struct lxcnet_fw_ipentry v = { .nomatch = e->nomatch };

		memcpy(k.addr, e->addr, sizeof(k.addr));
		if (bpf_map_update_elem(dp->fw_ipset_fd, &k, &v, BPF_ANY) < 0)
			r = negative_errno();
	}
	/* The rules likewise: beside the ones in force, then switched to with the same write. */
	/* Its array takes the other place of the two in lxcnet_fw_rules (odd, even): past 2^32 - 1, 2. */
	fw.rules_gen = old.rules_gen + 1 ? old.rules_gen + 1 : 2;
	if (r >= 0 && f->rules)
		r = datapath_fw_rules_write(&dp->fw_rules, slot, fw.rules_gen, f->rules);
	if (r >= 0 && bpf_map_update_elem(dp->fw_fd, &slot, &fw, BPF_ANY) < 0)
		r = negative_errno();
	/* The set and rules not in force go: the old ones, or on failure the new ones. */
	(void)fw_set_prune(dp, slot, r >= 0 ? fw.set_gen : old.set_gen);
	fw_rules_prune(dp, slot, r >= 0 ? fw.rules_gen : old.rules_gen);
	return r;
}

static int sweep_locked(Datapath *dp, unsigned *ret_removed);

/* A fresh slot for ifindex, indexed, with its counters and departure time at zero. Under the lock. */
static int slot_take(Datapath *dp, __u32 ifindex, __u32 *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_port_counters *zero = NULL;
	__u32 slot;
	int r;

	if (ncpus <= 0)
		return -EINVAL;
	r = slot_find_free(dp, ifindex, &slot);
	if (r == -ENOSPC) {
		/* Ports whose interface is gone without being unplugged hold slots: take them back once. */
		(void)sweep_locked(dp, NULL);
		r = slot_find_free(dp, ifindex, &slot);
	}
	if (r < 0)
		return r;
	zero = calloc((size_t)ncpus, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(dp->slots_fd, &ifindex, &slot, BPF_ANY) < 0 ||
	    bpf_map_update_elem(dp->counters_fd, &slot, zero, BPF_ANY) < 0 ||
	    bpf_map_update_elem(dp->drops_fd, &slot, &(struct lxcnet_port_drops){}, BPF_ANY) < 0 ||
	    bpf_map_update_elem(dp->edt_fd, &slot, &(struct lxcnet_edt){}, BPF_ANY) < 0)
		return negative_errno();
	*ret = slot;
	return 0;
}

static bool trunks_any(const struct lxcnet_trunks *t)
{
	for (size_t i = 0; t && i < ELEMENTSOF(t->vids); i++)
		if (t->vids[i])
			return true;
	return false;
}

int datapath_port_set(Datapath *dp, int ifindex, const struct lxcnet_port *policy, const struct lxcnet_trunks *trunks,
		      Diag *d)
{
	return datapath_port_set_fw(dp, ifindex, policy, trunks, NULL, d);
}

int datapath_port_set_fw(Datapath *dp, int ifindex, const struct lxcnet_port *policy, const struct lxcnet_trunks *trunks,
			 const DatapathFw *fw, Diag *d)
{
	struct lxcnet_port entry = *policy;
	__u32 key = (__u32)ifindex, slot;
	bool fresh = false;
	int lock, r;

	lock = bpf_pins_lock();
	if (lock < 0)
		return diag_error(d, lock, "cannot lock %s: %s", BPF_PINS_LOCK, strerror(-lock));
	slot = slot_of(dp, key, NULL);
	if (!slot) {
		r = slot_take(dp, key, &slot);
		if (r < 0) {
			close(lock);
			if (r == -ENOSPC)
				return diag_error(d, r, "all %d datapath port slots are in use", LXCNET_PORT_SLOTS - 1);
			return diag_error(d, r, "cannot take a datapath slot for ifindex %d: %s", ifindex, strerror(-r));
		}
		fresh = true;
	}
	entry.ifindex = key;
	entry.flags = (__u16)((policy->flags & LXCNET_PORT_FILTERS) | (trunks_any(trunks) ? LXCNET_PORT_TRUNKS : 0) |
			      (fw ? LXCNET_PORT_FIREWALL : 0));
	/* Trunks and the firewall before the flags that send the programs to them, and gone only after them. */
	r = 0;
	if (entry.flags & LXCNET_PORT_TRUNKS)
		r = bpf_map_update_elem(dp->trunks_fd, &slot, trunks, BPF_ANY);
	if (r >= 0 && fw) {
		r = fw_install(dp, slot, key, fw);
		if (r < 0) {
			if (fresh)
				slot_free(dp, key, slot);
			close(lock);
			return diag_error(d, r, "cannot set the guest firewall of ifindex %d: %s", ifindex, strerror(-r));
		}
	}
	/* Policy before the filters, so that no packet ever meets the programs without it. */
	if (r >= 0)
		r = bpf_map_update_elem(dp->ports_fd, &slot, &entry, BPF_ANY);
	if (r < 0) {
		r = negative_errno();
		if (fresh)
			slot_free(dp, key, slot);
		close(lock);
		return diag_error(d, r, "cannot set the datapath policy of ifindex %d: %s", ifindex, strerror(-r));
	}
	if (!(entry.flags & LXCNET_PORT_TRUNKS))
		(void)bpf_map_delete_elem(dp->trunks_fd, &slot);
	if (!fw)
		fw_clear(dp, slot);
	close(lock);

	r = tc_attach_pair(ifindex, dp->ingress_fd, dp->egress_fd, slot, NULL, d);
	if (r < 0)
		(void)datapath_port_clear(dp, ifindex);
	return r;
}

int datapath_port_clear(Datapath *dp, int ifindex)
{
	__u32 key = (__u32)ifindex;
	int lock;

	tc_detach_pair(ifindex);
	lock = bpf_pins_lock();
	if (lock < 0)
		return lock;
	slot_free(dp, key, slot_of(dp, key, NULL));
	close(lock);
	return 0;
}

int datapath_port_get(Datapath *dp, int ifindex, struct lxcnet_port *ret, struct lxcnet_trunks *ret_trunks)
{
	struct lxcnet_port p;
	__u32 slot = slot_of(dp, (__u32)ifindex, &p);

	if (!slot)
		return -ENOENT;
	if (ret_trunks) {
		memset(ret_trunks, 0, sizeof(*ret_trunks));
		if ((p.flags & LXCNET_PORT_TRUNKS) && bpf_map_lookup_elem(dp->trunks_fd, &slot, ret_trunks) < 0)
			return negative_errno();
	}
	*ret = p;
	return 0;
}

/* The slot of ifindex and its guest firewall (lxcnet_fw); -ENOENT when the port has none. */
static int port_fw(Datapath *dp, int ifindex, __u32 *ret_slot, struct lxcnet_fw *ret)
{
	struct lxcnet_port p;

	*ret_slot = slot_of(dp, (__u32)ifindex, &p);
	if (!*ret_slot || !(p.flags & LXCNET_PORT_FIREWALL))
		return -ENOENT;
	return bpf_map_lookup_elem(dp->fw_fd, ret_slot, ret) < 0 ? negative_errno() : 0;
}

int datapath_fw_rules_array(int rules_fd, uint32_t slot, uint32_t gen)
{
	__u32 key = LXCNET_FW_RULES_KEY(slot, gen), id;
	int fd;

	if (bpf_map_lookup_elem(rules_fd, &key, &id) < 0)
		return negative_errno();
	fd = bpf_map_get_fd_by_id(id);
	return fd < 0 ? negative_errno() : fd;
}

/*
 * The rules of generation gen in force at slot, read into v (n of them),
 * in one call where the kernel has batches; left zero where not there.
 */
static void fw_rules_array_read(int rules_fd, __u32 slot, __u32 gen, struct lxcnet_fw_rule *v, __u32 n)
{
	__u32 count = n, next;
	_cleanup_free_ __u32 *keys = NULL;
	_cleanup_close_ int fd = -1;
	bool whole;

	/* Written before the switch to its generation: missing only when the port was replugged meanwhile. */
	if (!n)
		return;
	fd = datapath_fw_rules_array(rules_fd, slot, gen);
	keys = calloc(n, sizeof(*keys));
	if (fd < 0 || !keys)
		return;
	/* ENOENT: the array's end, reached in this call. */
	whole = (bpf_map_lookup_batch(fd, NULL, &next, keys, v, &count, NULL) == 0 || errno == ENOENT) && count == n;
	for (__u32 i = 0; i < n; i++)
		if ((!whole && bpf_map_lookup_elem(fd, &i, &v[i]) < 0) || v[i].rules_gen != gen)
			v[i] = (struct lxcnet_fw_rule){};
}

int datapath_port_fw_rules(Datapath *dp, int ifindex, struct lxcnet_fw *ret_fw, struct lxcnet_fw_rule **ret)
{
	struct lxcnet_fw_rule *v;
	size_t n;
	__u32 slot;
	int r;

	*ret = NULL;
	r = port_fw(dp, ifindex, &slot, ret_fw);
	if (r < 0)
		return r;
	n = (size_t)ret_fw->n_rules[LXCNET_FROM_CT] + ret_fw->n_rules[LXCNET_TO_CT];
	v = calloc(n ?: 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fw_rules_array_read(dp->fw_rules.rules_fd, slot, ret_fw->rules_gen, v, (__u32)n);
	*ret = v;
	return 0;
}

int datapath_port_fw(Datapath *dp, int ifindex, DatapathFw *ret)
{
	struct lxcnet_fw_ipkey key, next;
	bool first = true;
	__u32 slot;
	int r;

	ret->n_set = 0;
	ret->rules = NULL;
	ret->warnings = NULL;
	r = port_fw(dp, ifindex, &slot, &ret->fw);
	if (r < 0)
		return r;
	while (bpf_map_get_next_key(dp->fw_ipset_fd, first ? NULL : &key, &next) == 0) {
		struct lxcnet_fw_ipentry v;
		DatapathFwEntry *e;

		first = false;
		key = next;
		if (key.slot != slot || key.set_gen != ret->fw.set_gen || bpf_map_lookup_elem(dp->fw_ipset_fd, &key, &v) < 0)
			continue;
		if (ret->n_set >= DATAPATH_FW_SET_MAX)
			return -E2BIG;
		e = &ret->set[ret->n_set++];
		*e = (DatapathFwEntry){ .family = key.family,
					.prefixlen = (uint8_t)(key.prefixlen - LXCNET_FW_IPKEY_BITS),
					.nomatch = v.nomatch };
		memcpy(e->addr, key.addr, sizeof(e->addr));
	}
	return 0;
}

static bool fw_set_has(const DatapathFw *f, const DatapathFwEntry *x, bool *nomatch)
{
	/* The last of equal entries is the one the datapath has (BPF_ANY). */
	for (size_t i = f->n_set; i > 0; i--) {
		const DatapathFwEntry *e = &f->set[i - 1];

		if (e->family == x->family && e->prefixlen == x->prefixlen && memcmp(e->addr, x->addr, sizeof(e->addr)) == 0) {
			*nomatch = e->nomatch;
			return true;
		}
	}
	return false;
}

bool datapath_fw_equal(const DatapathFw *a, const DatapathFw *b)
{
	if (a->fw.flags != b->fw.flags || a->fw.policy_in != b->fw.policy_in || a->fw.policy_out != b->fw.policy_out ||
	    a->fw.rules_hash != b->fw.rules_hash || memcmp(a->fw.n_rules, b->fw.n_rules, sizeof(a->fw.n_rules)) != 0)
		return false;
	for (int pass = 0; pass < 2; pass++) {
		const DatapathFw *x = pass ? b : a, *y = pass ? a : b;

		for (size_t i = 0; i < x->n_set; i++) {
			bool nx, ny;

			if (!fw_set_has(x, &x->set[i], &nx) || !fw_set_has(y, &x->set[i], &ny) || nx != ny)
				return false;
		}
	}
	return true;
}

int datapath_port_stats(Datapath *dp, int ifindex, struct lxcnet_port_stats *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_port_counters *counters = NULL;
	struct lxcnet_port_drops drops;
	struct lxcnet_port_stats sum = {};
	__u32 slot = slot_of(dp, (__u32)ifindex, NULL);

	if (!slot)
		return -ENOENT;
	if (ncpus <= 0)
		return -EINVAL;
	counters = calloc((size_t)ncpus, sizeof(*counters));
	if (!counters)
		return -ENOMEM;
	if (bpf_map_lookup_elem(dp->counters_fd, &slot, counters) < 0 ||
	    bpf_map_lookup_elem(dp->drops_fd, &slot, &drops) < 0)
		return negative_errno();
	for (int c = 0; c < ncpus; c++)
		for (int i = 0; i < _LXCNET_DIR_MAX; i++) {
			sum.packets[i] += counters[c].packets[i];
			sum.bytes[i] += counters[c].bytes[i];
		}
	memcpy(sum.drops, drops.drops, sizeof(sum.drops));
	*ret = sum;
	return 0;
}

static int sweep_locked(Datapath *dp, unsigned *ret_removed)
{
	_cleanup_free_ __u32 *dead = NULL;
	size_t n_dead = 0;
	unsigned removed = 0;
	__u32 key, next;
	bool first = true;

	/* Collect first, free after: deleting while iterating restarts a hash walk. */
	while (bpf_map_get_next_key(dp->slots_fd, first ? NULL : &key, &next) == 0) {
		char name[IF_NAMESIZE];
		__u32 *at;

		first = false;
		key = next;
		if (slot_of(dp, key, NULL) && if_indextoname(key, name))
			continue;
		at = array_grow(&dead, n_dead, sizeof(*dead));
		if (!at)
			return -ENOMEM;
		*at = key;
		n_dead++;
	}
	for (size_t i = 0; i < n_dead; i++) {
		__u32 slot = slot_of(dp, dead[i], NULL);

		slot_free(dp, dead[i], slot);
		if (slot)
			removed++;
	}
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}

int datapath_sweep(Datapath *dp, unsigned *ret_removed)
{
	int lock = bpf_pins_lock(), r;

	if (lock < 0)
		return lock;
	r = sweep_locked(dp, ret_removed);
	close(lock);
	return r;
}

static const char *const drop_reasons[_LXCNET_DROP_MAX] = {
	[LXCNET_DROP_MALFORMED] = "malformed",	   [LXCNET_DROP_VLAN_IN] = "vlan-in",
	[LXCNET_DROP_VLAN_OUT] = "vlan-out",	   [LXCNET_DROP_UNTAGGED_OUT] = "untagged-out",
	[LXCNET_DROP_SERVICE] = "service-tag",	   [LXCNET_DROP_TAG_OP] = "tag-op",
	[LXCNET_DROP_NO_POLICY] = "no-policy",	   [LXCNET_DROP_SPOOF_MAC] = "spoofed-mac",
	[LXCNET_DROP_SPOOF_IP4] = "spoofed-ipv4",  [LXCNET_DROP_SPOOF_IP6] = "spoofed-ipv6",
	[LXCNET_DROP_FW_INVALID] = "fw-invalid",   [LXCNET_DROP_FW_MAC] = "fw-macfilter",
	[LXCNET_DROP_FW_IP] = "fw-ipfilter",	   [LXCNET_DROP_FW_RADV] = "fw-radv",
	[LXCNET_DROP_FW_SMURF] = "fw-smurf",	   [LXCNET_DROP_FW_POLICY_IN] = "fw-policy-in",
	[LXCNET_DROP_FW_POLICY_OUT] = "fw-policy-out", [LXCNET_DROP_RATE] = "rate",
	[LXCNET_DROP_FW_RULE] = "fw-rule",	   [LXCNET_DROP_FW_REJECT] = "fw-reject",
};

const char *datapath_fw_verdict_name(unsigned verdict)
{
	return verdict == LXCNET_FW_ACCEPT ? "ACCEPT" : verdict == LXCNET_FW_REJECT ? "REJECT" : "DROP";
}

const char *datapath_drop_reason(unsigned reason)
{
	return reason < _LXCNET_DROP_MAX ? drop_reasons[reason] : "?";
}

/* Bytes set in filter f (LXCNET_CT_SEEN_BYTES of them). */
static size_t ct_seen_count(const uint8_t *f)
{
	size_t n = 0;

	for (size_t i = 0; i < LXCNET_CT_SEEN_BYTES; i++)
		n += __atomic_load_n(&f[i], __ATOMIC_RELAXED) != 0;
	return n;
}

/* The filter byte of a key of map family (4, 6). */
static __u32 ct_seen_hash(int family, const void *key)
{
	if (family == 4) {
		struct lxcnet_ct4_key k;

		memcpy(&k, key, sizeof(k));
		return lxcnet_ct4_seen_hash(&k);
	}
	struct lxcnet_ct6_key k;

	memcpy(&k, key, sizeof(k));
	return lxcnet_ct6_seen_hash(&k);
}

/* Mark every key of the connection map fd of family (4, 6) in filter f; *n counts them. */
static int ct_seen_mark_map(int fd, int family, uint8_t *f, size_t *n)
{
	const size_t key_size = family == 4 ? sizeof(struct lxcnet_ct4_key) : sizeof(struct lxcnet_ct6_key);
	enum { BATCH = 4096 };
	_cleanup_free_ uint8_t *keys = malloc(BATCH * key_size);
	_cleanup_free_ struct lxcnet_ct *values = malloc(BATCH * sizeof(*values));
	uint8_t token[64]; /* a hash map's position: a bucket's index */
	bool first = true;

	if (!keys || !values)
		return -ENOMEM;
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : token, token, keys, values, &count, &opts);

		if (r < 0 && errno != ENOENT)
			return negative_errno();
		for (__u32 i = 0; i < count; i++)
			__atomic_store_n(&f[ct_seen_hash(family, keys + i * key_size)], 1, __ATOMIC_RELAXED);
		*n += count;
		if (r < 0) /* ENOENT: that was the last */
			return 0;
		first = false;
	}
}

int datapath_ct_seen_renew(int seen_fd, int ct4_fd, int ct6_fd, size_t min_fill, DatapathCtSeen *ret)
{
	const size_t filter = LXCNET_CT_SEEN_BYTES, size = LXCNET_CT_SEEN_MAPPED;
	DatapathCtSeen st = {};
	uint8_t *mem, *control, *next;
	int r;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, seen_fd, 0);
	if (mem == MAP_FAILED)
		return negative_errno();
	control = mem + (size_t)LXCNET_CT_SEEN_CONTROL * LXCNET_CT_SEEN_LINE;
	st.in_use = __atomic_load_n(control, __ATOMIC_ACQUIRE) & 1;
	st.set_before = st.set_after = ct_seen_count(mem + st.in_use * filter);
	if (st.set_before < min_fill) {
		r = 0;
		goto out;
	}
	/*
	 * The program marks a connection in both filters after putting it in
	 * its map. One marked before this clears its byte was put before: the
	 * walk of the maps, after it, finds it. One marked after keeps its byte.
	 */
	next = mem + (1 - st.in_use) * filter;
	memset(next, 0, filter);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r = ct_seen_mark_map(ct4_fd, 4, next, &st.connections);
	if (r >= 0)
		r = ct_seen_mark_map(ct6_fd, 6, next, &st.connections);
	if (r < 0)
		goto out; /* the filter in use stays: it holds every key still */
	st.in_use = 1 - st.in_use;
	__atomic_store_n(control, (uint8_t)st.in_use, __ATOMIC_SEQ_CST);
	st.renewed = true;
	st.set_after = ct_seen_count(next);
	r = 0;
out:
	munmap(mem, size);
	if (r >= 0 && ret)
		*ret = st;
	return r;
}
