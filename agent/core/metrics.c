/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GetMetrics: everything lxcnetd counts, as metric families the way
 * Prometheus models them (name, type, help, samples with labels), so that
 * `lxcnetctl metrics --prometheus` only has to print them:
 *   per interface, from the BPF maps: packets, bytes, drops by reason;
 *   per operation and path (lxcnet, legacy, observe): count by result,
 *   fallbacks, duration; per event plugin: runs by outcome, duration;
 *   the rollout phase and the number of bindings.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "metrics.h"
#include "plugins.h"
#include "storage.h"

#define family_open metrics_family_open
#define family_close metrics_family_close
#define sample metrics_sample


int metrics_family_open(sd_bus_message *r, const char *name, const char *type, const char *help)
{
	int k = sd_bus_message_open_container(r, 'r', "sssa(sa{ss}d)");

	if (k >= 0)
		k = sd_bus_message_append(r, "sss", name, type, help);
	if (k >= 0)
		k = sd_bus_message_open_container(r, 'a', LXCNET_SIG_METRIC_SAMPLE);
	return k;
}

int metrics_family_close(sd_bus_message *r)
{
	int k = sd_bus_message_close_container(r);

	return k < 0 ? k : sd_bus_message_close_container(r);
}

int metrics_sample(sd_bus_message *r, const char *suffix, double value, ...)
{
	va_list ap;
	int k;

	k = sd_bus_message_open_container(r, 'r', "sa{ss}d");
	if (k >= 0)
		k = sd_bus_message_append(r, "s", suffix);
	if (k >= 0)
		k = sd_bus_message_open_container(r, 'a', "{ss}");
	va_start(ap, value);
	for (const char *name; k >= 0 && (name = va_arg(ap, const char *));)
		k = sd_bus_message_append(r, "{ss}", name, va_arg(ap, const char *));
	va_end(ap);
	if (k >= 0)
		k = sd_bus_message_close_container(r);
	if (k >= 0)
		k = sd_bus_message_append(r, "d", value);
	if (k >= 0)
		k = sd_bus_message_close_container(r);
	return k;
}

#define LABELS(b, net) "vmid", (b)->container, "net", net, "ifname", (b)->ifname, "vnet", (b)->vnet

static int interfaces(Manager *m, sd_bus_message *r)
{
	struct lxcnet_port_stats *st;
	bool *have;
	char net[16];
	int k;

	(void)manager_datapath(m);
	st = calloc(m->n_bindings ?: 1, sizeof(*st));
	have = calloc(m->n_bindings ?: 1, sizeof(*have));
	if (!st || !have) {
		free(st);
		free(have);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->n_bindings; i++)
		have[i] = m->dp && datapath_port_stats(m->dp, m->bindings[i].port_ifindex, &st[i]) >= 0;

	k = family_open(r, "lxcnet_interface_packets_total", "counter", "Packets through a container interface's datapath");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		snprintf(net, sizeof(net), "net%u", b->net);
		k = sample(r, "", (double)st[i].packets[LXCNET_FROM_CT], LABELS(b, net), "direction", "from-container", NULL);
		if (k >= 0)
			k = sample(r, "", (double)st[i].packets[LXCNET_TO_CT], LABELS(b, net), "direction", "to-container", NULL);
	}
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_interface_bytes_total", "counter", "Bytes through a container interface's datapath");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		snprintf(net, sizeof(net), "net%u", b->net);
		k = sample(r, "", (double)st[i].bytes[LXCNET_FROM_CT], LABELS(b, net), "direction", "from-container", NULL);
		if (k >= 0)
			k = sample(r, "", (double)st[i].bytes[LXCNET_TO_CT], LABELS(b, net), "direction", "to-container", NULL);
	}
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_interface_drops_total", "counter", "Frames the datapath dropped, by reason");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		snprintf(net, sizeof(net), "net%u", b->net);
		for (int j = 0; k >= 0 && j < _LXCNET_DROP_MAX; j++)
			k = sample(r, "", (double)st[i].drops[j], LABELS(b, net), "reason", datapath_drop_reason(j), NULL);
	}
	if (k >= 0)
		k = family_close(r);
	free(st);
	free(have);
	return k;
}

