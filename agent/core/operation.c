/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hotplug operation queue, its worker threads and its bus objects. */
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
static const char *const plugin_events[] = {
	[OP_ADD] = "hotplug-add",
	[OP_REMOVE] = "hotplug-remove",
	[OP_UPDATE] = "hotplug-update",
};
static const char *const state_names[] = {
	[OP_QUEUED] = "queued", [OP_RUNNING] = "running", [OP_DONE] = "done",
	[OP_FAILED] = "failed", [OP_CANCELLED] = "cancelled",
};
static const char *const signal_names[] = {
	[OP_ADD] = "InterfaceAdded", [OP_REMOVE] = "InterfaceRemoved", [OP_UPDATE] = "InterfaceUpdated"
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

static int op_path(const Operation *op, char **ret)
{
	return asprintf(ret, LXCNET_BUS_OPERATION_PATH "/%llu", (unsigned long long)op->id) < 0 ? -ENOMEM : 0;
}

static void emit_changed(Manager *m, Operation *op)
{
	_cleanup_free_ char *path = NULL;
	OpState state;

	if (!m->bus || !m->announce || op_path(op, &path) < 0)
		return;
	pthread_mutex_lock(&m->op_lock);
	state = op->state;
	pthread_mutex_unlock(&m->op_lock);
	(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "OperationChanged", "os", path,
				 state_names[state]);
	(void)sd_bus_emit_properties_changed(m->bus, path, LXCNET_BUS_OPERATION, "State", "ErrorName", "ErrorMessage",
					     "Started", "Finished", NULL);
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

	hotplug_run(m, op);
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
			if (state == OP_DONE && m->bus && m->announce) {
				(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, signal_names[op->kind],
							 "ss", op->container, net);
				plugins_notify(m, plugin_events[op->kind], op->container, op->net, NULL, NULL, NULL);
			}
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

static Operation *find_op(Manager *m, const char *path)
{
	unsigned long long id;
	char *end;

	if (strncmp(path, LXCNET_BUS_OPERATION_PATH "/", sizeof(LXCNET_BUS_OPERATION_PATH)) != 0)
		return NULL;
	path += sizeof(LXCNET_BUS_OPERATION_PATH);
	errno = 0;
	id = strtoull(path, &end, 10);
	if (errno || *end || end == path)
		return NULL;
	for (size_t i = 0; i < m->n_ops; i++)
		if (m->ops[i]->id == id)
			return m->ops[i];
	return NULL;
}

static int submit(sd_bus_message *msg, Manager *m, OpKind kind, sd_bus_error *error)
{
	_cleanup_free_ char *path = NULL;
	const char *container, *net, *spec = NULL;
	Operation *op, **slot;
	unsigned idx = 0;
	int r;

	r = kind == OP_REMOVE ? sd_bus_message_read(msg, "ss", &container, &net) :
				sd_bus_message_read(msg, "sss", &container, &net, &spec);
	if (r < 0)
		return r;
	r = manager_bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	/* It names a file (<dir>/lxc/<container>.conf) and host interfaces: nothing but a plain name. */
	if (!*container || container[0] == '.' || strlen(container) + strlen("vethi31") >= IFNAMSIZ ||
	    strspn(container, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(container))
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT,
					 "'%s' is not a container name lxcnet can name host interfaces after", container);
	if (spec) {
		PveNet n;
		Diag d = {};

		if (pve_net_parse(spec, &n, &d) < 0)
			return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "%s: %s", net, d.msg);
		if (!pve_net_has(&n, PVE_NET_NAME))
			return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "%s: name: missing", net);
	}
	r = manager_bus_authorize(msg, error);
	if (r < 0)
		return r;

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
	snprintf(op->container, sizeof(op->container), "%s", container);
	op->net = idx;
	op->created = clock_usec(CLOCK_REALTIME);
	op->state = OP_QUEUED;
	op->step = "queued";
	op->error_name = "";
	op->manager = m;
	op->fw_filter_always = m->conf->firewall_always;
	rollout_decide(m->conf, operation_rollout_op(kind), NIC_PLAIN, &op->route);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = op->container, .net = net }, LOG_INFO,
		"Hotplug %s of %s of container '%s': %s performs it, %s", kind_names[kind], net, op->container,
		op->route.path == PATH_LXCNET ? "lxcnet" : op->legacy_pct, op->route.reason);
	*slot = op;
	m->n_ops++;
	operation_queue_link(m->ops, m->n_ops, op);
	r = op_path(op, &path);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(msg, "o", path);
	emit_changed(m, op);
	dispatch(m);
	return r;
}

int method_add_interface(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return submit(m, userdata, OP_ADD, error);
}

int method_remove_interface(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return submit(m, userdata, OP_REMOVE, error);
}

