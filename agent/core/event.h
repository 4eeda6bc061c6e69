/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What happens in the core, for whoever listens: the bus layer turns each
 * event into its signal and property changes, the plugins into their
 * notifications. The core only says what happened; it knows no listener.
 *
 * manager_emit() runs on the main thread. It calls the core's own
 * listeners (manager_listen_core(): storage networks, reconciliation) on
 * every event, then the others (manager_listen(): the bus, the plugins) in
 * the order they were added, once the manager announces: while it rebuilds
 * its registry at start nothing has changed for anybody outside.
 */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct Manager Manager;
typedef struct Binding Binding;
typedef struct Operation Operation;

typedef enum EventType {
	EVENT_BINDING_CHANGED,	       /* binding: came, went, or its bridge, state or VNet changed */
	EVENT_BINDING_PROPERTIES,      /* binding, properties: the Binding properties that changed */
	EVENT_VNET_BOUND,	       /* binding: bound to binding->vnet */
	EVENT_VNET_UNBOUND,	       /* binding: unbound from binding->vnet */
	EVENT_CONTAINER_STARTED,       /* container: its first binding came */
	EVENT_CONTAINER_STOPPED,       /* container: its last binding went */
	EVENT_RECONCILED,	       /* binding, action, reason, difference */
	EVENT_OPERATION_CHANGED,       /* operation, state: its state name */
	EVENT_OPERATION_DONE,	       /* operation, action: its kind; ended done (after its EVENT_OPERATION_CHANGED) */
	EVENT_SETTINGS_CHANGED,	       /* properties: the Manager's settings that changed (Phase, Fallback, ...) */
	EVENT_STORAGE_NETWORK_CHANGED, /* id, state */
	EVENT_LINK,		       /* ifname (may be NULL), ifindex, deleted: any link of the host came, changed or went */
	EVENT_PORT_CHANGED,	       /* binding: its master or state changed, or a tc filter went (not its first sight);
					  with settings: only its VLAN membership or a qdisc of its shaper changed */
	_EVENT_MAX,
} EventType;

typedef struct Event {
	EventType type;
	const Binding *binding;
	const char *container;
	const Operation *operation;
	const char *const *properties; /* NULL-terminated */
	const char *action, *reason, *difference;
	const char *id, *state;
	const char *ifname;
	int ifindex;
	bool deleted;
	bool settings;
} Event;

typedef void (*EventListener)(Manager *m, const Event *ev, void *userdata);

typedef struct Listener {
	EventListener fn;
	void *userdata;
} Listener;

#define MANAGER_LISTENERS_MAX 4

/* Add a listener; -ENOSPC beyond MANAGER_LISTENERS_MAX of its kind. */
int manager_listen(Manager *m, EventListener fn, void *userdata);
int manager_listen_core(Manager *m, EventListener fn, void *userdata);
void manager_emit(Manager *m, const Event *ev);
/* The usual ones: an event about binding b; EVENT_BINDING_PROPERTIES with the names given. */
void manager_emit_binding(Manager *m, EventType type, const Binding *b);
void manager_emit_binding_properties(Manager *m, const Binding *b, ...) _sentinel_;
void manager_emit_container(Manager *m, EventType type, const char *container);

const char *event_type_name(EventType t);
