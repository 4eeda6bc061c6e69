/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetctl: phase, fallback, legacy test, config example, plugins, metrics. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf-example.h"
#include "ctl.h"
#include "lxcnet-conf.h"
#include "strutil.h"

int ctl_config_example(const CtlOptions *o)
{
	(void)o;
	fputs(conf_example, stdout);
	return CTL_EXIT_OK;
}

/* Whether path (a symlink or not) ends at lxcnet-netup. */
static bool is_netup(const char *path)
{
	char real[PATH_MAX];
	const char *base = realpath(path, real) ? strrchr(real, '/') : NULL;

	return base && strcmp(base + 1, "lxcnet-netup") == 0;
}

/* A legacy command must be an executable regular file, and not lxcnet's own hook. */
static const char *check_command(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? "missing" : "cannot be checked";
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (access(path, X_OK) < 0)
		return "not executable";
	if (is_netup(path))
		return "is lxcnet-netup itself (it would run itself)";
	return NULL;
}

/* pve-container's module that writes each container's LXC config, lxcnetaddbr included. */
#define PVE_LXC_PM "/usr/share/perl5/PVE/LXC.pm"

int ctl_node_wiring(const CtlOptions *o, json_object *j)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
	_cleanup_free_ char *pm = NULL;
	bool diverted = access(LXCNET_LEGACY_NET_UP_DIVERTED, F_OK) == 0;
	bool addbr = access(LXCNET_LEGACY_NET_UP_DEFAULT, F_OK) == 0, ours = addbr && is_netup(LXCNET_LEGACY_NET_UP_DEFAULT);
	const char *wiring, *problem, *warning = NULL;
	char text[512];
	Diag d = {};
	int r;

	if (diverted && ours) {
		wiring = "diverted";
		snprintf(text, sizeof(text), "Proxmox's %s is lxcnet-netup, the original is %s: lxcnet plugs every container's NICs",
			 LXCNET_LEGACY_NET_UP_DEFAULT, LXCNET_LEGACY_NET_UP_DIVERTED);
	} else if (diverted) {
		wiring = "broken";
		snprintf(text, sizeof(text), "%s exists, but %s is not lxcnet-netup: reinstall lxcnet (dpkg-reconfigure lxcnet)",
			 LXCNET_LEGACY_NET_UP_DIVERTED, LXCNET_LEGACY_NET_UP_DEFAULT);
	} else if (addbr) {
		wiring = "proxmox";
		snprintf(text, sizeof(text), "%s is Proxmox's: lxcnet plugs only the NICs of containers wired to its hooks",
			 LXCNET_LEGACY_NET_UP_DEFAULT);
	} else {
		wiring = "lxc";
		snprintf(text, sizeof(text), "no pve-container here (%s): a plain LXC host", LXCNET_LEGACY_NET_UP_DEFAULT);
	}
	/* pve-container must still run lxcnetaddbr from the configs it generates (the package checks after each upgrade). */
	if (read_full_file(PVE_LXC_PM, 16 << 20, &pm, NULL) >= 0 && !strstr(pm, "lxcnetaddbr"))
		warning = "pve-container's " PVE_LXC_PM " no longer mentions lxcnetaddbr: its containers' NICs may no "
			  "longer reach lxcnet";
	r = lxcnet_conf_load(o->conf_dir, &c, &d);
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: %s\n", d.msg);
		return r;
	}
	problem = check_command(c->legacy_net_up);
	if (j) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "wiring", json_object_new_string(wiring));
		json_object_object_add(n, "legacy_net_up", json_object_new_string(c->legacy_net_up));
		json_object_object_add(n, "legacy_net_up_problem", json_object_new_string(problem ?: ""));
		json_object_object_add(n, "phase", json_object_new_string(rollout_phase_name(c->phase)));
		json_object_object_add(n, "phase_source", json_object_new_string(phase_source_name(c->phase_source)));
		json_object_object_add(n, "reconcile", json_object_new_boolean(c->reconcile));
		json_object_object_add(n, "warning", json_object_new_string(warning ?: ""));
		json_object_object_add(j, "node", n);
		return 0;
	}
	printf("node: %s (%s)\n", wiring, text);
	printf("legacy-net-up: %s (%s)\n", c->legacy_net_up, problem ?: "ok");
	printf("phase: %s (%s), fallback %s, reconcile %s\n", rollout_phase_name(c->phase), phase_source_name(c->phase_source),
	       c->fallback ? "on" : "off", c->reconcile ? "on" : "off");
	if (warning)
		printf("WARNING: %s\n", warning);
	return 0;
}

