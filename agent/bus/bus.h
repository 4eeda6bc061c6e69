/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The bus layer: org.lxcnet1 over the core. One file per object (the
 * Manager, the bindings, the operations) and per group of Manager methods;
 * handlers keep one order: read the arguments, validate them (the error
 * quotes the bad value), authorise, act through the core, reply. What
 * happens in the core reaches clients through bus_on_event() (signals and
 * property changes); nothing in the core knows the bus.
 */

#include <systemd/sd-bus.h>

#include "api/bus.h"
#include "manager.h"

/* Register every object, then the name, attach to m's loop and listen to its events. */
int bus_setup(Manager *m, sd_bus *bus);
int bus_bindings_setup(Manager *m, sd_bus *bus);   /* binding-bus.c */
int bus_operations_setup(Manager *m, sd_bus *bus); /* operation-bus.c */

/* The listener (event.h), userdata the sd_bus (bus-events.c). */
void bus_on_event(Manager *m, const Event *ev, void *userdata);

/* Mutating calls: root or CAP_NET_ADMIN, checked here as well as in the bus policy. */
int bus_authorize(sd_bus_message *m, sd_bus_error *error);
/* "net3" -> 3, else an InvalidArgument error naming the value. */
int bus_parse_net(const char *net, unsigned *ret, sd_bus_error *error);
/* A NIC as bindings are named: "net3", or "<network>/<ifname>" (a CNI attachment); else InvalidArgument naming it. */
int bus_parse_nic(const char *nic, sd_bus_error *error);
/* A reply of one array of element_sig, its elements appended by fn. */
typedef int (*BusAppendFn)(sd_bus_message *reply, void *userdata);
int bus_reply_array(sd_bus_message *msg, const char *element_sig, BusAppendFn fn, void *userdata);
/* /org/lxcnet1/operation/<id> */
int bus_operation_path(const Operation *op, char **ret);

/* The Manager's methods and properties that live beside their subject. */
int method_add_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_remove_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_update_interface(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_get_operation(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_operations(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_cancel_operation(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_phase(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_fallback(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_describe_rollout(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int property_rollout(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
		     void *userdata, sd_bus_error *error);
int method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_plugins(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_plugin_history(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_check_ports(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_configure_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_storage_networks(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_storage_status(sd_bus_message *msg, void *userdata, sd_bus_error *error);