int method_update_interface(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return submit(m, userdata, OP_UPDATE, error);
}

static int append_op(Manager *m, sd_bus_message *reply, Operation *op)
{
	_cleanup_free_ char *path = NULL;
	char net[16];
	int r;

	if (op_path(op, &path) < 0)
		return -ENOMEM;
	snprintf(net, sizeof(net), "net%u", op->net);
	pthread_mutex_lock(&m->op_lock);
	r = sd_bus_message_append(reply, LXCNET_SIG_OPERATION, path, kind_names[op->kind], op->container, net, state_names[op->state],
				  op->step, op->error_name, op->error_message, op->created, op->started, op->finished);
	pthread_mutex_unlock(&m->op_lock);
	return r;
}

static Operation *read_op(sd_bus_message *msg, Manager *m, sd_bus_error *error, int *r)
{
	const char *path;
	Operation *op;

	*r = sd_bus_message_read(msg, "o", &path);
	if (*r < 0)
		return NULL;
	op = find_op(m, path);
	if (!op)
		*r = sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_OPERATION, "No operation '%s' (finished ones are kept: the newest %d)",
				       path, OPERATION_HISTORY);
	return op;
}

int method_get_operation(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Operation *op;
	int r;

	op = read_op(msg, userdata, error, &r);
	if (!op)
		return r;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = append_op(userdata, reply, op);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

int method_list_operations(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_OPERATION);
	for (size_t i = 0; r >= 0 && i < m->n_ops; i++)
		r = append_op(m, reply, m->ops[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

int method_cancel_operation(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	Operation *op;
	int r;

	op = read_op(msg, m, error, &r);
	if (!op)
		return r;
	r = manager_bus_authorize(msg, error);
	if (r < 0)
		return r;
	/* Only the main thread starts operations: a queued one cannot start meanwhile. */
	if (op->state != OP_QUEUED)
		return sd_bus_error_setf(error, LXCNET_ERR_BUSY, "Operation %llu is %s; only queued operations can be cancelled",
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
	return sd_bus_reply_method_return(msg, NULL);
}

static int op_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
		   sd_bus_error *error)
{
	(void)bus, (void)interface, (void)error;
	if (!find_op(userdata, path))
		return 0;
	*found = userdata;
	return 1;
}

static int op_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Manager *m = userdata;
	char **l = calloc(m->n_ops + 1, sizeof(char *));

	(void)bus, (void)path, (void)error;
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_ops; i++)
		if (op_path(m->ops[i], &l[i]) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
	*nodes = l;
	return 0;
}

static int op_property(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	Operation *op = find_op(m, path);
	char net[16];
	int r;

	(void)bus, (void)interface, (void)error;
	if (!op)
		return -ENOENT;
	snprintf(net, sizeof(net), "net%u", op->net);
	pthread_mutex_lock(&m->op_lock);
	if (strcmp(property, "Kind") == 0)
		r = sd_bus_message_append(reply, "s", kind_names[op->kind]);
	else if (strcmp(property, "Container") == 0)
		r = sd_bus_message_append(reply, "s", op->container);
	else if (strcmp(property, "Net") == 0)
		r = sd_bus_message_append(reply, "s", net);
	else if (strcmp(property, "Spec") == 0)
		r = sd_bus_message_append(reply, "s", op->spec ?: "");
	else if (strcmp(property, "State") == 0)
		r = sd_bus_message_append(reply, "s", state_names[op->state]);
	else if (strcmp(property, "Step") == 0)
		r = sd_bus_message_append(reply, "s", op->step);
	else if (strcmp(property, "ErrorName") == 0)
		r = sd_bus_message_append(reply, "s", op->error_name);
	else if (strcmp(property, "ErrorMessage") == 0)
		r = sd_bus_message_append(reply, "s", op->error_message);
	else if (strcmp(property, "Created") == 0)
		r = sd_bus_message_append(reply, "t", op->created);
	else if (strcmp(property, "Started") == 0)
		r = sd_bus_message_append(reply, "t", op->started);
	else
		r = sd_bus_message_append(reply, "t", op->finished);
	pthread_mutex_unlock(&m->op_lock);
	return r;
}

static const sd_bus_vtable op_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Kind", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Container", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Net", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Spec", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Created", "t", op_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Step", "s", op_property, 0, 0),
	SD_BUS_PROPERTY("ErrorName", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ErrorMessage", "s", op_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Started", "t", op_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Finished", "t", op_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

int operations_bus_setup(Manager *m)
{
	int r;

	r = sd_bus_add_fallback_vtable(m->bus, NULL, LXCNET_BUS_OPERATION_PATH, LXCNET_BUS_OPERATION, op_vtable, op_find, m);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(m->bus, NULL, LXCNET_BUS_OPERATION_PATH, op_enumerate, m);
}
