/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnet.conf: parsing, errors naming the line, the rollout table, editing in place. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lxcnet-conf.h"
#include "strutil.h"
#include "tap.h"

static int parse(const char *text, const char *env, LxcnetConf **ret, Diag *d)
{
	*d = (Diag){};
	return lxcnet_conf_parse("lxcnet.conf", text, strlen(text), env, ret, d);
}

static const char *path_of(const LxcnetConf *c, RolloutOp op, NicClass cls)
{
	RolloutDecision d;

	rollout_decide(c, op, cls, &d);
	return rollout_path_name(d.path);
}

/* The phase table of the issue: who plugs what, phase by phase. */
static void test_phases(void)
{
	static const struct {
		const char *phase;
		const char *plain, *advanced, *vnet, *hotplug, *bind;
	} table[] = {
		{ "legacy", "legacy", "legacy", "legacy", "legacy", "legacy" },
		{ "observe", "observe", "observe", "observe", "observe", "observe" },
		{ "basic", "lxcnet", "legacy", "legacy", "legacy", "legacy" },
		{ "advanced", "lxcnet", "lxcnet", "legacy", "legacy", "legacy" },
		{ "sdn", "lxcnet", "lxcnet", "lxcnet", "legacy", "lxcnet" },
		{ "full", "lxcnet", "lxcnet", "lxcnet", "lxcnet", "lxcnet" },
	};
	_cleanup_free_ char *text = NULL;

	for (size_t i = 0; i < ELEMENTSOF(table); i++) {
		_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
		Diag d;

		free(text);
		text = NULL;
		if (asprintf(&text, "lxcnet: node\n\tphase %s\n", table[i].phase) < 0)
			abort();
		ok(parse(text, NULL, &c, &d) == 0, "phase %s parses", table[i].phase);
		if (!c)
			continue;
		is_str(path_of(c, ROP_NET_UP, NIC_PLAIN), table[i].plain, "%s: plain NIC", table[i].phase);
		is_str(path_of(c, ROP_NET_UP, NIC_ADVANCED), table[i].advanced, "%s: tag/trunks/rate/firewall NIC", table[i].phase);
		is_str(path_of(c, ROP_NET_UP, NIC_VNET), table[i].vnet, "%s: VNet NIC", table[i].phase);
		is_str(path_of(c, ROP_HOTPLUG_ADD, NIC_PLAIN), table[i].hotplug, "%s: hotplug add", table[i].phase);
		is_str(path_of(c, ROP_HOTPLUG_REMOVE, NIC_PLAIN), table[i].hotplug, "%s: hotplug remove", table[i].phase);
		is_str(path_of(c, ROP_HOTPLUG_UPDATE, NIC_PLAIN), table[i].hotplug, "%s: hotplug update", table[i].phase);
		is_str(path_of(c, ROP_VNET_BIND, NIC_PLAIN), table[i].bind, "%s: VNet bind", table[i].phase);
	}
}

