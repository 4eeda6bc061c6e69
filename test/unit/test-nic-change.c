/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nic_change_apply() against a model of the kernel and the config file:
 * for every kind of change and every step made to fail in turn, the change
 * is either whole or, after the failure, the model is exactly as before;
 * an undo that fails too is reported; the steps run in their order.
 */
#include <errno.h>
#include <string.h>

#include "nic-change.h"
#include "tap.h"

/* The world a change touches: the pair, its host end's bridge, its container end's name, the netN line. */
typedef struct World {
	bool exists;
	char bridge[16], ct_name[16], line[16];
	uint32_t ct_mtu;
} World;

typedef struct Fake {
	World w;
	unsigned calls, fail_mask; /* fallible call k fails when bit k - 1 is set */
	unsigned undo_failures;
	char journal[256];
} Fake;

static bool fails(Fake *f, const char *what)
{
	bool fail = ++f->calls <= 32 && (f->fail_mask >> (f->calls - 1)) & 1;

	snprintf(f->journal + strlen(f->journal), sizeof(f->journal) - strlen(f->journal), "%s%s%s",
		 f->journal[0] ? " " : "", what, fail ? "!" : "");
	return fail;
}

static int fake_create(void *u, const PveNet *n, const PlugTarget *t, Diag *d)
{
	Fake *f = u;

	if (fails(f, "create"))
		return diag_error(d, -EIO, "create failed");
	f->w.exists = true;
	snprintf(f->w.bridge, sizeof(f->w.bridge), "%s", t->bridge);
	snprintf(f->w.ct_name, sizeof(f->w.ct_name), "%s", n->name);
	f->w.ct_mtu = plug_nic_mtu(n, t);
	return 0;
}

static void fake_destroy(void *u)
{
	Fake *f = u;

	snprintf(f->journal + strlen(f->journal), sizeof(f->journal) - strlen(f->journal), "%sdestroy", f->journal[0] ? " " : "");
	f->w.exists = false;
	f->w.bridge[0] = f->w.ct_name[0] = '\0';
	f->w.ct_mtu = 0;
}

static int fake_replug(void *u, const PveNet *n, const PlugTarget *t, Diag *d)
{
	Fake *f = u;

	(void)n;
	if (fails(f, "replug"))
		return diag_error(d, -EIO, "replug failed");
	snprintf(f->w.bridge, sizeof(f->w.bridge), "%s", t->bridge);
	return 0;
}

static int fake_update_ct(void *u, const PveNet *from, const PveNet *to, uint32_t mtu, Diag *d)
{
	Fake *f = u;

	(void)from;
	if (fails(f, "update_ct"))
		return diag_error(d, -EIO, "update_ct failed");
	snprintf(f->w.ct_name, sizeof(f->w.ct_name), "%s", to->name);
	f->w.ct_mtu = mtu;
	return 0;
}

static int fake_write(void *u, const PveNet *n, Diag *d)
{
	Fake *f = u;

	if (fails(f, "write"))
		return diag_error(d, -EIO, "write failed");
	snprintf(f->w.line, sizeof(f->w.line), "%s", n ? n->name : "");
	return 0;
}

static void fake_undo_failed(void *u, const Diag *d)
{
	(void)d;
	((Fake *)u)->undo_failures++;
}

static const NicChangeOps ops = {
	.create = fake_create,
	.destroy = fake_destroy,
	.replug = fake_replug,
	.update_ct = fake_update_ct,
	.write = fake_write,
	.undo_failed = fake_undo_failed,
};

static bool same(const World *a, const World *b)
{
	return a->exists == b->exists && strcmp(a->bridge, b->bridge) == 0 && strcmp(a->ct_name, b->ct_name) == 0 &&
	       strcmp(a->line, b->line) == 0 && a->ct_mtu == b->ct_mtu;
}

static PveNet nic(const char *name, uint8_t mac_last)
{
	PveNet n = {};

	snprintf(n.name, sizeof(n.name), "%s", name);
	n.hwaddr[5] = mac_last;
	return n;
}

/*
 * Fail each fallible step in turn (until the change passes): after a
 * failure the world is `before`, after success it is `after`. Returns how
 * many steps could fail.
 */
static unsigned every_failure(const char *what, const NicChange *c, const NicChangeOps *o, const World *before, const World *after)
{
	unsigned k;

	for (k = 1;; k++) {
		Fake f = { .w = *before, .fail_mask = 1u << (k - 1) };
		Diag d = {};
		int r = nic_change_apply(c, o, &f, &d);

		if (r >= 0) {
			ok(f.calls < k && same(&f.w, after) && f.undo_failures == 0, "%s: passes with no failure (%s)", what,
			   f.journal);
			break;
		}
		ok(same(&f.w, before) && f.undo_failures == 0 && d.msg[0],
		   "%s: step %u failing leaves everything as before (%s: %s)", what, k, f.journal, d.msg);
		if (k > 20)
			break;
	}
	return k - 1;
}

