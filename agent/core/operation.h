/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Hotplug operations: AddInterface, RemoveInterface and UpdateInterface
 * return the operation at once (the bus: /org/lxcnet1/operation/<id>); the work runs in a worker
 * thread, one operation per container at a time, up to OPERATION_WORKERS
 * containers at once. Finished operations are kept (the newest
 * OPERATION_HISTORY of them) for GetOperation/ListOperations.
 *
 * Order: the operations of one container start in the order they were
 * submitted, each only once the one before it has ended (its worker joined,
 * or cancelled). The main thread alone decides that, from fields only it
 * writes (after, reaped), so no worker can race it.
 *
 * Proxmox's config lock: an operation lxcnet performs takes
 * /run/lock/lxc/pve-config-<ct>.lock before its worker starts. While another
 * process holds it the operation is running ("waiting for the configuration
 * lock") without a worker, tried again every OPERATION_LOCK_RETRY_USEC, and
 * fails Busy after CT_CONFIG_LOCK_TIMEOUT_MS: a held lock never ties up a
 * worker that other containers' operations need.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/bus.h"
#include "diag.h"
#include "lxcnet-conf.h"
#include "pve-netconf.h"

#define OPERATION_WORKERS 8
#define OPERATION_HISTORY 256
#define OPERATION_LOCK_RETRY_USEC (20 * 1000)

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

typedef struct Operation Operation;
/* The work, in the worker thread: it ends with operation_finish() (or returns, and the worker calls it). */
typedef void (*OperationRun)(Manager *m, Operation *op);

struct Operation {
	uint64_t id;
	OpKind kind;
	OperationRun run;
	char container[64];
	unsigned net;
	char *spec; /* NULL for a removal */
	PveNet nic; /* spec, parsed */
	uint64_t created, started, finished; /* CLOCK_REALTIME, µs; 0 = not yet */
	Manager *manager;
	pthread_t thread;
	RolloutDecision route; /* who performs it, decided at submission */
	char *legacy_pct;      /* the legacy command then */
	FirewallMode fw_mode;  /* lxcnet.conf's "firewall" then */
	/* Main thread only. */
	struct Operation *after; /* the container's previous operation, until it has ended */
	bool announced;		 /* its end logged and signalled */
	bool reaped;		 /* ended: its thread joined (or it never had one) */
	bool has_thread;	 /* a worker was started */
	int lock_fd;		 /* the config lock, taken before the worker starts, which takes it over; -1 */
	uint64_t lock_since;	 /* CLOCK_MONOTONIC µs of the first try; 0 */
	/* Below: written by the worker under Manager.op_lock while running. */
	OpState state;
	bool exited; /* the worker is about to return: it can be joined */
	const char *step;
	const char *error_name; /* "" unless failed */
	RolloutPath done_path;	/* who did it, once done: route.path, or PATH_LEGACY after a fallback */
	char error_message[DIAG_MAX];
};

const char *operation_kind_name(OpKind k);

/* Whether container has an operation that has not ended (main thread). */
bool operations_container_busy(Manager *m, const char *container);
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

/*
 * The queue's order (operation-queue.c, no bus and no threads): link a new
 * operation behind the last of ops[0..n) of its container that has not
 * ended; whether op may start; and when op ends (reaped or cancelled), let
 * those waiting behind it wait for what it waited for.
 */
void operation_queue_link(Operation *const *ops, size_t n, Operation *op);
bool operation_queue_ready(const Operation *op);
void operation_queue_release(Operation *const *ops, size_t n, const Operation *op);

/*
 * (hotplug.c) A hotplug request: hotplug_validate() checks what can be
 * checked without the container (its name, and the spec: a parsable netN
 * string with a name), -EINVAL with d's message, and gives the spec parsed;
 * hotplug_submit() queues it with that (then operation_start()), so that
 * the spec is parsed once. The hotplug itself runs in the worker.
 */
int hotplug_validate(OpKind kind, const char *container, unsigned net, const char *spec, PveNet *ret, Diag *d);
int hotplug_submit(Manager *m, OpKind kind, const char *container, unsigned net, const char *spec, const PveNet *nic,
		   Operation **ret);
/* At start: operations a crash cut off (their intent is in the state directory) made whole or undone. */
void hotplug_settle(Manager *m);

/*
 * operation_submit() queues an operation that run() performs in a worker,
 * operation_start() announces it and lets the queue run it; -ENOMEM.
 */
int operation_submit(Manager *m, OpKind kind, const char *container, unsigned net, const char *spec, OperationRun run,
		     Operation **ret);
void operation_start(Manager *m, Operation *op);

/* By id, among the queued, running and newest OPERATION_HISTORY finished ones; NULL otherwise. */
Operation *operation_find(Manager *m, uint64_t id);

/* Cancel a queued operation; -EBUSY (d says its state) once it has started. */
int operation_cancel(Manager *m, Operation *op, Diag *d);

/* What a client may see of an operation, copied under the lock the workers write under. */
typedef struct OperationInfo {
	uint64_t id;
	const char *kind, *spec, *state, *step, *error_name; /* static, or the operation's own (constant) */
	char container[64];
	unsigned net;
	char error_message[DIAG_MAX];
	uint64_t created, started, finished;
} OperationInfo;
void operation_snapshot(Manager *m, const Operation *op, OperationInfo *ret);
