/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/qdisc.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-pins.h"
#include "netlink-link.h"
#include "shaper.h"
#include "strutil.h"

/* Our root qdisc's handle, so that clearing never removes someone else's. */
#define SHAPER_HANDLE 0x4c580000u
/* fq's packets in all and per flow (its defaults: 10000 and 100). */
#define SHAPER_FQ_LIMIT 10000

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_qdisc, rtnl_qdisc_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_class, rtnl_class_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_cls, rtnl_cls_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_act, rtnl_act_put);

/*
 * The way from the container (or from storage endpoints) into the ifb: a
 * u32 filter matching everything with a mirred redirect, on the
 * interface's clsact ingress right after the datapath's own filter
 * (bpf-pins.c's priority 0x4c58), which hands rated frames on to it. Not
 * bpf_redirect() from the program: before Linux 6.4 a frame redirected
 * that way lacks the mark the ifb checks, and the ifb drops it. u32, not
 * matchall: some kernels build u32 and mirred in, and no matchall. Its
 * priority is lxcnet's alone, so the whole priority is the filter.
 */
#define SHAPER_TC_PRIORITY 0x4c59
#define SHAPER_TC_INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)

void shaper_ifb_name(int ifindex, char ret[IFNAMSIZ])
{
	snprintf(ret, IFNAMSIZ, SHAPER_IFB_PREFIX "%d", ifindex);
}

/* Our root tbf of ifindex, as a libnl object to add or delete. */
static struct rtnl_qdisc *tbf_new(int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), SHAPER_HANDLE);
	return q;
}

static int tbf_set(struct nl_sock *nl, int ifindex, uint32_t bytes_per_sec)
{
	_cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = tbf_new(ifindex);
	int r;

	if (!q)
		return -ENOMEM;
	r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (r < 0)
		return nlerr_to_errno(r);
	rtnl_qdisc_tbf_set_rate(q, (int)bytes_per_sec, SHAPER_BURST, 0);
	r = rtnl_qdisc_tbf_set_limit_by_latency(q, SHAPER_LATENCY_US);
	if (r < 0)
		return nlerr_to_errno(r);
	r = rtnl_qdisc_add(nl, q, NLM_F_CREATE | NLM_F_REPLACE);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

static int tbf_clear(struct nl_sock *nl, int ifindex)
{
	_cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = tbf_new(ifindex);
	int r;

	if (!q)
		return -ENOMEM;
	r = rtnl_qdisc_delete(nl, q);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

/*
 * A tc change's result as an errno: the kernel's ENOENT (no such qdisc,
 * filter or action kind: a module missing) is libnl's "object not found",
 * which nlerr_to_errno() calls ENODEV; it stays ENOENT here.
 */
static int kind_errno(int r)
{
	return r == -NLE_OBJ_NOTFOUND ? -ENOENT : r < 0 ? nlerr_to_errno(r) : 0;
}

/*
 * fq as ifindex's root, for departure times the port program stamps: -ENOENT
 * when the kernel has no fq. Each flow may queue as much as the whole qdisc
 * (fq's default is 100 packets): the program's horizon bounds the queue.
 * libnl has no fq, so the request is made here.
 */
static int fq_set(struct nl_sock *nl, int ifindex)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg =
		tc_msg_new(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, TC_H_ROOT, SHAPER_HANDLE, 0, "fq");
	struct nlattr *opts;

	if (!msg)
		return -ENOMEM;
	opts = nla_nest_start(msg, TCA_OPTIONS);
	if (!opts || nla_put_u32(msg, TCA_FQ_PLIMIT, SHAPER_FQ_LIMIT) < 0 ||
	    nla_put_u32(msg, TCA_FQ_FLOW_PLIMIT, SHAPER_FQ_LIMIT) < 0)
		return -ENOMEM;
	nla_nest_end(msg, opts);
	return kind_errno(tc_msg_send(nl, msg));
}

/*
 * Towards the container: fq for the port program's departure times (1)
 * where the kernel has it, else the tbf (0). Our root of the other kind
 * (the kernel changes a qdisc only into its own kind: EINVAL) goes first.
 */
static int edt_or_tbf(struct nl_sock *nl, int ifindex, uint32_t bytes_per_sec)
{
	int r = fq_set(nl, ifindex);

	if (r == -EINVAL && tbf_clear(nl, ifindex) >= 0)
		r = fq_set(nl, ifindex);
	if (r >= 0)
		return 1;
	if (r != -ENOENT)
		return r;
	r = tbf_set(nl, ifindex, bytes_per_sec);
	if (r == -EINVAL && tbf_clear(nl, ifindex) >= 0)
		r = tbf_set(nl, ifindex, bytes_per_sec);
	return r < 0 ? r : 0;
}

/* Our filter on ifindex's clsact ingress, as a libnl object to add or delete. */
static struct rtnl_cls *redirect_new(int ifindex)
{
	struct rtnl_cls *c = rtnl_cls_alloc();

	if (!c)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), SHAPER_TC_INGRESS);
	rtnl_cls_set_prio(c, SHAPER_TC_PRIORITY);
	rtnl_cls_set_protocol(c, ETH_P_ALL);
	return c;
}

