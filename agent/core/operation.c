/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hotplug operation queue and its worker threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "manager.h"
#include "plugins.h"
#include "operation.h"
#include "pve-ctconf.h"
#include "pve-netconf.h"
#include "strutil.h"

static const char *const kind_names[] = { [OP_ADD] = "add", [OP_REMOVE] = "remove", [OP_UPDATE] = "update" };
static const char *const state_names[] = {
	[OP_QUEUED] = "queued", [OP_RUNNING] = "running", [OP_DONE] = "done",
	[OP_FAILED] = "failed", [OP_CANCELLED] = "cancelled",
};

const char *operation_kind_name(OpKind k)
{
	return kind_names[k];
}

RolloutOp operation_rollout_op(OpKind k)
{
	return k == OP_ADD ? ROP_HOTPLUG_ADD : k == OP_REMOVE ? ROP_HOTPLUG_REMOVE : ROP_HOTPLUG_UPDATE;
}

const char *operation_state_name(OpState s)
{
	return state_names[s];
}

bool operations_container_busy(Manager *m, const char *container)
{
	for (size_t i = 0; i < m->n_ops; i++)
		if (!m->ops[i]->reaped && strcmp(m->ops[i]->container, container) == 0)
			return true;
	return false;
}

static void operation_free(Operation *op)
{
	if (!op)
		return;
	free(op->spec);
	free(op->legacy_pct);
	safe_close(op->lock_fd);
	free(op);
}

static void emit_changed(Manager *m, Operation *op)
{
	OpState state;

	pthread_mutex_lock(&m->op_lock);
	state = op->state;
	pthread_mutex_unlock(&m->op_lock);
	manager_emit(m, &(Event){ .type = EVENT_OPERATION_CHANGED, .operation = op, .state = state_names[state] });
}

void operation_step(Manager *m, Operation *op, const char *step)
{
	pthread_mutex_lock(&m->op_lock);
	op->step = step;
	pthread_mutex_unlock(&m->op_lock);
}

int operation_fail(Manager *m, Operation *op, const char *error_name, int r, const Diag *d)
{
	pthread_mutex_lock(&m->op_lock);
	op->error_name = error_name;
	snprintf(op->error_message, sizeof(op->error_message), "%s", d && d->msg[0] ? d->msg : strerror(-r));
	pthread_mutex_unlock(&m->op_lock);
	return r < 0 ? r : -EIO;
}

