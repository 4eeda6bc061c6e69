/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What every lxcnet BPF program family (the port datapath, storage
 * networks) does the same way: programs and maps pinned under
 * <root>/<abi> (root /sys/fs/bpf/lxcnet or $LXCNET_BPF_ROOT), loaded once
 * under a lock by whoever comes first, and attached with tc (clsact) as
 * lxcnet's own filter, which leaves other tools' filters alone.
 */

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct nl_sock;
struct nl_msg;

#define BPF_PINS_ROOT_DEFAULT "/sys/fs/bpf/lxcnet"
#define BPF_PINS_LOCK "/run/lxcnet/datapath.lock"

/* <root>: $LXCNET_BPF_ROOT, else BPF_PINS_ROOT_DEFAULT. */
const char *bpf_pins_root(void);

/* Is fd (a map or program) the one pinned as <pin_dir>/<name>? False once the pin was removed or replaced. */
bool bpf_pin_is(const char *pin_dir, const char *name, int fd);

/* Is the program with this id pinned as <root>/<any ABI>/<name>? */
bool bpf_prog_pinned_anywhere(uint32_t prog_id, const char *name);

/* The id of the program lxcnet's tc filter runs on ifindex's ingress; -ENOENT when there is no such filter. */
int tc_filter_prog_id(int ifindex, uint32_t *ret_id);

/* BPF_PINS_LOCK, held (flock) until the returned fd is closed; -errno on failure. */
int bpf_pins_lock(void);

/* Loads the family's object (its maps pin themselves under pin_dir) and pins its programs there. */
typedef int (*BpfLoader)(const char *pin_dir, Diag *d);

/*
 * Open the pins names[0..n) under <root>/<abi> into *fds[i]. With load,
 * load first if needed (mounting bpffs if needed); without, -ENOENT when
 * nothing is pinned. On failure no fd is left open.
 */
int bpf_pins_open(const char *abi, const char *const *names, int *const *fds, size_t n, bool load, BpfLoader loader,
		  char **ret_pin_dir, Diag *d);

/* Pin every program of obj as <pin_dir>/<program name>. */
int bpf_pin_programs(struct bpf_object *obj, const char *pin_dir, Diag *d);

/*
 * A tc request (RTM_NEWQDISC, RTM_NEWTFILTER, ...) for ifindex with its
 * tcmsg and TCA_KIND, NLM_F_REQUEST | NLM_F_ACK | flags, for the caller's
 * TCA_OPTIONS; NULL when out of memory. tc_msg_send() sends it over nl and
 * waits for the answer: libnl's -NLE_* on failure.
 */
struct nl_msg *tc_msg_new(int type, int flags, int ifindex, uint32_t parent, uint32_t handle, uint32_t info, const char *kind);
int tc_msg_send(struct nl_sock *nl, struct nl_msg *msg);

/*
 * The clsact qdisc of ifindex, added over nl unless there is one:
 * *ret_created says which. What bpf_tc_hook_create() does, without a
 * netlink socket of its own.
 */
int tc_clsact_ensure(struct nl_sock *nl, int ifindex, bool *ret_created);

/*
 * Attach ingress_fd and egress_fd as lxcnet's filter on ifindex's clsact
 * hooks, adding clsact if needed (*ret_created_clsact says whether it did),
 * or replace the filter already there. classid, unless 0, is the filter's
 * classid, which the programs read as skb->tc_classid. On failure nothing
 * of it stays.
 */
int tc_attach_pair(int ifindex, int ingress_fd, int egress_fd, uint32_t classid, bool *ret_created_clsact, Diag *d);

/* Detach lxcnet's filters (and only those); idempotent. */
void tc_detach_pair(int ifindex);

/* Remove the clsact qdisc of ifindex, if no filter is left on it; -EBUSY when some are. */
int tc_remove_clsact_if_empty(int ifindex);
