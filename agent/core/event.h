/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What happens in the core, for whoever listens: the bus layer turns each
 * event into its signal and property changes, the plugins into their
 * notifications. The core only says what happened; it knows no listener.
 *
 * manager_emit() runs on the main thread and calls the listeners in the
 * order they were added, and only once the manager announces (see
 * manager_announce()): while it rebuilds its registry at start nothing has
 * changed for anybody.
 */

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
	EVENT_OPERATION_DONE,	       /* operation: ended done (after its EVENT_OPERATION_CHANGED) */
	EVENT_SETTINGS_CHANGED,	       /* properties: the Manager's settings that changed (Phase, Fallback, ...) */
	EVENT_STORAGE_NETWORK_CHANGED, /* id, state */
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
} Event;

typedef void (*EventListener)(Manager *m, const Event *ev, void *userdata);

#define MANAGER_LISTENERS_MAX 4

/* Add a listener; -ENOSPC beyond MANAGER_LISTENERS_MAX. */
int manager_listen(Manager *m, EventListener fn, void *userdata);
void manager_emit(Manager *m, const Event *ev);
/* The usual ones: an event about binding b; EVENT_BINDING_PROPERTIES with the names given. */
void manager_emit_binding(Manager *m, EventType type, const Binding *b);
void manager_emit_binding_properties(Manager *m, const Binding *b, ...) _sentinel_;
void manager_emit_container(Manager *m, EventType type, const char *container);

/*
 * From now on events go out: the listeners added so far (the bus) hear them
 * first, then the core's own (the plugins, added here).
 */
void manager_announce(Manager *m);

const char *event_type_name(EventType t);