static void wake(Manager *m, Operation *op)
{
	uint64_t one = 1;

	if (write(m->op_efd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with 8 workers; nothing to do but log. */
		log_ctx(NULL, LOG_ERR, "Cannot wake the agent for operation %llu: %m", (unsigned long long)op->id);
	}
}

void operation_finish(Manager *m, Operation *op)
{
	bool was_running;

	pthread_mutex_lock(&m->op_lock);
	was_running = op->state == OP_RUNNING;
	if (was_running) {
		op->state = op->error_name[0] ? OP_FAILED : OP_DONE;
		op->finished = clock_usec(CLOCK_REALTIME);
	}
	pthread_mutex_unlock(&m->op_lock);
	if (was_running)
		wake(m, op);
}

static void *worker(void *userdata)
{
	Operation *op = userdata;
	Manager *m = op->manager;

	op->run(m, op);
	operation_finish(m, op);
	pthread_mutex_lock(&m->op_lock);
	op->exited = true;
	pthread_mutex_unlock(&m->op_lock);
	wake(m, op);
	return NULL;
}

/* Ended: what waits behind op goes on; a queued operation of its container may start now. */
static void reap(Manager *m, Operation *op)
{
	op->reaped = true;
	operation_queue_release(m->ops, m->n_ops, op);
}

/*
 * An operation that failed before a worker started (the lock, no thread):
 * final now; on_finished() announces it like any other.
 */
static void fail_unstarted(Manager *m, Operation *op, const char *error_name, int r, const Diag *d)
{
	(void)operation_fail(m, op, error_name, r, d);
	pthread_mutex_lock(&m->op_lock);
	op->state = OP_FAILED;
	op->finished = clock_usec(CLOCK_REALTIME);
	op->exited = true;
	pthread_mutex_unlock(&m->op_lock);
	if (op->lock_since)
		manager_record_op(m, operation_rollout_op(op->kind), op->route.path, false, false,
				  clock_usec(CLOCK_MONOTONIC) - op->lock_since);
	wake(m, op);
}

static int on_lock_retry(sd_event_source *s, uint64_t usec, void *userdata);

/*
 * Take Proxmox's config lock for an operation lxcnet performs (the legacy
 * command takes it itself). 1: taken or not needed; 0: held elsewhere, try
 * again later; an operation that waited too long has failed Busy.
 */
static int take_lock(Manager *m, Operation *op)
{
	uint64_t now = clock_usec(CLOCK_MONOTONIC);
	Diag d = {};
	int r;

	if (op->route.path != PATH_LXCNET || op->lock_fd >= 0)
		return 1;
	if (!op->lock_since)
		op->lock_since = now;
	r = ct_config_lock(CT_CONFIG_LOCK_DIR, op->container, 0, &op->lock_fd, &d);
	if (r >= 0)
		return 1;
	/* Anything but a held lock: the worker tries again and reports it (and may fall back). */
	if (r != -ETIMEDOUT)
		return 1;
	if (now - op->lock_since >= (uint64_t)CT_CONFIG_LOCK_TIMEOUT_MS * 1000) {
		diag_error(&d, -ETIMEDOUT, "%s/pve-config-%s.lock: still locked by another process after %d ms",
			   CT_CONFIG_LOCK_DIR, op->container, CT_CONFIG_LOCK_TIMEOUT_MS);
		fail_unstarted(m, op, LXCNET_ERR_BUSY, -ETIMEDOUT, &d);
		return 0;
	}
	if (op->step == NULL || strcmp(op->step, "waiting for the configuration lock") != 0)
		operation_step(m, op, "waiting for the configuration lock");
	if (!m->op_retry &&
	    sd_event_add_time_relative(m->event, &m->op_retry, CLOCK_MONOTONIC, OPERATION_LOCK_RETRY_USEC, 0, on_lock_retry, m) < 0)
		m->op_retry = NULL;
	return 0;
}

/*
 * Start what can start: per container in submission order, each once the
 * one before it has ended, at most OPERATION_WORKERS workers.
 */
static void dispatch(Manager *m)
{
	for (size_t i = 0; i < m->n_ops && m->n_running < OPERATION_WORKERS; i++) {
		Operation *op = m->ops[i];
		bool waiting_lock = op->state == OP_RUNNING && !op->has_thread && !op->exited;
		int r;

		if ((op->state != OP_QUEUED && !waiting_lock) || !operation_queue_ready(op))
			continue;
		if (op->state == OP_QUEUED) {
			pthread_mutex_lock(&m->op_lock);
			op->state = OP_RUNNING;
			op->started = clock_usec(CLOCK_REALTIME);
			op->step = "starting";
			pthread_mutex_unlock(&m->op_lock);
			emit_changed(m, op);
		}
		if (take_lock(m, op) == 0)
			continue;
		r = pthread_create(&op->thread, NULL, worker, op);
		if (r != 0) {
			Diag d = {};

			op->lock_fd = safe_close(op->lock_fd);
			diag_error(&d, -r, "cannot start a worker: %s", strerror(r));
			fail_unstarted(m, op, LXCNET_ERR_FAILED, -r, &d);
			continue;
		}
		op->has_thread = true;
		m->n_running++;
	}
}

static int on_lock_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	Manager *m = userdata;

	(void)usec;
	m->op_retry = sd_event_source_unref(s);
	dispatch(m);
	return 0;
}

/* Keep the newest OPERATION_HISTORY finished operations; queued and running ones always stay. */
static void prune(Manager *m)
{
	size_t finished = 0, j = 0;

	for (size_t i = 0; i < m->n_ops; i++)
		finished += m->ops[i]->reaped;
	for (size_t i = 0; i < m->n_ops; i++) {
		Operation *op = m->ops[i];

		if (op->reaped && finished > OPERATION_HISTORY) {
			finished--;
			operation_free(op);
			continue;
		}
		m->ops[j++] = op;
	}
	m->n_ops = j;
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	uint64_t n;

	(void)s, (void)revents;
	if (read(fd, &n, sizeof(n)) < 0)
		return 0;
	for (size_t i = 0; i < m->n_ops; i++) {
		Operation *op = m->ops[i];
		char net[16];
		OpState state;
		bool exited;

		pthread_mutex_lock(&m->op_lock);
		state = op->state;
		exited = op->exited;
		pthread_mutex_unlock(&m->op_lock);
		if (op->reaped || (state != OP_DONE && state != OP_FAILED))
			continue;
		if (!op->announced) {
			op->announced = true;
			snprintf(net, sizeof(net), "net%u", op->net);
			log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = op->container, .net = net },
				state == OP_DONE ? LOG_INFO : LOG_ERR, "Hotplug %s of %s of container '%s' %s%s",
				kind_names[op->kind], net, op->container, state == OP_DONE ? "done" : "failed: ",
				state == OP_DONE ? "" : op->error_message);
			emit_changed(m, op);
			if (state == OP_DONE)
				manager_emit(m, &(Event){ .type = EVENT_OPERATION_DONE, .operation = op,
							  .action = kind_names[op->kind] });
		}
		/*
		 * A worker still waiting for the kernel to free a deleted link keeps
		 * its slot, and the container's next operation waits for it.
		 */
		if (exited) {
			if (op->has_thread) {
				pthread_join(op->thread, NULL);
				m->n_running--;
			}
			reap(m, op);
		}
	}
	prune(m);
	dispatch(m);
	return 0;
}

