/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Storage networks in the agent. Resolving names and probing servers is
 * slow, so it runs in the helper thread; the kernel side (BPF maps, tc,
 * qdiscs) and the bus replies happen in the main loop. A storage network
 * is put in force as: the shaper (with rate), the rules, the policy, the
 * programs; removed in the reverse order, after which the interface is as
 * it was: clsact goes if lxcnet added it and nobody else uses it, the
 * root qdisc goes back to the kernel's default, the ifb is deleted.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "clock.h"
#include "helper.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "shaper.h"
#include "storage-datapath.h"
#include "storage-plugin.h"
#include "storage.h"
#include "strutil.h"

#define PROBE_TIMEOUT_MS 2000
#define ADDRS_MAX 8

/* One counter slot: a storage, or an allow item. */
typedef struct StorageSlot {
	char name[STORAGE_HOST_MAX]; /* the storage id or the allow item */
	char type[16];		     /* nfs, cifs, iscsi, allow */
	StorageEndpoint ep;	     /* host and ports; an allow port item has neither */
	struct in6_addr addrs[ADDRS_MAX]; /* IPv4 as ::ffff:a.b.c.d */
	size_t n_addrs;
} StorageSlot;

struct StorageNet {
	StorageNetConf conf;
	StorageSlot *slots; /* slot i counts as i + 1 in the maps */
	size_t n_slots;
	int ifindex; /* where it is in force; 0: not */
	bool created_clsact;
	bool shaped;
	char error[DIAG_MAX]; /* why it is not in force */
};

typedef struct StorageJob {
	/* A client's request: its outcome goes to done(); NULL at start and reload. */
	ManagerDone done;
	StorageStatusDone status_done;
	void *userdata;
	StorageNetConf conf;
	StorageConfig *cfg; /* storage.cfg as resolving read it */
	int r;
	Diag d;
	StorageIssue issue;
	StorageSlot *slots;
	size_t n_slots;
	/* status */
	bool *in_use;
	char (*reach)[128]; /* per slot: "10.0.0.1:2049 connected", "10.0.0.1:2049 timed out" */
	bool *reachable;
} StorageJob;


static int conf_copy(const StorageNetConf *src, StorageNetConf *dst)
{
	StorageNetConf c = { .vlan = src->vlan, .rate = src->rate, .line = src->line };
	int r = 0;

	c.id = strdup(src->id);
	c.interface = strdup(src->interface);
	if (!c.id || !c.interface)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < src->n_storages; i++) {
		char *s = strdup(src->storages[i]);

		r = s ? strv_push(&c.storages, s) : -ENOMEM;
		if (s && r < 0)
			free(s);
	}
	for (size_t i = 0; r >= 0 && i < src->n_allow; i++) {
		char *s = strdup(src->allow[i]);

		r = s ? strv_push(&c.allow, s) : -ENOMEM;
		if (s && r < 0)
			free(s);
	}
	c.n_storages = strv_length(c.storages);
	c.n_allow = strv_length(c.allow);
	if (r < 0) {
		storage_net_conf_done(&c);
		return r;
	}
	*dst = c;
	return 0;
}

static void job_free(StorageJob *j)
{
	if (!j)
		return;
	storage_net_conf_done(&j->conf);
	storage_config_free(j->cfg);
	free(j->slots);
	free(j->in_use);
	free(j->reach);
	free(j->reachable);
	free(j);
}

static StorageNet *find_net(Manager *m, const char *id)
{
	for (size_t i = 0; i < m->n_storage_nets; i++)
		if (strcmp(m->storage_nets[i].conf.id, id) == 0)
			return &m->storage_nets[i];
	return NULL;
}

static void net_done(StorageNet *sn)
{
	storage_net_conf_done(&sn->conf);
	free(sn->slots);
	*sn = (StorageNet){};
}

/* --- resolving (helper thread) --- */