static void test_defaults_and_overrides(void)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
	RolloutDecision rd;
	Diag d;

	ok(parse("", NULL, &c, &d) == 0, "an empty file parses");
	is_str(rollout_phase_name(c->phase), "full", "default phase: full");
	ok(c->phase_source == PHASE_FROM_DEFAULT, "phase source: default");
	ok(!c->fallback, "default: no fallback");
	is_str(c->legacy_net_up, "/usr/share/lxc/lxcnetaddbr", "default legacy net-up command");
	is_str(c->legacy_pct, "/usr/sbin/pct", "default legacy pct command");
	is_int(c->plugin_timeout_ms, 5000, "default plugin timeout: 5 s");
	ok(c->firewall == FIREWALL_LXCNET, "default: firewall lxcnet (no anti-spoofing while Proxmox's firewall is off)");
	ok(c->reconcile, "default: reconcile on");
	lxcnet_conf_free(c);
	c = NULL;
	ok(parse("lxcnet: node\n\treconcile off\n", NULL, &c, &d) == 0 && !c->reconcile, "reconcile off parses: %s", d.msg);
	lxcnet_conf_free(c);
	c = NULL;

	ok(parse("lxcnet: node\n\tfirewall always\n", NULL, &c, &d) == 0 && c->firewall == FIREWALL_ALWAYS,
	   "firewall always parses: %s", d.msg);
	lxcnet_conf_free(c);
	c = NULL;
	ok(parse("lxcnet: node\n\tfirewall proxmox\n", NULL, &c, &d) == 0 && c->firewall == FIREWALL_PROXMOX,
	   "firewall proxmox parses");
	lxcnet_conf_free(c);
	c = NULL;
	ok(parse("lxcnet: node\n\tfirewall lxcnet\n", NULL, &c, &d) == 0 && c->firewall == FIREWALL_LXCNET,
	   "firewall lxcnet parses");
	lxcnet_conf_free(c);
	c = NULL;
	ok(parse("lxcnet: node\n\tfirewall nftables\n", NULL, &c, &d) == -EINVAL &&
		   strstr(d.msg, "firewall: 'nftables' is not lxcnet, proxmox or always"),
	   "firewall nftables: refused by name (%s)", d.msg);
	lxcnet_conf_free(c);
	c = NULL;

	ok(parse("lxcnet: node\n\tphase basic\n\tfallback yes\n\tplugin-timeout 2\n\tlegacy-net-up /opt/addbr\n"
		 "\n"
		 "# comment\n"
		 "operation: hotplug-add\n\tpath lxcnet\n\tfallback off\n"
		 "\n"
		 "operation: net-up\n# comments stay in the section\n\tpath legacy\n",
		 NULL, &c, &d) == 0,
	   "a full file parses: %s", d.msg);
	is_int(c->plugin_timeout_ms, 2000, "plugin-timeout 2 is 2000 ms");
	ok(c->firewall == FIREWALL_LXCNET, "no firewall key: lxcnet");
	is_str(c->legacy_net_up, "/opt/addbr", "legacy-net-up set");
	ok(c->phase_source == PHASE_FROM_CONFIG, "phase source: config");
	rollout_decide(c, ROP_NET_UP, NIC_PLAIN, &rd);
	is_str(rollout_path_name(rd.path), "legacy", "operation: net-up path legacy wins over phase basic");
	ok(strstr(rd.reason, "operation: net-up") && strstr(rd.reason, "line 12"), "the reason names the override and its line: %s",
	   rd.reason);
	ok(!rd.fallback, "no fallback on a legacy path");
	rollout_decide(c, ROP_HOTPLUG_ADD, NIC_PLAIN, &rd);
	is_str(rollout_path_name(rd.path), "lxcnet", "operation: hotplug-add path lxcnet in phase basic");
	ok(!rd.fallback, "its fallback off overrides the global on");
	rollout_decide(c, ROP_HOTPLUG_REMOVE, NIC_PLAIN, &rd);
	is_str(rollout_path_name(rd.path), "legacy", "hotplug-remove follows the phase");
	ok(strstr(rd.reason, "phase basic delegates hotplug") && strstr(rd.reason, "from phase full"), "reason: %s", rd.reason);
	lxcnet_conf_free(c);
	c = NULL;

	ok(parse("lxcnet: node\n\tphase advanced\n\tfallback\n", NULL, &c, &d) == 0, "flag fallback parses");
	rollout_decide(c, ROP_NET_UP, NIC_ADVANCED, &rd);
	ok(rd.path == PATH_LXCNET && rd.fallback, "advanced NIC in phase advanced: lxcnet with fallback");
	ok(strstr(rd.reason, "phase advanced includes NICs with tag, trunks, rate or firewall"), "reason: %s", rd.reason);
	lxcnet_conf_free(c);
	c = NULL;

	ok(parse("lxcnet: node\n\tphase basic\n", "legacy", &c, &d) == 0, "LXCNET_PHASE applies");
	is_str(rollout_phase_name(c->phase), "legacy", "LXCNET_PHASE=legacy overrides phase basic");
	is_str(rollout_phase_name(c->config_phase), "basic", "the file's phase is kept apart");
	ok(c->phase_source == PHASE_FROM_ENVIRONMENT, "phase source: environment");
}

