/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event plugins over the bus: ListPlugins and GetPluginHistory. */
#include <stdlib.h>

#include "bus.h"
#include "plugins.h"

typedef struct Copy {
	void *items;
	size_t n;
} Copy;

static int append_stats(sd_bus_message *reply, void *userdata)
{
	const Copy *c = userdata;
	const PluginStats *st = c->items;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < c->n; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_PLUGIN, st[i].name, st[i].builtin ? "builtin" : "executable", st[i].state,
					  st[i].runs, st[i].failures, st[i].timeouts, st[i].vetoes,
					  st[i].runs ? st[i].total_usec / st[i].runs : (uint64_t)0, st[i].max_usec);
	return r;
}

int method_list_plugins(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_free_ PluginStats *st = NULL;
	Copy c = {};
	int r;

	(void)error;
	r = plugins_stats(userdata, &st, &c.n);
	if (r < 0)
		return r;
	c.items = st;
	return bus_reply_array(msg, LXCNET_SIG_PLUGIN, append_stats, &c);
}

static int append_runs(sd_bus_message *reply, void *userdata)
{
	const Copy *c = userdata;
	const PluginRun *run = c->items;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < c->n; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_PLUGIN_RUN, run[i].when, run[i].plugin, run[i].event, run[i].container,
					  run[i].net, run[i].outcome, (int32_t)run[i].status, run[i].usec, run[i].message);
	return r;
}

/* Oldest first. */
int method_get_plugin_history(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_free_ PluginRun *runs = NULL;
	Copy c = {};
	int r;

	(void)error;
	r = plugins_history(userdata, &runs, &c.n);
	if (r < 0)
		return r;
	c.items = runs;
	return bus_reply_array(msg, LXCNET_SIG_PLUGIN_RUN, append_runs, &c);
}