static int resolve(const char *host, StorageSlot *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG }, *res = NULL;
	int r;

	r = getaddrinfo(host, NULL, &hints, &res);
	if (r == EAI_BADFLAGS || (r != 0 && hints.ai_flags)) {
		/* AI_ADDRCONFIG hides every address on a host with only loopback configured. */
		hints.ai_flags = 0;
		r = getaddrinfo(host, NULL, &hints, &res);
	}
	if (r != 0)
		return -EADDRNOTAVAIL;
	for (struct addrinfo *a = res; a && s->n_addrs < ADDRS_MAX; a = a->ai_next) {
		struct in6_addr x = {};
		bool dup = false;

		if (a->ai_family == AF_INET) {
			x.s6_addr[10] = x.s6_addr[11] = 0xff;
			memcpy(&x.s6_addr[12], &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
		} else if (a->ai_family == AF_INET6)
			x = ((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		else
			continue;
		for (size_t i = 0; i < s->n_addrs; i++)
			dup = dup || memcmp(&s->addrs[i], &x, sizeof(x)) == 0;
		if (!dup)
			s->addrs[s->n_addrs++] = x;
	}
	freeaddrinfo(res);
	return s->n_addrs ? 0 : -EADDRNOTAVAIL;
}

static void resolve_work(Manager *m, StorageJob *j)
{
	_cleanup_free_ char *path = NULL;
	size_t n = j->conf.n_storages + j->conf.n_allow;

	j->slots = calloc(n ?: 1, sizeof(*j->slots));
	if (!j->slots || asprintf(&path, "%s/storage.cfg", m->pve_dir) < 0) {
		j->r = -ENOMEM;
		return;
	}
	if (j->conf.n_storages) {
		j->r = storage_config_load(path, &j->cfg, &j->d);
		if (j->r < 0)
			return;
	}
	for (size_t i = 0; i < j->conf.n_storages; i++) {
		StorageSlot *s = &j->slots[j->n_slots++];
		const Storage *st;

		snprintf(s->name, sizeof(s->name), "%s", j->conf.storages[i]);
		j->r = storage_check(j->cfg, s->name, m->pve_dir, &st, &j->issue, &j->d);
		if (j->r < 0)
			return;
		snprintf(s->type, sizeof(s->type), "%s", storage_plugin_of(st)->type);
		j->r = storage_plugin_of(st)->endpoint(st, &s->ep);
		if (j->r < 0) {
			diag_error(&j->d, j->r, "%s: cannot derive its endpoint", s->name);
			return;
		}
		if (resolve(s->ep.host, s) < 0) {
			j->r = storage_issue(&j->issue, &j->d, st, SP_UNRESOLVABLE, strcmp(s->type, "iscsi") ? "server" : "portal",
					     "'%s' has no address", s->ep.host);
			return;
		}
	}
	for (size_t i = 0; i < j->conf.n_allow; i++) {
		StorageSlot *s = &j->slots[j->n_slots++];
		StorageAllow a;

		snprintf(s->name, sizeof(s->name), "%s", j->conf.allow[i]);
		snprintf(s->type, sizeof(s->type), "allow");
		if (storage_allow_parse(s->name, &a) < 0) {
			j->r = diag_error(&j->d, -EINVAL, "allow: '%s' is not an allow item", s->name);
			return;
		}
		if (a.is_port) {
			(void)storage_endpoint_add_port(&s->ep, a.proto, a.port);
			continue;
		}
		snprintf(s->ep.host, sizeof(s->ep.host), "%s", a.host);
		if (resolve(a.host, s) < 0) {
			j->r = diag_error(&j->d, -EADDRNOTAVAIL, "allow: '%s' has no address [%s]", a.host,
					  storage_problem_name(SP_UNRESOLVABLE));
			j->issue = (StorageIssue){ .problem = SP_UNRESOLVABLE };
			return;
		}
	}
}

/* --- the kernel side (main loop) --- */

static void key_addr(struct lxcnet_storage_key *k, const struct in6_addr *a)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		k->family = 4;
		memcpy(k->addr, &a->s6_addr[12], 4);
	} else {
		k->family = 6;
		memcpy(k->addr, a, 16);
	}
}

typedef struct Rules {
	struct lxcnet_storage_key *keys;
	struct lxcnet_storage_rule *values;
	size_t n;
} Rules;

static void rules_done(Rules *r)
{
	free(r->keys);
	free(r->values);
}

static int rule_add(Rules *r, int ifindex, const struct in6_addr *a, uint8_t proto, uint16_t port, unsigned slot)
{
	struct lxcnet_storage_key k = { .ifindex = (__u32)ifindex, .proto = proto, .port = htons(port) };
	struct lxcnet_storage_key *kk;
	struct lxcnet_storage_rule *vv;

	key_addr(&k, a);
	for (size_t i = 0; i < r->n; i++)
		if (memcmp(&r->keys[i], &k, sizeof(k)) == 0)
			return 0; /* the first slot keeps it */
	kk = array_grow(&r->keys, r->n, sizeof(*kk));
	if (!kk)
		return -ENOMEM;
	vv = array_grow(&r->values, r->n, sizeof(*vv));
	if (!vv)
		return -ENOMEM;
	*kk = k;
	vv->slot = slot;
	r->n++;
	return 0;
}

/*
 * Each storage's addresses: known (names the drop reason), ICMP (reachability and path MTU), its ports.
 * Allow port items open that port on every storage address; allow hosts are allowed everything.
 */
static int build_rules(const StorageSlot *slots, size_t n, int ifindex, Rules *ret)
{
	Rules r = {};
	int k = 0;

	for (size_t i = 0; k >= 0 && i < n; i++) {
		const StorageSlot *s = &slots[i];
		unsigned slot = (unsigned)i + 1;

		for (size_t a = 0; k >= 0 && a < s->n_addrs; a++) {
			bool v4 = IN6_IS_ADDR_V4MAPPED(&s->addrs[a]);

			k = rule_add(&r, ifindex, &s->addrs[a], LXCNET_STORAGE_PROTO_KNOWN, 0, slot);
			if (k >= 0 && strcmp(s->type, "allow") == 0)
				k = rule_add(&r, ifindex, &s->addrs[a], LXCNET_STORAGE_PROTO_ANY, 0, slot);
			if (k >= 0)
				k = rule_add(&r, ifindex, &s->addrs[a], v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, 0, slot);
			for (size_t p = 0; k >= 0 && p < s->ep.n_ports; p++)
				k = rule_add(&r, ifindex, &s->addrs[a], s->ep.ports[p].proto, s->ep.ports[p].port, slot);
		}
		/* An allow port item: that port on every storage's addresses. */
		if (s->n_addrs == 0 && s->ep.n_ports)
			for (size_t o = 0; k >= 0 && o < n; o++)
				if (strcmp(slots[o].type, "allow") != 0)
					for (size_t a = 0; k >= 0 && a < slots[o].n_addrs; a++)
						k = rule_add(&r, ifindex, &slots[o].addrs[a], s->ep.ports[0].proto,
							     s->ep.ports[0].port, slot);
	}
	if (k < 0) {
		rules_done(&r);
		return k;
	}
	*ret = r;
	return 0;
}

