/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/route/link/veth.h>

#include "clock.h"
#include "netlink-link.h"
#include "strutil.h"

int nlerr_to_errno(int nlerr)
{
	static const int map[][2] = {
		{ NLE_NOMEM, ENOMEM },	     { NLE_OBJ_NOTFOUND, ENODEV }, { NLE_NODEV, ENODEV },
		{ NLE_EXIST, EEXIST },	     { NLE_PERM, EPERM },	   { NLE_NOACCESS, EACCES },
		{ NLE_INVAL, EINVAL },	     { NLE_RANGE, ERANGE },	   { NLE_BUSY, EBUSY },
		{ NLE_AGAIN, EAGAIN },	     { NLE_OPNOTSUPP, EOPNOTSUPP }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_MSGSIZE, EMSGSIZE },   { NLE_INTR, EINTR },	   { NLE_BAD_SOCK, EBADF },
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	if (nlerr == 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (map[i][0] == nlerr)
			return -map[i][1];
	return -EIO;
}

#define NETLINK_MSG_BUF (64 * 1024)

int netlink_open(struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return nlerr_to_errno(r);
	/*
	 * A buffer big enough for any message, rather than libnl's default
	 * of peeking at each one's size first: one recvmsg() a message, not
	 * two. The kernel fills dumps up to 32 KiB a read.
	 */
	r = nl_socket_set_msg_buf_size(sk, NETLINK_MSG_BUF);
	if (r < 0)
		return nlerr_to_errno(r);
	nl_socket_disable_msg_peek(sk);
	*ret = TAKE_PTR(sk);
	return 0;
}

/*
 * Send req over sk and hand every message of the answer to parse(msg,
 * userdata); with ack, then the acknowledgement libnl asked for (a single
 * answer, not a dump: an error is both). -errno.
 */
static int request_parse(struct nl_sock *sk, struct nl_msg *req, nl_recvmsg_msg_cb_t parse, void *userdata, bool ack)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, parse, userdata);
	r = nl_send_auto(sk, req);
	if (r >= 0)
		r = nl_recvmsgs(sk, cb);
	if (r >= 0 && ack)
		r = nl_wait_for_ack(sk);
	nl_cb_put(cb);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

typedef struct LinkReply {
	LinkInfo *li;
	bool seen;
} LinkReply;

/* IFLA_LINKINFO's kind, and a bridge's VLAN settings from its IFLA_INFO_DATA. */
static void link_kind(struct nlattr *linkinfo, LinkInfo *li)
{
	struct nlattr *info[IFLA_INFO_MAX + 1], *br[IFLA_BR_MAX + 1];

	if (nla_parse_nested(info, IFLA_INFO_MAX, linkinfo, NULL) < 0 || !info[IFLA_INFO_KIND])
		return;
	li->is_bridge = nla_strcmp(info[IFLA_INFO_KIND], "bridge") == 0;
	li->is_ovs = nla_strcmp(info[IFLA_INFO_KIND], "openvswitch") == 0;
	if (!li->is_bridge || !info[IFLA_INFO_DATA] || nla_parse_nested(br, IFLA_BR_MAX, info[IFLA_INFO_DATA], NULL) < 0)
		return;
	/* Kernels without bridge VLAN filtering send neither. */
	if (br[IFLA_BR_VLAN_FILTERING] && nla_len(br[IFLA_BR_VLAN_FILTERING]) >= 1)
		li->vlan_filtering = nla_get_u8(br[IFLA_BR_VLAN_FILTERING]) != 0;
	if (br[IFLA_BR_VLAN_PROTOCOL] && nla_len(br[IFLA_BR_VLAN_PROTOCOL]) >= 2)
		li->vlan_protocol = ntohs(nla_get_u16(br[IFLA_BR_VLAN_PROTOCOL]));
}

