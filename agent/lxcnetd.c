/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetd: the lxcnet agent on the system bus (org.lxcnet1). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "lxc-hook.h"
#include "bus.h"
#include "spawn-cmd.h"

static const LogContext lctx = { .identifier = "lxcnetd" };

static void help(void)
{
	printf("Usage: lxcnetd [OPTIONS]\n"
	       "\n"
	       "The lxcnet agent: keeps the registry of which container interface is\n"
	       "bound where (rebuilt at start from the kernel, the pinned datapath and\n"
	       "its state file), follows rtnetlink, and serves " LXCNET_BUS_NAME " on the\n"
	       "system bus ($DBUS_SYSTEM_BUS_ADDRESS is honoured).\n"
	       "\n"
	       "Options:\n"
	       "  --bus-address ADDR    Use this D-Bus address instead of the system bus\n"
	       "  --state-dir DIR       Where bindings are kept (default %s)\n"
	       "  --notify-socket PATH  Where hooks notify (default %s)\n"
	       "  --pve-dir DIR         Proxmox configuration directory (default $LXCNET_PVE_DIR,\n"
	       "                        else %s)\n"
	       "  --conf-dir DIR        lxcnet configuration directory, for plain LXC containers\n"
	       "                        (default $LXCNET_CONF_DIR, else %s)\n"
	       "  --lxc-path DIR        LXC's lxcpath, where hotplug finds running containers\n"
	       "                        (default $LXCNET_LXC_PATH, else LXC's own default)\n"
	       "  --log-level LEVEL     debug, info, notice, warning or err (default\n"
	       "                        $LXCNET_LOG_LEVEL, else info)\n"
	       "  -h, --help            Show this help\n"
	       "  --version             Show the version\n"
	       "\n"
	       "SIGHUP reloads (as the Reload method does); SIGTERM and SIGINT stop.\n"
	       "Messages go to the journal; also to stderr unless started by systemd.\n",
	       LXCNETD_STATE_DIR, LXCNET_NOTIFY_SOCKET_DEFAULT, LXCNET_PVE_DIR_DEFAULT, LXCNET_CONF_DIR_DEFAULT);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	(void)si;
	Diag d = {};

	log_ctx(&lctx, LOG_INFO, "Reloading on SIGHUP");
	if (manager_reload_all(userdata, &d) == -EINVAL)
		log_ctx(&lctx, LOG_ERR, "Keeping the previous settings: %s", d.msg);
	return 0;
}

/* The command line; -1 to go on, else the exit status. */
typedef struct Args {
	const char *bus_address, *state_dir, *notify, *pve_dir, *conf_dir, *lxc_path;
} Args;

static int parse_args(int argc, char **argv, Args *a)
{
	enum { OPT_BUS = 0x100, OPT_STATE, OPT_NOTIFY, OPT_PVE_DIR, OPT_CONF_DIR, OPT_LXC_PATH, OPT_LOG_LEVEL, OPT_VERSION };
	static const struct option options[] = {
		{ "bus-address", required_argument, NULL, OPT_BUS },
		{ "state-dir", required_argument, NULL, OPT_STATE },
		{ "notify-socket", required_argument, NULL, OPT_NOTIFY },
		{ "pve-dir", required_argument, NULL, OPT_PVE_DIR },
		{ "conf-dir", required_argument, NULL, OPT_CONF_DIR },
		{ "lxc-path", required_argument, NULL, OPT_LXC_PATH },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{},
	};
	const char *lxc_path = getenv("LXCNET_LXC_PATH");
	int c;

	*a = (Args){
		.state_dir = LXCNETD_STATE_DIR,
		.notify = LXCNET_NOTIFY_SOCKET_DEFAULT,
		.pve_dir = lxc_hook_pve_dir(),
		.conf_dir = lxc_hook_conf_dir(),
		.lxc_path = lxc_path && *lxc_path ? lxc_path : NULL,
	};
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case OPT_BUS:
			a->bus_address = optarg;
			break;
		case OPT_STATE:
			a->state_dir = optarg;
			break;
		case OPT_NOTIFY:
			/* A datagram socket's path: absolute, and it must fit sun_path. */
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
				fprintf(stderr, "lxcnetd: --notify-socket: '%s' is not an absolute path of at most %zu bytes\n",
					optarg, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
				return 2;
			}
			a->notify = optarg;
			break;
		case OPT_PVE_DIR:
			a->pve_dir = optarg;
			break;
		case OPT_CONF_DIR:
			a->conf_dir = optarg;
			break;
		case OPT_LXC_PATH:
			a->lxc_path = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_from_string(optarg) < 0) {
				fprintf(stderr, "lxcnetd: --log-level: '%s' is not one of debug, info, notice, warning, err\n",
					optarg);
				return 2;
			}
			log_set_max_level(log_level_from_string(optarg));
			break;
		case 'h':
			help();
			return 0;
		case OPT_VERSION:
			printf("lxcnetd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'lxcnetd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lxcnetd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* SIGTERM and SIGINT end the loop, SIGHUP reloads; a plugin that exits without reading its stdin must not kill the agent. */
static int handle_signals(Manager *m)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL) < 0 ||
	    sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL) < 0 ||
	    sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m) < 0)
		return -EIO;
	return 0;
}

static int bus_connect(const char *address, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	if (!address)
		return sd_bus_open_system(ret);
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, true);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0) {
		sd_bus_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(manager_freep) Manager *m = NULL;
	/* Closed before the manager is freed (and after manager_stop(): the last events still go out). */
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	Args a;
	int r;

	r = parse_args(argc, argv, &a);
	if (r >= 0)
		return r;
	/* Under systemd stdout/stderr go to the journal already: no second copy there. */
	if (!getenv("JOURNAL_STREAM"))
		log_set_stderr_level(LOG_DEBUG);
	r = manager_new(a.state_dir, a.notify, &m);
	if (r < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot set up: %s", strerror(-r));
		return 1;
	}
	m->version = PACKAGE_VERSION;
	m->pve_dir = a.pve_dir;
	m->conf_dir = a.conf_dir;
	m->lxc_path = a.lxc_path;
	if (handle_signals(m) < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot handle signals");
		return 1;
	}
	(void)sd_event_set_watchdog(m->event, true);
	r = bus_connect(a.bus_address, &bus);
	if (r < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot connect to the bus: %s", strerror(-r));
		return 1;
	}
	/* Under systemd the agent's sandbox is no place for pct or a plugin: each runs as its own transient service. */
	if (spawn_under_systemd()) {
		if (access(SYSTEMD_RUN, X_OK) == 0) {
			spawn_use_systemd(SYSTEMD_RUN);
			log_ctx(&lctx, LOG_INFO, "Running plugins and legacy commands as transient services (%s)", SYSTEMD_RUN);
		} else
			log_ctx(&lctx, LOG_WARNING, "%s is missing: plugins and legacy commands run inside lxcnetd's sandbox",
				SYSTEMD_RUN);
	}
	r = manager_start(m);
	if (r < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot start: %s", strerror(-r));
		return 1;
	}
	r = bus_setup(m, bus);
	if (r < 0) {
		log_ctx(&lctx, LOG_ERR, "Cannot register " LXCNET_BUS_NAME " on the bus: %s", strerror(-r));
		return 1;
	}
	(void)sd_notify(false, "READY=1");
	manager_status(m);
	r = sd_event_loop(m->event);
	(void)sd_notify(false, "STOPPING=1");
	manager_stop(m);
	return r < 0 ? 1 : 0;
}