static int state_path(Manager *m, const char *id, char **ret)
{
	return asprintf(ret, "%s/storage/%s.state", m->state_dir, id) < 0 ? -ENOMEM : 0;
}

static void boot_id(char ret[64])
{
	_cleanup_free_ char *s = NULL;
	size_t n;

	ret[0] = '\0';
	if (read_full_file("/proc/sys/kernel/random/boot_id", 64, &s, &n) >= 0)
		snprintf(ret, 64, "%s", strstrip(s));
}

/* What was there before: kept across agent restarts, so that removing restores it. */
static void state_save(Manager *m, const StorageNet *sn)
{
	_cleanup_free_ char *path = NULL, *dir = NULL, *text = NULL, *tmp = NULL;
	char boot[64];

	boot_id(boot);
	if (state_path(m, sn->conf.id, &path) < 0 || asprintf(&dir, "%s/storage", m->state_dir) < 0 ||
	    asprintf(&tmp, "%s.tmp", path) < 0 ||
	    asprintf(&text, "interface=%s\nifindex=%d\ncreated-clsact=%d\nshaped=%d\nboot-id=%s\n", sn->conf.interface,
		     sn->ifindex, sn->created_clsact, sn->shaped, boot) < 0)
		return;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return;
	if (write_file_sync(tmp, 0644, text, strlen(text)) < 0 || rename(tmp, path) < 0) {
		(void)unlink(tmp);
		log_ctx(NULL, LOG_WARNING, "Cannot save the state of storage network '%s' in '%s'", sn->conf.id, path);
	}
}

static void state_remove(Manager *m, const char *id)
{
	_cleanup_free_ char *path = NULL;

	if (state_path(m, id, &path) >= 0)
		(void)unlink(path);
}

/* Read a state file written this boot; -ESTALE when written before the last boot. */
static int state_load(const char *path, StorageNet *ret)
{
	_cleanup_free_ char *text = NULL;
	char boot[64], *save = NULL;
	bool same_boot = false;
	StorageNet sn = {};
	size_t n;
	int r;

	r = read_full_file(path, 4096, &text, &n);
	if (r < 0)
		return r;
	boot_id(boot);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		uint64_t v = 0;

		if (!eq)
			continue;
		*eq++ = '\0';
		if (strcmp(l, "interface") == 0) {
			free(sn.conf.interface);
			sn.conf.interface = strdup(eq);
		} else if (strcmp(l, "boot-id") == 0)
			same_boot = boot[0] && strcmp(eq, boot) == 0;
		else if (parse_uint_range(eq, 0, INT32_MAX, &v) >= 0) {
			if (strcmp(l, "ifindex") == 0)
				sn.ifindex = (int)v;
			else if (strcmp(l, "created-clsact") == 0)
				sn.created_clsact = v;
			else if (strcmp(l, "shaped") == 0)
				sn.shaped = v;
		}
	}
	if (!same_boot || !sn.conf.interface || sn.ifindex <= 0) {
		free(sn.conf.interface);
		return -ESTALE;
	}
	*ret = sn;
	return 0;
}

/* Take sn off its interface: the interface is as before it was put in force. */
static void restore(Manager *m, StorageNet *sn)
{
	if (sn->ifindex <= 0)
		return;
	if (m->sdp)
		storage_datapath_clear(m->sdp, sn->ifindex);
	else
		tc_detach_pair(sn->ifindex);
	if (sn->shaped)
		(void)shaper_clear(m->nl, sn->ifindex);
	if (sn->created_clsact && tc_remove_clsact_if_empty(sn->ifindex) == -EBUSY)
		log_ctx(NULL, LOG_INFO, "Storage network '%s': leaving clsact on '%s', other filters use it now", sn->conf.id,
			sn->conf.interface);
	log_ctx(NULL, LOG_INFO, "Storage network '%s' is off '%s'", sn->conf.id, sn->conf.interface);
	sn->ifindex = 0;
	sn->created_clsact = sn->shaped = false;
}

/* Put sn in force on its interface; on failure the interface is as before and d says why. */
static int apply(Manager *m, StorageNet *sn, Diag *d)
{
	struct lxcnet_storage_if policy = { .vlan = (__u16)sn->conf.vlan };
	_cleanup_(rules_done) Rules rules = {};
	int ifindex = (int)if_nametoindex(sn->conf.interface);
	bool created = false, shaper_created = false, was_here, shaped = false;
	int r;

	if (ifindex <= 0)
		return diag_error(d, -ENODEV, "interface '%s' does not exist", sn->conf.interface);
	if (sn->ifindex > 0 && sn->ifindex != ifindex)
		restore(m, sn);
	was_here = sn->ifindex == ifindex;
	if (!m->sdp) {
		r = storage_datapath_open(true, &m->sdp, d);
		if (r < 0)
			return r;
	}
	r = build_rules(sn->slots, sn->n_slots, ifindex, &rules);
	if (r < 0)
		return diag_error(d, r, "cannot build the rules: %s", strerror(-r));
	if (sn->conf.rate > 0) {
		int ifb = 0;

		r = shaper_storage_set(m->nl, ifindex, sn->conf.rate, &ifb, &shaper_created, d);
		if (r < 0)
			goto fail;
		shaped = true;
		policy.shaper_ifindex = (__u32)ifb;
		policy.egress_class = SHAPER_STORAGE_CLASS;
	}
	r = storage_datapath_set(m->sdp, ifindex, &policy, rules.keys, rules.values, rules.n, &created, d);
	if (r < 0)
		goto fail;
	/* Rate dropped by a reconfiguration: its shaper goes. */
	if (was_here && sn->shaped && !shaped)
		(void)shaper_clear(m->nl, ifindex);
	sn->created_clsact = (was_here && sn->created_clsact) || created || shaper_created;
	sn->shaped = shaped;
	sn->ifindex = ifindex;
	sn->error[0] = '\0';
	state_save(m, sn);
	log_ctx(NULL, LOG_INFO, "Storage network '%s' in force on '%s' (vlan %u, %zu rules%s)", sn->conf.id,
		sn->conf.interface, sn->conf.vlan, rules.n, shaped ? ", shaped" : "");
	return 0;
fail:
	if (shaped && !(was_here && sn->shaped))
		(void)shaper_clear(m->nl, ifindex);
	if (shaper_created && !(was_here && sn->created_clsact))
		(void)tc_remove_clsact_if_empty(ifindex);
	return r;
}

