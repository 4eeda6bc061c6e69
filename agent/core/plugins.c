/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "helper.h"
#include "log.h"
#include "manager.h"
#include "plugins.h"
#include "spawn-cmd.h"
#include "strutil.h"

#define BUILTIN_JOURNAL "builtin:journal"
#define BUILTIN_VNET "builtin:vnet"

struct Plugins {
	pthread_mutex_t lock; /* everything below: the helper thread and hotplug workers run plugins */
	PluginStats *stats;
	size_t n_stats;
	PluginRun history[PLUGIN_HISTORY];
	size_t n_history, next;
	char *dir;
};

/* The entry of a plugin, made on first sight (under the lock). */
static PluginStats *stats_of(Plugins *p, const char *name, bool builtin)
{
	PluginStats *s;

	for (size_t i = 0; i < p->n_stats; i++)
		if (strcmp(p->stats[i].name, name) == 0)
			return &p->stats[i];
	s = array_grow(&p->stats, p->n_stats, sizeof(*s));
	if (!s)
		return NULL;
	p->n_stats++;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->builtin = builtin;
	strcpy(s->state, "ok");
	return s;
}

/* Note a state; log it when it changed (a refused plugin is logged once, not on every event). */
static void set_state(Plugins *p, const char *name, const char *state, int priority)
{
	PluginStats *s;
	bool changed;

	pthread_mutex_lock(&p->lock);
	s = stats_of(p, name, false);
	changed = s && strcmp(s->state, state) != 0;
	if (changed)
		snprintf(s->state, sizeof(s->state), "%s", state);
	pthread_mutex_unlock(&p->lock);
	if (changed && priority <= LOG_WARNING)
		log_ctx(NULL, priority, "Event plugin '%s' %s", name, state);
}

static void record(Plugins *p, const char *plugin, bool builtin, const PluginEvent *ev, const char *outcome, int status,
		   uint64_t usec, const char *message)
{
	PluginStats *s;
	PluginRun *h;

	pthread_mutex_lock(&p->lock);
	s = stats_of(p, plugin, builtin);
	if (s) {
		s->runs++;
		s->failures += strcmp(outcome, "failed") == 0 || strcmp(outcome, "error") == 0;
		s->timeouts += strcmp(outcome, "timeout") == 0;
		s->vetoes += strcmp(outcome, "vetoed") == 0;
		s->total_usec += usec;
		if (usec > s->max_usec)
			s->max_usec = usec;
	}
	h = &p->history[p->next];
	p->next = (p->next + 1) % PLUGIN_HISTORY;
	if (p->n_history < PLUGIN_HISTORY)
		p->n_history++;
	*h = (PluginRun){ .when = clock_usec(CLOCK_REALTIME), .outcome = outcome, .status = status, .usec = usec };
	snprintf(h->plugin, sizeof(h->plugin), "%s", plugin);
	snprintf(h->event, sizeof(h->event), "%s", ev->event);
	snprintf(h->container, sizeof(h->container), "%s", ev->container);
	snprintf(h->net, sizeof(h->net), "%s", ev->net);
	snprintf(h->message, sizeof(h->message), "%s", message ?: "");
	pthread_mutex_unlock(&p->lock);
}

static bool is_validation(const PluginEvent *ev)
{
	return strncmp(ev->event, "validate-", 9) == 0;
}

