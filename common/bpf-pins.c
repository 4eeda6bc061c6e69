/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <netlink/msg.h>
#include <netlink/route/classifier.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "netlink-link.h"
#include "strutil.h"

/* lxcnet's filter on a clsact hook; other tools' filters there are left alone. */
#define LXCNET_TC_HANDLE 0x1c
#define LXCNET_TC_PRIORITY 0x4c58

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

static int open_pins(const char *pin_dir, const char *const *names, int *const *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		int fd;

		if (asprintf(&path, "%s/%s", pin_dir, names[i]) < 0)
			return -ENOMEM;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			int r = negative_errno();

			for (size_t j = 0; j < i; j++)
				*fds[j] = safe_close(*fds[j]);
			return r;
		}
		*fds[i] = fd;
	}
	return 0;
}

int bpf_pins_lock(void)
{
	int fd, r;

	r = mkdir_p("/run/lxcnet", 0755);
	if (r < 0)
		return r;
	fd = open(BPF_PINS_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return negative_errno();
	if (flock(fd, LOCK_EX) < 0) {
		r = negative_errno();
		close(fd);
		return r;
	}
	return fd;
}

const char *bpf_pins_root(void)
{
	const char *root = getenv("LXCNET_BPF_ROOT");

	return root && *root ? root : BPF_PINS_ROOT_DEFAULT;
}

/* The kernel's id of a BPF map or program (both info structs start with type and id); 0 when unknown. */
static uint32_t obj_id(int fd)
{
	union {
		struct bpf_map_info map;
		struct bpf_prog_info prog;
	} info = {};
	uint32_t len = sizeof(info);

	return fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.map.id : 0;
}

/* The id of what is pinned at path; 0 when nothing is. */
static uint32_t pin_id(const char *path)
{
	_cleanup_close_ int fd = bpf_obj_get(path);

	return obj_id(fd);
}

bool bpf_pin_is(const char *pin_dir, const char *name, int fd)
{
	_cleanup_free_ char *path = NULL;
	uint32_t id = obj_id(fd);

	return id && asprintf(&path, "%s/%s", pin_dir, name) >= 0 && pin_id(path) == id;
}

bool bpf_prog_pinned_anywhere(uint32_t prog_id, const char *name)
{
	_cleanup_(closedirp) DIR *dir = opendir(bpf_pins_root());
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		_cleanup_free_ char *path = NULL;

		if (e->d_name[0] == '.' || asprintf(&path, "%s/%s/%s", bpf_pins_root(), e->d_name, name) < 0)
			continue;
		if (pin_id(path) == prog_id)
			return true;
	}
	return false;
}

int tc_filter_prog_id(int ifindex, uint32_t *ret_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = LXCNET_TC_HANDLE, .priority = LXCNET_TC_PRIORITY);
	int r;

	r = bpf_tc_query(&hook, &opts);
	if (r < 0)
		return r;
	*ret_id = opts.prog_id;
	return 0;
}

int bpf_pins_open(const char *abi, const char *const *names, int *const *fds, size_t n, bool load, BpfLoader loader,
		  char **ret_pin_dir, Diag *d)
{
	_cleanup_free_ char *pin_dir = NULL;
	_cleanup_close_ int lock_fd = -1;
	int r;

	if (asprintf(&pin_dir, "%s/%s", bpf_pins_root(), abi) < 0)
		return -ENOMEM;
	libbpf_set_print(libbpf_quiet);

	/* Fast path: already loaded by someone else. */
	r = open_pins(pin_dir, names, fds, n);
	if (r >= 0)
		goto done;
	if (!load)
		return diag_error(d, r, "nothing pinned in %s: %s", pin_dir, strerror(-r));

	r = ensure_bpffs(d);
	if (r < 0)
		return r;
	/* Two hooks starting at once must not both load: the first one loads, the other finds the pins. */
	lock_fd = bpf_pins_lock();
	if (lock_fd < 0)
		return diag_error(d, lock_fd, "cannot lock %s: %s", BPF_PINS_LOCK, strerror(-lock_fd));
	if (open_pins(pin_dir, names, fds, n) >= 0)
		goto done;
	r = mkdir_p(pin_dir, 0700);
	if (r < 0)
		return diag_error(d, r, "cannot create %s: %s", pin_dir, strerror(-r));
	r = loader(pin_dir, d);
	if (r < 0)
		return r;
	r = open_pins(pin_dir, names, fds, n);
	if (r < 0)
		return diag_error(d, r, "cannot open the pinned programs in %s: %s", pin_dir, strerror(-r));
done:
	if (ret_pin_dir)
		*ret_pin_dir = TAKE_PTR(pin_dir);
	return 0;
}