int main(void)
{
	PveNet eth1 = nic("eth1", 1), eth1b = nic("eth1", 1), eth2 = nic("eth2", 2), eth1mac = nic("eth1", 9);
	PlugTarget vmbr0 = { .bridge = "vmbr0", .bridge_mtu = 1500 }, vmbr1 = { .bridge = "vmbr1", .bridge_mtu = 9000 };
	World none = {}, on0 = { true, "vmbr0", "eth1", "eth1", 1500 }, on1 = { true, "vmbr1", "eth1", "eth1", 9000 },
	      eth2on0 = { true, "vmbr0", "eth2", "eth2", 1500 };
	Diag err = { .msg = "the old plug cannot be worked out" };

	/* The steps and their order. */
	{
		Fake f = {};
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_ADD, .new = &eth1, .target = &vmbr0 };

		is_int(nic_change_apply(&c, &ops, &f, &d), 0, "add: done");
		is_str(f.journal, "create write", "add: create, then write");
		ok(same(&f.w, &on0), "add: the NIC exists, plugged into vmbr0, its line written");
	}
	{
		Fake f = { .w = on0 };
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_UPDATE, .new = &eth1b, .target = &vmbr1, .old = &eth1, .old_target = &vmbr0 };

		is_int(nic_change_apply(&c, &ops, &f, &d), 0, "update in place: done");
		is_str(f.journal, "replug update_ct write", "update in place: host end, container end, write");
		ok(same(&f.w, &on1), "update in place: now on vmbr1 with its MTU");
	}
	{
		Fake f = { .w = on0, .fail_mask = 1u << 1 };
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_UPDATE, .new = &eth1b, .target = &vmbr1, .old = &eth1, .old_target = &vmbr0 };

		ok(nic_change_apply(&c, &ops, &f, &d) < 0, "update, container end fails: failed");
		is_str(f.journal, "replug update_ct! update_ct replug", "update: container end back first, then the host end");
	}

	/* Every step failing in turn. */
	{
		NicChange add = { .kind = NIC_CHANGE_ADD, .new = &eth1, .target = &vmbr0 };
		NicChange rm = { .kind = NIC_CHANGE_REMOVE, .old = &eth1, .old_target = &vmbr0 };
		NicChange upd = { .kind = NIC_CHANGE_UPDATE, .new = &eth1b, .target = &vmbr1, .old = &eth1, .old_target = &vmbr0 };
		NicChange ren = { .kind = NIC_CHANGE_UPDATE, .new = &eth2, .target = &vmbr0, .old = &eth1, .old_target = &vmbr0 };
		NicChange mac = { .kind = NIC_CHANGE_UPDATE, .new = &eth1mac, .target = &vmbr1, .old = &eth1, .old_target = &vmbr0 };
		NicChangeOps host_only = ops, no_file = ops;
		World bound = on0;

		host_only.update_ct = NULL;
		no_file.write = NULL;
		is_int(every_failure("add", &add, &ops, &none, &on0), 2, "add: 2 steps can fail");
		is_int(every_failure("remove", &rm, &ops, &on0, &none), 1, "remove: 1 step can fail");
		is_int(every_failure("update in place", &upd, &ops, &on0, &on1), 3, "update in place: 3 steps can fail");
		is_int(every_failure("rename", &ren, &ops, &on0, &eth2on0), 2, "a new name: 2 steps can fail");
		ok(nic_change_replaces(&eth1, &eth1mac) && !nic_change_replaces(&eth1, &eth1b), "a new MAC replaces, the same NIC does not");
		is_int(every_failure("new MAC", &mac, &ops, &on0, &on1), 2, "a new MAC: 2 steps can fail");
		/* BindVNet: the host end only. */
		bound.ct_mtu = 1500;
		{
			World after = on1;

			after.ct_mtu = 1500; /* the container's end is not touched */
			is_int(every_failure("bind (host end only)", &upd, &host_only, &bound, &after), 2,
			       "bind: 2 steps can fail");
		}
		/* OCI and CNI: nothing persisted. */
		{
			World after = on0;

			after.line[0] = '\0';
			is_int(every_failure("OCI/CNI add", &add, &no_file, &none, &after), 1, "OCI/CNI add: 1 step can fail");
		}
	}

	/* An undo that cannot be done is reported. */
	{
		Fake f = { .w = on0, .fail_mask = 1u << 0 };
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_REMOVE, .old = &eth1, .old_target = NULL, .old_error = &err };

		/* The write fails; the old NIC cannot be made again without its plug. */
		ok(nic_change_apply(&c, &ops, &f, &d) < 0 && f.undo_failures == 1 && !f.w.exists,
		   "remove without the old plug: the undo is reported (%s)", f.journal);
	}
	{
		/* The write fails (call 3), then the container end's way back (call 4). */
		Fake f = { .w = on0, .fail_mask = 1u << 2 | 1u << 3 };
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_UPDATE, .new = &eth1b, .target = &vmbr1, .old = &eth1, .old_target = &vmbr0 };

		ok(nic_change_apply(&c, &ops, &f, &d) < 0 && f.undo_failures == 1 && strcmp(d.msg, "write failed") == 0,
		   "update, the write and then its undo fail: reported, and the first error returned (%s)", f.journal);
	}
	{
		/* Add: the write fails and the pair goes; nothing can fail on that way back. */
		Fake f = { .fail_mask = 1u << 1 };
		Diag d = {};
		NicChange c = { .kind = NIC_CHANGE_ADD, .new = &eth1, .target = &vmbr0 };

		ok(nic_change_apply(&c, &ops, &f, &d) < 0 && strcmp(f.journal, "create write! destroy") == 0 && same(&f.w, &none),
		   "add, the write fails: the NIC is deleted again (%s)", f.journal);
	}
	{
		Diag d = {};
		NicChange c = { .kind = (NicChangeKind)42 };

		is_int(nic_change_apply(&c, &ops, &(Fake){}, &d), -EINVAL, "an unknown kind is refused");
	}
	return tap_done();
}
