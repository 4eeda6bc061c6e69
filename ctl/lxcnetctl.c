/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "lxc-hook.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: lxcnetctl [--pve-dir DIR] [--conf-dir DIR] COMMAND [ARGS] [--json]\n"
		"\n"
		"Container networking for Proxmox VE and LXC hosts.\n"
		"\n"
		"Offline commands (read the configuration files, no agent needed):\n"
		"  config show CT [--json]  The container's NICs (netN lines), normalized\n"
		"  config check CT          Validate them: exit 0 if valid, else 1 with the error\n"
		"  sdn show [--json]        SDN zones and VNets, and where lxcnet plugs each VNet\n"
		"  lxc-config CT [--start-host]\n"
		"                           The lxc.net.N.* lines LXC needs for this container,\n"
		"                           each NIC with lxcnet-netup as its script.up; with\n"
		"                           --start-host, lxcnet-netup as lxc.hook.start-host\n"
		"                           plugs all NICs in one run (faster start)\n"
		"  config example           A commented lxcnet.conf with every key at its default\n"
		"  legacy test [--json]     Check that the legacy commands of lxcnet.conf exist and\n"
		"                           are executable: exit 0 if so, else 1\n"
		"  storage check [ID...]    Check storage.cfg's nfs, cifs and iscsi entries as a\n"
		"                           storage network needs them, and show their endpoints:\n"
		"                           exit 0 if all are valid, else 1 with the named errors\n"
		"\n"
		"Agent commands (lxcnetd on the system bus; $DBUS_SYSTEM_BUS_ADDRESS honoured):\n"
		"  status [--json]          Whether lxcnetd runs, its version, bound interfaces\n"
		"  bindings [--json]        Every bound container interface\n"
		"  binding CT NET [--json]  One of them, and who enforces its Proxmox guest\n"
		"                           firewall (NET: net0..net31)\n"
		"  containers [--json]      Containers with bound interfaces\n"
		"  stats CT NET [--json]    Datapath counters of an interface, drops by reason, firewall rules\n"
		"  vnets [--json]           SDN VNets, where each plugs on this node, bindings\n"
		"  bind CT NET VNET         Plug a running container's NIC into VNET, live, and\n"
		"                           write bridge=VNET to its netN line (root)\n"
		"  unbind CT NET            Pull the plug of a NIC bound to a VNet, live, and\n"
		"                           write link_down=1 to its netN line (root)\n"
		"  hotplug add CT NET SPEC [--wait]\n"
		"  hotplug update CT NET SPEC [--wait]\n"
		"  hotplug remove CT NET [--wait]\n"
		"                           Add, change or remove netN of a running container,\n"
		"                           live, then write its netN line (root). SPEC is a\n"
		"                           Proxmox netN string: name=eth1,bridge=vmbr0,tag=5.\n"
		"                           Prints the operation; --wait waits for its end and\n"
		"                           exits 1 if it failed\n"
		"  operations [--json]      Hotplug operations, queued, running and recent\n"
		"  reload                   Re-read lxcnet.conf and the kernel's view (root)\n"
		"  check [CT] [--json]      Every port of running containers (of CT) that differs\n"
		"                           from its netN line and the phase, and how; nothing is\n"
		"                           changed; exit 1 if any differs\n"
		"  reconcile [CT] [--json]  Put them right now, as lxcnetd does by itself (root);\n"
		"                           exit 1 if one could not be\n"
		"  phase show [--json]      The rollout phase, who performs each operation and\n"
		"                           why, and how each path did so far\n"
		"  phase set PHASE          legacy, observe, basic, advanced, sdn or full; written\n"
		"                           to lxcnet.conf (root)\n"
		"  fallback on|off          Whether a failed lxcnet operation is retried through\n"
		"                           the legacy command; written to lxcnet.conf (root)\n"
		"  plugins [--json]         Event plugins in CONF-DIR/hooks.d and the built-ins:\n"
		"                           state, runs, failures, timeouts, vetoes, durations\n"
		"  plugins history [--json] Their latest runs, oldest first\n"
		"  storage list [--json]    Storage networks: interface, VLAN, state, storages\n"
		"  storage status ID        A storage network's endpoints, whether each storage is\n"
		"                           mounted and reachable (2 s TCP probe), its counters and\n"
		"                           drops by reason\n"
		"  storage configure ID --interface IF [--vlan N] [--storages ID,...] [--rate MIB]\n"
		"                    [--allow tcp/PORT|udp/PORT|ADDRESS,...]\n"
		"                           Put a storage network in force on IF and write it to\n"
		"                           lxcnet.conf (root); again with other values: changed\n"
		"  storage remove ID        Take it off its interface, which is left exactly as\n"
		"                           before, and out of lxcnet.conf (root)\n"
		"  metrics [--prometheus|--json]\n"
		"                           Every counter of the agent and the datapath;\n"
		"                           --prometheus in the Prometheus text format\n"
		"\n"
		"CT is a Proxmox VMID (netN lines in PVE-DIR/lxc/VMID.conf) or the name of a\n"
		"plain LXC container (netN lines in CONF-DIR/lxc/NAME.conf).\n"
		"\n"
		"Options:\n"
		"  --pve-dir DIR   Proxmox configuration directory (default: $LXCNET_PVE_DIR,\n"
		"                  else %s)\n"
		"  --conf-dir DIR  lxcnet configuration directory (default: $LXCNET_CONF_DIR,\n"
		"                  else %s)\n"
		"  --json          Machine-readable output\n"
		"  --prometheus    metrics: the Prometheus text format (node_exporter textfile)\n"
		"  --interface, --vlan, --storages, --rate, --allow\n"
		"                  storage configure: the storage network's settings\n"
		"  -h, --help      Show this help\n"
		"  --version       Show the version\n"
		"\n"
		"Exit status: 0 success; 1 invalid configuration, failed operation or\n"
		"agent not reachable; 2 bad command line.\n",
		LXCNET_PVE_DIR_DEFAULT, LXCNET_CONF_DIR_DEFAULT);
}