/* Like run-parts: no dot files, editor backups or package manager leftovers. */
static bool plugin_name_ok(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && name[n - 1] != '~' && !strstr(name, ".dpkg-") && !strstr(name, ".ucf-");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plugins that may run, in name order; the others get their state noted. */
static int scan(Plugins *p, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int dfd = -1;
	struct stat st;
	DIR *dir;
	size_t n;

	dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*ret = NULL;
		return errno == ENOENT ? 0 : negative_errno();
	}
	if (fstat(dfd, &st) < 0)
		return negative_errno();
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		/* Whoever may write the directory may swap a plugin: none runs. */
		set_state(p, p->dir, st.st_uid != 0 ? "refused: the directory is not owned by root" :
					       "refused: the directory is group- or world-writable",
			  LOG_WARNING);
		*ret = NULL;
		return 0;
	}
	dir = fdopendir(dfd);
	if (!dir)
		return negative_errno();
	dfd = -1; /* the DIR owns it now */
	for (struct dirent *de; (de = readdir(dir));) {
		char *s;

		if (!plugin_name_ok(de->d_name))
			continue;
		s = strdup(de->d_name);
		if (!s || strv_push(&names, s) < 0) {
			free(s);
			closedir(dir);
			return -ENOMEM;
		}
	}
	n = strv_length(names);
	if (n)
		qsort(names, n, sizeof(char *), compare_names);
	for (size_t i = 0, j = 0; i < n; i++) {
		const char *state = NULL;

		if (fstatat(dirfd(dir), names[i], &st, 0) < 0)
			state = "refused: cannot be read";
		else if (!S_ISREG(st.st_mode))
			state = "refused: not a regular file";
		else if (st.st_uid != 0)
			state = "refused: not owned by root";
		else if (st.st_mode & 022)
			state = "refused: group- or world-writable";
		else if (!(st.st_mode & 0100))
			state = "disabled: not executable";
		set_state(p, names[i], state ?: "ok", state && strncmp(state, "refused", 7) == 0 ? LOG_WARNING : LOG_INFO);
		if (state) {
			free(names[i]);
			names[i] = NULL;
			continue;
		}
		names[j++] = names[i];
		if (j <= i)
			names[i] = NULL;
	}
	closedir(dir);
	*ret = TAKE_PTR(names);
	return 0;
}

static void add_field(json_object *o, char ***envp, const char *json_key, const char *env_key, const char *value)
{
	char *e = NULL;

	if (!value || !*value)
		return;
	json_object_object_add(o, json_key, json_object_new_string(value));
	if (asprintf(&e, "%s=%s", env_key, value) >= 0 && strv_push(envp, e) < 0)
		free(e);
}

/* The event as JSON and as environment. */
static int event_input(const PluginEvent *ev, char **ret_json, char ***ret_env)
{
	_cleanup_strv_free_ char **env = NULL;
	json_object *o = json_object_new_object();
	char *path = strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), *js;

	if (!o || !path || strv_push(&env, path) < 0) {
		free(path);
		json_object_put(o);
		return -ENOMEM;
	}
	add_field(o, &env, "event", "LXCNET_EVENT", ev->event);
	add_field(o, &env, "container", "LXCNET_CONTAINER", ev->container);
	add_field(o, &env, "net", "LXCNET_NET", ev->net);
	add_field(o, &env, "ifname", "LXCNET_IFNAME", ev->ifname);
	add_field(o, &env, "vnet", "LXCNET_VNET", ev->vnet);
	add_field(o, &env, "bridge", "LXCNET_BRIDGE", ev->bridge);
	add_field(o, &env, "action", "LXCNET_ACTION", ev->action);
	add_field(o, &env, "spec", "LXCNET_SPEC", ev->spec);
	json_object_object_add(o, "time_usec", json_object_new_int64((int64_t)clock_usec(CLOCK_REALTIME)));
	js = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (!js)
		return -ENOMEM;
	*ret_json = js;
	*ret_env = TAKE_PTR(env);
	return 0;
}

/* builtin:journal: one structured journal line per event. */
static void builtin_journal(Plugins *p, const PluginEvent *ev)
{
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);

	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = ev->container[0] ? ev->container : NULL,
			       .net = ev->net[0] ? ev->net : NULL, .ifname = ev->ifname[0] ? ev->ifname : NULL,
			       .vnet = ev->vnet[0] ? ev->vnet : NULL },
		LOG_INFO, "Event %s%s%s%s%s", ev->event, ev->container[0] ? ": container " : "", ev->container,
		ev->net[0] ? " " : "", ev->net);
	record(p, BUILTIN_JOURNAL, true, ev, "ok", 0, clock_usec(CLOCK_MONOTONIC) - t0, NULL);
}