static void redirect_clear(struct nl_sock *nl, int ifindex)
{
	_cleanup_(rtnl_cls_putp) struct rtnl_cls *c = redirect_new(ifindex);

	if (c)
		(void)rtnl_cls_delete(nl, c, 0);
}

/* The ifb our filter on ifindex redirects to; 0 when there is no such filter. */
static int redirect_get(struct nl_sock *nl, int ifindex)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	int ifb = 0;

	if (rtnl_cls_alloc_cache(nl, ifindex, SHAPER_TC_INGRESS, &cache) < 0)
		return 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_cls *c = (struct rtnl_cls *)o;
		const char *kind = rtnl_tc_get_kind(TC_CAST(c));
		struct rtnl_act *a;

		if (rtnl_cls_get_prio(c) != SHAPER_TC_PRIORITY || !kind || strcmp(kind, "u32") != 0)
			continue;
		/* The u32 hash table's own entry has no action. */
		a = rtnl_u32_get_action(c);
		kind = a ? rtnl_tc_get_kind(TC_CAST(a)) : NULL;
		if (kind && strcmp(kind, "mirred") == 0 && rtnl_mirred_get_action(a) == TCA_EGRESS_REDIR)
			ifb = (int)rtnl_mirred_get_ifindex(a);
	}
	return ifb;
}