static StorageNet *net_add(Manager *m)
{
	StorageNet *sn = array_grow(&m->storage_nets, m->n_storage_nets, sizeof(*sn));

	if (sn)
		m->n_storage_nets++;
	return sn;
}

static void net_delete(Manager *m, StorageNet *sn)
{
	size_t i = (size_t)(sn - m->storage_nets);

	net_done(sn);
	memmove(sn, sn + 1, (m->n_storage_nets - i - 1) * sizeof(*sn));
	m->n_storage_nets--;
}

static void emit(Manager *m, const char *id, const char *state)
{
	manager_emit(m, &(Event){ .type = EVENT_STORAGE_NETWORK_CHANGED, .id = id, .state = state });
}

static bool same_slots(const StorageNet *a, const StorageNet *b)
{
	if (a->n_slots != b->n_slots)
		return false;
	for (size_t i = 0; i < a->n_slots; i++)
		if (strcmp(a->slots[i].name, b->slots[i].name) != 0)
			return false;
	return true;
}

/* A resolved job becomes the net's new configuration; 0, or -errno with j->d saying why. */
static int adopt(Manager *m, StorageJob *j, StorageNet **ret)
{
	StorageNet *sn = find_net(m, j->conf.id), next = {};
	bool fresh = !sn;
	int r;

	if (fresh) {
		sn = net_add(m);
		if (!sn)
			return -ENOMEM;
		*sn = (StorageNet){};
	}
	/* Try the new one with the old one's kernel state; on failure the old one is put back. */
	next = *sn;
	next.conf = j->conf;
	next.slots = j->slots;
	next.n_slots = j->n_slots;
	r = apply(m, &next, &j->d);
	if (r < 0) {
		if (fresh) {
			m->n_storage_nets--;
			return r;
		}
		if (next.ifindex != sn->ifindex && sn->n_slots) {
			/* apply() took the old one off its interface first: put it back. */
			sn->ifindex = 0;
			(void)apply(m, sn, &(Diag){});
		}
		return r;
	}
	/* Counters are per slot: when the slots are others now, theirs start again from zero. */
	if (sn->n_slots && !same_slots(sn, &next))
		storage_datapath_reset_counters(m->sdp, next.ifindex);
	/* The job's configuration and slots now belong to the net. */
	storage_net_conf_done(&sn->conf);
	free(sn->slots);
	*sn = next;
	j->conf = (StorageNetConf){};
	j->slots = NULL;
	j->n_slots = 0;
	*ret = sn;
	return 0;
}

static void reply_error(Manager *m, StorageJob *j, const char *name)
{
	const char *msg = j->d.msg[0] ? j->d.msg : strerror(-j->r);

	if (j->done)
		j->done(m, j->r < 0 ? j->r : -EIO, name, msg, j->userdata);
	else if (j->status_done)
		j->status_done(m, j->r < 0 ? j->r : -EIO, name, msg, NULL, j->userdata);
}

static int submit_apply(Manager *m, const StorageNetConf *c, ManagerDone done, void *userdata);

/* Remember why id is not (or not newly) in force, for ListStorageNetworks and GetStorageStatus. */
static void note_error(Manager *m, const char *id, const char *ifname, const char *msg)
{
	StorageNet *sn = find_net(m, id);

	if (!sn) {
		sn = net_add(m);
		if (!sn)
			return;
		*sn = (StorageNet){};
		sn->conf.id = strdup(id);
		sn->conf.interface = strdup(ifname ?: "");
		if (!sn->conf.id || !sn->conf.interface) {
			net_done(sn);
			m->n_storage_nets--;
			return;
		}
	}
	snprintf(sn->error, sizeof(sn->error), "%s", msg);
}

