/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "netlink-link.h"
#include "shaper.h"
#include "strutil.h"

static const LogContext lctx = { .identifier = "lxcnetd" };

static uint64_t clock_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int manager_parse_ifname(const char *ifname, char *ret_container, size_t size, unsigned *ret_net)
{
	const char *i = strrchr(ifname, 'i');
	uint64_t n;
	size_t clen;

	if (strncmp(ifname, "veth", 4) != 0 || !i || i <= ifname + 4)
		return -EINVAL;
	if ((i[1] == '0' && i[2]) || parse_uint_range(i + 1, 0, 31, &n) < 0)
		return -EINVAL;
	clen = (size_t)(i - ifname - 4);
	if (clen >= size)
		return -EINVAL;
	memcpy(ret_container, ifname + 4, clen);
	ret_container[clen] = '\0';
	*ret_net = (unsigned)n;
	return 0;
}

Binding *manager_find(Manager *m, const char *container, unsigned net)
{
	for (size_t i = 0; i < m->n_bindings; i++)
		if (m->bindings[i].net == net && strcmp(m->bindings[i].container, container) == 0)
			return &m->bindings[i];
	return NULL;
}

static Binding *find_ifindex(Manager *m, int ifindex)
{
	for (size_t i = 0; i < m->n_bindings; i++)
		if (m->bindings[i].ifindex == ifindex)
			return &m->bindings[i];
	return NULL;
}

size_t manager_count_container(Manager *m, const char *container)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_bindings; i++)
		n += strcmp(m->bindings[i].container, container) == 0;
	return n;
}

static void datapath_try(Manager *m)
{
	Diag d;

	if (!m->dp)
		(void)datapath_open(false, &m->dp, &d);
}

/*
 * Fill b from a link; false when the link is not a container's host veth.
 * A message without the link kind (not every RTM_NEWLINK carries it) keeps
 * an existing binding's identity.
 */
static bool binding_from_link(Manager *m, struct rtnl_link *l, Binding *b)
{
	const char *name = rtnl_link_get_name(l), *type = rtnl_link_get_type(l);
	int master = rtnl_link_get_master(l);

	if (!name || (type && strcmp(type, "veth") != 0))
		return false;
	if (!type && !find_ifindex(m, rtnl_link_get_ifindex(l)))
		return false;
	if (manager_parse_ifname(name, b->container, sizeof(b->container), &b->net) < 0)
		return false;
	snprintf(b->ifname, sizeof(b->ifname), "%s", name);
	b->ifindex = rtnl_link_get_ifindex(l);
	b->up = rtnl_link_get_flags(l) & IFF_UP;
	b->bridge[0] = '\0';
	if (master > 0 && !rtnl_link_i2name(m->links, master, b->bridge, sizeof(b->bridge)))
		b->bridge[0] = '\0';
	return true;
}

static void remove_binding(Manager *m, Binding *b)
{
	Binding gone = *b;
	size_t idx = (size_t)(b - m->bindings);

	memmove(b, b + 1, (m->n_bindings - idx - 1) * sizeof(*b));
	m->n_bindings--;
	/* The port is gone: its datapath entry and shaper must not outlive it. */
	datapath_try(m);
	if (m->dp)
		(void)datapath_port_clear(m->dp, gone.ifindex);
	(void)shaper_clear(m->nl, gone.ifindex);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = gone.container, .ifname = gone.ifname }, LOG_INFO,
		"Interface '%s' of container '%s' is gone, binding ended", gone.ifname, gone.container);
	if (gone.vnet[0])
		manager_bus_emit(m, "VNetUnbound", &gone);
	manager_bus_emit(m, "BindingChanged", &gone);
	/* Counting is O(bindings): only when the signal goes out (not while rebuilding). */
	if (m->announce && manager_count_container(m, gone.container) == 0)
		manager_bus_emit_container(m, "ContainerStopped", gone.container);
}

/*
 * A link appeared or changed: add or update its binding. True when a binding
 * was added or removed, i.e. when what is saved (container, net, VNet, since)
 * changed; bridge and link state are the kernel's and are not saved.
 */
static bool link_changed(Manager *m, struct rtnl_link *l)
{
	Binding nb = {}, *b;

	if (!binding_from_link(m, l, &nb)) {
		/* A renamed or retyped link that was a binding is one no more. */
		b = find_ifindex(m, rtnl_link_get_ifindex(l));
		if (!b)
			return false;
		remove_binding(m, b);
		return true;
	}
	b = manager_find(m, nb.container, nb.net);
	if (b && b->ifindex != nb.ifindex) {
		/* The same netN with a new interface: a restart we missed the end of. */
		strcpy(nb.vnet, b->vnet);
		remove_binding(m, b);
		b = NULL;
	}
	if (!b) {
		bool first = m->announce && manager_count_container(m, nb.container) == 0;

		b = array_grow(&m->bindings, m->n_bindings, sizeof(*b));
		if (!b)
			return false;
		m->n_bindings++;
		*b = nb;
		b->since = clock_usec(CLOCK_REALTIME);
		if (first)
			manager_bus_emit_container(m, "ContainerStarted", b->container);
		manager_bus_emit(m, "BindingChanged", b);
		return true;
	}
	if (strcmp(b->bridge, nb.bridge) != 0 || b->up != nb.up) {
		strcpy(b->bridge, nb.bridge);
		b->up = nb.up;
		manager_bus_emit(m, "BindingChanged", b);
	}
	return false;
}