static int on_link_msg(struct nl_msg *msg, void *userdata)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	LinkReply *p = userdata;
	LinkInfo *li = p->li;

	if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(*ifi)) ||
	    nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return NL_SKIP;
	ifi = nlmsg_data(h);
	*li = (LinkInfo){
		.ifindex = ifi->ifi_index,
		.up = ifi->ifi_flags & IFF_UP,
		.vlan_protocol = ETH_P_8021Q,
	};
	if (tb[IFLA_MTU] && nla_len(tb[IFLA_MTU]) >= 4)
		li->mtu = nla_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER] && nla_len(tb[IFLA_MASTER]) >= 4)
		li->master = (int)nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6)
		memcpy(li->mac, nla_data(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_IFALIAS])
		snprintf(li->alias, sizeof(li->alias), "%.*s", nla_len(tb[IFLA_IFALIAS]), (const char *)nla_data(tb[IFLA_IFALIAS]));
	if (tb[IFLA_LINKINFO])
		link_kind(tb[IFLA_LINKINFO], li);
	p->seen = true;
	return NL_OK;
}

/*
 * One RTM_GETLINK by name, without the statistics (RTEXT_FILTER_SKIP_STATS:
 * the kernel then leaves out the counters and IPv6's per-device tables, most
 * of a reply), read straight from the attributes: no libnl link object.
 * Every plug looks links up several times.
 */
int link_get(struct nl_sock *sk, const char *ifname, LinkInfo *ret)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	_cleanup_(nlmsg_freep) struct nl_msg *req = NULL;
	LinkInfo li;
	LinkReply p = { .li = &li };
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	req = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	if (!req || nlmsg_append(req, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_string(req, IFLA_IFNAME, ifname) < 0 ||
	    nla_put_u32(req, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	r = request_parse(sk, req, on_link_msg, &p, true);
	if (r < 0)
		return r;
	if (!p.seen)
		return -EIO;
	*ret = li;
	return 0;
}

int bridge_port_vlans(struct nl_sock *sk, int ifindex, bool add, uint16_t first, uint16_t last, uint16_t flags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct bridge_vlan_info v[2] = { { .flags = flags, .vid = first }, { .flags = flags, .vid = last } };
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_SETLINK : RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
	struct nlattr *spec;
	int r;

	if (!msg)
		return -ENOMEM;
	if (first != last) {
		v[0].flags |= BRIDGE_VLAN_INFO_RANGE_BEGIN;
		v[1].flags |= BRIDGE_VLAN_INFO_RANGE_END;
	}
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || !(spec = nla_nest_start(msg, IFLA_AF_SPEC)) ||
	    nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(v[0]), &v[0]) < 0 ||
	    (first != last && nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(v[1]), &v[1]) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, spec);
	r = nl_send_sync(sk, msg); /* frees msg */
	return r < 0 ? nlerr_to_errno(r) : 0;
}

typedef struct VlanDump {
	int ifindex;
	BridgePortVlans *v;
} VlanDump;

static void vlan_bits_set(BridgePortVlans *v, uint16_t first, uint16_t last, uint16_t flags)
{
	for (unsigned vid = first; vid <= last && vid < BRIDGE_VLAN_WORDS * 64; vid++) {
		uint64_t *bits = flags & BRIDGE_VLAN_INFO_UNTAGGED ? v->untagged : v->tagged;

		bits[vid / 64] |= UINT64_C(1) << (vid % 64);
		if (flags & BRIDGE_VLAN_INFO_PVID)
			v->pvid = (uint16_t)vid;
	}
}