int ctl_legacy_test(const CtlOptions *o)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
	const char *what[] = { "legacy-net-up", "legacy-pct" };
	const char *problem[2];
	const char *cmd[2];
	Diag d = {};
	int bad = 0;

	if (lxcnet_conf_load(o->conf_dir, &c, &d) < 0) {
		fprintf(stderr, "lxcnetctl: %s\n", d.msg);
		return CTL_EXIT_FAIL;
	}
	cmd[0] = c->legacy_net_up;
	cmd[1] = c->legacy_pct;
	for (int i = 0; i < 2; i++) {
		problem[i] = check_command(cmd[i]);
		bad += problem[i] != NULL;
	}
	if (o->json) {
		_cleanup_(json_object_putp) json_object *a = json_object_new_array();

		for (int i = 0; i < 2; i++) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "key", json_object_new_string(what[i]));
			json_object_object_add(j, "command", json_object_new_string(cmd[i]));
			json_object_object_add(j, "ok", json_object_new_boolean(!problem[i]));
			json_object_object_add(j, "problem", json_object_new_string(problem[i] ?: ""));
			json_object_array_add(a, j);
		}
		ctl_print_json(a);
	} else
		for (int i = 0; i < 2; i++)
			printf("%-14s %-32s %s\n", what[i], cmd[i], problem[i] ?: "ok");
	return bad ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int ctl_phase_set(const CtlOptions *o, const char *phase)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)o;
	if (rollout_phase_from_string(phase) < 0) {
		fprintf(stderr, "lxcnetctl: '%s' is not a phase (%s)\n", phase, ROLLOUT_PHASE_LIST);
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "SetPhase", &reply, "s", phase) < 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}

int ctl_fallback(const CtlOptions *o, const char *onoff)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	bool on = strcmp(onoff, "on") == 0;

	(void)o;
	if (!on && strcmp(onoff, "off") != 0) {
		fprintf(stderr, "lxcnetctl: fallback: '%s' is neither on nor off\n", onoff);
		return CTL_EXIT_USAGE;
	}
	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "SetFallback", &reply, "b", (int)on) < 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}

/* What each path did so far, from GetMetrics: [op][path] ok, failed, seconds; fallbacks per op. */
typedef struct PathTotals {
	double ok[_ROP_MAX][_PATH_MAX], failed[_ROP_MAX][_PATH_MAX], seconds[_ROP_MAX][_PATH_MAX];
	double fallbacks[_ROP_MAX];
} PathTotals;

/* Iterate GetMetrics' reply; f gets each sample. */
typedef int (*SampleFn)(const char *family, const char *type, const char *help, const char *suffix, char **labels, double value,
			void *userdata);


static int walk_metrics(sd_bus_message *reply, SampleFn f, void *userdata)
{
	const char *name, *type, *help, *suffix;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_METRIC_FAMILY);
	while (r > 0 && (r = sd_bus_message_enter_container(reply, 'r', "sssa(sa{ss}d)")) > 0) {
		r = sd_bus_message_read(reply, "sss", &name, &type, &help);
		if (r >= 0)
			r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_METRIC_SAMPLE);
		/* A family without samples still gets its HELP and TYPE. */
		if (r >= 0)
			r = f(name, type, help, NULL, NULL, 0, userdata);
		while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "sa{ss}d")) > 0) {
			char *labels[33] = {};
			const char *k, *v;
			double value;
			int n = 0;

			r = sd_bus_message_read(reply, "s", &suffix);
			if (r >= 0)
				r = sd_bus_message_enter_container(reply, 'a', "{ss}");
			while (r >= 0 && (r = sd_bus_message_read(reply, "{ss}", &k, &v)) > 0)
				if (n < 32) {
					labels[n++] = (char *)k;
					labels[n++] = (char *)v;
				}
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
			if (r >= 0)
				r = sd_bus_message_read(reply, "d", &value);
			if (r >= 0)
				r = sd_bus_message_exit_container(reply);
			if (r >= 0)
				r = f(name, type, help, suffix, labels, value, userdata);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	return r;
}

