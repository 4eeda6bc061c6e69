/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxc.net.N.* lines as pve-container writes them, with lxcnet's netup hook. */
#include <errno.h>

#include "lxc-netconf.h"
#include "tap.h"

static char *lines(const char *vmid, unsigned idx, const char *spec, uint32_t bridge_mtu, int *ret, Diag *d)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	PveNet n;

	*ret = pve_net_parse(spec, &n, d);
	if (*ret >= 0)
		*ret = lxc_netconf_print(f, vmid, idx, &n, bridge_mtu, "/usr/libexec/lxcnet/lxcnet-netup", d);
	fclose(f);
	return buf;
}

int main(void)
{
	char ifname[IFNAMSIZ];
	Diag d = {};
	int r;
	char *s;

	s = lines("100", 0, "name=eth0,bridge=vmbr0,hwaddr=bc:24:11:4d:b0:ff,ip=dhcp,type=veth", 1500, &r, &d);
	is_str(s, "lxc.net.0.type = veth\n"
		  "lxc.net.0.veth.pair = veth100i0\n"
		  "lxc.net.0.hwaddr = BC:24:11:4D:B0:FF\n"
		  "lxc.net.0.name = eth0\n"
		  "lxc.net.0.mtu = 1500\n"
		  "lxc.net.0.script.up = /usr/libexec/lxcnet/lxcnet-netup\n",
	       "plain NIC: bridge MTU used");
	free(s);

	s = lines("4242", 31, "name=eth9,bridge=vmbr0,mtu=1400", 9000, &r, &d);
	is_str(s, "lxc.net.31.type = veth\n"
		  "lxc.net.31.veth.pair = veth4242i31\n"
		  "lxc.net.31.name = eth9\n"
		  "lxc.net.31.mtu = 1400\n"
		  "lxc.net.31.script.up = /usr/libexec/lxcnet/lxcnet-netup\n",
	       "net31 with its own MTU, no hwaddr");
	free(s);

	s = lines("100", 1, "name=eth1,bridge=vmbr0,host-managed=1,ip=10.0.0.2/24,gw=10.0.0.1,ip6=fd00::2/64,gw6=fd00::1", 0, &r, &d);
	is_str(s, "lxc.net.1.type = veth\n"
		  "lxc.net.1.veth.pair = veth100i1\n"
		  "lxc.net.1.name = eth1\n"
		  "lxc.net.1.script.up = /usr/libexec/lxcnet/lxcnet-netup\n"
		  "lxc.net.1.ipv4.address = 10.0.0.2/24\n"
		  "lxc.net.1.ipv4.gateway = 10.0.0.1\n"
		  "lxc.net.1.ipv6.address = fd00::2/64\n"
		  "lxc.net.1.ipv6.gateway = fd00::1\n"
		  "lxc.net.1.flags = up\n",
	       "host-managed addresses; unknown bridge MTU writes no mtu line");
	free(s);

	s = lines("100", 2, "name=eth2,bridge=vmbr0,host-managed=1,ip=dhcp,link_down=1", 1500, &r, &d);
	ok(r >= 0 && !strstr(s, "flags = up") && !strstr(s, "ipv4"), "host-managed but link_down: no address, no flags");
	free(s);

	s = lines("100", 0, "name=eth0,bridge=vmbr0,mtu=9000", 1500, &r, &d);
	is_int(r, -EINVAL, "MTU above the bridge MTU refused");
	is_str(d.msg, "net0: mtu: 9000 is bigger than the bridge MTU 1500", "MTU message");
	free(s);

	s = lines("100", 0, "name=eth0,bridge=vmbr0,host-managed=1,ip6=auto", 1500, &r, &d);
	is_int(r, -EINVAL, "host-managed SLAAC refused");
	is_str(d.msg, "net0: ip6: SLAAC is not supported for host-managed network configuration", "SLAAC message");
	free(s);

	ok(lxc_netconf_host_ifname("999999999", 31, ifname) == -ENAMETOOLONG, "veth999999999i31 does not fit IFNAMSIZ");
	ok(lxc_netconf_host_ifname("100", 3, ifname) == 0 && strcmp(ifname, "veth100i3") == 0, "veth100i3");
	{
		static const struct {
			const char *ifname, *ct;
			int idx; /* -1: refused */
		} t[] = {
			{ "veth100i3", "100", 3 },   { "vethweb1i0", "web1", 0 }, { "vethaii31", "ai", 31 },
			{ "vethi0", NULL, -1 },	     { "veth100i32", NULL, -1 },  { "veth100i01", NULL, -1 },
			{ "veth100i", NULL, -1 },    { "veth100", NULL, -1 },	  { "tap100i0", NULL, -1 },
			{ "veth100ix", NULL, -1 },   { "veth100i-1", NULL, -1 },
		};
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			char ct[64] = "";
			unsigned idx = 99;
			int q = lxc_netconf_parse_host_ifname(t[i].ifname, ct, sizeof(ct), &idx);

			if (t[i].idx < 0)
				is_int(q, -EINVAL, "parse %s: refused", t[i].ifname);
			else
				ok(q == 0 && strcmp(ct, t[i].ct) == 0 && (int)idx == t[i].idx, "parse %s: %s and %d", t[i].ifname,
				   t[i].ct, t[i].idx);
		}
		ok(lxc_netconf_parse_host_ifname("vethlongname1i0", ifname, 4, &(unsigned){ 0 }) == -EINVAL,
		   "parse: a name longer than the buffer is refused");
		ok(lxc_netconf_host_ifname("web1", 7, ifname) == 0 &&
			   lxc_netconf_parse_host_ifname(ifname, (char[16]){}, 16, &(unsigned){ 0 }) == 0,
		   "what lxc_netconf_host_ifname names, lxc_netconf_parse_host_ifname reads");
	}
	return tap_done();
}