static int redirect_set(struct nl_sock *nl, int ifindex, int ifb_ifindex, bool *ret_created_clsact, Diag *d)
{
	bool created_here = false;
	_cleanup_(rtnl_cls_putp) struct rtnl_cls *c = redirect_new(ifindex);
	_cleanup_(rtnl_act_putp) struct rtnl_act *a = rtnl_act_alloc();
	int r;

	if (!c || !a)
		return -ENOMEM;
	r = rtnl_tc_set_kind(TC_CAST(c), "u32");
	if (r >= 0)
		r = rtnl_tc_set_kind(TC_CAST(a), "mirred");
	if (r < 0)
		return diag_error(d, -EOPNOTSUPP, "rate: this libnl has no u32 filter or mirred action");
	rtnl_mirred_set_action(a, TCA_EGRESS_REDIR);
	rtnl_mirred_set_policy(a, TC_ACT_STOLEN);
	rtnl_mirred_set_ifindex(a, (uint32_t)ifb_ifindex);
	/* Every frame: 0 under mask 0 at offset 0. */
	r = rtnl_u32_add_key_uint32(c, 0, 0, 0, 0);
	if (r >= 0)
		r = rtnl_u32_set_cls_terminal(c);
	if (r >= 0)
		r = rtnl_u32_add_action(c, a);
	if (r < 0)
		return diag_error(d, nlerr_to_errno(r), "rate: cannot build the redirect into the ifb");

	r = tc_clsact_ensure(nl, ifindex, &created_here);
	if (r < 0)
		return diag_error(d, r, "rate: cannot add the clsact qdisc: %s", strerror(-r));
	/* One that is right stays; another goes first (the kernel numbers u32's nodes). A new clsact has none. */
	r = created_here ? 0 : redirect_get(nl, ifindex);
	if (r == ifb_ifindex) {
		if (ret_created_clsact)
			*ret_created_clsact = false;
		return 0;
	}
	if (r)
		redirect_clear(nl, ifindex);
	r = kind_errno(rtnl_cls_add(nl, c, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0 && created_here) {
		(void)tc_remove_clsact_if_empty(ifindex);
		created_here = false;
	}
	if (ret_created_clsact)
		*ret_created_clsact = created_here;
	if (r == -ENOENT)
		return diag_error(d, r, "rate: the kernel has no u32 filter (cls_u32) or mirred action (act_mirred), "
				  "which the way through the ifb needs");
	if (r < 0)
		return diag_error(d, r, "rate: cannot redirect into the ifb: %s", strerror(-r));
	return 0;
}

/*
 * The ifb, made down (or one there already, left by a port with the same
 * ifindex), *ret_up saying whether it is up. Its tbf goes on before it is
 * brought up: grafting a root qdisc onto a device that is up waits for an
 * RCU grace period (dev_deactivate()), about 0.05 ms of every rated plug.
 */
static int ifb_ensure(struct nl_sock *nl, const char *name, int *ret_ifindex, bool *ret_up)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
	LinkInfo li;
	int r;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	r = rtnl_link_set_type(link, "ifb");
	if (r < 0)
		return nlerr_to_errno(r);
	r = nlerr_to_errno(rtnl_link_add(nl, link, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0 && r != -EEXIST)
		return r;
	r = link_get(nl, name, &li);
	if (r < 0)
		return r;
	*ret_ifindex = li.ifindex;
	*ret_up = li.up;
	return 0;
}

int shaper_check_rate(double rate, Diag *d)
{
	double bps = rate * 1024 * 1024;

	if (bps < 1 || bps > 2147483647.0)
		return diag_error(d, -ERANGE, "rate: %g MiB/s is outside what tbf can shape (1 B/s .. 2047 MiB/s)", rate);
	return 0;
}

uint32_t shaper_bytes_per_sec(double rate)
{
	return (uint32_t)(rate * 1024 * 1024);
}

/* The rate of lxcnet's tbf at ifindex's root in qdiscs; 0 when the root is another qdisc. *ret_fq: it is lxcnet's fq. */
static uint32_t root_tbf_rate(struct nl_cache *qdiscs, int ifindex, bool *ret_fq)
{
	struct rtnl_qdisc *q = rtnl_qdisc_get_by_parent(qdiscs, ifindex, TC_H_ROOT);
	uint32_t bps = 0;
	const char *kind;

	*ret_fq = false;
	if (!q)
		return 0;
	kind = rtnl_tc_get_kind(TC_CAST(q));
	if (rtnl_tc_get_handle(TC_CAST(q)) == SHAPER_HANDLE && kind && strcmp(kind, "tbf") == 0) {
		int rate = rtnl_qdisc_tbf_get_rate(q);

		bps = rate > 0 ? (uint32_t)rate : 0;
	}
	*ret_fq = rtnl_tc_get_handle(TC_CAST(q)) == SHAPER_HANDLE && kind && strcmp(kind, "fq") == 0;
	rtnl_qdisc_put(q);
	return bps;
}

int shaper_get(struct nl_sock *nl, struct nl_cache *qdiscs, int ifindex, ShaperState *ret)
{
	char ifb[IFNAMSIZ];
	LinkInfo li;
	uint32_t to_bps;
	bool fq;
	int r;

	to_bps = root_tbf_rate(qdiscs, ifindex, &fq);
	*ret = (ShaperState){ .to_container_bps = to_bps, .to_container_fq = fq };
	shaper_ifb_name(ifindex, ifb);
	r = link_get(nl, ifb, &li);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	ret->ifb_ifindex = li.ifindex;
	ret->from_container_bps = root_tbf_rate(qdiscs, li.ifindex, &fq);
	ret->redirect_ifindex = redirect_get(nl, ifindex);
	return 0;
}

static int htb_set(struct nl_sock *nl, int ifindex, uint32_t bytes_per_sec);

/*
 * The way in through ifb "lxr<ifindex>"'s tbf, the way out through root(nl,
 * ifindex, bps), which returns 1 when it leaves the rate to departure times
 * (*ret_edt_bps then says it); undone on failure.
 */
static int shape(struct nl_sock *nl, int ifindex, double rate, int (*root)(struct nl_sock *, int, uint32_t),
		 int *ret_ifb_ifindex, uint32_t *ret_edt_bps, bool *ret_created_clsact, Diag *d)
{
	char ifb[IFNAMSIZ];
	uint32_t bps = shaper_bytes_per_sec(rate);
	int ifb_ifindex = 0, r;
	bool edt, up;

	shaper_ifb_name(ifindex, ifb);
	r = ifb_ensure(nl, ifb, &ifb_ifindex, &up);
	if (r == -EOPNOTSUPP)
		return diag_error(d, r, "rate: the kernel has no ifb devices (ifb), which the shaper needs");
	if (r < 0)
		return diag_error(d, r, "rate: cannot set up ifb '%s': %s", ifb, strerror(-r));
	r = tbf_set(nl, ifb_ifindex, bps);
	if (r >= 0 && !up)
		r = link_set(nl, ifb_ifindex, 0, 0, true);
	if (r >= 0)
		r = root(nl, ifindex, bps);
	if (r < 0) {
		(void)shaper_clear(nl, ifindex);
		return diag_error(d, r, "rate: cannot add the shaper: %s", strerror(-r));
	}
	edt = r > 0;
	r = redirect_set(nl, ifindex, ifb_ifindex, ret_created_clsact, d);
	if (r < 0) {
		(void)shaper_clear(nl, ifindex);
		return r;
	}
	*ret_ifb_ifindex = ifb_ifindex;
	if (ret_edt_bps)
		*ret_edt_bps = edt ? bps : 0;
	return 0;
}

int shaper_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, uint32_t *ret_edt_bps, Diag *d)
{
	int r = shaper_check_rate(rate, d);

	return r < 0 ? r : shape(nl, ifindex, rate, edt_or_tbf, ret_ifb_ifindex, ret_edt_bps, NULL, d);
}

