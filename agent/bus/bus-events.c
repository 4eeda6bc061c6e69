/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The core's events (event.h) as org.lxcnet1's signals and property
 * changes: the one place the bus layer hears what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

static const char *const done_signals[] = {
	[OP_ADD] = "InterfaceAdded",
	[OP_REMOVE] = "InterfaceRemoved",
	[OP_UPDATE] = "InterfaceUpdated",
};

void bus_on_event(Manager *m, const Event *ev, void *userdata)
{
	sd_bus *bus = userdata;
	const Binding *b = ev->binding;
	const Operation *op = ev->operation;
	_cleanup_free_ char *path = NULL;
	char net[BINDING_NIC_MAX] = "";

	(void)m;
	if (b)
		snprintf(net, sizeof(net), "%s", b->nic);
	else if (op)
		snprintf(net, sizeof(net), "net%u", op->net);
	switch (ev->type) {
	case EVENT_BINDING_CHANGED:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "BindingChanged", "ss", b->container, net);
		(void)sd_bus_emit_properties_changed(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "NBindings", NULL);
		break;
	case EVENT_BINDING_PROPERTIES:
		if (sd_bus_path_encode(LXCNET_BUS_BINDING_PATH, b->ifname, &path) >= 0)
			(void)sd_bus_emit_properties_changed_strv(bus, path, LXCNET_BUS_BINDING, (char **)ev->properties);
		break;
	case EVENT_VNET_BOUND:
	case EVENT_VNET_UNBOUND:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER,
					 ev->type == EVENT_VNET_BOUND ? "VNetBound" : "VNetUnbound", "sss", b->container, net,
					 b->vnet);
		break;
	case EVENT_CONTAINER_STARTED:
	case EVENT_CONTAINER_STOPPED:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER,
					 ev->type == EVENT_CONTAINER_STARTED ? "ContainerStarted" : "ContainerStopped", "s",
					 ev->container);
		break;
	case EVENT_RECONCILED:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "Reconciled", "sssss", b->container, net,
					 ev->action, ev->reason, ev->difference);
		break;
	case EVENT_OPERATION_CHANGED:
		if (bus_operation_path(op, &path) < 0)
			break;
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "OperationChanged", "os", path, ev->state);
		(void)sd_bus_emit_properties_changed(bus, path, LXCNET_BUS_OPERATION, "State", "ErrorName", "ErrorMessage",
						     "Started", "Finished", NULL);
		break;
	case EVENT_OPERATION_DONE:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, done_signals[op->kind], "ss", op->container,
					 net);
		break;
	case EVENT_SETTINGS_CHANGED:
		(void)sd_bus_emit_properties_changed_strv(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, (char **)ev->properties);
		break;
	case EVENT_STORAGE_NETWORK_CHANGED:
		(void)sd_bus_emit_signal(bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "StorageNetworkChanged", "ss", ev->id,
					 ev->state);
		break;
	default:
		break;
	}
}
