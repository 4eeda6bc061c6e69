/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The order hotplug operations start in: per container, as submitted, one
 * after the other. Each operation points at the one it waits for; that
 * pointer is cleared (or passed on) only when the earlier one has ended.
 * Nothing here reads a field a worker writes.
 */
#include <string.h>

#include "operation.h"

void operation_queue_link(Operation *const *ops, size_t n, Operation *op)
{
	op->after = NULL;
	for (size_t i = n; i > 0; i--) {
		Operation *o = ops[i - 1];

		if (o != op && !o->reaped && strcmp(o->container, op->container) == 0) {
			op->after = o;
			return;
		}
	}
}

bool operation_queue_ready(const Operation *op)
{
	return !op->reaped && !op->after;
}

void operation_queue_release(Operation *const *ops, size_t n, const Operation *op)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i]->after == op)
			ops[i]->after = op->after;
}