int bpf_pin_programs(struct bpf_object *obj, const char *pin_dir, Diag *d)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		_cleanup_free_ char *path = NULL;
		int r;

		if (asprintf(&path, "%s/%s", pin_dir, bpf_program__name(prog)) < 0)
			return -ENOMEM;
		r = bpf_program__pin(prog, path);
		if (r < 0)
			return diag_error(d, r, "cannot pin '%s': %s", path, strerror(-r));
	}
	return 0;
}

struct nl_msg *tc_msg_new(int type, int flags, int ifindex, uint32_t parent, uint32_t handle, uint32_t info, const char *kind)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK | flags);
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_parent = parent,
		.tcm_handle = handle,
		.tcm_info = info,
	};

	if (msg && (nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, TCA_KIND, kind) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int tc_msg_send(struct nl_sock *nl, struct nl_msg *msg)
{
	int r = nl_send_auto(nl, msg);

	return r < 0 ? r : nl_wait_for_ack(nl);
}

/*
 * lxcnet's cls_bpf filter on one clsact hook, replacing an earlier one:
 * what bpf_tc_attach() sends, plus the classid, which libbpf cannot set.
 */
static int tc_filter_replace(struct nl_sock *nl, int ifindex, bool egress, int prog_fd, uint32_t classid)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct bpf_prog_info info = {};
	uint32_t info_len = sizeof(info);
	char name[BPF_OBJ_NAME_LEN + 16];
	struct nlattr *opts;
	int r;

	msg = tc_msg_new(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_REPLACE, ifindex,
			 TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS), LXCNET_TC_HANDLE,
			 TC_H_MAKE((uint32_t)LXCNET_TC_PRIORITY << 16, htons(ETH_P_ALL)), "bpf");
	if (!msg)
		return -ENOMEM;
	/* The name tc shows, as libbpf makes it. */
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &info_len) < 0)
		return negative_errno();
	snprintf(name, sizeof(name), "%s:[%u]", info.name, info.id);
	opts = nla_nest_start(msg, TCA_OPTIONS);
	if (!opts || nla_put_u32(msg, TCA_BPF_FD, (uint32_t)prog_fd) < 0 || nla_put_string(msg, TCA_BPF_NAME, name) < 0 ||
	    nla_put_u32(msg, TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT) < 0 ||
	    (classid && nla_put_u32(msg, TCA_BPF_CLASSID, classid) < 0))
		return -ENOMEM;
	nla_nest_end(msg, opts);
	r = tc_msg_send(nl, msg);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

int tc_clsact_ensure(struct nl_sock *nl, int ifindex, bool *ret_created)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		tc_msg_new(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0, "clsact");
	int r;

	if (!msg)
		return -ENOMEM;
	r = tc_msg_send(nl, msg);
	r = r < 0 ? nlerr_to_errno(r) : 0;
	if (r < 0 && r != -EEXIST)
		return r;
	*ret_created = r >= 0;
	return 0;
}

int tc_attach_pair(int ifindex, int ingress_fd, int egress_fd, uint32_t classid, bool *ret_created_clsact, Diag *d)
{
	_cleanup_(nl_socket_freep) struct nl_sock *nl = NULL;
	int fds[2] = { ingress_fd, egress_fd };
	bool created;
	int r;

	r = netlink_open(&nl);
	if (r < 0)
		return diag_error(d, r, "cannot open rtnetlink: %s", strerror(-r));
	r = tc_clsact_ensure(nl, ifindex, &created);
	if (r < 0)
		return diag_error(d, r, "cannot add the clsact qdisc: %s", strerror(-r));
	for (int i = 0; i < 2; i++) {
		r = tc_filter_replace(nl, ifindex, i == 1, fds[i], classid);
		if (r < 0) {
			tc_detach_pair(ifindex);
			if (created)
				(void)tc_remove_clsact_if_empty(ifindex);
			return diag_error(d, r, "cannot attach to tc %s: %s", i ? "egress" : "ingress", strerror(-r));
		}
	}
	if (ret_created_clsact)
		*ret_created_clsact = created;
	return 0;
}

void tc_detach_pair(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex);

	/* bpf_tc_hook_destroy() would remove the whole clsact qdisc, other tools' filters included. */
	for (int i = 0; i < 2; i++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = LXCNET_TC_HANDLE, .priority = LXCNET_TC_PRIORITY);

		hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		(void)bpf_tc_detach(&hook, &opts);
	}
}

int tc_remove_clsact_if_empty(int ifindex)
{
	_cleanup_(nl_socket_freep) struct nl_sock *nl = NULL;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	uint32_t parents[2] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	int r;

	r = netlink_open(&nl);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;

		r = rtnl_cls_alloc_cache(nl, ifindex, parents[i], &cache);
		if (r < 0)
			return nlerr_to_errno(r);
		if (nl_cache_nitems(cache) > 0)
			return -EBUSY;
	}
	r = bpf_tc_hook_destroy(&hook);
	return r == -ENOENT ? 0 : r;
}
