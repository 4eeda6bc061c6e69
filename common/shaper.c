/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <stdlib.h>
#include <string.h>

#include "netlink-link.h"
#include "shaper.h"
#include "strutil.h"

/* Our root qdisc's handle, so that clearing never removes someone else's. */
#define SHAPER_HANDLE 0x4c580000u

DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_qdisc, rtnl_qdisc_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct rtnl_class, rtnl_class_put);

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

static int ifb_ensure(struct nl_sock *nl, const char *name, int *ret_ifindex)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
	LinkInfo li;
	int r;

	if (!link)
		return -ENOMEM;
	if (link_get(nl, name, &li) < 0) {
		rtnl_link_set_name(link, name);
		r = rtnl_link_set_type(link, "ifb");
		if (r < 0)
			return nlerr_to_errno(r);
		r = rtnl_link_add(nl, link, NLM_F_CREATE);
		if (r < 0 && nlerr_to_errno(r) != -EEXIST)
			return nlerr_to_errno(r);
		r = link_get(nl, name, &li);
		if (r < 0)
			return r;
	}
	r = link_set(nl, li.ifindex, 0, 0, true);
	if (r < 0)
		return r;
	*ret_ifindex = li.ifindex;
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

/* The rate of lxcnet's tbf at ifindex's root in qdiscs; 0 when the root is another qdisc. */
static uint32_t root_tbf_rate(struct nl_cache *qdiscs, int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_get_by_parent(qdiscs, ifindex, TC_H_ROOT);
	uint32_t bps = 0;
	const char *kind;

	if (!q)
		return 0;
	kind = rtnl_tc_get_kind(TC_CAST(q));
	if (rtnl_tc_get_handle(TC_CAST(q)) == SHAPER_HANDLE && kind && strcmp(kind, "tbf") == 0) {
		int rate = rtnl_qdisc_tbf_get_rate(q);

		bps = rate > 0 ? (uint32_t)rate : 0;
	}
	rtnl_qdisc_put(q);
	return bps;
}

int shaper_get(struct nl_sock *nl, struct nl_cache *qdiscs, int ifindex, ShaperState *ret)
{
	char ifb[IFNAMSIZ];
	LinkInfo li;
	int r;

	*ret = (ShaperState){ .to_container_bps = root_tbf_rate(qdiscs, ifindex) };
	shaper_ifb_name(ifindex, ifb);
	r = link_get(nl, ifb, &li);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	ret->ifb_ifindex = li.ifindex;
	ret->from_container_bps = root_tbf_rate(qdiscs, li.ifindex);
	return 0;
}

static int htb_set(struct nl_sock *nl, int ifindex, uint32_t bytes_per_sec);

/* The way in through ifb "lxr<ifindex>"'s tbf, the way out through root(nl, ifindex, bps); undone on failure. */
static int shape(struct nl_sock *nl, int ifindex, double rate, int (*root)(struct nl_sock *, int, uint32_t),
		 int *ret_ifb_ifindex, Diag *d)
{
	char ifb[IFNAMSIZ];
	uint32_t bps = shaper_bytes_per_sec(rate);
	int ifb_ifindex = 0, r;

	shaper_ifb_name(ifindex, ifb);
	r = ifb_ensure(nl, ifb, &ifb_ifindex);
	if (r < 0)
		return diag_error(d, r, "rate: cannot set up ifb '%s': %s", ifb, strerror(-r));
	r = tbf_set(nl, ifb_ifindex, bps);
	if (r >= 0)
		r = root(nl, ifindex, bps);
	if (r < 0) {
		(void)shaper_clear(nl, ifindex);
		return diag_error(d, r, "rate: cannot add the shaper: %s", strerror(-r));
	}
	*ret_ifb_ifindex = ifb_ifindex;
	return 0;
}

int shaper_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, Diag *d)
{
	int r = shaper_check_rate(rate, d);

	return r < 0 ? r : shape(nl, ifindex, rate, tbf_set, ret_ifb_ifindex, d);
}

int shaper_clear(struct nl_sock *nl, int ifindex)
{
	char ifb[IFNAMSIZ];
	int r;

	shaper_ifb_name(ifindex, ifb);
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

int shaper_storage_set(struct nl_sock *nl, int ifindex, double rate, int *ret_ifb_ifindex, Diag *d)
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
	return shape(nl, ifindex, rate, htb_set, ret_ifb_ifindex, d);
}