static const char *label(char **labels, const char *key)
{
	for (int i = 0; labels && labels[i]; i += 2)
		if (strcmp(labels[i], key) == 0)
			return labels[i + 1];
	return "";
}

static int path_from(const char *s)
{
	for (int p = 0; p < _PATH_MAX; p++)
		if (strcmp(rollout_path_name(p), s) == 0)
			return p;
	return -1;
}

static int collect_totals(const char *family, const char *type, const char *help, const char *suffix, char **labels, double value,
			  void *userdata)
{
	PathTotals *t = userdata;
	int op = rollout_op_from_string(label(labels, "operation")), p = path_from(label(labels, "path"));

	(void)type, (void)help;
	if (!suffix || op < 0)
		return 0;
	if (strcmp(family, "lxcnet_operation_fallbacks_total") == 0)
		t->fallbacks[op] = value;
	if (p < 0)
		return 0;
	if (strcmp(family, "lxcnet_operations_total") == 0) {
		if (strcmp(label(labels, "result"), "ok") == 0)
			t->ok[op][p] = value;
		else
			t->failed[op][p] = value;
	} else if (strcmp(family, "lxcnet_operation_duration_seconds") == 0 && strcmp(suffix, "_sum") == 0)
		t->seconds[op][p] = value;
	return 0;
}

int ctl_phase_show(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *metrics = NULL;
	_cleanup_(json_object_putp) json_object *j = json_object_new_object(), *a = json_object_new_array(),
						*paths = json_object_new_array();
	sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *phase = NULL, *source = NULL;
	const char *op, *cls, *path, *reason;
	PathTotals t = {};
	int fallback = 0, fb, r;

	if (ctl_connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_get_property_string(bus, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "Phase", &error, &phase);
	if (r >= 0)
		r = sd_bus_get_property_string(bus, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "PhaseSource", &error,
					       &source);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "Fallback", &error, 'b',
						&fallback);
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: %s\n", sd_bus_error_is_set(&error) ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		return CTL_EXIT_FAIL;
	}
	if (ctl_call(bus, "DescribeRollout", &reply, NULL) < 0 || ctl_call(bus, "GetMetrics", &metrics, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = walk_metrics(metrics, collect_totals, &t);
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: bad reply: %s\n", strerror(-r));
		return CTL_EXIT_FAIL;
	}
	if (!o->json) {
		printf("Phase:    %s (%s)\nFallback: %s\n\n", phase, source, fallback ? "on" : "off");
		printf("%-15s %-9s %-8s %-8s %s\n", "OPERATION", "NIC", "PATH", "FALLBACK", "WHY");
	}
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_DECISION);
	while (r > 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_DECISION, &op, &cls, &path, &fb, &reason)) > 0) {
		if (o->json) {
			json_object *row = json_object_new_object();

			json_object_object_add(row, "operation", json_object_new_string(op));
			json_object_object_add(row, "nic", json_object_new_string(cls));
			json_object_object_add(row, "path", json_object_new_string(path));
			json_object_object_add(row, "fallback", json_object_new_boolean(fb));
			json_object_object_add(row, "reason", json_object_new_string(reason));
			json_object_array_add(a, row);
		} else
			printf("%-15s %-9s %-8s %-8s %s\n", op, *cls ? cls : "-", path, fb ? "yes" : "no", reason);
	}
	if (r < 0)
		return ctl_list_done(o, r, a);

	/* How each path did: count, success rate, fallback rate, mean latency. */
	if (!o->json)
		printf("\n%-15s %-8s %8s %8s %9s %9s\n", "OPERATION", "PATH", "COUNT", "SUCCESS", "FALLBACK", "MEAN-MS");
	for (int i = 0; i < _ROP_MAX; i++)
		for (int p = 0; p < _PATH_MAX; p++) {
			double n = t.ok[i][p] + t.failed[i][p];
			double fbk = p == PATH_LXCNET ? t.fallbacks[i] : 0;

			if (n == 0)
				continue;
			if (o->json) {
				json_object *row = json_object_new_object();

				json_object_object_add(row, "operation", json_object_new_string(rollout_op_name(i)));
				json_object_object_add(row, "path", json_object_new_string(rollout_path_name(p)));
				json_object_object_add(row, "count", json_object_new_int64((int64_t)n));
				json_object_object_add(row, "success_rate", json_object_new_double(t.ok[i][p] / n));
				json_object_object_add(row, "fallback_rate", json_object_new_double(fbk / n));
				json_object_object_add(row, "mean_seconds", json_object_new_double(t.seconds[i][p] / n));
				json_object_array_add(paths, row);
			} else
				printf("%-15s %-8s %8.0f %7.1f%% %8.1f%% %9.2f\n", rollout_op_name(i), rollout_path_name(p), n,
				       100 * t.ok[i][p] / n, 100 * fbk / n, 1000 * t.seconds[i][p] / n);
		}
	if (o->json) {
		json_object_object_add(j, "phase", json_object_new_string(phase));
		json_object_object_add(j, "source", json_object_new_string(source));
		json_object_object_add(j, "fallback", json_object_new_boolean(fallback));
		json_object_object_add(j, "decisions", json_object_get(a));
		json_object_object_add(j, "paths", json_object_get(paths));
		ctl_print_json(j);
	}
	return CTL_EXIT_OK;
}

