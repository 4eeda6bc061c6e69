/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netlink/errno.h>
#include <string.h>

#include "netlink-link.h"

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

int netlink_open(struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return nlerr_to_errno(r);
	*ret = TAKE_PTR(sk);
	return 0;
}

int link_get(struct nl_sock *sk, const char *ifname, LinkInfo *ret)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *link = NULL;
	const char *type;
	int r;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	r = rtnl_link_get_kernel(sk, 0, ifname, &link); /* new reference */
	if (r < 0)
		return nlerr_to_errno(r);
	type = rtnl_link_get_type(link);
	*ret = (LinkInfo){
		.ifindex = rtnl_link_get_ifindex(link),
		.mtu = rtnl_link_get_mtu(link),
		.master = rtnl_link_get_master(link),
		.up = rtnl_link_get_flags(link) & IFF_UP,
		.is_bridge = type && strcmp(type, "bridge") == 0,
	};
	return 0;
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

int link_foreach_prefix(struct nl_sock *sk, const char *prefix, int (*fn)(struct nl_sock *sk, const char *ifname, void *userdata),
			void *userdata)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	size_t plen = strlen(prefix);
	int r;

	r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (r < 0)
		return nlerr_to_errno(r);
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		const char *name = rtnl_link_get_name((struct rtnl_link *)o);

		if (!name || strncmp(name, prefix, plen) != 0)
			continue;
		r = fn(sk, name, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}