/* builtin:vnet: a VNet the operation plugs into must be usable on this node. */
static int builtin_vnet(Manager *m, const PluginEvent *ev, Diag *d)
{
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);
	ManagerError kind;
	SdnPlug plug;
	int r;

	if (!ev->vnet[0])
		return 0;
	r = ev->env ? manager_vnet_plug_in(m, ev->env, ev->vnet, &plug, &kind, d) : manager_vnet_plug(m, ev->vnet, &plug, &kind, d);
	record(m->plugins, BUILTIN_VNET, true, ev, r < 0 ? "vetoed" : "ok", r < 0 ? 1 : 0, clock_usec(CLOCK_MONOTONIC) - t0,
	       r < 0 ? d->msg : NULL);
	return r < 0 ? -EPERM : 0;
}

/* Run every plugin for ev; for a validation stop at the first veto. */
static int run_all(Manager *m, const PluginEvent *ev, Diag *d)
{
	Plugins *p = m->plugins;
	_cleanup_strv_free_ char **names = NULL, **env = NULL;
	_cleanup_free_ char *json = NULL;
	bool validation = is_validation(ev);
	unsigned timeout_ms = __atomic_load_n(&m->plugin_timeout_ms, __ATOMIC_RELAXED);
	int r;

	if (validation) {
		r = builtin_vnet(m, ev, d);
		if (r < 0)
			return r;
	} else
		builtin_journal(p, ev);

	r = scan(p, &names);
	if (r < 0) {
		log_ctx(NULL, LOG_WARNING, "Cannot read the event plugins in '%s': %s", p->dir, strerror(-r));
		return 0;
	}
	if (!names || !names[0])
		return 0;
	r = event_input(ev, &json, &env);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = NULL;
		const char *outcome;
		SpawnResult res;
		char *argv[3];

		if (asprintf(&path, "%s/%s", p->dir, names[i]) < 0)
			return -ENOMEM;
		argv[0] = path;
		argv[1] = (char *)ev->event;
		argv[2] = NULL;
		r = spawn_run(argv, env, json, timeout_ms, &res);
		outcome = r < 0 ? "error" : res.timed_out ? "timeout" : res.status == 0 ? "ok" : validation ? "vetoed" : "failed";
		if (r < 0)
			snprintf(res.first_line, sizeof(res.first_line), "cannot run: %s", strerror(-r));
		else if (res.timed_out)
			snprintf(res.first_line, sizeof(res.first_line), "killed after %u s", timeout_ms / 1000);
		record(p, names[i], false, ev, outcome, res.status, res.usec, res.first_line);
		if (strcmp(outcome, "ok") != 0)
			log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = ev->container[0] ? ev->container : NULL },
				validation ? LOG_NOTICE : LOG_WARNING, "Event plugin '%s' on %s: %s%s%s", names[i], ev->event,
				outcome, res.first_line[0] ? ": " : "", res.first_line);
		/* A validation that cannot say yes in time says no. */
		if (validation && strcmp(outcome, "ok") != 0) {
			if (res.first_line[0] && strcmp(outcome, "vetoed") == 0)
				diag_error(d, -EPERM, "%s", res.first_line);
			else
				diag_error(d, -EPERM, "event plugin '%s' %s%s%s", names[i],
					   strcmp(outcome, "vetoed") == 0 ? "vetoed the operation" : outcome,
					   res.first_line[0] ? ": " : "", res.first_line);
			return -EPERM;
		}
	}
	return 0;
}

int plugins_validate(Manager *m, const PluginEvent *ev, Diag *d)
{
	return run_all(m, ev, d);
}

static void notify_work(Manager *m, void *userdata)
{
	PluginEvent *ev = userdata;
	Diag d = {};

	(void)run_all(m, ev, &d);
}

