/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "nic-change.h"

static void step(const NicChangeOps *ops, void *userdata, const char *what)
{
	if (ops->step)
		ops->step(userdata, what);
}

static int write_line(const NicChangeOps *ops, void *userdata, const PveNet *n, Diag *d)
{
	return ops->write ? ops->write(userdata, n, d) : 0;
}

/* Back to the old NIC, created again (recreate) or plugged again in place; a failure is reported, not returned. */
static void back_to_old(const NicChange *c, const NicChangeOps *ops, void *userdata, bool recreate)
{
	Diag dr = {};
	int r;

	if (!c->old_target) {
		ops->undo_failed(userdata, c->old_error ? c->old_error : &dr);
		return;
	}
	r = recreate ? ops->create(userdata, c->old, c->old_target, &dr) : ops->replug(userdata, c->old, c->old_target, &dr);
	if (r < 0)
		ops->undo_failed(userdata, &dr);
}

bool nic_change_replaces(const PveNet *old, const PveNet *new)
{
	return strcmp(old->name, new->name) != 0 || memcmp(old->hwaddr, new->hwaddr, 6) != 0;
}

static int add(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d)
{
	int r;

	step(ops, userdata, "creating and plugging the interface");
	r = ops->create(userdata, c->new, c->target, d);
	if (r < 0)
		return r;
	r = write_line(ops, userdata, c->new, d);
	if (r < 0)
		ops->destroy(userdata);
	return r;
}

static int remove_nic(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d)
{
	int r;

	step(ops, userdata, "removing the interface");
	ops->destroy(userdata);
	r = write_line(ops, userdata, NULL, d);
	if (r < 0)
		back_to_old(c, ops, userdata, true);
	return r;
}

static int replace(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d)
{
	int r;

	step(ops, userdata, "replacing the interface");
	ops->destroy(userdata);
	r = ops->create(userdata, c->new, c->target, d);
	if (r >= 0) {
		r = write_line(ops, userdata, c->new, d);
		if (r < 0)
			ops->destroy(userdata);
	}
	if (r < 0)
		back_to_old(c, ops, userdata, true);
	return r;
}

static int update_in_place(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d)
{
	Diag dr = {};
	int r;

	step(ops, userdata, "updating the host interface");
	r = ops->replug(userdata, c->new, c->target, d);
	if (r < 0) {
		/* replug() restored the link; the old policy and shaper must come back too. */
		back_to_old(c, ops, userdata, false);
		return r;
	}
	if (ops->update_ct) {
		step(ops, userdata, "updating the container's interface");
		r = ops->update_ct(userdata, c->old, c->new, plug_nic_mtu(c->new, c->target), d);
	}
	if (r >= 0)
		r = write_line(ops, userdata, c->new, d);
	if (r < 0) {
		/* Back: the container's side first (it may need the old MTU), then the host's. */
		if (ops->update_ct &&
		    ops->update_ct(userdata, c->new, c->old, c->old_target ? plug_nic_mtu(c->old, c->old_target) : c->old_mtu,
				   &dr) < 0)
			ops->undo_failed(userdata, &dr);
		else
			back_to_old(c, ops, userdata, false);
	}
	return r;
}

int nic_change_apply(const NicChange *c, const NicChangeOps *ops, void *userdata, Diag *d)
{
	switch (c->kind) {
	case NIC_CHANGE_ADD:
		return add(c, ops, userdata, d);
	case NIC_CHANGE_REMOVE:
		return remove_nic(c, ops, userdata, d);
	case NIC_CHANGE_UPDATE:
		return nic_change_replaces(c->old, c->new) ? replace(c, ops, userdata, d) : update_in_place(c, ops, userdata, d);
	}
	return diag_error(d, -EINVAL, "unknown NIC change %d", (int)c->kind);
}

typedef struct NetnsNic {
	PlugEnv *e;
	CtNetns *ns;
	const char *host_ifname, *alias;
} NetnsNic;

static int netns_create(void *userdata, const PveNet *n, const PlugTarget *t, Diag *d)
{
	NetnsNic *x = userdata;

	return plug_netns_add(x->e, x->ns, x->host_ifname, x->alias, n, t, d);
}

static void netns_destroy(void *userdata)
{
	NetnsNic *x = userdata;

	(void)plug_remove(x->e, x->host_ifname, NULL);
}

int nic_change_add_netns(PlugEnv *e, CtNetns *ns, const char *host_ifname, const char *alias, const PveNet *n,
			 const PlugTarget *t, Diag *d)
{
	/* Nothing is written, so nothing after the creation can fail: no undo to report. */
	static const NicChangeOps ops = { .create = netns_create, .destroy = netns_destroy };
	NetnsNic x = { .e = e, .ns = ns, .host_ifname = host_ifname, .alias = alias };

	return nic_change_apply(&(NicChange){ .kind = NIC_CHANGE_ADD, .new = n, .target = t }, &ops, &x, d);
}
