/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Storage networks in the agent (storage.c): lxcnet.conf's
 * storage-network sections put in force on their interfaces, kept in force
 * across agent restarts (the programs stay attached; a state file under
 * the state directory remembers what was there before), followed when the
 * interface comes and goes, and served on the bus.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;

/* At start, after lxcnet.conf is read: restore what the state says is gone from it, apply the rest. */
int storage_nets_start(Manager *m);
/* After Reload: the same against the new lxcnet.conf. */
void storage_nets_reload(Manager *m);
void storage_nets_free(Manager *m);
/* A link came or went. */
void storage_nets_link(Manager *m, const char *ifname, int ifindex, bool deleted);

/* The lxcnet_storage_* metric families. */
int storage_nets_metrics(Manager *m, sd_bus_message *reply);

int method_configure_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_remove_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_storage_networks(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_get_storage_status(sd_bus_message *msg, void *userdata, sd_bus_error *error);
