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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "datapath.h"
#include "port.skel.h"
#include "strutil.h"

static const char *const pin_names[] = { "lxcnet_ports", "lxcnet_stats", "tc_ingress", "tc_egress" };

void datapath_free(Datapath *dp)
{
	if (!dp)
		return;
	closep(&dp->ports_fd);
	closep(&dp->stats_fd);
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
	dp->ports_fd = dp->stats_fd = dp->ingress_fd = dp->egress_fd = -1;
	r = bpf_pins_open(LXCNET_BPF_ABI, pin_names, (int *const[]){ &dp->ports_fd, &dp->stats_fd, &dp->ingress_fd, &dp->egress_fd },
			  ELEMENTSOF(pin_names), load, load_and_pin, &dp->pin_dir, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(dp);
	return 0;
}

int datapath_port_set(Datapath *dp, int ifindex, const struct lxcnet_port *policy, Diag *d)
{
	__u32 key = (__u32)ifindex;
	int r;

	/* Policy first, so that no packet ever meets the programs without it. */
	if (bpf_map_update_elem(dp->ports_fd, &key, policy, BPF_ANY) < 0)
		return diag_error(d, -errno, "cannot set the datapath policy of ifindex %d: %m", ifindex);
	r = tc_attach_pair(ifindex, dp->ingress_fd, dp->egress_fd, NULL, d);
	if (r < 0)
		(void)datapath_port_clear(dp, ifindex);
	return r;
}

int datapath_port_clear(Datapath *dp, int ifindex)
{
	__u32 key = (__u32)ifindex;

	tc_detach_pair(ifindex);
	(void)bpf_map_delete_elem(dp->ports_fd, &key);
	(void)bpf_map_delete_elem(dp->stats_fd, &key);
	return 0;
}

int datapath_port_get(Datapath *dp, int ifindex, struct lxcnet_port *ret)
{
	__u32 key = (__u32)ifindex;

	return bpf_map_lookup_elem(dp->ports_fd, &key, ret) < 0 ? negative_errno() : 0;
}

int datapath_port_stats(Datapath *dp, int ifindex, struct lxcnet_port_stats *ret)
{
	int ncpus = libbpf_num_possible_cpus();
	_cleanup_free_ struct lxcnet_port_stats *per = NULL;
	struct lxcnet_port_stats sum = {};
	__u32 key = (__u32)ifindex;

	if (ncpus <= 0)
		return -EINVAL;
	per = calloc((size_t)ncpus, sizeof(*per));
	if (!per)
		return -ENOMEM;
	if (bpf_map_lookup_elem(dp->stats_fd, &key, per) < 0) {
		struct lxcnet_port policy;
		int r = negative_errno();

		/* The program counts from the first packet on: a port with a policy and no traffic yet counts zero. */
		if (r != -ENOENT || bpf_map_lookup_elem(dp->ports_fd, &key, &policy) < 0)
			return r;
		*ret = sum;
		return 0;
	}
	for (int c = 0; c < ncpus; c++) {
		for (int i = 0; i < _LXCNET_DIR_MAX; i++) {
			sum.packets[i] += per[c].packets[i];
			sum.bytes[i] += per[c].bytes[i];
		}
		for (int i = 0; i < _LXCNET_DROP_MAX; i++)
			sum.drops[i] += per[c].drops[i];
	}
	*ret = sum;
	return 0;
}

int datapath_sweep(Datapath *dp, unsigned *ret_removed)
{
	int fds[2] = { dp->ports_fd, dp->stats_fd };
	unsigned removed = 0;

	for (int m = 0; m < 2; m++) {
		__u32 key, next;
		bool first = true;

		/* Collect first, delete after: deleting while iterating restarts a hash walk. */
		_cleanup_free_ __u32 *dead = NULL;
		size_t n_dead = 0;
		__u32 *slot;

		while (bpf_map_get_next_key(fds[m], first ? NULL : &key, &next) == 0) {
			char name[IF_NAMESIZE];

			first = false;
			key = next;
			if (if_indextoname(key, name))
				continue;
			slot = array_grow(&dead, n_dead, sizeof(*dead));
			if (!slot)
				return -ENOMEM;
			*slot = key;
			n_dead++;
		}
		for (size_t i = 0; i < n_dead; i++)
			if (bpf_map_delete_elem(fds[m], &dead[i]) == 0 && m == 0)
				removed++;
	}
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}

static const char *const drop_reasons[_LXCNET_DROP_MAX] = {
	[LXCNET_DROP_MALFORMED] = "malformed",	   [LXCNET_DROP_VLAN_IN] = "vlan-in",
	[LXCNET_DROP_VLAN_OUT] = "vlan-out",	   [LXCNET_DROP_UNTAGGED_OUT] = "untagged-out",
	[LXCNET_DROP_SERVICE] = "service-tag",	   [LXCNET_DROP_TAG_OP] = "tag-op",
	[LXCNET_DROP_NO_POLICY] = "no-policy",	   [LXCNET_DROP_SPOOF_MAC] = "spoofed-mac",
	[LXCNET_DROP_SPOOF_IP4] = "spoofed-ipv4",  [LXCNET_DROP_SPOOF_IP6] = "spoofed-ipv6",
};

const char *datapath_drop_reason(unsigned reason)
{
	return reason < _LXCNET_DROP_MAX ? drop_reasons[reason] : "?";
}