static void configure_done(Manager *m, void *userdata)
{
	StorageJob *j = userdata;
	_cleanup_free_ char *section = NULL;
	StorageNet *sn = NULL;
	char id[64];
	int r;

	snprintf(id, sizeof(id), "%s", j->conf.id);
	if (j->r < 0) {
		log_ctx(NULL, LOG_ERR, "Storage network '%s': %s", id, j->d.msg);
		/* At start or reload: what is in force stays (its rules are in the maps); the error is shown. */
		if (!j->done)
			note_error(m, id, j->conf.interface, j->d.msg);
		reply_error(m, j, j->issue.problem != SP_NONE ? LXCNET_ERR_INVALID_STORAGE : LXCNET_ERR_INVALID_CONFIG);
		goto out;
	}
	if (j->done) {
		r = storage_net_conf_format(&j->conf, &section);
		if (r < 0) {
			j->r = r;
			reply_error(m, j, LXCNET_ERR_FAILED);
			goto out;
		}
	}
	r = adopt(m, j, &sn);
	if (r < 0) {
		j->r = r;
		log_ctx(NULL, LOG_ERR, "Storage network '%s' cannot be put in force: %s", id, j->d.msg);
		if (!j->done)
			note_error(m, id, j->conf.interface, j->d.msg);
		reply_error(m, j, r == -ENODEV ? LXCNET_ERR_INVALID_ARGUMENT : LXCNET_ERR_FAILED);
		goto out;
	}
	if (j->done) {
		/* In force: now written, so that it stays after a restart; a failed write takes it back off. */
		r = lxcnet_conf_set_section(m->conf_dir, "storage-network", id, section, &j->d);
		if (r >= 0) {
			Diag d = {};

			(void)manager_load_conf(m, &d);
		} else {
			const StorageNetConf *before = lxcnet_conf_storage_net(m->conf, id);

			/* lxcnet.conf still has what was there before: that goes back in force. */
			restore(m, sn);
			state_remove(m, id);
			net_delete(m, sn);
			if (before)
				(void)submit_apply(m, before, NULL, NULL);
			j->r = r;
			reply_error(m, j, LXCNET_ERR_FAILED);
			goto out;
		}
		j->done(m, 0, NULL, NULL, j->userdata);
	}
	emit(m, id, "active");
out:
	job_free(j);
}

static void resolve_job(Manager *m, void *userdata)
{
	resolve_work(m, userdata);
}

static int submit_apply(Manager *m, const StorageNetConf *c, ManagerDone done, void *userdata)
{
	StorageJob *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	r = conf_copy(c, &j->conf);
	if (r >= 0) {
		j->done = done;
		j->userdata = userdata;
		r = helper_submit(m, resolve_job, configure_done, j);
	}
	if (r < 0)
		job_free(j);
	return r;
}

/* Take off what is not in lxcnet.conf any more, (re)apply what is. */
static void reconcile(Manager *m)
{
	for (size_t i = 0; i < m->n_storage_nets;) {
		StorageNet *sn = &m->storage_nets[i];

		if (!lxcnet_conf_storage_net(m->conf, sn->conf.id)) {
			char id[64];

			snprintf(id, sizeof(id), "%s", sn->conf.id);
			restore(m, sn);
			state_remove(m, id);
			net_delete(m, sn);
			emit(m, id, "removed");
			continue;
		}
		i++;
	}
	for (size_t i = 0; i < m->conf->n_storage_nets; i++)
		if (submit_apply(m, &m->conf->storage_nets[i], NULL, NULL) < 0)
			log_ctx(NULL, LOG_ERR, "Storage network '%s': cannot queue its setup", m->conf->storage_nets[i].id);
}

static void on_event(Manager *m, const Event *ev, void *userdata);

int storage_nets_start(Manager *m)
{
	_cleanup_free_ char *dir = NULL;
	DIR *d;
	struct dirent *de;

	if (asprintf(&dir, "%s/storage", m->state_dir) < 0)
		return -ENOMEM;
	/* Storage networks in force before this start: known again, so that removing restores their interface. */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *id = NULL;
		const char *dot = strrchr(de->d_name, '.');
		StorageNet st = {}, *sn;

		if (de->d_name[0] == '.' || !dot || strcmp(dot, ".state") != 0)
			continue;
		id = strndup(de->d_name, (size_t)(dot - de->d_name));
		if (!id || asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			break;
		if (state_load(path, &st) < 0 || (int)if_nametoindex(st.conf.interface) != st.ifindex) {
			/* Written before a reboot, or the interface is another one now: nothing of it is left. */
			free(st.conf.interface);
			(void)unlink(path);
			continue;
		}
		st.conf.id = TAKE_PTR(id);
		sn = net_add(m);
		if (!sn) {
			net_done(&st);
			break;
		}
		*sn = st;
	}
	if (d)
		closedir(d);
	if (m->n_storage_nets || m->conf->n_storage_nets) {
		Diag dg = {};

		if (storage_datapath_open(true, &m->sdp, &dg) < 0)
			log_ctx(NULL, LOG_WARNING, "The storage network programs cannot be loaded: %s", dg.msg);
	}
	reconcile(m);
	return manager_listen_core(m, on_event, NULL);
}

void storage_nets_reload(Manager *m)
{
	reconcile(m);
}

void storage_nets_free(Manager *m)
{
	/* The storage networks stay in force: the agent is not needed for that. */
	for (size_t i = 0; i < m->n_storage_nets; i++)
		net_done(&m->storage_nets[i]);
	free(m->storage_nets);
	m->storage_nets = NULL;
	m->n_storage_nets = 0;
	storage_datapath_free(m->sdp);
	m->sdp = NULL;
}