static void cache_change(struct nl_cache *cache, struct nl_object *obj, int action, void *userdata)
{
	Manager *m = userdata;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	Binding *b;

	(void)cache;
	/*
	 * The bridge reports its ports as AF_BRIDGE link messages, and a port
	 * leaving the bridge as an AF_BRIDGE delete: the interface is still there.
	 */
	if (rtnl_link_get_family(l) == AF_BRIDGE)
		return;
	if (action == NL_ACT_DEL) {
		b = find_ifindex(m, rtnl_link_get_ifindex(l));
		if (!b)
			return;
		remove_binding(m, b);
	} else if (!link_changed(m, l))
		return;
	/* Only when a binding came or went: most link events are not ours. */
	(void)manager_save(m);
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;

	(void)s;
	(void)fd;
	(void)revents;
	(void)nl_cache_mngr_data_ready(m->mngr);
	return 0;
}

int manager_notify(Manager *m, const char *container, unsigned net, const char *vnet)
{
	Binding *b = manager_find(m, container, net);

	if (!b) {
		/* The hook's datagram may be read before the link's rtnetlink event: take pending events first. */
		(void)nl_cache_mngr_data_ready(m->mngr);
		b = manager_find(m, container, net);
	}
	if (!b)
		return -ENOENT;
	if (strcmp(b->vnet, vnet ? vnet : "") == 0)
		return 0;
	snprintf(b->vnet, sizeof(b->vnet), "%s", vnet ? vnet : "");
	if (b->vnet[0])
		manager_bus_emit(m, "VNetBound", b);
	manager_bus_emit(m, "BindingChanged", b);
	return manager_save(m);
}

/* One datagram from a hook: "container=100\nnet=0\nvnet=prod\n", from root only. */
static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	Manager *m = userdata;
	char buf[512], cmsgbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsgbuf, .msg_controllen = sizeof(cmsgbuf) };
	char container[64] = "", vnet[16] = "";
	const struct ucred *cred = NULL;
	uint64_t net = UINT64_MAX;
	ssize_t n;

	(void)s;
	(void)revents;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			cred = (const struct ucred *)CMSG_DATA(c);
	if (!cred || cred->uid != 0) {
		log_ctx(&lctx, LOG_WARNING, "Ignoring a notification from uid %d (only root may notify)", cred ? (int)cred->uid : -1);
		return 0;
	}
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "container=", 10) == 0)
			snprintf(container, sizeof(container), "%s", line + 10);
		else if (strncmp(line, "net=", 4) == 0 && parse_uint_range(line + 4, 0, 31, &net) < 0)
			net = UINT64_MAX;
		else if (strncmp(line, "vnet=", 5) == 0)
			snprintf(vnet, sizeof(vnet), "%s", line + 5);
	}
	if (!container[0] || net == UINT64_MAX) {
		log_ctx(&lctx, LOG_WARNING, "Ignoring a malformed notification");
		return 0;
	}
	if (manager_notify(m, container, (unsigned)net, vnet) < 0)
		log_ctx(&lctx, LOG_WARNING, "Notification for net%u of container '%s', which has no interface", (unsigned)net,
			container);
	return 0;
}

static int notify_socket_open(Manager *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = strdup(m->notify_path);
	int one = 1, fd;

	if (!dir || strlen(m->notify_path) >= sizeof(sa.sun_path))
		return -EINVAL;
	*strrchr(dir, '/') = '\0';
	(void)mkdir(dir, 0755);
	strcpy(sa.sun_path, m->notify_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	(void)unlink(m->notify_path);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(m->notify_path, 0600) < 0) {
		int r = negative_errno();

		close(fd);
		return r;
	}
	m->notify_fd = fd;
	return 0;
}

