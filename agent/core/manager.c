/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Manager's life: set up, start (the configuration, the plugins, the
 * registry rebuilt from the kernel, hotplug operations a crash cut off,
 * storage networks, reconciliation, the hooks' socket), announce, reload,
 * stop. The one file that knows every part of the core.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "manager.h"
#include "netlink-link.h"
#include "plugins.h"
#include "storage.h"
#include "strutil.h"

static const LogContext lctx = { .identifier = "lxcnetd" };

int manager_new(const char *state_dir, const char *notify_path, Manager **ret)
{
	_cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->notify_fd = -1;
	m->op_efd = -1;
	m->notify_path = notify_path;
	if (asprintf(&m->state_file, "%s/bindings.json", state_dir) < 0)
		return -ENOMEM;
	m->state_dir = strdup(state_dir);
	if (!m->state_dir)
		return -ENOMEM;
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST) {
		r = negative_errno();
		log_ctx(&lctx, LOG_ERR, "Cannot create the state directory '%s': %s", state_dir, strerror(-r));
		return r;
	}
	r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	r = netlink_open(&m->nl);
	if (r < 0)
		return r;
	nl_socket_enable_msg_peek(m->nl);
	r = operations_init(m);
	if (r < 0)
		return r;
	r = pthread_mutex_init(&m->stats_lock, NULL);
	if (r != 0)
		return -r;
	*ret = TAKE_PTR(m);
	return 0;
}

int manager_start(Manager *m)
{
	Diag d = {};
	int r;

	/* A broken lxcnet.conf breaks the hooks too: say so, and do not start. */
	r = manager_load_conf(m, &d);
	if (r < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot read the configuration: %s", d.msg);
		return r;
	}
	r = plugins_init(m);
	if (r < 0)
		return r;
	r = helper_init(m);
	if (r < 0)
		return r;

	r = registry_rebuild(m);
	if (r < 0)
		return r;
	hotplug_settle(m);
	r = storage_nets_start(m);
	if (r < 0)
		return r;
	r = reconcile_init(m);
	if (r < 0)
		return r;
	return registry_listen_notify(m);
}

int manager_reload_all(Manager *m, Diag *d)
{
	int r, q;

	r = manager_load_conf(m, d);
	if (r >= 0)
		storage_nets_reload(m);
	else
		r = -EINVAL;
	q = manager_reload(m);
	if (q >= 0)
		q = manager_save(m);
	return r < 0 ? r : q;
}

void manager_announce(Manager *m)
{
	if (m->announce)
		return;
	(void)manager_listen(m, plugins_on_event, NULL);
	m->announce = true;
}

void manager_stop(Manager *m)
{
	reconcile_done(m);
	operations_done(m);
	/* Queued plugin runs end within their time limit; their callbacks may still use the bus. */
	helper_stop(m);
}

void manager_free(Manager *m)
{
	if (!m)
		return;
	/* The listeners may be gone (the bus is closed first): what ends now ends unheard. */
	m->announce = false;
	manager_stop(m);
	storage_nets_free(m);
	plugins_free(m);
	lxcnet_conf_free(m->conf);
	m->ct_seen_timer = sd_event_source_disable_unref(m->ct_seen_timer);
	if (m->save_timer) {
		m->save_timer = sd_event_source_unref(m->save_timer);
		(void)manager_save(m);
	}
	if (m->notify_fd >= 0) {
		close(m->notify_fd);
		(void)unlink(m->notify_path);
	}
	nl_socket_free(m->events);
	nl_socket_free(m->nl);
	datapath_free(m->dp);
	sd_event_unref(m->event);
	free(m->binds);
	free(m->bindings);
	free(m->index.by_name);
	free(m->index.by_ifindex);
	free(m->conf_cache.path);
	free(m->state_file);
	free(m->state_dir);
	free(m);
}