static void storage_nets_link(Manager *m, const char *ifname, int ifindex, bool deleted)
{
	for (size_t i = 0; ifname && i < m->n_storage_nets; i++) {
		StorageNet *sn = &m->storage_nets[i];
		Diag d = {};

		if (strcmp(sn->conf.interface, ifname) != 0)
			continue;
		if (deleted && sn->ifindex == ifindex) {
			/* The kernel took the programs and qdiscs with the interface; the maps and the ifb are ours to clean. */
			if (m->sdp)
				storage_datapath_clear(m->sdp, ifindex);
			if (sn->shaped)
				(void)shaper_clear(m->nl, ifindex);
			sn->ifindex = 0;
			sn->created_clsact = sn->shaped = false;
			snprintf(sn->error, sizeof(sn->error), "interface '%s' is gone", ifname);
			state_remove(m, sn->conf.id);
			log_ctx(NULL, LOG_WARNING, "Storage network '%s': interface '%s' is gone", sn->conf.id, ifname);
			emit(m, sn->conf.id, "waiting");
		} else if (!deleted && sn->ifindex == 0 && sn->n_slots) {
			if (apply(m, sn, &d) < 0) {
				snprintf(sn->error, sizeof(sn->error), "%s", d.msg);
				log_ctx(NULL, LOG_ERR, "Storage network '%s': %s", sn->conf.id, d.msg);
			} else
				emit(m, sn->conf.id, "active");
		}
	}
}

static void on_event(Manager *m, const Event *ev, void *userdata)
{
	(void)userdata;
	if (ev->type == EVENT_LINK && m->n_storage_nets)
		storage_nets_link(m, ev->ifname, ev->ifindex, ev->deleted);
}

/* --- requests --- */

int storage_net_conf_from_args(Manager *m, const char *id, const char *ifname, unsigned vid, char **storages, double rate,
			       char **allow, StorageNetConf *ret, Diag *d)
{
	_cleanup_free_ char *s_list = NULL, *a_list = NULL;
	char vlan[8], rt[FORMAT_DOUBLE_MAX], esc[DIAG_ESCAPE_MAX];
	StorageNetConf c = {};
	int r;

	if (!pve_word_valid(id) || strlen(id) >= 64)
		return diag_error(d, -EINVAL, "'%s' is not a storage network id ([-_.A-Za-z0-9]+)",
				  diag_escape(esc, sizeof(esc), id, strlen(id)));
	/* The arguments become lxcnet.conf text and pass the same checks as the file. */
	snprintf(vlan, sizeof(vlan), "%u", vid);
	format_double(rt, sizeof(rt), rate);
	r = strv_join(storages, ",", &s_list);
	if (r >= 0)
		r = strv_join(allow, ",", &a_list);
	if (r < 0)
		return r;
	c.id = strdup(id);
	if (!c.id)
		return -ENOMEM;
	r = storage_net_conf_set(&c, "interface", ifname, d);
	if (r >= 0 && vid)
		r = storage_net_conf_set(&c, "vlan", vlan, d);
	if (r >= 0 && rate != 0)
		r = storage_net_conf_set(&c, "rate", rt, d);
	if (r >= 0 && *s_list)
		r = storage_net_conf_set(&c, "storages", s_list, d);
	if (r >= 0 && *a_list)
		r = storage_net_conf_set(&c, "allow", a_list, d);
	if (r >= 0)
		r = storage_net_conf_finish(&c, d);
	for (size_t i = 0; r >= 0 && i < m->n_storage_nets; i++)
		if (strcmp(m->storage_nets[i].conf.id, id) != 0 && strcmp(m->storage_nets[i].conf.interface, c.interface) == 0)
			r = diag_error(d, -EBUSY, "interface: '%s' already carries storage network '%s'", c.interface,
				       m->storage_nets[i].conf.id);
	if (r < 0) {
		storage_net_conf_done(&c);
		diag_prefix(d, "%s: ", id);
		return r;
	}
	*ret = c;
	return 0;
}

int storage_net_configure(Manager *m, const StorageNetConf *c, ManagerDone done, void *userdata)
{
	return submit_apply(m, c, done, userdata);
}

bool storage_net_exists(Manager *m, const char *id)
{
	return find_net(m, id) || lxcnet_conf_storage_net(m->conf, id);
}

int storage_net_remove(Manager *m, const char *id, Diag *d)
{
	StorageNet *sn;
	char name[64];
	int r;

	snprintf(name, sizeof(name), "%s", id);
	/* Off lxcnet.conf first: if that fails, everything stays as it was. */
	r = lxcnet_conf_set_section(m->conf_dir, "storage-network", name, NULL, d);
	if (r < 0)
		return r;
	(void)manager_load_conf(m, &(Diag){});
	sn = find_net(m, name);
	if (sn) {
		restore(m, sn);
		state_remove(m, name);
		net_delete(m, sn);
	}
	emit(m, name, "removed");
	return 0;
}

const char *storage_net_state(Manager *m, const char *id, const char **ret_error)
{
	const StorageNet *sn = find_net(m, id);

	*ret_error = sn ? sn->error : "";
	return !sn ? "pending" : sn->ifindex > 0 ? "active" : sn->error[0] ? "failed" : "pending";
}

/* --- status (helper thread, then main loop) --- */

