/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event plugins over the bus: ListPlugins and GetPluginHistory. */
#include <stdlib.h>

#include "bus.h"
#include "plugins.h"

int method_list_plugins(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ PluginStats *st = NULL;
	size_t n = 0;
	int r;

	(void)error;
	r = plugins_stats(userdata, &st, &n);
	if (r >= 0)
		r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_PLUGIN);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_PLUGIN, st[i].name, st[i].builtin ? "builtin" : "executable", st[i].state,
					  st[i].runs, st[i].failures, st[i].timeouts, st[i].vetoes,
					  st[i].runs ? st[i].total_usec / st[i].runs : (uint64_t)0, st[i].max_usec);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

int method_get_plugin_history(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ PluginRun *copy = NULL;
	size_t n = 0;
	int r;

	(void)error;
	/* Oldest first. */
	r = plugins_history(userdata, &copy, &n);
	if (r >= 0)
		r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_PLUGIN_RUN);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_PLUGIN_RUN, copy[i].when, copy[i].plugin, copy[i].event, copy[i].container,
					  copy[i].net, copy[i].outcome, (int32_t)copy[i].status, copy[i].usec, copy[i].message);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}