int shaper_clear(struct nl_sock *nl, int ifindex)
{
	char ifb[IFNAMSIZ];
	int r;

	shaper_ifb_name(ifindex, ifb);
	redirect_clear(nl, ifindex);
	/* The kernel deletes a root qdisc only if its handle is ours, then puts its default back. */
	(void)tbf_clear(nl, ifindex);
	r = link_delete(nl, ifb);
	return r == -ENODEV ? 0 : r;
}

static int sweep_one(struct nl_sock *nl, const char *name, void *userdata)
{
	unsigned *removed = userdata;
	char port[IF_NAMESIZE];
	uint64_t idx;

	if (parse_uint_range(name + strlen(SHAPER_IFB_PREFIX), 1, INT32_MAX, &idx) < 0)
		return 0; /* not one of ours */
	if (if_indextoname((unsigned)idx, port))
		return 0;
	if (link_delete(nl, name) >= 0)
		(*removed)++;
	return 0;
}

int shaper_sweep(struct nl_sock *nl)
{
	unsigned removed = 0;
	int r = link_foreach_prefix(nl, "ifb", SHAPER_IFB_PREFIX, sweep_one, &removed);

	return r < 0 ? r : (int)removed;
}

/* The root qdisc's handle of ifindex: 0 when it is the kernel's default (or none). */
static int root_handle(struct nl_sock *nl, int ifindex, uint32_t *ret)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	struct rtnl_qdisc *q;
	int r;

	r = rtnl_qdisc_alloc_cache(nl, &cache);
	if (r < 0)
		return nlerr_to_errno(r);
	q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	*ret = q ? rtnl_tc_get_handle(TC_CAST(q)) : 0;
	if (q)
		rtnl_qdisc_put(q);
	return 0;
}

static int htb_set(struct nl_sock *nl, int ifindex, uint32_t bytes_per_sec)
{
	_cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = tbf_new(ifindex);
	_cleanup_(rtnl_class_putp) struct rtnl_class *c = rtnl_class_alloc();
	int r;

	if (!q || !c)
		return -ENOMEM;
	r = rtnl_tc_set_kind(TC_CAST(q), "htb");
	if (r < 0)
		return nlerr_to_errno(r);
	/* Default class 0: what is not the storage network's goes unshaped. */
	rtnl_htb_set_defcls(q, 0);
	r = rtnl_qdisc_add(nl, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return nlerr_to_errno(r);
	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), SHAPER_HANDLE);
	rtnl_tc_set_handle(TC_CAST(c), SHAPER_STORAGE_CLASS);
	r = rtnl_tc_set_kind(TC_CAST(c), "htb");
	if (r < 0)
		return nlerr_to_errno(r);
	rtnl_htb_set_rate(c, bytes_per_sec);
	rtnl_htb_set_ceil(c, bytes_per_sec);
	rtnl_htb_set_rbuffer(c, SHAPER_BURST);
	rtnl_htb_set_cbuffer(c, SHAPER_BURST);
	r = rtnl_class_add(nl, c, NLM_F_CREATE | NLM_F_REPLACE);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

int shaper_storage_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, bool *ret_created_clsact, Diag *d)
{
	uint32_t handle = 0;
	int r;

	r = shaper_check_rate(rate, d);
	if (r < 0)
		return r;
	r = root_handle(nl, ifindex, &handle);
	if (r < 0)
		return diag_error(d, r, "rate: cannot read the interface's qdiscs: %s", strerror(-r));
	if (handle && handle != SHAPER_HANDLE)
		return diag_error(d, -EBUSY, "rate: the interface has a root qdisc of its own (handle %x:), which lxcnet leaves alone",
				  handle >> 16);
	return shape(nl, ifindex, rate, htb_set, ret_ifb_ifindex, NULL, ret_created_clsact, d);
}
