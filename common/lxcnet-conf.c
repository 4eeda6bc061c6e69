/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcnet-conf.h"
#include "section-config.h"
#include "strutil.h"

static const char *const phase_names[_PHASE_MAX] = {
	[PHASE_LEGACY] = "legacy", [PHASE_OBSERVE] = "observe", [PHASE_BASIC] = "basic",
	[PHASE_ADVANCED] = "advanced", [PHASE_SDN] = "sdn", [PHASE_FULL] = "full",
};

static const char *const op_names[_ROP_MAX] = {
	[ROP_NET_UP] = "net-up",	       [ROP_HOTPLUG_ADD] = "hotplug-add", [ROP_HOTPLUG_REMOVE] = "hotplug-remove",
	[ROP_HOTPLUG_UPDATE] = "hotplug-update", [ROP_VNET_BIND] = "vnet-bind",
};

static const char *const path_names[_PATH_MAX] = {
	[PATH_LXCNET] = "lxcnet",
	[PATH_LEGACY] = "legacy",
	[PATH_OBSERVE] = "observe",
};

static const char *const class_names[_NIC_MAX] = {
	[NIC_PLAIN] = "plain",
	[NIC_ADVANCED] = "advanced",
	[NIC_VNET] = "vnet",
};

static const char *const source_names[] = {
	[PHASE_FROM_DEFAULT] = "default",
	[PHASE_FROM_CONFIG] = "config",
	[PHASE_FROM_ENVIRONMENT] = "environment",
};

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -EINVAL;
}

const char *firewall_mode_name(FirewallMode m)
{
	static const char *const names[_FIREWALL_MAX] = {
		[FIREWALL_LXCNET] = "lxcnet",
		[FIREWALL_PROXMOX] = "proxmox",
		[FIREWALL_ALWAYS] = "always",
	};

	return m < _FIREWALL_MAX ? names[m] : "?";
}

const char *rollout_phase_name(RolloutPhase p)
{
	return p < _PHASE_MAX ? phase_names[p] : "?";
}

int rollout_phase_from_string(const char *s)
{
	return lookup(phase_names, _PHASE_MAX, s);
}

const char *rollout_op_name(RolloutOp op)
{
	return op < _ROP_MAX ? op_names[op] : "?";
}

int rollout_op_from_string(const char *s)
{
	return lookup(op_names, _ROP_MAX, s);
}

const char *rollout_path_name(RolloutPath p)
{
	return p < _PATH_MAX ? path_names[p] : "?";
}

int rollout_path_from_string(const char *s)
{
	return lookup(path_names, _PATH_MAX, s);
}

const char *nic_class_name(NicClass c)
{
	return c < _NIC_MAX ? class_names[c] : "?";
}

const char *phase_source_name(PhaseSource s)
{
	return s <= PHASE_FROM_ENVIRONMENT ? source_names[s] : "?";
}

void lxcnet_conf_free(LxcnetConf *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->legacy_net_up);
	free(c->legacy_pct);
	for (size_t i = 0; i < c->n_storage_nets; i++)
		storage_net_conf_done(&c->storage_nets[i]);
	free(c->storage_nets);
	free(c);
}

static int conf_new(const char *name, LxcnetConf **ret)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->phase = c->config_phase = PHASE_FULL;
	c->plugin_timeout_ms = LXCNET_PLUGIN_TIMEOUT_DEFAULT_MS;
	c->reconcile = true;
	c->path = strdup(name);
	/* Under the package's diversion the original is the legacy command; lxcnetaddbr itself is lxcnet. */
	c->legacy_net_up = strdup(access(LXCNET_LEGACY_NET_UP_DIVERTED, F_OK) == 0 ? LXCNET_LEGACY_NET_UP_DIVERTED
										     : LXCNET_LEGACY_NET_UP_DEFAULT);
	c->legacy_pct = strdup(LXCNET_LEGACY_PCT_DEFAULT);
	if (!c->path || !c->legacy_net_up || !c->legacy_pct)
		return -ENOMEM;
	for (int i = 0; i < _ROP_MAX; i++)
		c->ops[i] = (RolloutOverride){ .path = -1, .fallback = -1 };
	*ret = TAKE_PTR(c);
	return 0;
}

