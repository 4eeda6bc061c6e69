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
		"  stats CT NET [--json]    Datapath counters of an interface, drops by reason\n"
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

	if (verb && strcmp(verb, "config") == 0 && nargs == 3 && strcmp(sub, "show") == 0)
		return ctl_config_show(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "config") == 0 && nargs == 3 && strcmp(sub, "check") == 0)
		return ctl_config_check(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "sdn") == 0 && nargs == 2 && strcmp(sub, "show") == 0)
		return ctl_sdn_show(&o);
	if (verb && strcmp(verb, "lxc-config") == 0 && nargs == 2)
		return ctl_lxc_config(&o, sub);
	if (verb && strcmp(verb, "status") == 0 && nargs == 1)
		return ctl_status(&o);
	if (verb && strcmp(verb, "bindings") == 0 && nargs == 1)
		return ctl_bindings(&o);
	if (verb && strcmp(verb, "binding") == 0 && nargs == 3)
		return ctl_binding(&o, sub, argv[optind + 2]);
	if (verb && strcmp(verb, "containers") == 0 && nargs == 1)
		return ctl_containers(&o);
	if (verb && strcmp(verb, "stats") == 0 && nargs == 3)
		return ctl_stats(&o, sub, argv[optind + 2]);
	if (verb && strcmp(verb, "vnets") == 0 && nargs == 1)
		return ctl_vnets(&o);
	if (verb && strcmp(verb, "bind") == 0 && nargs == 4)
		return ctl_bind(&o, sub, argv[optind + 2], argv[optind + 3]);
	if (verb && strcmp(verb, "unbind") == 0 && nargs == 3)
		return ctl_bind(&o, sub, argv[optind + 2], NULL);
	if (verb && strcmp(verb, "hotplug") == 0 && sub &&
	    ((strcmp(sub, "remove") == 0 && nargs == 4) || ((strcmp(sub, "add") == 0 || strcmp(sub, "update") == 0) && nargs == 5)))
		return ctl_hotplug(&o, sub, argv[optind + 2], argv[optind + 3], nargs == 5 ? argv[optind + 4] : NULL);
	if (verb && strcmp(verb, "operations") == 0 && nargs == 1)
		return ctl_operations(&o);
	if (verb && strcmp(verb, "reload") == 0 && nargs == 1)
		return ctl_reload(&o);
	if (verb && (strcmp(verb, "check") == 0 || strcmp(verb, "reconcile") == 0) && nargs <= 2)
		return ctl_ports(&o, sub, strcmp(verb, "reconcile") == 0);
	if (verb && strcmp(verb, "config") == 0 && nargs == 2 && strcmp(sub, "example") == 0)
		return ctl_config_example(&o);
	if (verb && strcmp(verb, "legacy") == 0 && nargs == 2 && strcmp(sub, "test") == 0)
		return ctl_legacy_test(&o);
	if (verb && strcmp(verb, "phase") == 0 && nargs == 2 && strcmp(sub, "show") == 0)
		return ctl_phase_show(&o);
	if (verb && strcmp(verb, "phase") == 0 && nargs == 3 && strcmp(sub, "set") == 0)
		return ctl_phase_set(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "fallback") == 0 && nargs == 2)
		return ctl_fallback(&o, sub);
	if (verb && strcmp(verb, "plugins") == 0 && (nargs == 1 || (nargs == 2 && strcmp(sub, "history") == 0)))
		return ctl_plugins(&o, nargs == 2);
	if (verb && strcmp(verb, "storage") == 0 && nargs == 2 && strcmp(sub, "list") == 0)
		return ctl_storage_list(&o);
	if (verb && strcmp(verb, "storage") == 0 && nargs == 3 && strcmp(sub, "status") == 0)
		return ctl_storage_status(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "storage") == 0 && nargs == 3 && strcmp(sub, "configure") == 0)
		return ctl_storage_configure(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "storage") == 0 && nargs == 3 && strcmp(sub, "remove") == 0)
		return ctl_storage_remove(&o, argv[optind + 2]);
	if (verb && strcmp(verb, "storage") == 0 && nargs >= 2 && strcmp(sub, "check") == 0)
		return ctl_storage_check(&o, argv + optind + 2);
	if (verb && strcmp(verb, "metrics") == 0 && nargs == 1)
		return ctl_metrics(&o);

	if (!verb)
		fprintf(stderr, "lxcnetctl: missing command\n");
	else
		fprintf(stderr, "lxcnetctl: unknown command or wrong arguments: '%s%s%s'\n", verb, sub ? " " : "",
			sub ?: "");
	fprintf(stderr, "Try 'lxcnetctl --help'.\n");
	return CTL_EXIT_USAGE;
}
