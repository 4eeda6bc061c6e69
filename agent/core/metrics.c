/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything lxcnetd counts (metrics.h), so that GetMetrics and
 * `lxcnetctl metrics --prometheus` only have to pass it on:
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



/* An LXC container's name or VMID, or the OCI or CNI container id, in "vmid"; which it is in "runtime". */
#define LABELS(b)                                                                                              \
	"vmid", (b)->container, "net", (b)->nic, "ifname", (b)->ifname, "vnet", (b)->vnet, "runtime",                 \
		binding_runtime_name((b)->runtime)

static int interfaces(Manager *m, MetricsWriter *r)
{
	struct lxcnet_port_stats *st;
	bool *have;
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

	k = metrics_family_open(r, "lxcnet_interface_packets_total", "counter", "Packets through a container interface's datapath");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		k = metrics_sample(r, "", (double)st[i].packets[LXCNET_FROM_CT], LABELS(b), "direction", "from-container", NULL);
		if (k >= 0)
			k = metrics_sample(r, "", (double)st[i].packets[LXCNET_TO_CT], LABELS(b), "direction", "to-container", NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_interface_bytes_total", "counter", "Bytes through a container interface's datapath");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		k = metrics_sample(r, "", (double)st[i].bytes[LXCNET_FROM_CT], LABELS(b), "direction", "from-container", NULL);
		if (k >= 0)
			k = metrics_sample(r, "", (double)st[i].bytes[LXCNET_TO_CT], LABELS(b), "direction", "to-container", NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_interface_drops_total", "counter", "Frames the datapath dropped, by reason");
	for (size_t i = 0; k >= 0 && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];

		if (!have[i])
			continue;
		for (int j = 0; k >= 0 && j < _LXCNET_DROP_MAX; j++)
			k = metrics_sample(r, "", (double)st[i].drops[j], LABELS(b), "reason", datapath_drop_reason(j), NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	free(st);
	free(have);
	return k;
}

/*
 * What each rule of lxcnet's guest firewall matched, for the rules that
 * matched something (a port may have thousands that never do);
 * `lxcnetctl stats` names the file and line of each.
 */
static int fw_rules(Manager *m, MetricsWriter *r)
{
	char rule[8];
	int k;

	k = metrics_family_open(r, "lxcnet_firewall_rule_packets_total", "counter",
				"New connections a rule of lxcnet's guest firewall matched, by rule index in its direction");
	for (size_t i = 0; k >= 0 && m->dp && i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];
		_cleanup_free_ struct lxcnet_fw_rule *v = NULL;
		struct lxcnet_fw fw;
		size_t o = 0;

		if (datapath_port_fw_rules(m->dp, b->port_ifindex, &fw, &v) < 0)
			continue;
		for (int dir = 0; k >= 0 && dir < _LXCNET_DIR_MAX; dir++)
			for (unsigned j = 0; k >= 0 && j < fw.n_rules[dir]; j++, o++) {
				if (!v[o].packets)
					continue;
				snprintf(rule, sizeof(rule), "%u", j);
				k = metrics_sample(r, "", (double)v[o].packets, LABELS(b), "direction",
						   dir == LXCNET_FROM_CT ? "out" : "in", "rule", rule, "verdict",
						   datapath_fw_verdict_name(v[o].verdict), NULL);
			}
	}
	return k >= 0 ? metrics_family_close(r) : k;
}

static int operations(Manager *m, MetricsWriter *r)
{
	PathStats s[_ROP_MAX][_PATH_MAX];
	int k;

	pthread_mutex_lock(&m->stats_lock);
	memcpy(s, m->path_stats, sizeof(s));
	pthread_mutex_unlock(&m->stats_lock);

	k = metrics_family_open(r, "lxcnet_operations_total", "counter",
			"Network operations by who performed them (lxcnet, legacy, observe) and their result");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		for (int p = 0; k >= 0 && p < _PATH_MAX; p++) {
			k = metrics_sample(r, "", (double)s[op][p].ok, "operation", rollout_op_name(op), "path", rollout_path_name(p),
				   "result", "ok", NULL);
			if (k >= 0)
				k = metrics_sample(r, "", (double)(s[op][p].count - s[op][p].ok), "operation", rollout_op_name(op), "path",
					   rollout_path_name(p), "result", "failed", NULL);
		}
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_operation_fallbacks_total", "counter",
				"Operations lxcnet failed at and handed to the legacy command");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		k = metrics_sample(r, "", (double)s[op][PATH_LXCNET].fallbacks, "operation", rollout_op_name(op), NULL);
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_operation_duration_seconds", "summary", "How long operations took, by path");
	for (int op = 0; k >= 0 && op < _ROP_MAX; op++)
		for (int p = 0; k >= 0 && p < _PATH_MAX; p++) {
			k = metrics_sample(r, "_sum", (double)s[op][p].usec_sum / 1e6, "operation", rollout_op_name(op), "path",
				   rollout_path_name(p), NULL);
			if (k >= 0)
				k = metrics_sample(r, "_count", (double)s[op][p].count, "operation", rollout_op_name(op), "path",
					   rollout_path_name(p), NULL);
		}
	if (k >= 0)
		k = metrics_family_close(r);
	return k;
}

static int plugins(Manager *m, MetricsWriter *r)
{
	_cleanup_free_ PluginStats *st = NULL;
	size_t n = 0;
	int k;

	k = plugins_stats(m, &st, &n);
	if (k < 0)
		return k;
	k = metrics_family_open(r, "lxcnet_plugin_runs_total", "counter", "Event plugin runs by outcome");
	for (size_t i = 0; k >= 0 && i < n; i++) {
		uint64_t bad = st[i].failures + st[i].timeouts + st[i].vetoes;

		k = metrics_sample(r, "", (double)(st[i].runs - bad), "plugin", st[i].name, "outcome", "ok", NULL);
		if (k >= 0)
			k = metrics_sample(r, "", (double)st[i].failures, "plugin", st[i].name, "outcome", "failed", NULL);
		if (k >= 0)
			k = metrics_sample(r, "", (double)st[i].timeouts, "plugin", st[i].name, "outcome", "timeout", NULL);
		if (k >= 0)
			k = metrics_sample(r, "", (double)st[i].vetoes, "plugin", st[i].name, "outcome", "vetoed", NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_plugin_duration_seconds", "summary", "How long event plugins ran");
	for (size_t i = 0; k >= 0 && i < n; i++) {
		k = metrics_sample(r, "_sum", (double)st[i].total_usec / 1e6, "plugin", st[i].name, NULL);
		if (k >= 0)
			k = metrics_sample(r, "_count", (double)st[i].runs, "plugin", st[i].name, NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_plugin_duration_max_seconds", "gauge", "The longest run of each event plugin");
	for (size_t i = 0; k >= 0 && i < n; i++)
		k = metrics_sample(r, "", (double)st[i].max_usec / 1e6, "plugin", st[i].name, NULL);
	if (k >= 0)
		k = metrics_family_close(r);
	return k;
}

int metrics_write(Manager *m, MetricsWriter *w)
{
	int r;

	r = metrics_family_open(w, "lxcnet_phase", "gauge", "The rollout phase in force (1 for the current one)");
	for (int p = 0; r >= 0 && p < _PHASE_MAX; p++)
		r = metrics_sample(w, "", p == (int)m->conf->phase ? 1.0 : 0.0, "phase", rollout_phase_name(p), NULL);
	if (r >= 0)
		r = metrics_family_close(w);
	if (r >= 0)
		r = metrics_family_open(w, "lxcnet_fallback_enabled", "gauge", "1 when failed lxcnet operations fall back to the legacy commands");
	if (r >= 0)
		r = metrics_sample(w, "", m->conf->fallback ? 1.0 : 0.0, NULL);
	if (r >= 0)
		r = metrics_family_close(w);
	if (r >= 0)
		r = metrics_family_open(w, "lxcnet_bindings", "gauge", "Container interfaces the agent tracks");
	if (r >= 0)
		r = metrics_sample(w, "", (double)m->n_bindings, NULL);
	if (r >= 0)
		r = metrics_family_close(w);
	if (r >= 0)
		r = metrics_family_open(w, "lxcnet_reconcile_total", "counter",
				"Ports that differed from their config, by what noticed it and what was done");
	for (int why = 0; r >= 0 && why < _RECONCILE_REASON_MAX; why++)
		for (int what = 0; r >= 0 && what < _RECONCILE_ACTION_MAX; what++)
			r = metrics_sample(w, "", (double)m->reconcile_total[why][what], "reason", reconcile_reason_name(why), "action",
				   reconcile_action_name(what), NULL);
	if (r >= 0)
		r = metrics_family_close(w);
	if (r >= 0)
		r = interfaces(m, w);
	if (r >= 0)
		r = fw_rules(m, w);
	if (r >= 0)
		r = operations(m, w);
	if (r >= 0)
		r = plugins(m, w);
	if (r >= 0)
		r = storage_nets_metrics(m, w);
	return r;
}