static int need_value(const SectionFile *f, const Section *s, const SectionEntry *e, Diag *d)
{
	char where[256];

	if (e->value)
		return 0;
	section_where(f, s, e, where, sizeof(where));
	return diag_error(d, -EINVAL, "%s%s: needs a value", where, e->key);
}

static int parse_bool_entry(const SectionFile *f, const Section *s, const SectionEntry *e, bool *ret, Diag *d)
{
	char where[256];

	/* A flag alone ("fallback") means on, as in Proxmox's section config. */
	if (!e->value) {
		*ret = true;
		return 0;
	}
	if (parse_bool(e->value, ret) >= 0)
		return 0;
	section_where(f, s, e, where, sizeof(where));
	return diag_error(d, -EINVAL, "%s%s: '%s' is not a boolean (1/0, on/off, yes/no, true/false)", where, e->key, e->value);
}

static int set_command(const SectionFile *f, const Section *s, const SectionEntry *e, char **dst, Diag *d)
{
	char where[256];
	char *v;
	int r;

	r = need_value(f, s, e, d);
	if (r < 0)
		return r;
	if (e->value[0] != '/') {
		section_where(f, s, e, where, sizeof(where));
		return diag_error(d, -EINVAL, "%s%s: '%s' is not an absolute path", where, e->key, e->value);
	}
	v = strdup(e->value);
	if (!v)
		return -ENOMEM;
	free(*dst);
	*dst = v;
	return 0;
}