static void probe_all(StorageJob *j)
{
	struct pollfd pfd[64];
	size_t owner[64], n = 0;
	char what[64][96];
	uint64_t t0 = clock_usec(CLOCK_MONOTONIC);

	/* Every endpoint's first TCP port on every address, all at once: 2 s in all. */
	for (size_t i = 0; i < j->n_slots; i++) {
		const StorageSlot *s = &j->slots[i];
		uint16_t port = 0;

		for (size_t p = 0; p < s->ep.n_ports && !port; p++)
			if (s->ep.ports[p].proto == IPPROTO_TCP && s->ep.ports[p].port != 111)
				port = s->ep.ports[p].port;
		snprintf(j->reach[i], sizeof(j->reach[i]), "%s", s->n_addrs ? "no TCP port to probe" : "");
		for (size_t a = 0; port && a < s->n_addrs && n < ELEMENTSOF(pfd); a++) {
			struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = s->addrs[a] };
			char addr[INET6_ADDRSTRLEN];
			int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			if (IN6_IS_ADDR_V4MAPPED(&s->addrs[a]))
				inet_ntop(AF_INET, &s->addrs[a].s6_addr[12], addr, sizeof(addr));
			else
				inet_ntop(AF_INET6, &s->addrs[a], addr, sizeof(addr));
			snprintf(what[n], sizeof(what[n]), strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
			if (fd < 0)
				continue;
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
				snprintf(j->reach[i], sizeof(j->reach[i]), "%.95s: %s", what[n], strerror(errno));
				close(fd);
				continue;
			}
			pfd[n] = (struct pollfd){ .fd = fd, .events = POLLOUT };
			owner[n++] = i;
			snprintf(j->reach[i], sizeof(j->reach[i]), "%.95s: timed out after 2 s", what[n - 1]);
		}
	}
	for (;;) {
		int64_t left = PROBE_TIMEOUT_MS - (int64_t)(clock_usec(CLOCK_MONOTONIC) - t0) / 1000;
		bool waiting = false;

		for (size_t k = 0; k < n; k++)
			waiting = waiting || pfd[k].fd >= 0;
		if (!waiting || left <= 0 || poll(pfd, n, (int)left) < 0)
			break;
		for (size_t k = 0; k < n; k++) {
			int err = 0;
			socklen_t len = sizeof(err);

			if (pfd[k].fd < 0 || !pfd[k].revents)
				continue;
			(void)getsockopt(pfd[k].fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (!j->reachable[owner[k]]) {
				j->reachable[owner[k]] = err == 0;
				snprintf(j->reach[owner[k]], sizeof(j->reach[owner[k]]), "%.95s: %s", what[k],
					 err ? strerror(err) : "connected");
			}
			close(pfd[k].fd);
			pfd[k].fd = -1;
		}
	}
	for (size_t k = 0; k < n; k++)
		if (pfd[k].fd >= 0)
			close(pfd[k].fd);
}

static void status_work(Manager *m, void *userdata)
{
	_cleanup_free_ char *mountinfo = NULL;
	StorageJob *j = userdata;
	size_t size;

	resolve_work(m, j);
	if (j->r < 0)
		return;
	j->in_use = calloc(j->n_slots ?: 1, sizeof(*j->in_use));
	j->reachable = calloc(j->n_slots ?: 1, sizeof(*j->reachable));
	j->reach = calloc(j->n_slots ?: 1, sizeof(*j->reach));
	if (!j->in_use || !j->reachable || !j->reach) {
		j->r = -ENOMEM;
		return;
	}
	(void)read_full_file("/proc/self/mountinfo", 16 * 1024 * 1024, &mountinfo, &size);
	if (j->cfg)
		for (size_t i = 0; i < j->n_slots; i++) {
			const Storage *st = storage_config_find(j->cfg, j->slots[i].name);

			if (st && storage_plugin_of(st) && strcmp(j->slots[i].type, "allow") != 0)
				j->in_use[i] = storage_plugin_of(st)->in_use(st, mountinfo ?: "");
		}
	probe_all(j);
}

/* The slot's endpoints as lines: "10.0.0.1 tcp/2049 udp/111", "10.0.0.9 any", "every storage tcp/22". */
static char **endpoint_lines(const StorageSlot *s)
{
	char **l = calloc(s->n_addrs + s->ep.n_ports + 1, sizeof(char *));
	size_t n = 0;

	for (size_t a = 0; l && a < s->n_addrs; a++) {
		char addr[INET6_ADDRSTRLEN], line[256];
		size_t len;

		if (IN6_IS_ADDR_V4MAPPED(&s->addrs[a]))
			inet_ntop(AF_INET, &s->addrs[a].s6_addr[12], addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, &s->addrs[a], addr, sizeof(addr));
		snprintf(line, sizeof(line), "%s", addr);
		if (strcmp(s->type, "allow") == 0)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " any");
		for (size_t p = 0; p < s->ep.n_ports; p++) {
			len = strlen(line);
			snprintf(line + len, sizeof(line) - len, " %s/%u", storage_proto_name(s->ep.ports[p].proto),
				 s->ep.ports[p].port);
		}
		if (!(l[n++] = strdup(line)))
			goto fail;
	}
	for (size_t p = 0; l && s->n_addrs == 0 && p < s->ep.n_ports; p++) {
		char line[64];

		snprintf(line, sizeof(line), "every storage %s/%u", storage_proto_name(s->ep.ports[p].proto),
			 s->ep.ports[p].port);
		if (!(l[n++] = strdup(line)))
			goto fail;
	}
	return l;
fail:
	strv_free(l);
	return NULL;
}