static void test_errors(void)
{
	static const struct {
		const char *text, *env, *msg;
	} bad[] = {
		{ "lxcnet: node\n\tphase fast\n", NULL,
		  "lxcnet.conf:2: node: phase: 'fast' is not a phase (legacy, observe, basic, advanced, sdn, full)" },
		{ "lxcnet: node\n\tfallback maybe\n", NULL, "lxcnet.conf:2: node: fallback: 'maybe' is not a boolean" },
		{ "lxcnet: node\n\tphase\n", NULL, "lxcnet.conf:2: node: phase: needs a value" },
		{ "lxcnet: node\n\tlegacy-net-up lxcnetaddbr\n", NULL, "legacy-net-up: 'lxcnetaddbr' is not an absolute path" },
		{ "lxcnet: node\n\tplugin-timeout 0\n", NULL, "plugin-timeout: '0' is not a number of seconds (1..3600)" },
		{ "lxcnet: node\n\tfirewall strict\n", NULL, "lxcnet.conf:2: node: firewall: 'strict' is not lxcnet, proxmox or always" },
		{ "lxcnet: node\n\tfirewall\n", NULL, "lxcnet.conf:2: node: firewall: needs a value" },
		{ "lxcnet: node\n\treconcile sometimes\n", NULL,
		  "lxcnet.conf:2: node: reconcile: 'sometimes' is not a boolean (1/0, on/off, yes/no, true/false)" },
		{ "lxcnet: node\n\tphaze full\n", NULL, "lxcnet.conf:2: node: phaze: unknown key" },
		{ "lxcnet: a\n\tphase full\n\nlxcnet: b\n\tphase basic\n", NULL, "lxcnet.conf:4: b: a second 'lxcnet' section" },
		{ "operation: hotplug\n\tpath legacy\n", NULL, "lxcnet.conf:1: hotplug: not an operation" },
		{ "operation: net-up\n\tpath pve\n", NULL, "net-up: path: 'pve' is not a path (lxcnet, legacy, observe)" },
		{ "operation: net-up\n\twhen never\n", NULL, "net-up: when: unknown key (path, fallback)" },
		{ "storage: a\n\tphase full\n", NULL, "lxcnet.conf:1: a: 'storage' is not a section type" },
		{ "", "fast", "LXCNET_PHASE: 'fast' is not a phase" },
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL;
		Diag d;

		ok(parse(bad[i].text, bad[i].env, &c, &d) == -EINVAL && !c && strstr(d.msg, bad[i].msg), "refused: %s", d.msg);
	}
}

static void edit_is(const char *text, const char *key, const char *value, const char *expected, const char *what)
{
	_cleanup_free_ char *out = NULL;

	ok(lxcnet_conf_edit(text, "lxcnet", "node", key, value, &out) == 0, "%s: edits", what);
	is_str(out, expected, "%s", what);
}

static void test_edit(void)
{
	edit_is("", "phase", "basic", "lxcnet: node\n\tphase basic\n", "empty file: a section is made");
	edit_is("# mine\n", "phase", "basic", "# mine\n\nlxcnet: node\n\tphase basic\n", "comment kept, section appended");
	edit_is("operation: net-up\n\tpath legacy", "fallback", "on", "operation: net-up\n\tpath legacy\n\nlxcnet: node\n\tfallback on\n",
		"no final newline");
	edit_is("lxcnet: node\n\tphase full\n\tfallback off\n", "phase", "sdn", "lxcnet: node\n\tphase sdn\n\tfallback off\n",
		"the value is replaced in place");
	edit_is("lxcnet: node\n#\tphase basic\n\tfallback off\n\noperation: net-up\n\tphase x\n", "phase", "sdn",
		"lxcnet: node\n\tphase sdn\n#\tphase basic\n\tfallback off\n\noperation: net-up\n\tphase x\n",
		"commented key and other sections untouched, key added after the header");
	edit_is("lxcnet: node", "phase", "basic", "lxcnet: node\n\tphase basic\n", "header without newline");
	edit_is("lxcnet: node\n\tphases x\n", "phase", "basic", "lxcnet: node\n\tphase basic\n\tphases x\n",
		"a longer key of the same prefix is another key");
}

/* The shipped example documents the defaults: it must parse to exactly them. */
static void test_example(void)
{
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL, *def = NULL;
	_cleanup_free_ char *text = NULL;
	const char *srcdir = getenv("LXCNET_SRCDIR");
	_cleanup_free_ char *path = NULL;
	size_t size;
	Diag d = {};

	if (asprintf(&path, "%s/contrib/lxcnet.conf.example", srcdir ? srcdir : ".") < 0)
		abort();
	ok(read_full_file(path, 1 << 20, &text, &size) == 0, "read %s", path);
	if (!text)
		return;
	ok(lxcnet_conf_parse("lxcnet.conf.example", text, size, NULL, &c, &d) == 0, "the example parses: %s", d.msg);
	ok(parse("", NULL, &def, &d) == 0, "defaults");
	if (!c || !def)
		return;
	ok(c->phase == def->phase && c->fallback == def->fallback && c->plugin_timeout_ms == def->plugin_timeout_ms &&
		   strcmp(c->legacy_net_up, def->legacy_net_up) == 0 && strcmp(c->legacy_pct, def->legacy_pct) == 0 &&
		   c->firewall == def->firewall,
	   "the example's values are the defaults");
	for (int i = 0; i < _ROP_MAX; i++)
		ok(c->ops[i].path == -1 && c->ops[i].fallback == -1, "the example overrides nothing for %s", rollout_op_name(i));
}

int main(void)
{
	test_phases();
	test_defaults_and_overrides();
	test_errors();
	test_edit();
	test_example();
	return tap_done();
}