static int parse_main(LxcnetConf *c, const SectionFile *f, const Section *s, Diag *d)
{
	char where[256];
	uint64_t v;
	int r;

	for (size_t i = 0; i < s->n_entries; i++) {
		const SectionEntry *e = &s->entries[i];

		section_where(f, s, e, where, sizeof(where));
		if (strcmp(e->key, "phase") == 0) {
			r = need_value(f, s, e, d);
			if (r < 0)
				return r;
			r = rollout_phase_from_string(e->value);
			if (r < 0)
				return diag_error(d, r, "%sphase: '%s' is not a phase (%s)", where, e->value, ROLLOUT_PHASE_LIST);
			c->phase = c->config_phase = (RolloutPhase)r;
			c->phase_source = PHASE_FROM_CONFIG;
		} else if (strcmp(e->key, "fallback") == 0) {
			r = parse_bool_entry(f, s, e, &c->fallback, d);
		} else if (strcmp(e->key, "legacy-net-up") == 0) {
			r = set_command(f, s, e, &c->legacy_net_up, d);
		} else if (strcmp(e->key, "legacy-pct") == 0) {
			r = set_command(f, s, e, &c->legacy_pct, d);
		} else if (strcmp(e->key, "plugin-timeout") == 0) {
			r = need_value(f, s, e, d);
			if (r >= 0 && parse_uint_range(e->value, 1, LXCNET_PLUGIN_TIMEOUT_MAX_S, &v) < 0)
				r = diag_error(d, -EINVAL, "%splugin-timeout: '%s' is not a number of seconds (1..%u)", where, e->value,
					       LXCNET_PLUGIN_TIMEOUT_MAX_S);
			if (r >= 0)
				c->plugin_timeout_ms = (unsigned)v * 1000;
		} else if (strcmp(e->key, "firewall") == 0) {
			FirewallMode m = 0;

			r = need_value(f, s, e, d);
			while (r >= 0 && m < _FIREWALL_MAX && strcmp(e->value, firewall_mode_name(m)) != 0)
				m++;
			if (r >= 0 && m == _FIREWALL_MAX)
				r = diag_error(d, -EINVAL, "%sfirewall: '%s' is not lxcnet, proxmox or always", where, e->value);
			if (r >= 0)
				c->firewall = m;
		} else if (strcmp(e->key, "reconcile") == 0) {
			r = parse_bool_entry(f, s, e, &c->reconcile, d);
		} else
			r = diag_error(d, -EINVAL,
				       "%s%s: unknown key (phase, fallback, legacy-net-up, legacy-pct, plugin-timeout, firewall, "
				       "reconcile)",
				       where, e->key);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_operation(LxcnetConf *c, const SectionFile *f, const Section *s, Diag *d)
{
	RolloutOverride *o;
	char where[256];
	bool b;
	int op, r;

	section_where(f, s, NULL, where, sizeof(where));
	op = rollout_op_from_string(s->id);
	if (op < 0)
		return diag_error(d, -EINVAL, "%snot an operation (net-up, hotplug-add, hotplug-remove, hotplug-update, vnet-bind)",
				  where);
	o = &c->ops[op];
	o->line = s->line;
	for (size_t i = 0; i < s->n_entries; i++) {
		const SectionEntry *e = &s->entries[i];

		section_where(f, s, e, where, sizeof(where));
		if (strcmp(e->key, "path") == 0) {
			r = need_value(f, s, e, d);
			if (r < 0)
				return r;
			r = lookup(path_names, _PATH_MAX, e->value);
			if (r < 0)
				return diag_error(d, r, "%spath: '%s' is not a path (lxcnet, legacy, observe)", where, e->value);
			o->path = r;
		} else if (strcmp(e->key, "fallback") == 0) {
			r = parse_bool_entry(f, s, e, &b, d);
			if (r < 0)
				return r;
			o->fallback = b;
		} else
			return diag_error(d, -EINVAL, "%s%s: unknown key (path, fallback)", where, e->key);
	}
	return 0;
}

static int parse_storage_net(LxcnetConf *c, const SectionFile *f, const Section *s, Diag *d)
{
	StorageNetConf *sn;
	char where[256];
	int r;

	section_where(f, s, NULL, where, sizeof(where));
	if (!pve_word_valid(s->id))
		return diag_error(d, -EINVAL, "%snot a storage network id ([-_.A-Za-z0-9]+)", where);
	sn = array_grow(&c->storage_nets, c->n_storage_nets, sizeof(*sn));
	if (!sn)
		return -ENOMEM;
	c->n_storage_nets++;
	sn->line = s->line;
	sn->id = strdup(s->id);
	if (!sn->id)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_entries; i++) {
		const SectionEntry *e = &s->entries[i];

		r = storage_net_conf_set(sn, e->key, e->value, d);
		if (r < 0) {
			section_where(f, s, e, where, sizeof(where));
			diag_prefix(d, "%s", where);
			return r;
		}
	}
	r = storage_net_conf_finish(sn, d);
	if (r < 0) {
		diag_prefix(d, "%s", where);
		return r;
	}
	for (size_t i = 0; i + 1 < c->n_storage_nets; i++)
		if (strcmp(c->storage_nets[i].interface, sn->interface) == 0)
			return diag_error(d, -EINVAL, "%sinterface: '%s' already carries storage network '%s' (line %u)", where,
					  sn->interface, c->storage_nets[i].id, c->storage_nets[i].line);
	return 0;
}

const StorageNetConf *lxcnet_conf_storage_net(const LxcnetConf *c, const char *id)
{
	for (size_t i = 0; i < c->n_storage_nets; i++)
		if (strcmp(c->storage_nets[i].id, id) == 0)
			return &c->storage_nets[i];
	return NULL;
}

static int apply_env_phase(LxcnetConf *c, const char *env_phase, Diag *d)
{
	int r;

	if (!env_phase || !*env_phase)
		return 0;
	r = rollout_phase_from_string(env_phase);
	if (r < 0)
		return diag_error(d, r, "LXCNET_PHASE: '%s' is not a phase (%s)", env_phase, ROLLOUT_PHASE_LIST);
	c->phase = (RolloutPhase)r;
	c->phase_source = PHASE_FROM_ENVIRONMENT;
	return 0;
}

int lxcnet_conf_parse(const char *name, const char *text, size_t size, const char *env_phase, LxcnetConf **ret, Diag *d)
{
	_cleanup_(section_file_freep) SectionFile *f = NULL;
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
	const Section *main_section = NULL;
	int r;

	r = conf_new(name, &c);
	if (r < 0)
		return r;
	c->exists = true;
	r = section_file_parse(name, text, size, NULL, &f, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < f->n_sections; i++) {
		const Section *s = &f->sections[i];
		char where[256];

		section_where(f, s, NULL, where, sizeof(where));
		if (strcmp(s->type, "lxcnet") == 0) {
			if (main_section)
				return diag_error(d, -EINVAL, "%sa second 'lxcnet' section (the first is on line %u)", where,
						  main_section->line);
			main_section = s;
			r = parse_main(c, f, s, d);
		} else if (strcmp(s->type, "operation") == 0)
			r = parse_operation(c, f, s, d);
		else if (strcmp(s->type, "storage-network") == 0)
			r = parse_storage_net(c, f, s, d);
		else
			r = diag_error(d, -EINVAL, "%s'%s' is not a section type (lxcnet, operation, storage-network)", where,
				       s->type);
		if (r < 0)
			return r;
	}
	r = apply_env_phase(c, env_phase, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int lxcnet_conf_load(const char *conf_dir, LxcnetConf **ret, Diag *d)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t size;
	int r;

	if (asprintf(&path, "%s/" LXCNET_CONF_FILE, conf_dir) < 0)
		return -ENOMEM;
	r = read_full_file(path, SECTION_FILE_SIZE_MAX, &text, &size);
	if (r == -ENOENT) {
		r = conf_new(path, &c);
		if (r < 0)
			return r;
		r = apply_env_phase(c, getenv("LXCNET_PHASE"), d);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(c);
		return 0;
	}
	if (r < 0)
		return diag_error(d, r, "%s: %s", path, strerror(-r));
	r = lxcnet_conf_parse(path, text, size, getenv("LXCNET_PHASE"), ret, d);
	return r;
}

NicClass rollout_nic_class(const PveNet *n, bool is_vnet)
{
	if (is_vnet)
		return NIC_VNET;
	if (pve_net_has(n, PVE_NET_TAG) || pve_net_has(n, PVE_NET_TRUNKS) || n->firewall ||
	    (pve_net_has(n, PVE_NET_RATE) && n->rate > 0))
		return NIC_ADVANCED;
	return NIC_PLAIN;
}

/* What op on a NIC of class cls is called in messages, and the first phase in which lxcnet performs it. */
static const char *op_what(RolloutOp op, NicClass cls, RolloutPhase *ret_from)
{
	switch (op) {
	case ROP_NET_UP:
		*ret_from = cls == NIC_PLAIN ? PHASE_BASIC : cls == NIC_ADVANCED ? PHASE_ADVANCED : PHASE_SDN;
		return cls == NIC_PLAIN ? "plain bridge NICs" : cls == NIC_ADVANCED ? "NICs with tag, trunks, rate or firewall" :
									    "VNet NICs";
	case ROP_VNET_BIND:
		*ret_from = PHASE_SDN;
		return "VNet binds";
	default:
		*ret_from = PHASE_FULL;
		return "hotplug";
	}
}

void rollout_decide(const LxcnetConf *c, RolloutOp op, NicClass cls, RolloutDecision *ret)
{
	const RolloutOverride *o = &c->ops[op];
	RolloutDecision d = { .fallback = o->fallback >= 0 ? o->fallback : c->fallback };
	RolloutPhase from;
	const char *what = op_what(op, cls, &from);

	if (o->path >= 0) {
		d.path = (RolloutPath)o->path;
		snprintf(d.reason, sizeof(d.reason), "'operation: %s' in lxcnet.conf (line %u) says path %s", op_names[op], o->line,
			 path_names[o->path]);
	} else if (c->phase == PHASE_LEGACY) {
		d.path = PATH_LEGACY;
		snprintf(d.reason, sizeof(d.reason), "phase legacy delegates every operation");
	} else if (c->phase == PHASE_OBSERVE) {
		d.path = PATH_OBSERVE;
		snprintf(d.reason, sizeof(d.reason), "phase observe: the legacy command performs, lxcnet records");
	} else if (c->phase >= from) {
		d.path = PATH_LXCNET;
		snprintf(d.reason, sizeof(d.reason), "phase %s includes %s (from phase %s)", phase_names[c->phase], what,
			 phase_names[from]);
	} else {
		d.path = PATH_LEGACY;
		snprintf(d.reason, sizeof(d.reason), "phase %s delegates %s (lxcnet performs them from phase %s)",
			 phase_names[c->phase], what, phase_names[from]);
	}
	if (d.path != PATH_LXCNET)
		d.fallback = false;
	*ret = d;
}

/* The length of the line at p, without its newline. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

static bool line_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\v' && p[i] != '\f')
			return false;
	return true;
}

/* "type:" at the start of the line (a section header of that type). */
static bool line_is_header(const char *p, size_t len, const char *type)
{
	size_t n = strlen(type);

	return len > n && strncmp(p, type, n) == 0 && p[n] == ':';
}

/* An indented "key" or "key value" line. */
static bool line_has_key(const char *p, size_t len, const char *key)
{
	size_t ws = strspn(p, " \t"), n = strlen(key);

	return ws > 0 && ws + n <= len && strncmp(p + ws, key, n) == 0 &&
	       (ws + n == len || p[ws + n] == ' ' || p[ws + n] == '\t' || p[ws + n] == '\r');
}

int lxcnet_conf_edit(const char *text, const char *type, const char *id, const char *key, const char *value, char **ret)
{
	const char *p = text, *header = NULL, *end = NULL, *keyline = NULL;
	size_t size = strlen(text);
	char *out = NULL;
	int n;

	/* Find the section and, inside it, the key (comment lines do not end a section). */
	while (*p && !end) {
		size_t len = line_len(p);

		if (!header) {
			if (line_is_header(p, len, type))
				header = p;
		} else if (line_blank(p, len)) {
			end = p;
		} else if (p[0] != '#' && !keyline && line_has_key(p, len, key))
			keyline = p;
		p += len + (p[len] == '\n');
	}
	if (header && !end)
		end = text + size;

	if (keyline) {
		size_t len = line_len(keyline);

		n = asprintf(&out, "%.*s\t%s %s%s", (int)(keyline - text), text, key, value, keyline + len);
	} else if (header) {
		const char *after = header + line_len(header);

		/* Right after the header line. */
		if (*after == '\n')
			after++;
		n = asprintf(&out, "%.*s%s\t%s %s\n%s", (int)(after - text), text, *after || after[-1] == '\n' ? "" : "\n", key,
			     value, after);
	} else
		n = asprintf(&out, "%s%s%s%s: %s\n\t%s %s\n", text, size && text[size - 1] != '\n' ? "\n" : "",
			     size && !(size >= 2 && text[size - 1] == '\n' && text[size - 2] == '\n') ? "\n" : "", type, id, key,
			     value);
	if (n < 0)
		return -ENOMEM;
	*ret = out;
	return 0;
}

/* "type: id" with nothing else on the line. */
static bool line_is_section(const char *p, size_t len, const char *type, const char *id)
{
	size_t n = strlen(type) + 1, ws, idlen = strlen(id);

	if (!line_is_header(p, len, type))
		return false;
	ws = strspn(p + n, " \t");
	if (n + ws + idlen > len || strncmp(p + n + ws, id, idlen) != 0)
		return false;
	return line_blank(p + n + ws + idlen, len - n - ws - idlen);
}

int lxcnet_conf_edit_section(const char *text, const char *type, const char *id, const char *section, char **ret)
{
	const char *p = text, *header = NULL, *end = NULL;
	size_t size = strlen(text);
	char *out = NULL;
	int n;

	for (; *p && !end; p += line_len(p) + (p[line_len(p)] == '\n')) {
		size_t len = line_len(p);

		if (!header) {
			if (line_is_section(p, len, type, id))
				header = p;
		} else if (line_blank(p, len)) {
			end = p;
		}
	}
	if (header && !end)
		end = text + size;
	if (header) {
		/* Removing: the blank line after the section goes with it. */
		if (!section && *end)
			end += line_len(end) + (end[line_len(end)] == '\n');
		n = asprintf(&out, "%.*s%s%s", (int)(header - text), text, section ?: "", end);
	} else if (section)
		n = asprintf(&out, "%s%s%s%s", text, size && text[size - 1] != '\n' ? "\n" : "",
			     size && !(size >= 2 && text[size - 1] == '\n' && text[size - 2] == '\n') ? "\n" : "", section);
	else
		n = asprintf(&out, "%s", text);
	if (n < 0)
		return -ENOMEM;
	*ret = out;
	return 0;
}

typedef int (*EditFn)(const char *text, const void *userdata, char **ret);

/* Read <conf_dir>/lxcnet.conf (or ""), edit it, check the result parses, write it atomically. */
static int update_file(const char *conf_dir, EditFn edit, const void *userdata, Diag *d)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL, *text = NULL, *out = NULL;
	_cleanup_(lxcnet_conf_freep) LxcnetConf *check = NULL;
	mode_t mode = 0644;
	struct stat st;
	size_t size = 0;
	int r;

	if (asprintf(&path, "%s/" LXCNET_CONF_FILE, conf_dir) < 0 ||
	    asprintf(&tmp, "%s/.%s.tmp.%d", conf_dir, LXCNET_CONF_FILE, (int)getpid()) < 0)
		return -ENOMEM;
	r = read_full_file(path, SECTION_FILE_SIZE_MAX, &text, &size);
	if (r == -ENOENT) {
		text = strdup("");
		if (!text)
			return -ENOMEM;
	} else if (r < 0)
		return diag_error(d, r, "%s: %s", path, strerror(-r));
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if (strlen(text) != size)
		return diag_error(d, -EINVAL, "%s: contains a NUL byte", path);
	r = edit(text, userdata, &out);
	if (r < 0)
		return r;
	/* What is written must read back: a file that was broken before stays untouched. */
	r = lxcnet_conf_parse(path, out, strlen(out), NULL, &check, d);
	if (r < 0)
		return r;
	if (mkdir(conf_dir, 0755) < 0 && errno != EEXIST)
		return diag_error(d, -errno, "%s: cannot create: %m", conf_dir);
	r = write_file_sync(tmp, mode, out, strlen(out));
	if (r >= 0 && rename(tmp, path) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		return diag_error(d, r, "%s: cannot write: %s", path, strerror(-r));
	}
	r = fsync_parent_dir(path);
	if (r < 0)
		return diag_error(d, r, "%s: written, but syncing its directory failed: %s", path, strerror(-r));
	return 0;
}

typedef struct KeyEdit {
	const char *type, *id, *key, *value;
} KeyEdit;

static int edit_key(const char *text, const void *userdata, char **ret)
{
	const KeyEdit *e = userdata;

	return lxcnet_conf_edit(text, e->type, e->id, e->key, e->value, ret);
}

int lxcnet_conf_set(const char *conf_dir, const char *type, const char *id, const char *key, const char *value, Diag *d)
{
	KeyEdit e = { type, id, key, value };

	return update_file(conf_dir, edit_key, &e, d);
}

static int edit_section(const char *text, const void *userdata, char **ret)
{
	const KeyEdit *e = userdata;

	return lxcnet_conf_edit_section(text, e->type, e->id, e->value, ret);
}

int lxcnet_conf_set_section(const char *conf_dir, const char *type, const char *id, const char *section, Diag *d)
{
	KeyEdit e = { .type = type, .id = id, .value = section };

	return update_file(conf_dir, edit_section, &e, d);
}
