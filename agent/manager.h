/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lxcnetd's one Manager: event loop, bus, rtnetlink tracking and the
 * binding registry (which container interface is plugged where).
 * Single-threaded on sd-event.
 */

#include <net/if.h>
#include <netlink/cache.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "datapath.h"
#include "macro.h"

#define LXCNETD_NOTIFY_SOCKET "/run/lxcnet/notify"
#define LXCNETD_STATE_DIR "/var/lib/lxcnet"

typedef struct Binding {
	char container[64];
	unsigned net; /* N of netN */
	char ifname[IFNAMSIZ];
	int ifindex;
	char bridge[IFNAMSIZ]; /* current master, "" when unplugged */
	char vnet[16];	       /* as the hook reported it, "" when none */
	bool up;
	uint64_t since; /* CLOCK_REALTIME, µs */
} Binding;

typedef struct Manager {
	sd_event *event;
	sd_bus *bus;
	struct nl_sock *nl;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	int notify_fd;
	Datapath *dp; /* NULL until something is pinned */
	Binding *bindings;
	size_t n_bindings;
	char *state_file;
	const char *notify_path;
	const char *pve_dir;
	unsigned rebuild_found, rebuild_dropped;
	const char *version; /* the Version property */
	bool announce;	     /* emit signals: not while rebuilding at start (nothing changed then) */
} Manager;

int manager_new(const char *state_dir, const char *notify_path, Manager **ret);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager, manager_free);

/* Rebuild the registry from the saved state, the kernel's links and the pins; then follow rtnetlink. */
int manager_start(Manager *m);

Binding *manager_find(Manager *m, const char *container, unsigned net);
size_t manager_count_container(Manager *m, const char *container);

/* A hook (or a D-Bus client) reports a plug: note the VNet, refresh from the kernel. */
int manager_notify(Manager *m, const char *container, unsigned net, const char *vnet);

/* Re-read the kernel's view of every binding and save. */
int manager_reload(Manager *m);

int manager_save(Manager *m);

/* "veth<ct>i<N>" -> ct and N; -EINVAL if the name is not of that form. */
int manager_parse_ifname(const char *ifname, char *ret_container, size_t size, unsigned *ret_net);

/* Bus side (manager-bus.c). */
int manager_bus_setup(Manager *m);
void manager_bus_emit(Manager *m, const char *signal, const Binding *b);
void manager_bus_emit_container(Manager *m, const char *signal, const char *container);