static void notify_done(Manager *m, void *userdata)
{
	PluginEvent *ev = userdata;

	(void)m;
	free(ev->spec);
	free(ev);
}

void plugins_notify(Manager *m, const char *event, const char *container, unsigned net, const char *ifname, const char *vnet,
		    const char *bridge)
{
	PluginEvent *ev;

	if (!m->plugins || !m->helper)
		return;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return;
	snprintf(ev->event, sizeof(ev->event), "%s", event);
	snprintf(ev->container, sizeof(ev->container), "%s", container ?: "");
	if (net != UINT32_MAX)
		snprintf(ev->net, sizeof(ev->net), "net%u", net);
	snprintf(ev->ifname, sizeof(ev->ifname), "%s", ifname ?: "");
	snprintf(ev->vnet, sizeof(ev->vnet), "%s", vnet ?: "");
	snprintf(ev->bridge, sizeof(ev->bridge), "%s", bridge ?: "");
	if (helper_submit(m, notify_work, notify_done, ev) < 0)
		free(ev);
}

void plugins_on_event(Manager *m, const Event *ev, void *userdata)
{
	const Binding *b = ev->binding;
	const Operation *op = ev->operation;
	char event[24];

	(void)userdata;
	switch (ev->type) {
	case EVENT_VNET_BOUND:
	case EVENT_VNET_UNBOUND:
		plugins_notify(m, ev->type == EVENT_VNET_BOUND ? "bound" : "unbound", b->container, b->net, b->ifname, b->vnet,
			       b->bridge);
		break;
	case EVENT_CONTAINER_STARTED:
	case EVENT_CONTAINER_STOPPED:
		plugins_notify(m, ev->type == EVENT_CONTAINER_STARTED ? "container-started" : "container-stopped", ev->container,
			       UINT32_MAX, NULL, NULL, NULL);
		break;
	case EVENT_OPERATION_DONE:
		snprintf(event, sizeof(event), "hotplug-%s", ev->action);
		plugins_notify(m, event, op->container, op->net, NULL, NULL, NULL);
		break;
	default:
		break;
	}
}

int plugins_init(Manager *m)
{
	Plugins *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (asprintf(&p->dir, "%s/" PLUGINS_SUBDIR, m->conf_dir) < 0) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	/* The built-ins are listed from the start. */
	(void)stats_of(p, BUILTIN_JOURNAL, true);
	(void)stats_of(p, BUILTIN_VNET, true);
	m->plugins = p;
	return 0;
}

void plugins_free(Manager *m)
{
	Plugins *p = m->plugins;

	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->stats);
	free(p->dir);
	free(p);
	m->plugins = NULL;
}

int plugins_stats(Manager *m, PluginStats **ret, size_t *ret_n)
{
	Plugins *p = m->plugins;
	_cleanup_strv_free_ char **names = NULL;
	PluginStats *copy;
	size_t n;

	/* Fresh states: a plugin dropped in since the last event is listed too. */
	(void)scan(p, &names);
	pthread_mutex_lock(&p->lock);
	n = p->n_stats;
	copy = calloc(n ?: 1, sizeof(*copy));
	if (copy)
		memcpy(copy, p->stats, n * sizeof(*copy));
	pthread_mutex_unlock(&p->lock);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	*ret_n = n;
	return 0;
}

int plugins_history(Manager *m, PluginRun **ret, size_t *ret_n)
{
	Plugins *p = m->plugins;
	PluginRun *copy;
	size_t n, first;

	copy = calloc(PLUGIN_HISTORY, sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	n = p->n_history;
	first = (p->next + PLUGIN_HISTORY - n) % PLUGIN_HISTORY;
	for (size_t i = 0; i < n; i++)
		copy[i] = p->history[(first + i) % PLUGIN_HISTORY];
	pthread_mutex_unlock(&p->lock);
	*ret = copy;
	*ret_n = n;
	return 0;
}
