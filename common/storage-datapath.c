/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "storage-datapath.h"
#include "storage.skel.h"
#include "strutil.h"

static const char *const pin_names[] = { "lxcnet_storage_ifs", "lxcnet_storage_rules", "lxcnet_storage_stats", "tc_ingress",
					 "tc_egress" };

static const char *const drop_reasons[_LXCNET_STORAGE_DROP_MAX] = {
	[LXCNET_STORAGE_DROP_MALFORMED] = "malformed", [LXCNET_STORAGE_DROP_ADDRESS] = "address",
	[LXCNET_STORAGE_DROP_PORT] = "port",	       [LXCNET_STORAGE_DROP_PROTOCOL] = "protocol",
	[LXCNET_STORAGE_DROP_UNTAGGED] = "untagged",   [LXCNET_STORAGE_DROP_TAG_OP] = "tag-op",
	[LXCNET_STORAGE_DROP_NO_POLICY] = "no-policy",
};

const char *storage_datapath_drop_reason(unsigned reason)
{
	return reason < _LXCNET_STORAGE_DROP_MAX ? drop_reasons[reason] : "?";
}

void storage_datapath_free(StorageDatapath *sd)
{
	if (!sd)
		return;
	closep(&sd->ifs_fd);
	closep(&sd->rules_fd);
	closep(&sd->stats_fd);
	closep(&sd->ingress_fd);
	closep(&sd->egress_fd);
	free(sd->pin_dir);
	free(sd);
}

static int load_and_pin(const char *pin_dir, Diag *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct storage_bpf *skel;
	int r;

	skel = storage_bpf__open_opts(&opts);
	if (!skel)
		return diag_error(d, negative_errno(), "cannot open the storage network object: %m");
	r = storage_bpf__load(skel);
	if (r < 0) {
		storage_bpf__destroy(skel);
		return diag_error(d, r, "the kernel refused the storage network programs: %s", strerror(-r));
	}
	r = bpf_pin_programs(skel->obj, pin_dir, d);
	storage_bpf__destroy(skel);
	return r;
}

int storage_datapath_open(bool load, StorageDatapath **ret, Diag *d)
{
	_cleanup_(storage_datapath_freep) StorageDatapath *sd = calloc(1, sizeof(*sd));
	int r;

	if (!sd)
		return -ENOMEM;
	sd->ifs_fd = sd->rules_fd = sd->stats_fd = sd->ingress_fd = sd->egress_fd = -1;
	r = bpf_pins_open(LXCNET_STORAGE_ABI, pin_names,
			  (int *const[]){ &sd->ifs_fd, &sd->rules_fd, &sd->stats_fd, &sd->ingress_fd, &sd->egress_fd },
			  ELEMENTSOF(pin_names), load, load_and_pin, &sd->pin_dir, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(sd);
	return 0;
}

static bool key_in(const struct lxcnet_storage_key *k, const struct lxcnet_storage_key *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(k, &rules[i], sizeof(*k)) == 0)
			return true;
	return false;
}