int ctl_plugins(const CtlOptions *o, bool history)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, history ? "GetPluginHistory" : "ListPlugins", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	if (history) {
		const char *plugin, *event, *container, *net, *outcome, *message;
		uint64_t when, usec;
		int32_t status;

		if (!o->json)
			printf("%-19s %-20s %-18s %-8s %-6s %-8s %8s  %s\n", "TIME", "PLUGIN", "EVENT", "CT", "NET", "OUTCOME", "MS",
			       "MESSAGE");
		r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_PLUGIN_RUN);
		while (r > 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_PLUGIN_RUN, &when, &plugin, &event, &container, &net, &outcome,
							 &status, &usec, &message)) > 0) {
			if (o->json) {
				json_object *row = json_object_new_object();

				json_object_object_add(row, "time_usec", json_object_new_int64((int64_t)when));
				json_object_object_add(row, "plugin", json_object_new_string(plugin));
				json_object_object_add(row, "event", json_object_new_string(event));
				json_object_object_add(row, "container", json_object_new_string(container));
				json_object_object_add(row, "net", json_object_new_string(net));
				json_object_object_add(row, "outcome", json_object_new_string(outcome));
				json_object_object_add(row, "status", json_object_new_int(status));
				json_object_object_add(row, "usec", json_object_new_int64((int64_t)usec));
				json_object_object_add(row, "message", json_object_new_string(message));
				json_object_array_add(a, row);
			} else {
				time_t secs = (time_t)(when / 1000000);
				char ts[32];

				strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", localtime(&secs));
				printf("%-19s %-20s %-18s %-8s %-6s %-8s %8.1f  %s\n", ts, plugin, event, *container ? container : "-",
				       *net ? net : "-", outcome, (double)usec / 1000, message);
			}
		}
		return ctl_list_done(o, r, a);
	}

	const char *name, *kind, *state;
	uint64_t runs, failures, timeouts, vetoes, mean, max;

	if (!o->json)
		printf("%-20s %-10s %6s %8s %8s %6s %8s %8s  %s\n", "PLUGIN", "KIND", "RUNS", "FAILURES", "TIMEOUTS", "VETOES",
		       "MEAN-MS", "MAX-MS", "STATE");
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_PLUGIN);
	while (r > 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_PLUGIN, &name, &kind, &state, &runs, &failures, &timeouts, &vetoes,
						 &mean, &max)) > 0) {
		if (o->json) {
			json_object *row = json_object_new_object();

			json_object_object_add(row, "plugin", json_object_new_string(name));
			json_object_object_add(row, "kind", json_object_new_string(kind));
			json_object_object_add(row, "state", json_object_new_string(state));
			json_object_object_add(row, "runs", json_object_new_int64((int64_t)runs));
			json_object_object_add(row, "failures", json_object_new_int64((int64_t)failures));
			json_object_object_add(row, "timeouts", json_object_new_int64((int64_t)timeouts));
			json_object_object_add(row, "vetoes", json_object_new_int64((int64_t)vetoes));
			json_object_object_add(row, "mean_usec", json_object_new_int64((int64_t)mean));
			json_object_object_add(row, "max_usec", json_object_new_int64((int64_t)max));
			json_object_array_add(a, row);
		} else
			printf("%-20s %-10s %6llu %8llu %8llu %6llu %8.1f %8.1f  %s\n", name, kind, (unsigned long long)runs,
			       (unsigned long long)failures, (unsigned long long)timeouts, (unsigned long long)vetoes,
			       (double)mean / 1000, (double)max / 1000, state);
	}
	return ctl_list_done(o, r, a);
}