static int operations(Manager *m, sd_bus_message *r)
{
	PathStats s[_ROP_MAX][_PATH_MAX];
	int k;

	pthread_mutex_lock(&m->stats_lock);
	memcpy(s, m->path_stats, sizeof(s));
	pthread_mutex_unlock(&m->stats_lock);

	k = family_open(r, "lxcnet_operations_total", "counter",
			"Network operations by who performed them (lxcnet, legacy, observe) and their result");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		for (int p = 0; k >= 0 && p < _PATH_MAX; p++) {
			k = sample(r, "", (double)s[op][p].ok, "operation", rollout_op_name(op), "path", rollout_path_name(p),
				   "result", "ok", NULL);
			if (k >= 0)
				k = sample(r, "", (double)(s[op][p].count - s[op][p].ok), "operation", rollout_op_name(op), "path",
					   rollout_path_name(p), "result", "failed", NULL);
		}
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_operation_fallbacks_total", "counter",
				"Operations lxcnet failed at and handed to the legacy command");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		k = sample(r, "", (double)s[op][PATH_LXCNET].fallbacks, "operation", rollout_op_name(op), NULL);
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_operation_duration_seconds", "summary", "How long operations took, by path");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		for (int p = 0; k >= 0 && p < _PATH_MAX; p++) {
			k = sample(r, "_sum", (double)s[op][p].usec_sum / 1e6, "operation", rollout_op_name(op), "path",
				   rollout_path_name(p), NULL);
			if (k >= 0)
				k = sample(r, "_count", (double)s[op][p].count, "operation", rollout_op_name(op), "path",
					   rollout_path_name(p), NULL);
		}
	if (k >= 0)
		k = family_close(r);
	return k;
}

static int plugins(Manager *m, sd_bus_message *r)
{
	_cleanup_free_ PluginStats *st = NULL;
	size_t n = 0;
	int k;

	k = plugins_stats(m, &st, &n);
	if (k < 0)
		return k;
	k = family_open(r, "lxcnet_plugin_runs_total", "counter", "Event plugin runs by outcome");
	for (size_t i = 0; k >= 0 && i < n; i++) {
		uint64_t bad = st[i].failures + st[i].timeouts + st[i].vetoes;

		k = sample(r, "", (double)(st[i].runs - bad), "plugin", st[i].name, "outcome", "ok", NULL);
		if (k >= 0)
			k = sample(r, "", (double)st[i].failures, "plugin", st[i].name, "outcome", "failed", NULL);
		if (k >= 0)
			k = sample(r, "", (double)st[i].timeouts, "plugin", st[i].name, "outcome", "timeout", NULL);
		if (k >= 0)
			k = sample(r, "", (double)st[i].vetoes, "plugin", st[i].name, "outcome", "vetoed", NULL);
	}
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_plugin_duration_seconds", "summary", "How long event plugins ran");
	for (size_t i = 0; k >= 0 && i < n; i++) {
		k = sample(r, "_sum", (double)st[i].total_usec / 1e6, "plugin", st[i].name, NULL);
		if (k >= 0)
			k = sample(r, "_count", (double)st[i].runs, "plugin", st[i].name, NULL);
	}
	if (k >= 0)
		k = family_close(r);
	if (k >= 0)
		k = family_open(r, "lxcnet_plugin_duration_max_seconds", "gauge", "The longest run of each event plugin");
	for (size_t i = 0; k >= 0 && i < n; i++)
		k = sample(r, "", (double)st[i].max_usec / 1e6, "plugin", st[i].name, NULL);
	if (k >= 0)
		k = family_close(r);
	return k;
}

int method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_METRIC_FAMILY);
	if (r >= 0)
		r = family_open(reply, "lxcnet_phase", "gauge", "The rollout phase in force (1 for the current one)");
	for (int p = 0; r >= 0 && p < _PHASE_MAX; p++)
		r = sample(reply, "", p == (int)m->conf->phase ? 1.0 : 0.0, "phase", rollout_phase_name(p), NULL);
	if (r >= 0)
		r = family_close(reply);
	if (r >= 0)
		r = family_open(reply, "lxcnet_fallback_enabled", "gauge", "1 when failed lxcnet operations fall back to the legacy commands");
	if (r >= 0)
		r = sample(reply, "", m->conf->fallback ? 1.0 : 0.0, NULL);
	if (r >= 0)
		r = family_close(reply);
	if (r >= 0)
		r = family_open(reply, "lxcnet_bindings", "gauge", "Container interfaces the agent tracks");
	if (r >= 0)
		r = sample(reply, "", (double)m->n_bindings, NULL);
	if (r >= 0)
		r = family_close(reply);
	if (r >= 0)
		r = family_open(reply, "lxcnet_reconcile_total", "counter",
				"Ports that differed from their config, by what noticed it and what was done");
	for (int why = 0; r >= 0 && why < _RECONCILE_REASON_MAX; why++)
		for (int what = 0; r >= 0 && what < _RECONCILE_ACTION_MAX; what++)
			r = sample(reply, "", (double)m->reconcile_total[why][what], "reason", reconcile_reason_name(why), "action",
				   reconcile_action_name(what), NULL);
	if (r >= 0)
		r = family_close(reply);
	if (r >= 0)
		r = interfaces(m, reply);
	if (r >= 0)
		r = operations(m, reply);
	if (r >= 0)
		r = plugins(m, reply);
	if (r >= 0)
		r = storage_nets_metrics(m, reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}