/* Delete the keys of map fd whose ifindex (the first 4 bytes) is ifindex and which keep() rejects. */
static void delete_keys(int fd, size_t key_size, int ifindex, bool (*keep)(const void *key, const void *ud), const void *ud)
{
	_cleanup_free_ unsigned char *keys = NULL;
	unsigned char key[64], next[64];
	size_t n = 0;
	bool first = true;

	/* Collect first, delete after: deleting while iterating restarts a hash walk. */
	while (bpf_map_get_next_key(fd, first ? NULL : key, next) == 0) {
		unsigned char *slot;
		__u32 idx;

		first = false;
		memcpy(key, next, key_size);
		memcpy(&idx, key, sizeof(idx));
		if ((int)idx != ifindex || (keep && keep(key, ud)))
			continue;
		slot = array_grow(&keys, n, key_size);
		if (!slot)
			break;
		memcpy(slot, key, key_size);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		(void)bpf_map_delete_elem(fd, keys + i * key_size);
}

/*
 * The rules map is not preallocated: the kernel takes its elements from a
 * per-CPU cache that it refills asynchronously (irq_work), so a burst of
 * inserts can find it empty for a moment and get ENOMEM. Wait for the refill.
 */
static int update_elem_retry(int fd, const void *key, const void *value)
{
	for (int i = 0;; i++) {
		if (bpf_map_update_elem(fd, key, value, BPF_ANY) == 0)
			return 0;
		if (errno != ENOMEM || i == 100)
			return -1;
		(void)usleep(1000);
	}
}

typedef struct RuleSet {
	const struct lxcnet_storage_key *rules;
	size_t n;
} RuleSet;

static bool keep_rule(const void *key, const void *ud)
{
	const RuleSet *s = ud;

	return key_in(key, s->rules, s->n);
}

int storage_datapath_set(StorageDatapath *sd, int ifindex, const struct lxcnet_storage_if *policy,
			 const struct lxcnet_storage_key *rules, const struct lxcnet_storage_rule *values, size_t n,
			 bool *ret_created_clsact, Diag *d)
{
	RuleSet set = { rules, n };
	__u32 key = (__u32)ifindex;
	int r;

	for (size_t i = 0; i < n; i++)
		if (update_elem_retry(sd->rules_fd, &rules[i], &values[i]) < 0)
			return diag_error(d, -errno, "cannot add a storage rule (%zu of %zu): %m", i + 1, n);
	delete_keys(sd->rules_fd, sizeof(struct lxcnet_storage_key), ifindex, keep_rule, &set);
	if (bpf_map_update_elem(sd->ifs_fd, &key, policy, BPF_ANY) < 0)
		return diag_error(d, -errno, "cannot set the storage policy of ifindex %d: %m", ifindex);
	r = tc_attach_pair(ifindex, sd->ingress_fd, sd->egress_fd, 0, ret_created_clsact, d);
	if (r < 0) {
		(void)bpf_map_delete_elem(sd->ifs_fd, &key);
		delete_keys(sd->rules_fd, sizeof(struct lxcnet_storage_key), ifindex, NULL, NULL);
	}
	return r;
}

void storage_datapath_clear(StorageDatapath *sd, int ifindex)
{
	__u32 key = (__u32)ifindex;

	tc_detach_pair(ifindex);
	(void)bpf_map_delete_elem(sd->ifs_fd, &key);
	delete_keys(sd->rules_fd, sizeof(struct lxcnet_storage_key), ifindex, NULL, NULL);
	delete_keys(sd->stats_fd, sizeof(struct lxcnet_storage_stats_key), ifindex, NULL, NULL);
}

static bool keep_interface_slot(const void *key, const void *ud)
{
	const struct lxcnet_storage_stats_key *k = key;

	(void)ud;
	return k->slot == LXCNET_STORAGE_SLOT_IF;
}

void storage_datapath_reset_counters(StorageDatapath *sd, int ifindex)
{
	delete_keys(sd->stats_fd, sizeof(struct lxcnet_storage_stats_key), ifindex, keep_interface_slot, NULL);
}

int storage_datapath_stats(StorageDatapath *sd, int ifindex, unsigned slot, struct lxcnet_storage_stats *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_storage_stats *per = NULL;
	struct lxcnet_storage_stats_key key = { .ifindex = (__u32)ifindex, .slot = slot };
	struct lxcnet_storage_stats sum = {};

	if (ncpus <= 0)
		return -EINVAL;
	per = calloc((size_t)ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(sd->stats_fd, &key, per) < 0) {
		if (errno != ENOENT)
			return negative_errno();
		*ret = sum;
		return 0;
	}
	for (int c = 0; c < ncpus; c++) {
		for (int i = 0; i < _LXCNET_STORAGE_DIR_MAX; i++) {
			sum.packets[i] += per[c].packets[i];
			sum.bytes[i] += per[c].bytes[i];
			for (int j = 0; j < _LXCNET_STORAGE_DROP_MAX; j++)
				sum.drops[j][i] += per[c].drops[j][i];
		}
	}
	*ret = sum;
	return 0;
}