int operations_init(Manager *m)
{
	int r;

	r = pthread_mutex_init(&m->op_lock, NULL);
	if (r != 0)
		return -r;
	r = pthread_mutex_init(&m->lxc_lock, NULL);
	if (r != 0)
		return -r;
	m->op_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->op_efd < 0)
		return negative_errno();
	return sd_event_add_io(m->event, NULL, m->op_efd, EPOLLIN, on_finished, m);
}

void operations_done(Manager *m)
{
	for (size_t i = 0; i < m->n_ops; i++) {
		Operation *op = m->ops[i];

		/* A half-done hotplug would leave the kernel and the file apart: let it finish. */
		if (op->has_thread && !op->reaped)
			pthread_join(op->thread, NULL);
		operation_free(op);
	}
	free(m->ops);
	m->ops = NULL;
	m->n_ops = 0;
	m->op_retry = sd_event_source_unref(m->op_retry);
	if (m->op_efd >= 0)
		close(m->op_efd);
	m->op_efd = -1;
}

Operation *operation_find(Manager *m, uint64_t id)
{
	for (size_t i = 0; i < m->n_ops; i++)
		if (m->ops[i]->id == id)
			return m->ops[i];
	return NULL;
}

int operation_submit(Manager *m, OpKind kind, const char *container, unsigned net, const char *spec, OperationRun run,
		     Operation **ret)
{
	Operation *op, **slot;
	char key[16];

	op = calloc(1, sizeof(*op));
	if (op)
		op->lock_fd = -1;
	if (!op || (spec && !(op->spec = strdup(spec))) || !(op->legacy_pct = strdup(m->conf->legacy_pct))) {
		operation_free(op);
		return -ENOMEM;
	}
	slot = array_grow(&m->ops, m->n_ops, sizeof(*m->ops));
	if (!slot) {
		operation_free(op);
		return -ENOMEM;
	}
	op->id = ++m->next_op_id;
	op->kind = kind;
	op->run = run;
	snprintf(op->container, sizeof(op->container), "%s", container);
	op->net = net;
	op->created = clock_usec(CLOCK_REALTIME);
	op->state = OP_QUEUED;
	op->step = "queued";
	op->error_name = "";
	op->manager = m;
	op->fw_mode = m->conf->firewall;
	rollout_decide(m->conf, operation_rollout_op(kind), NIC_PLAIN, &op->route);
	snprintf(key, sizeof(key), "net%u", net);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = op->container, .net = key }, LOG_INFO,
		"Hotplug %s of %s of container '%s': %s performs it, %s", kind_names[kind], key, op->container,
		op->route.path == PATH_LXCNET ? "lxcnet" : op->legacy_pct, op->route.reason);
	*slot = op;
	m->n_ops++;
	operation_queue_link(m->ops, m->n_ops, op);
	*ret = op;
	return 0;
}

void operation_start(Manager *m, Operation *op)
{
	emit_changed(m, op);
	dispatch(m);
}

int operation_cancel(Manager *m, Operation *op, Diag *d)
{
	/* Only the main thread starts operations: a queued one cannot start meanwhile. */
	if (op->state != OP_QUEUED)
		return diag_error(d, -EBUSY, "Operation %llu is %s; only queued operations can be cancelled",
				  (unsigned long long)op->id, state_names[op->state]);
	pthread_mutex_lock(&m->op_lock);
	op->state = OP_CANCELLED;
	op->step = "cancelled";
	op->finished = clock_usec(CLOCK_REALTIME);
	pthread_mutex_unlock(&m->op_lock);
	op->announced = true;
	reap(m, op);
	emit_changed(m, op);
	dispatch(m);
	return 0;
}

void operation_snapshot(Manager *m, const Operation *op, OperationInfo *ret)
{
	pthread_mutex_lock(&m->op_lock);
	*ret = (OperationInfo){
		.id = op->id,
		.kind = kind_names[op->kind],
		.net = op->net,
		.spec = op->spec ?: "",
		.state = state_names[op->state],
		.step = op->step,
		.error_name = op->error_name,
		.created = op->created,
		.started = op->started,
		.finished = op->finished,
	};
	snprintf(ret->container, sizeof(ret->container), "%s", op->container);
	snprintf(ret->error_message, sizeof(ret->error_message), "%s", op->error_message);
	pthread_mutex_unlock(&m->op_lock);
}