/* Verbs whose arguments are not simply passed on. */
static int run_unbind(const CtlOptions *o, const char *ct, const char *net)
{
	return ctl_bind(o, ct, net, NULL);
}
static int run_hotplug_add(const CtlOptions *o, const char *ct, const char *net, const char *spec)
{
	return ctl_hotplug(o, "add", ct, net, spec);
}
static int run_hotplug_update(const CtlOptions *o, const char *ct, const char *net, const char *spec)
{
	return ctl_hotplug(o, "update", ct, net, spec);
}
static int run_hotplug_remove(const CtlOptions *o, const char *ct, const char *net)
{
	return ctl_hotplug(o, "remove", ct, net, NULL);
}
static int run_check(const CtlOptions *o, const char *ct)
{
	return ctl_ports(o, ct, false);
}
static int run_reconcile(const CtlOptions *o, const char *ct)
{
	return ctl_ports(o, ct, true);
}
static int run_plugins(const CtlOptions *o)
{
	return ctl_plugins(o, false);
}
static int run_plugins_history(const CtlOptions *o)
{
	return ctl_plugins(o, true);
}

/*
 * One command: its words, how many arguments follow them (max -1: any
 * number), and the function, which gets them as its parameters (missing
 * optional ones NULL) or, for run_argv, as a NULL-terminated array.
 */
typedef struct CtlVerb {
	const char *verb, *sub;
	int min, max;
	int (*run0)(const CtlOptions *o);
	int (*run1)(const CtlOptions *o, const char *a);
	int (*run2)(const CtlOptions *o, const char *a, const char *b);
	int (*run3)(const CtlOptions *o, const char *a, const char *b, const char *c);
	int (*run_argv)(const CtlOptions *o, char **args);
} CtlVerb;

static const CtlVerb verbs[] = {
	/* Offline. */
	{ "config", "show", 1, 1, .run1 = ctl_config_show },
	{ "config", "check", 1, 1, .run1 = ctl_config_check },
	{ "config", "example", 0, 0, .run0 = ctl_config_example },
	{ "sdn", "show", 0, 0, .run0 = ctl_sdn_show },
	{ "lxc-config", NULL, 1, 1, .run1 = ctl_lxc_config },
	{ "legacy", "test", 0, 0, .run0 = ctl_legacy_test },
	{ "storage", "check", 0, -1, .run_argv = ctl_storage_check },
	/* The agent. */
	{ "status", NULL, 0, 0, .run0 = ctl_status },
	{ "bindings", NULL, 0, 0, .run0 = ctl_bindings },
	{ "binding", NULL, 2, 2, .run2 = ctl_binding },
	{ "containers", NULL, 0, 0, .run0 = ctl_containers },
	{ "stats", NULL, 2, 2, .run2 = ctl_stats },
	{ "vnets", NULL, 0, 0, .run0 = ctl_vnets },
	{ "bind", NULL, 3, 3, .run3 = ctl_bind },
	{ "unbind", NULL, 2, 2, .run2 = run_unbind },
	{ "hotplug", "add", 3, 3, .run3 = run_hotplug_add },
	{ "hotplug", "update", 3, 3, .run3 = run_hotplug_update },
	{ "hotplug", "remove", 2, 2, .run2 = run_hotplug_remove },
	{ "operations", NULL, 0, 0, .run0 = ctl_operations },
	{ "reload", NULL, 0, 0, .run0 = ctl_reload },
	{ "check", NULL, 0, 1, .run1 = run_check },
	{ "reconcile", NULL, 0, 1, .run1 = run_reconcile },
	{ "phase", "show", 0, 0, .run0 = ctl_phase_show },
	{ "phase", "set", 1, 1, .run1 = ctl_phase_set },
	{ "fallback", NULL, 1, 1, .run1 = ctl_fallback },
	{ "plugins", NULL, 0, 0, .run0 = run_plugins },
	{ "plugins", "history", 0, 0, .run0 = run_plugins_history },
	{ "storage", "list", 0, 0, .run0 = ctl_storage_list },
	{ "storage", "status", 1, 1, .run1 = ctl_storage_status },
	{ "storage", "configure", 1, 1, .run1 = ctl_storage_configure },
	{ "storage", "remove", 1, 1, .run1 = ctl_storage_remove },
	{ "metrics", NULL, 0, 0, .run0 = ctl_metrics },
};