/* Prometheus text format: \, " and newline escaped in label values; \ and newline in HELP. */
static void print_escaped(const char *s, bool quotes)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", stdout);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '"' && quotes)
			fputs("\\\"", stdout);
		else
			putchar(*s);
	}
}

static void print_value(double v)
{
	if (isnan(v))
		fputs("NaN", stdout);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		printf("%.0f", v);
	else
		printf("%.17g", v);
}

static int print_sample(const char *family, const char *type, const char *help, const char *suffix, char **labels, double value,
			void *userdata)
{
	const CtlOptions *o = userdata;

	if (!suffix) {
		if (o->prometheus) {
			printf("# HELP %s ", family);
			print_escaped(help, false);
			printf("\n# TYPE %s %s\n", family, type);
		}
		return 0;
	}
	printf("%s%s", family, suffix);
	for (int i = 0; labels[i]; i += 2) {
		printf("%s%s=\"", i == 0 ? "{" : ",", labels[i]);
		print_escaped(labels[i + 1], true);
		putchar('"');
		if (!labels[i + 2])
			putchar('}');
	}
	putchar(' ');
	print_value(value);
	putchar('\n');
	return 0;
}

static int json_sample(const char *family, const char *type, const char *help, const char *suffix, char **labels, double value,
		       void *userdata)
{
	json_object *a = userdata, *row, *l;

	(void)help;
	if (!suffix)
		return 0;
	row = json_object_new_object();
	l = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(family));
	json_object_object_add(row, "suffix", json_object_new_string(suffix));
	json_object_object_add(row, "type", json_object_new_string(type));
	for (int i = 0; labels[i]; i += 2)
		json_object_object_add(l, labels[i], json_object_new_string(labels[i + 1]));
	json_object_object_add(row, "labels", l);
	json_object_object_add(row, "value", json_object_new_double(value));
	json_object_array_add(a, row);
	return 0;
}

int ctl_metrics(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "GetMetrics", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = walk_metrics(reply, o->json && !o->prometheus ? json_sample : print_sample, o->json && !o->prometheus ? (void *)a : (void *)o);
	if (!o->json || o->prometheus)
		return r < 0 ? (fprintf(stderr, "lxcnetctl: bad reply: %s\n", strerror(-r)), CTL_EXIT_FAIL) : CTL_EXIT_OK;
	return ctl_list_done(o, r, a);
}
