/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hotplug over the bus: AddInterface, RemoveInterface, UpdateInterface,
 * GetOperation, ListOperations and CancelOperation on the Manager, and the
 * operation objects /org/lxcnet1/operation/<id>. The queue is the core's
 * (operation.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "strutil.h"

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
	return operation_find(m, id);
}

static int submit(sd_bus_message *msg, Manager *m, OpKind kind, sd_bus_error *error)
{
	_cleanup_free_ char *path = NULL;
	const char *container, *net, *spec = NULL;
	Operation *op;
	unsigned idx = 0;
	PveNet nic = {};
	Diag d = {};
	int r;

	r = kind == OP_REMOVE ? sd_bus_message_read(msg, "ss", &container, &net) :
				sd_bus_message_read(msg, "sss", &container, &net, &spec);
	if (r < 0)
		return r;
	r = bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (hotplug_validate(kind, container, idx, spec, &nic, &d) < 0)
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_ARGUMENT, d.msg);
	r = bus_authorize(msg, error);
	if (r < 0)
		return r;
	r = hotplug_submit(m, kind, container, idx, spec, &nic, &op);
	if (r >= 0)
		r = bus_operation_path(op, &path);
	if (r < 0)
		return r;
	r = sd_bus_reply_method_return(msg, "o", path);
	/* After the reply: the client knows the path its signals name. */
	operation_start(m, op);
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

static int append_op(Manager *m, sd_bus_message *reply, const Operation *op)
{
	_cleanup_free_ char *path = NULL;
	OperationInfo i;
	char net[16];

	if (bus_operation_path(op, &path) < 0)
		return -ENOMEM;
	operation_snapshot(m, op, &i);
	snprintf(net, sizeof(net), "net%u", i.net);
	return sd_bus_message_append(reply, LXCNET_SIG_OPERATION, path, i.kind, i.container, net, i.state, i.step, i.error_name,
				     i.error_message, i.created, i.started, i.finished);
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

static int append_ops(sd_bus_message *reply, void *userdata)
{
	Manager *m = userdata;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < m->n_ops; i++)
		r = append_op(m, reply, m->ops[i]);
	return r;
}

int method_list_operations(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	(void)error;
	return bus_reply_array(msg, LXCNET_SIG_OPERATION, append_ops, userdata);
}

int method_cancel_operation(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	Operation *op;
	Diag d = {};
	int r;

	op = read_op(msg, m, error, &r);
	if (!op)
		return r;
	r = bus_authorize(msg, error);
	if (r < 0)
		return r;
	if (operation_cancel(m, op, &d) < 0)
		return sd_bus_error_set(error, LXCNET_ERR_BUSY, d.msg);
	return sd_bus_reply_method_return(msg, NULL);
}

static int op_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found, sd_bus_error *error)
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
		if (bus_operation_path(m->ops[i], &l[i]) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
	*nodes = l;
	return 0;
}

static int op_property(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	Operation *op = find_op(m, path);
	OperationInfo i;
	char net[16];

	(void)bus, (void)interface, (void)error;
	if (!op)
		return -ENOENT;
	operation_snapshot(m, op, &i);
	snprintf(net, sizeof(net), "net%u", i.net);
	if (strcmp(property, "Kind") == 0)
		return sd_bus_message_append(reply, "s", i.kind);
	if (strcmp(property, "Container") == 0)
		return sd_bus_message_append(reply, "s", i.container);
	if (strcmp(property, "Net") == 0)
		return sd_bus_message_append(reply, "s", net);
	if (strcmp(property, "Spec") == 0)
		return sd_bus_message_append(reply, "s", i.spec);
	if (strcmp(property, "State") == 0)
		return sd_bus_message_append(reply, "s", i.state);
	if (strcmp(property, "Step") == 0)
		return sd_bus_message_append(reply, "s", i.step);
	if (strcmp(property, "ErrorName") == 0)
		return sd_bus_message_append(reply, "s", i.error_name);
	if (strcmp(property, "ErrorMessage") == 0)
		return sd_bus_message_append(reply, "s", i.error_message);
	if (strcmp(property, "Created") == 0)
		return sd_bus_message_append(reply, "t", i.created);
	if (strcmp(property, "Started") == 0)
		return sd_bus_message_append(reply, "t", i.started);
	return sd_bus_message_append(reply, "t", i.finished);
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

int bus_operations_setup(Manager *m, sd_bus *bus)
{
	int r;

	r = sd_bus_add_fallback_vtable(bus, NULL, LXCNET_BUS_OPERATION_PATH, LXCNET_BUS_OPERATION, op_vtable, op_find, m);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(bus, NULL, LXCNET_BUS_OPERATION_PATH, op_enumerate, m);
}