static int on_vlan_msg(struct nl_msg *msg, void *userdata)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	VlanDump *p = userdata;
	const struct br_vlan_msg *bvm;
	struct nlattr *a;
	int rem;

	if (h->nlmsg_type != RTM_NEWVLAN || !nlmsg_valid_hdr(h, sizeof(*bvm)))
		return NL_OK;
	bvm = nlmsg_data(h);
	if ((int)bvm->ifindex != p->ifindex)
		return NL_OK;
	nlmsg_for_each_attr(a, h, sizeof(*bvm), rem)
	{
		struct nlattr *tb[BRIDGE_VLANDB_ENTRY_MAX + 1];
		const struct bridge_vlan_info *info;
		uint16_t last;

		if (nla_type(a) != BRIDGE_VLANDB_ENTRY || nla_parse_nested(tb, BRIDGE_VLANDB_ENTRY_MAX, a, NULL) < 0 ||
		    !tb[BRIDGE_VLANDB_ENTRY_INFO] || nla_len(tb[BRIDGE_VLANDB_ENTRY_INFO]) < (int)sizeof(*info))
			continue;
		info = nla_data(tb[BRIDGE_VLANDB_ENTRY_INFO]);
		last = tb[BRIDGE_VLANDB_ENTRY_RANGE] ? nla_get_u16(tb[BRIDGE_VLANDB_ENTRY_RANGE]) : info->vid;
		vlan_bits_set(p->v, info->vid, last < info->vid ? info->vid : last, info->flags);
	}
	return NL_OK;
}

int bridge_port_vlans_get(struct nl_sock *sk, int ifindex, BridgePortVlans *ret)
{
	struct br_vlan_msg bvm = { .family = AF_BRIDGE, .ifindex = (__u32)ifindex };
	_cleanup_(nlmsg_freep) struct nl_msg *req = nlmsg_alloc_simple(RTM_GETVLAN, NLM_F_REQUEST | NLM_F_DUMP);
	VlanDump p = { .ifindex = ifindex, .v = ret };

	memset(ret, 0, sizeof(*ret));
	if (!req || nlmsg_append(req, &bvm, sizeof(bvm), NLMSG_ALIGNTO) < 0)
		return -ENOMEM;
	return request_parse(sk, req, on_vlan_msg, &p, false);
}

int link_set_alias(struct nl_sock *sk, int ifindex, const char *alias)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();

	if (!orig || !change)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_ifalias(change, alias);
	return nlerr_to_errno(rtnl_link_change(sk, orig, change, 0));
}

int link_set(struct nl_sock *sk, int ifindex, int master_ifindex, uint32_t mtu, bool up)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int r;

	if (!orig || !change)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_master(change, master_ifindex);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	else
		rtnl_link_unset_flags(change, IFF_UP);
	r = rtnl_link_change(sk, orig, change, 0);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

int link_delete(struct nl_sock *sk, const char *ifname)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
	int r;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	r = rtnl_link_delete(sk, link);
	return r < 0 ? nlerr_to_errno(r) : 0;
}

/* The settings pve-common's copy_bridge_config() copies to a firewall bridge, as IFLA_BR_* attributes. */
static const int bridge_copied[] = {
	IFLA_BR_AGEING_TIME, IFLA_BR_STP_STATE, IFLA_BR_PRIORITY,      IFLA_BR_FORWARD_DELAY,
	IFLA_BR_HELLO_TIME,  IFLA_BR_MAX_AGE,	IFLA_BR_MCAST_SNOOPING, IFLA_BR_MCAST_QUERIER,
};

typedef struct BridgeSettings {
	int ifindex;
	struct nl_msg *out; /* where the copied attributes go */
	int found;	    /* -ENODEV until the link's answer came */
} BridgeSettings;

static int on_bridge_settings(struct nl_msg *msg, void *userdata)
{
	BridgeSettings *s = userdata;
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[IFLA_BR_MAX + 1];
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(h, sizeof(*ifi)))
		return NL_SKIP;
	ifi = nlmsg_data(h);
	if (ifi->ifi_index != s->ifindex || nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0)
		return NL_SKIP;
	s->found = -EINVAL; /* the link, but no bridge */
	if (!tb[IFLA_LINKINFO] || nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
	    !info[IFLA_INFO_KIND] || strcmp(nla_get_string(info[IFLA_INFO_KIND]), "bridge") != 0 || !info[IFLA_INFO_DATA] ||
	    nla_parse_nested(data, IFLA_BR_MAX, info[IFLA_INFO_DATA], NULL) < 0)
		return NL_SKIP;
	s->found = 0;
	/* What this kernel does not report (no IGMP snooping built in) is not copied. */
	for (size_t i = 0; i < ELEMENTSOF(bridge_copied); i++) {
		const struct nlattr *a = data[bridge_copied[i]];

		if (a && nla_put(s->out, bridge_copied[i], nla_len(a), nla_data(a)) < 0) {
			s->found = -ENOMEM;
			return NL_STOP;
		}
	}
	return NL_OK;
}

