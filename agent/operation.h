/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Hotplug operations: AddInterface, RemoveInterface and UpdateInterface
 * return /org/lxcnet1/operation/<id> at once; the work runs in a worker
 * thread, one operation per container at a time, up to OPERATION_WORKERS
 * containers at once. Finished operations are kept (the newest
 * OPERATION_HISTORY of them) for GetOperation/ListOperations.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "diag.h"
#include "lxcnet-conf.h"

#define OPERATION_WORKERS 8
#define OPERATION_HISTORY 256
#define OPERATION_PATH "/org/lxcnet1/operation"

typedef struct Manager Manager;

typedef enum OpKind {
	OP_ADD,
	OP_REMOVE,
	OP_UPDATE,
} OpKind;

typedef enum OpState {
	OP_QUEUED,
	OP_RUNNING,
	OP_DONE,
	OP_FAILED,
	OP_CANCELLED,
} OpState;

typedef struct Operation {
	uint64_t id;
	OpKind kind;
	char container[64];
	unsigned net;
	char *spec; /* NULL for a removal */
	uint64_t created, started, finished; /* CLOCK_REALTIME, µs; 0 = not yet */
	Manager *manager;
	pthread_t thread;
	RolloutDecision route; /* who performs it, decided at submission */
	char *legacy_pct;      /* the legacy command then */
	bool announced; /* its end logged and signalled (main thread) */
	bool reaped;	/* finished and its thread joined */
	/* Below: written by the worker under Manager.op_lock while running. */
	OpState state;
	bool exited; /* the worker is about to return: it can be joined */
	const char *step;
	const char *error_name; /* "" unless failed */
	char error_message[DIAG_MAX];
} Operation;

const char *operation_kind_name(OpKind k);
const char *operation_state_name(OpState s);
RolloutOp operation_rollout_op(OpKind k);

/* Set up the queue (an eventfd on m's loop for finished workers). */
int operations_init(Manager *m);
/* Wait for running workers; free everything. */
void operations_done(Manager *m);

/* Worker side (hotplug.c runs in the worker): progress and result. */
void operation_step(Manager *m, Operation *op, const char *step);
int operation_fail(Manager *m, Operation *op, const char *error_name, int r, const Diag *d);
/*
 * The outcome is final (done, or failed when operation_fail() was called):
 * clients see it now, though the worker may still wait for the kernel to
 * free what it deleted. The worker calls it if hotplug_run() did not.
 */
void operation_finish(Manager *m, Operation *op);

/* The hotplug itself, in the worker thread. */
void hotplug_run(Manager *m, Operation *op);

/* Bus methods, in the Manager's vtable. */
int method_add_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_remove_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_update_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_operation(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_operations(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_cancel_operation(sd_bus_message *m, void *userdata, sd_bus_error *error);

/* The operation objects (a fallback vtable under OPERATION_PATH). */
int operations_bus_setup(Manager *m);

#define OPERATION_SIG "(osssssssttt)"