/* The command for these words; nwords: how many follow verb on the command line. */
static const CtlVerb *find_verb(const char *verb, const char *sub, int nwords)
{
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		const CtlVerb *v = &verbs[i];
		int n = nwords - (v->sub ? 1 : 0);

		if (strcmp(v->verb, verb) != 0 || (v->sub && (!sub || strcmp(v->sub, sub) != 0)))
			continue;
		if (n >= v->min && (v->max < 0 || n <= v->max))
			return v;
	}
	return NULL;
}

/* args: NULL-terminated (argv is), so a missing optional argument reads as NULL. */
static int run_verb(const CtlVerb *v, const CtlOptions *o, char **args)
{
	if (v->run0)
		return v->run0(o);
	if (v->run1)
		return v->run1(o, args[0]);
	if (v->run2)
		return v->run2(o, args[0], args[1]);
	if (v->run3)
		return v->run3(o, args[0], args[1], args[2]);
	return v->run_argv(o, args);
}

int main(int argc, char **argv)
{
	enum {
		OPT_PVE_DIR = 0x100,
		OPT_CONF_DIR,
		OPT_VERSION,
		OPT_JSON,
		OPT_WAIT,
		OPT_PROMETHEUS,
		OPT_INTERFACE,
		OPT_VLAN,
		OPT_STORAGES,
		OPT_RATE,
		OPT_ALLOW,
		OPT_START_HOST,
	};
	static const struct option options[] = {
		{ "pve-dir", required_argument, NULL, OPT_PVE_DIR },
		{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ "interface", required_argument, NULL, OPT_INTERFACE },
		{ "vlan", required_argument, NULL, OPT_VLAN },
		{ "storages", required_argument, NULL, OPT_STORAGES },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "start-host", no_argument, NULL, OPT_START_HOST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	CtlOptions o = {
		.pve_dir = lxc_hook_pve_dir(),
		.conf_dir = lxc_hook_conf_dir(),
		.netup_path = LXCNET_HOOKS_DIR "/lxcnet-netup",
	};
	const char *verb, *sub;
	int c, nargs;

	/* "+" would stop at the verb; we want --json accepted after it too. */
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case OPT_PVE_DIR:
			if (!*optarg) {
				fprintf(stderr, "lxcnetctl: --pve-dir needs a directory\n");
				return CTL_EXIT_USAGE;
			}
			o.pve_dir = optarg;
			break;
		case OPT_CONF_DIR:
			if (!*optarg) {
				fprintf(stderr, "lxcnetctl: --conf-dir needs a directory\n");
				return CTL_EXIT_USAGE;
			}
			o.conf_dir = optarg;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_WAIT:
			o.wait = 1;
			break;
		case OPT_PROMETHEUS:
			o.prometheus = 1;
			break;
		case OPT_INTERFACE:
			o.storage_interface = optarg;
			break;
		case OPT_VLAN:
			o.storage_vlan = optarg;
			break;
		case OPT_STORAGES:
			o.storage_storages = optarg;
			break;
		case OPT_RATE:
			o.storage_rate = optarg;
			break;
		case OPT_ALLOW:
			o.storage_allow = optarg;
			break;
		case OPT_START_HOST:
			o.start_host = 1;
			break;
		case 'h':
			help(stdout);
			return CTL_EXIT_OK;
		case OPT_VERSION:
			printf("lxcnetctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			fprintf(stderr, "Try 'lxcnetctl --help'.\n");
			return CTL_EXIT_USAGE;
		}
	}

	nargs = argc - optind;
	verb = nargs > 0 ? argv[optind] : NULL;
	sub = nargs > 1 ? argv[optind + 1] : NULL;
	if (verb) {
		const CtlVerb *v = find_verb(verb, sub, nargs - 1);

		if (v)
			return run_verb(v, &o, argv + optind + 1 + (v->sub ? 1 : 0));
	}

	if (!verb)
		fprintf(stderr, "lxcnetctl: missing command\n");
	else
		fprintf(stderr, "lxcnetctl: unknown command or wrong arguments: '%s%s%s'\n", verb, sub ? " " : "",
			sub ?: "");
	fprintf(stderr, "Try 'lxcnetctl --help'.\n");
	return CTL_EXIT_USAGE;
}
