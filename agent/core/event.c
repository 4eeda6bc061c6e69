/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>

#include "event.h"
#include "manager.h"

static const char *const type_names[_EVENT_MAX] = {
	[EVENT_BINDING_CHANGED] = "binding-changed",
	[EVENT_BINDING_PROPERTIES] = "binding-properties",
	[EVENT_VNET_BOUND] = "vnet-bound",
	[EVENT_VNET_UNBOUND] = "vnet-unbound",
	[EVENT_CONTAINER_STARTED] = "container-started",
	[EVENT_CONTAINER_STOPPED] = "container-stopped",
	[EVENT_RECONCILED] = "reconciled",
	[EVENT_OPERATION_CHANGED] = "operation-changed",
	[EVENT_OPERATION_DONE] = "operation-done",
	[EVENT_SETTINGS_CHANGED] = "settings-changed",
	[EVENT_STORAGE_NETWORK_CHANGED] = "storage-network-changed",
	[EVENT_LINK] = "link",
	[EVENT_PORT_CHANGED] = "port-changed",
};

const char *event_type_name(EventType t)
{
	return t < _EVENT_MAX ? type_names[t] : "?";
}

static int add(Listener *l, size_t *n, EventListener fn, void *userdata)
{
	if (*n >= MANAGER_LISTENERS_MAX)
		return -ENOSPC;
	l[*n] = (Listener){ .fn = fn, .userdata = userdata };
	(*n)++;
	return 0;
}

int manager_listen(Manager *m, EventListener fn, void *userdata)
{
	return add(m->listeners, &m->n_listeners, fn, userdata);
}

int manager_listen_core(Manager *m, EventListener fn, void *userdata)
{
	return add(m->core_listeners, &m->n_core_listeners, fn, userdata);
}

void manager_emit(Manager *m, const Event *ev)
{
	for (size_t i = 0; i < m->n_core_listeners; i++)
		m->core_listeners[i].fn(m, ev, m->core_listeners[i].userdata);
	if (!m->announce)
		return;
	for (size_t i = 0; i < m->n_listeners; i++)
		m->listeners[i].fn(m, ev, m->listeners[i].userdata);
}

void manager_emit_binding(Manager *m, EventType type, const Binding *b)
{
	manager_emit(m, &(Event){ .type = type, .binding = b });
}

void manager_emit_binding_properties(Manager *m, const Binding *b, ...)
{
	const char *names[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, b);
	for (const char *p; n < ELEMENTSOF(names) - 1 && (p = va_arg(ap, const char *));)
		names[n++] = p;
	va_end(ap);
	names[n] = NULL;
	manager_emit(m, &(Event){ .type = EVENT_BINDING_PROPERTIES, .binding = b, .properties = names });
}

void manager_emit_container(Manager *m, EventType type, const char *container)
{
	manager_emit(m, &(Event){ .type = type, .container = container });
}