int bridge_create_like(struct nl_sock *sk, const char *ifname, int like_ifindex, uint32_t mtu)
{
	struct ifinfomsg get = { .ifi_family = AF_UNSPEC, .ifi_index = like_ifindex }, add = { .ifi_family = AF_UNSPEC };
	_cleanup_(nlmsg_freep) struct nl_msg *req = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct nlattr *linkinfo, *data;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	BridgeSettings s = { .ifindex = like_ifindex, .out = msg, .found = -ENODEV };
	int r;

	if (!req || !msg || !cb || strlen(ifname) >= IFNAMSIZ || nlmsg_append(req, &get, sizeof(get), NLMSG_ALIGNTO) < 0 ||
	    nlmsg_append(msg, &add, sizeof(add), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, IFLA_IFNAME, ifname) < 0 ||
	    (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0) || !(linkinfo = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 || !(data = nla_nest_start(msg, IFLA_INFO_DATA))) {
		r = strlen(ifname) >= IFNAMSIZ ? -ENAMETOOLONG : -ENOMEM;
		goto out;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_bridge_settings, &s);
	r = nl_send_auto(sk, req);
	if (r >= 0)
		r = nl_recvmsgs(sk, cb);
	/* nl_send_auto() asked for an ack as well (unless the socket says otherwise): it must not be left behind. */
	if (r >= 0 && (nlmsg_hdr(req)->nlmsg_flags & NLM_F_ACK))
		r = nl_wait_for_ack(sk);
	r = r < 0 ? nlerr_to_errno(r) : s.found;
	if (r < 0)
		goto out;
	nla_nest_end(msg, data);
	nla_nest_end(msg, linkinfo);
	r = nl_send_sync(sk, TAKE_PTR(msg)); /* frees msg */
	r = r < 0 ? nlerr_to_errno(r) : 0;
out:
	nlmsg_free(msg);
	nl_cb_put(cb);
	return r;
}

int veth_pair_create(struct nl_sock *sk, const char *ifname, const char *peer_ifname, uint32_t mtu)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;
	int r;

	if (!l)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(l); /* a new reference */
	rtnl_link_set_name(l, ifname);
	rtnl_link_set_name(peer, peer_ifname);
	if (mtu) {
		rtnl_link_set_mtu(l, mtu);
		rtnl_link_set_mtu(peer, mtu);
	}
	r = nlerr_to_errno(rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_veth_release(l);
	return r;
}

int link_disable_ipv6(const char *ifname)
{
	char path[128];
	int fd, r = 0;

	if (strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 in this kernel or namespace */
	if (write(fd, "1\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

typedef struct PrefixDump {
	const char *prefix;
	size_t plen;
	char **names;
	size_t n;
	int error;
} PrefixDump;

static int on_prefix_link(struct nl_msg *msg, void *userdata)
{
	PrefixDump *p = userdata;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	const char *name;
	char **at;

	if (h->nlmsg_type != RTM_NEWLINK || nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_IFNAME])
		return NL_OK;
	name = nla_get_string(tb[IFLA_IFNAME]);
	if (strncmp(name, p->prefix, p->plen) != 0)
		return NL_OK;
	at = array_grow(&p->names, p->n, sizeof(*p->names));
	if (!at || !(*at = strdup(name))) {
		p->error = -ENOMEM;
		return NL_STOP;
	}
	p->n++;
	return NL_OK;
}

int link_dump_request(const char *kind, struct nl_msg **ret)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	_cleanup_(nlmsg_freep) struct nl_msg *req = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
	struct nlattr *info;

	if (!req || nlmsg_append(req, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(req, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
		return -ENOMEM;
	if (kind) {
		if (!(info = nla_nest_start(req, IFLA_LINKINFO)) || nla_put_string(req, IFLA_INFO_KIND, kind) < 0)
			return -ENOMEM;
		nla_nest_end(req, info);
	}
	*ret = TAKE_PTR(req);
	return 0;
}

int link_foreach_prefix(struct nl_sock *sk, const char *kind, const char *prefix,
			int (*fn)(struct nl_sock *sk, const char *ifname, void *userdata), void *userdata)
{
	/* Names only: the kernel leaves out the statistics (and other kinds), no libnl cache of every link is built. */
	_cleanup_(nlmsg_freep) struct nl_msg *req = NULL;
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	PrefixDump p = { .prefix = prefix, .plen = strlen(prefix) };
	int r;

	r = cb ? link_dump_request(kind, &req) : -ENOMEM;
	if (r < 0)
		goto out;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_prefix_link, &p);
	r = nl_send_auto(sk, req);
	if (r >= 0)
		r = nl_recvmsgs(sk, cb);
	r = r < 0 ? nlerr_to_errno(r) : p.error;
	/* The dump is over: fn may use the socket. */
	for (size_t i = 0; r >= 0 && i < p.n; i++)
		r = fn(sk, p.names[i], userdata);
out:
	for (size_t i = 0; i < p.n; i++)
		free(p.names[i]);
	free(p.names);
	nl_cb_put(cb);
	return r < 0 ? r : 0;
}

static void *deleter(void *userdata)
{
	LinkDeletion *del = userdata;
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	_cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
	uint64_t one = 1;
	int r;

	r = link ? netlink_open(&sk) : -ENOMEM;
	if (r >= 0) {
		rtnl_link_set_ifindex(link, del->ifindex);
		r = rtnl_link_delete(sk, link);
		r = r < 0 ? nlerr_to_errno(r) : 0;
	}
	del->result = r;
	/* An eventfd counter cannot overflow from one write. */
	(void)!write(del->efd, &one, sizeof(one));
	return NULL;
}

/* Mark in gone[] the ifindexes the events read now delete; how many were newly marked. */
static size_t seen_dellinks(struct nl_sock *watch, const int *ifindexes, size_t n, bool *gone)
{
	struct sockaddr_nl peer;
	unsigned char *buf = NULL;
	size_t newly = 0;
	int len;

	while ((len = nl_recv(watch, &peer, &buf, NULL)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			/* A bridge's note that its port left (AF_BRIDGE) is not the link going. */
			if (h->nlmsg_type != RTM_DELLINK || nlmsg_datalen(h) < (int)sizeof(struct ifinfomsg) ||
			    ((struct ifinfomsg *)nlmsg_data(h))->ifi_family == AF_BRIDGE)
				continue;
			for (size_t i = 0; i < n; i++)
				if (!gone[i] && ((struct ifinfomsg *)nlmsg_data(h))->ifi_index == ifindexes[i]) {
					gone[i] = true;
					newly++;
				}
		}
		free(buf);
		buf = NULL;
	}
	return newly;
}

/* A socket that hears link deletions, for the waits below; NULL when it cannot be had. */
static struct nl_sock *dellink_watch(void)
{
	struct nl_sock *watch = NULL;

	if (netlink_open(&watch) < 0 || nl_socket_add_membership(watch, RTNLGRP_LINK) < 0 || nl_socket_set_nonblocking(watch) < 0) {
		nl_socket_free(watch);
		return NULL;
	}
	nl_socket_disable_seq_check(watch);
	nl_socket_enable_msg_peek(watch);
	return watch;
}

int link_delete_start(LinkDeletion *del, int ifindex)
{
	_cleanup_(nl_socket_freep) struct nl_sock *watch = NULL;
	struct pollfd p[2];
	int r;

	*del = (LinkDeletion){ .ifindex = ifindex, .efd = -1 };
	/* Without the watch it still works, only as slowly as link_delete(). */
	watch = dellink_watch();
	del->efd = eventfd(0, EFD_CLOEXEC);
	if (del->efd < 0)
		return -errno;
	r = pthread_create(&del->thread, NULL, deleter, del);
	if (r != 0) {
		close(TAKE_FD(del->efd));
		return -r;
	}
	del->started = true;
	p[0] = (struct pollfd){ .fd = del->efd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = watch ? nl_socket_get_fd(watch) : -1, .events = POLLIN };
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			/* Cannot watch: wait for the end. */
			return link_delete_wait(del);
		}
		if (p[0].revents)
			/* Finished (or failed) before the event was read: nothing is left to wait for. */
			return link_delete_wait(del);
		if (p[1].revents && seen_dellinks(watch, &ifindex, 1, &(bool){ false }) > 0)
			return 0;
	}
}

int link_delete_wait(LinkDeletion *del)
{
	if (!del->started)
		return 0;
	pthread_join(del->thread, NULL);
	close(TAKE_FD(del->efd));
	del->started = false;
	return del->result;
}

/* In the detached process: one deletion per thread, so that their grace periods overlap. */
static __attribute__((noreturn)) void detached_deleter(const int *ifindexes, size_t n, int done_fd)
{
	LinkDeletion del[LINK_DELETE_DETACHED_MAX] = {};
	pthread_t t[LINK_DELETE_DETACHED_MAX];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Nothing of the caller's: its runtime waits for the end of stdout and stderr. */
	if (null >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
	}
	(void)setsid();
	/* Nor any other of its fds: the write end of a pipe held here would keep its reader waiting (the CNI plugin's IPAM). */
	if (done_fd > 3)
		(void)close_range(3, (unsigned)done_fd - 1, 0);
	(void)close_range((unsigned)done_fd + 1, ~0U, 0);
	for (size_t i = 0; i < n; i++) {
		del[i] = (LinkDeletion){ .ifindex = ifindexes[i], .efd = eventfd(0, EFD_CLOEXEC) };
		del[i].started = del[i].efd >= 0 && pthread_create(&t[i], NULL, deleter, &del[i]) == 0;
		if (!del[i].started && del[i].efd >= 0)
			deleter(&del[i]); /* no thread: here, one after the other */
	}
	for (size_t i = 0; i < n; i++)
		if (del[i].started)
			pthread_join(t[i], NULL);
	close(done_fd);
	_exit(0);
}

int link_delete_detached(const int *ifindexes, size_t n)
{
	_cleanup_(nl_socket_freep) struct nl_sock *watch = NULL;
	bool gone[LINK_DELETE_DETACHED_MAX] = {};
	uint64_t deadline = clock_usec(CLOCK_MONOTONIC) + 10 * 1000 * 1000;
	size_t left = n;
	int fds[2], status;
	pid_t pid;

	if (n == 0)
		return 0;
	if (n > LINK_DELETE_DETACHED_MAX)
		return -E2BIG;
	/* Subscribed before the first deletion: no event can be missed. */
	watch = dellink_watch();
	if (!watch)
		return -EIO;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Twice: the deleting process is nobody's child to reap. */
		close(fds[0]);
		if (fork() == 0)
			detached_deleter(ifindexes, n, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	/* Until every name is gone, or the deleting process ended (the pipe's end), or 10 s passed. */
	while (left > 0) {
		struct pollfd p[2] = { { .fd = nl_socket_get_fd(watch), .events = POLLIN }, { .fd = fds[0], .events = POLLIN } };
		uint64_t now = clock_usec(CLOCK_MONOTONIC);

		if (now >= deadline)
			break;
		if (poll(p, 2, (int)((deadline - now) / 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			left -= seen_dellinks(watch, ifindexes, n, gone);
		if (p[1].revents)
			break;
	}
	close(fds[0]);
	/* The intermediate child exited long ago (reaped only now: not on the clock). */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* What the events did not say: ask. */
	for (size_t i = 0; i < n; i++) {
		char name[IFNAMSIZ];

		if (!gone[i] && if_indextoname((unsigned)ifindexes[i], name))
			return -EBUSY;
	}
	return 0;
}