int manager_save(Manager *m)
{
	_cleanup_free_ char *tmp = NULL;
	json_object *a = json_object_new_array();
	const char *text;
	FILE *f;
	int r = 0;

	for (size_t i = 0; i < m->n_bindings; i++) {
		const Binding *b = &m->bindings[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "container", json_object_new_string(b->container));
		json_object_object_add(o, "net", json_object_new_int((int)b->net));
		json_object_object_add(o, "vnet", json_object_new_string(b->vnet));
		json_object_object_add(o, "since", json_object_new_int64((int64_t)b->since));
		json_object_array_add(a, o);
	}
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	if (asprintf(&tmp, "%s.tmp", m->state_file) < 0) {
		json_object_put(a);
		return -ENOMEM;
	}
	/* Atomically: a crash leaves the old or the new file, never half of one. */
	f = fopen(tmp, "we");
	if (!f || fputs(text, f) < 0 || fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = negative_errno();
	if (f && fclose(f) != 0 && r == 0)
		r = negative_errno();
	if (r == 0 && rename(tmp, m->state_file) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlink(tmp);
		log_ctx(&lctx, LOG_ERR, "Cannot save the bindings to '%s': %s", m->state_file, strerror(-r));
	}
	json_object_put(a);
	return r;
}

/* Saved VNet annotations and start times, for bindings whose interface still exists. */
static void load_state(Manager *m)
{
	_cleanup_free_ char *data = NULL;
	json_object *a;
	size_t size;

	if (read_full_file(m->state_file, 16 * 1024 * 1024, &data, &size) < 0)
		return;
	a = json_tokener_parse(data);
	if (!a || !json_object_is_type(a, json_type_array)) {
		log_ctx(&lctx, LOG_WARNING, "Ignoring unreadable state file '%s'", m->state_file);
		json_object_put(a);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *o = json_object_array_get_idx(a, i), *c, *n, *v, *s;
		Binding *b;

		if (!json_object_object_get_ex(o, "container", &c) || !json_object_object_get_ex(o, "net", &n))
			continue;
		b = manager_find(m, json_object_get_string(c), (unsigned)json_object_get_int(n));
		if (!b) {
			m->rebuild_dropped++;
			continue;
		}
		if (json_object_object_get_ex(o, "vnet", &v))
			snprintf(b->vnet, sizeof(b->vnet), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "since", &s))
			b->since = (uint64_t)json_object_get_int64(s);
	}
	json_object_put(a);
}

int manager_reload(Manager *m)
{
	for (struct nl_object *o = nl_cache_get_first(m->links); o; o = nl_cache_get_next(o))
		if (rtnl_link_get_family((struct rtnl_link *)o) != AF_BRIDGE)
			(void)link_changed(m, (struct rtnl_link *)o);
	return 0;
}

int manager_new(const char *state_dir, const char *notify_path, Manager **ret)
{
	_cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->notify_fd = -1;
	m->notify_path = notify_path;
	if (asprintf(&m->state_file, "%s/bindings.json", state_dir) < 0)
		return -ENOMEM;
	if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	r = netlink_open(&m->nl);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(m);
	return 0;
}

int manager_start(Manager *m)
{
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);
	int r;

	r = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &m->mngr);
	if (r < 0)
		return nlerr_to_errno(r);
	r = nl_cache_mngr_add(m->mngr, "route/link", cache_change, m, &m->links);
	if (r < 0)
		return nlerr_to_errno(r);
	r = sd_event_add_io(m->event, NULL, nl_cache_mngr_get_fd(m->mngr), EPOLLIN, on_netlink, m);
	if (r < 0)
		return r;

	/* Rebuild: the kernel's links are the truth; the state file adds what only hooks knew. */
	manager_reload(m);
	m->rebuild_found = (unsigned)m->n_bindings;
	load_state(m);
	/* Load and pin the datapath now, so that hooks find it ready. */
	if (!m->dp) {
		Diag d = {};

		if (datapath_open(true, &m->dp, &d) < 0)
			log_ctx(&lctx, LOG_WARNING, "The eBPF datapath cannot be loaded: %s", d.msg);
	}
	if (m->dp) {
		unsigned swept = 0;

		(void)datapath_sweep(m->dp, &swept);
		m->rebuild_dropped += swept;
	}
	(void)shaper_sweep(m->nl);
	(void)manager_save(m);
	log_ctx(&lctx, LOG_INFO, "Found %u bound interfaces; dropped %u stale entries (rebuilt in %.1f ms)", m->rebuild_found,
		m->rebuild_dropped, (double)(clock_usec(CLOCK_MONOTONIC) - t0) / 1000);

	r = notify_socket_open(m);
	if (r < 0)
		return r;
	return sd_event_add_io(m->event, NULL, m->notify_fd, EPOLLIN, on_notify, m);
}

void manager_free(Manager *m)
{
	if (!m)
		return;
	if (m->notify_fd >= 0) {
		close(m->notify_fd);
		(void)unlink(m->notify_path);
	}
	sd_bus_flush_close_unref(m->bus);
	if (m->mngr)
		nl_cache_mngr_free(m->mngr);
	nl_socket_free(m->nl);
	datapath_free(m->dp);
	sd_event_unref(m->event);
	free(m->bindings);
	free(m->state_file);
	free(m);
}