static void status_done(Manager *m, void *userdata)
{
	StorageJob *j = userdata;
	const char *error;
	StorageStatus st = {
		.interface = j->conf.interface,
		.vlan = j->conf.vlan,
		.state = storage_net_state(m, j->conf.id, &error),
	};
	const StorageNet *sn = find_net(m, j->conf.id);
	int ifindex = sn ? sn->ifindex : 0;
	struct lxcnet_storage_stats ifs = {};

	if (j->r < 0) {
		reply_error(m, j, j->issue.problem != SP_NONE ? LXCNET_ERR_INVALID_STORAGE : LXCNET_ERR_INVALID_CONFIG);
		job_free(j);
		return;
	}
	st.error = error;
	if (ifindex > 0 && m->sdp)
		(void)storage_datapath_stats(m->sdp, ifindex, LXCNET_STORAGE_SLOT_IF, &ifs);
	memcpy(st.drops, ifs.drops, sizeof(st.drops));
	st.slots = calloc(j->n_slots ?: 1, sizeof(*st.slots));
	st.n_slots = st.slots ? j->n_slots : 0;
	for (size_t i = 0; i < st.n_slots; i++) {
		StorageSlotStatus *ss = &st.slots[i];

		if (ifindex > 0 && m->sdp)
			(void)storage_datapath_stats(m->sdp, ifindex, (unsigned)i + 1, &ss->counters);
		ss->name = j->slots[i].name;
		ss->type = j->slots[i].type;
		ss->endpoints = endpoint_lines(&j->slots[i]);
		ss->in_use = j->in_use[i];
		ss->reachable = j->reachable[i];
		ss->reach = j->reach[i];
	}
	j->status_done(m, st.slots ? 0 : -ENOMEM, LXCNET_ERR_FAILED, strerror(ENOMEM), &st, j->userdata);
	for (size_t i = 0; i < st.n_slots; i++)
		strv_free(st.slots[i].endpoints);
	free(st.slots);
	job_free(j);
}

int storage_net_status(Manager *m, const char *id, StorageStatusDone done, void *userdata)
{
	const StorageNetConf *c = lxcnet_conf_storage_net(m->conf, id);
	StorageJob *j;
	int r;

	if (!c)
		return -ENOENT;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	r = conf_copy(c, &j->conf);
	if (r >= 0) {
		j->status_done = done;
		j->userdata = userdata;
		r = helper_submit(m, status_work, status_done, j);
	}
	if (r < 0)
		job_free(j);
	return r;
}

/* --- metrics --- */

int storage_nets_metrics(Manager *m, MetricsWriter *r)
{
	static const char *const dirs[] = { [LXCNET_STORAGE_OUT] = "out", [LXCNET_STORAGE_IN] = "in" };
	_cleanup_free_ struct lxcnet_storage_stats *st = NULL;
	_cleanup_free_ bool *have = NULL;
	size_t n = 0;
	int k;

	k = metrics_family_open(r, "lxcnet_storage_network_active", "gauge", "1 when a storage network is in force on its interface");
	for (size_t i = 0; k >= 0 && i < m->n_storage_nets; i++)
		k = metrics_sample(r, "", m->storage_nets[i].ifindex > 0 ? 1.0 : 0.0, "network", m->storage_nets[i].conf.id,
				   "interface", m->storage_nets[i].conf.interface, NULL);
	if (k >= 0)
		k = metrics_family_close(r);
	/* Each slot's counters once, for both families. */
	for (size_t i = 0; i < m->n_storage_nets; i++)
		n += m->storage_nets[i].n_slots;
	st = calloc(n ?: 1, sizeof(*st));
	have = calloc(n ?: 1, sizeof(*have));
	if (!st || !have)
		k = -ENOMEM;
	for (size_t i = 0, at = 0; k >= 0 && i < m->n_storage_nets; i++) {
		const StorageNet *sn = &m->storage_nets[i];

		for (size_t s = 0; s < sn->n_slots; s++, at++)
			have[at] = sn->ifindex > 0 && m->sdp &&
				   storage_datapath_stats(m->sdp, sn->ifindex, (unsigned)s + 1, &st[at]) >= 0;
	}
	for (int f = 0; f < 2 && k >= 0; f++) {
		k = metrics_family_open(r, f ? "lxcnet_storage_bytes_total" : "lxcnet_storage_packets_total", "counter",
					f ? "Bytes of a storage network's traffic, by storage (or allow item) and direction"
					  : "Packets of a storage network's traffic, by storage (or allow item) and direction");
		for (size_t i = 0, at = 0; k >= 0 && i < m->n_storage_nets; i++) {
			const StorageNet *sn = &m->storage_nets[i];

			for (size_t s = 0; k >= 0 && s < sn->n_slots; s++, at++)
				for (int d = 0; k >= 0 && have[at] && d < _LXCNET_STORAGE_DIR_MAX; d++)
					k = metrics_sample(r, "", (double)(f ? st[at].bytes[d] : st[at].packets[d]), "network",
							   sn->conf.id, "storage", sn->slots[s].name, "direction", dirs[d], NULL);
		}
		if (k >= 0)
			k = metrics_family_close(r);
	}
	if (k >= 0)
		k = metrics_family_open(r, "lxcnet_storage_drops_total", "counter",
					"Frames a storage network dropped, by reason and direction");
	for (size_t i = 0; k >= 0 && i < m->n_storage_nets; i++) {
		const StorageNet *sn = &m->storage_nets[i];
		struct lxcnet_storage_stats ifs;

		if (sn->ifindex <= 0 || !m->sdp || storage_datapath_stats(m->sdp, sn->ifindex, LXCNET_STORAGE_SLOT_IF, &ifs) < 0)
			continue;
		for (int why = 0; k >= 0 && why < _LXCNET_STORAGE_DROP_MAX; why++)
			for (int d = 0; k >= 0 && d < _LXCNET_STORAGE_DIR_MAX; d++)
				k = metrics_sample(r, "", (double)ifs.drops[why][d], "network", sn->conf.id, "interface",
						   sn->conf.interface, "reason", storage_datapath_drop_reason(why), "direction",
						   dirs[d], NULL);
	}
	if (k >= 0)
		k = metrics_family_close(r);
	return k;
}
