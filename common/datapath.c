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

#include "datapath.h"
#include "port.skel.h"
#include "strutil.h"

/* Our filters on a port's clsact hooks; other tools' filters there are left alone. */
#define TC_HANDLE 0x1c
#define TC_PRIORITY 0x4c58

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

/* libbpf's own messages would go to stderr, which a hook must keep quiet. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int ensure_bpffs(Diag *d)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir("/sys/fs/bpf", 0700) < 0 && errno != EEXIST)
		return diag_error(d, -errno, "cannot create /sys/fs/bpf: %m");
	if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return diag_error(d, -errno, "cannot mount bpffs on /sys/fs/bpf: %m");
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return negative_errno();
			*s = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

static int open_pins(Datapath *dp)
{
	int *fds[] = { &dp->ports_fd, &dp->stats_fd, &dp->ingress_fd, &dp->egress_fd };

	for (size_t i = 0; i < ELEMENTSOF(pin_names); i++) {
		_cleanup_free_ char *path = NULL;
		int fd;

		if (asprintf(&path, "%s/%s", dp->pin_dir, pin_names[i]) < 0)
			return -ENOMEM;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return negative_errno();
		*fds[i] = fd;
	}
	return 0;
}

/* Load bpf/port.bpf.c; its maps pin themselves by name under pin_dir, the programs are pinned here. */
static int load_and_pin(Datapath *dp, Diag *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dp->pin_dir);
	struct port_bpf *skel;
	struct bpf_program *progs[2];
	int r;

	skel = port_bpf__open_opts(&opts);
	if (!skel)
		return diag_error(d, negative_errno(), "cannot open the datapath object: %m");
	r = port_bpf__load(skel);
	if (r < 0) {
		port_bpf__destroy(skel);
		return diag_error(d, r, "the kernel refused the datapath programs: %s", strerror(-r));
	}
	progs[0] = skel->progs.tc_ingress;
	progs[1] = skel->progs.tc_egress;
	for (int i = 0; i < 2; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", dp->pin_dir, pin_names[2 + i]) < 0) {
			r = -ENOMEM;
			break;
		}
		r = bpf_program__pin(progs[i], path);
		if (r < 0) {
			diag_error(d, r, "cannot pin '%s': %s", path, strerror(-r));
			break;
		}
	}
	port_bpf__destroy(skel);
	return r;
}

int datapath_open(bool load, Datapath **ret, Diag *d)
{
	_cleanup_(datapath_freep) Datapath *dp = calloc(1, sizeof(*dp));
	_cleanup_close_ int lock_fd = -1;
	const char *root = getenv("LXCNET_BPF_ROOT");
	int r;

	if (!dp)
		return -ENOMEM;
	dp->ports_fd = dp->stats_fd = dp->ingress_fd = dp->egress_fd = -1;
	if (asprintf(&dp->pin_dir, "%s/%s", root && *root ? root : DATAPATH_ROOT_DEFAULT, LXCNET_BPF_ABI) < 0)
		return -ENOMEM;
	libbpf_set_print(libbpf_quiet);

	/* Fast path: already loaded by someone else. */
	r = open_pins(dp);
	if (r >= 0)
		goto done;
	if (!load)
		return diag_error(d, r, "no datapath pinned in %s: %s", dp->pin_dir, strerror(-r));

	r = ensure_bpffs(d);
	if (r < 0)
		return r;
	/* Two hooks starting at once must not both load: the first one loads, the other finds the pins. */
	if (mkdir_p("/run/lxcnet", 0755) < 0)
		return diag_error(d, -errno, "cannot create /run/lxcnet: %m");
	lock_fd = open(DATAPATH_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
		return diag_error(d, -errno, "cannot lock %s: %m", DATAPATH_LOCK);
	if (open_pins(dp) >= 0)
		goto done;
	r = mkdir_p(dp->pin_dir, 0700);
	if (r < 0)
		return diag_error(d, r, "cannot create %s: %s", dp->pin_dir, strerror(-r));
	r = load_and_pin(dp, d);
	if (r < 0)
		return r;
	r = open_pins(dp);
	if (r < 0)
		return diag_error(d, r, "cannot open the pinned datapath in %s: %s", dp->pin_dir, strerror(-r));
done:
	*ret = TAKE_PTR(dp);
	return 0;
}

int datapath_port_set(Datapath *dp, int ifindex, const struct lxcnet_port *policy, Diag *d)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	__u32 key = (__u32)ifindex;
	int fds[2] = { dp->ingress_fd, dp->egress_fd };
	enum bpf_tc_attach_point points[2] = { BPF_TC_INGRESS, BPF_TC_EGRESS };
	int r;

	/* Policy first, so that no packet ever meets the programs without it. */
	if (bpf_map_update_elem(dp->ports_fd, &key, policy, BPF_ANY) < 0)
		return diag_error(d, -errno, "cannot set the datapath policy of ifindex %d: %m", ifindex);
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST) {
		(void)datapath_port_clear(dp, ifindex);
		return diag_error(d, r, "cannot add the clsact qdisc: %s", strerror(-r));
	}
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY, .prog_fd = fds[i],
			    .flags = BPF_TC_F_REPLACE);

		hook.attach_point = points[i];
		r = bpf_tc_attach(&hook, &opts);
		if (r < 0) {
			(void)datapath_port_clear(dp, ifindex);
			return diag_error(d, r, "cannot attach the datapath (%s): %s", i ? "egress" : "ingress",
					  strerror(-r));
		}
	}
	return 0;
}

int datapath_port_clear(Datapath *dp, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);
	__u32 key = (__u32)ifindex;

	/* bpf_tc_hook_destroy() would remove the whole clsact qdisc, other tools' filters included. */
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIORITY);

		hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		(void)bpf_tc_detach(&hook, &opts);
	}
	(void)bpf_map_delete_elem(dp->ports_fd, &key);
	(void)bpf_map_delete_elem(dp->stats_fd, &key);
	return 0;
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
