/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hotplug queue's order: per container as submitted, each operation
 * only once the one before it has ended, whatever state a worker has
 * written meanwhile.
 */
#include "operation.h"
#include "tap.h"

static Operation ops[8];
static Operation *list[8];
static size_t n;

static Operation *submit(const char *container)
{
	Operation *op = &ops[n];

	*op = (Operation){ .id = n + 1, .state = OP_QUEUED, .lock_fd = -1 };
	snprintf(op->container, sizeof(op->container), "%s", container);
	list[n++] = op;
	operation_queue_link(list, n, op);
	return op;
}

/* What the main thread does when an operation has ended. */
static void end(Operation *op, OpState state)
{
	op->state = state;
	op->reaped = true;
	operation_queue_release(list, n, op);
}

int main(void)
{
	Operation *a, *b, *c, *d, *e;

	a = submit("100");
	b = submit("100");
	c = submit("101");
	d = submit("100");
	ok(operation_queue_ready(a), "the first operation of a container may start");
	ok(!operation_queue_ready(b), "the second waits for the first");
	ok(operation_queue_ready(c), "another container's operation does not wait");
	ok(!operation_queue_ready(d), "the third waits too");
	ok(b->after == a && d->after == b, "each waits for the one submitted before it");

	/* A's worker has set its outcome but has not returned (it waits for the kernel to free a link). */
	a->state = OP_DONE;
	ok(!operation_queue_ready(b), "a finished operation whose worker still runs holds the next one back");
	ok(!operation_queue_ready(d), "and the one after it");

	end(a, OP_DONE);
	ok(operation_queue_ready(b), "once the first has ended, the second may start");
	ok(!operation_queue_ready(d), "the third still waits for the second");

	/* B is taken by a worker; C of the other container runs meanwhile. */
	b->state = OP_RUNNING;
	e = submit("100");
	ok(e->after == d, "a new operation queues behind the last of its container");

	/* D is cancelled while B runs: E now waits for B, not for nothing. */
	end(d, OP_CANCELLED);
	ok(e->after == b, "cancelling a queued one passes its wait on to the next");
	ok(!operation_queue_ready(e), "so the next still waits for the running one");
	end(b, OP_FAILED);
	ok(operation_queue_ready(e), "and starts once that one has ended");
	ok(!operation_queue_ready(d) && !operation_queue_ready(b), "ended operations never start again");

	end(c, OP_DONE);
	e->state = OP_RUNNING;
	a = submit("101");
	ok(operation_queue_ready(a), "a container whose operations have all ended starts at once");
	return tap_done();
}
