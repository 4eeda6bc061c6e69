/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netN property strings: accepted forms, values, Proxmox printing order, round trip. */
#include <arpa/inet.h>
#include <errno.h>

#include "pve-netconf.h"
#include "strutil.h"
#include "tap.h"

static char *fmt(const PveNet *n)
{
	char *s = NULL;

	return pve_net_format(n, &s) < 0 ? NULL : s;
}

static void roundtrip(const char *in, const char *expected)
{
	PveNet a, b;
	Diag d = {};
	char *out = NULL, *again = NULL;

	if (!ok(pve_net_parse(in, &a, &d) == 0, "parses: %s", in)) {
		tap_diag("error: %s", d.msg);
		return;
	}
	out = fmt(&a);
	is_str(out, expected, "prints in Proxmox order: %s", expected);
	ok(out && pve_net_parse(out, &b, &d) == 0 && pve_net_equal(&a, &b), "re-parses to the same values");
	again = out ? fmt(&b) : NULL;
	is_str(again, out, "printing is stable");
	free(out);
	free(again);
}

int main(void)
{
	PveNet n;
	Diag d = {};
	char buf[64];
	unsigned order[PVE_NET_MAX];

	roundtrip("bridge=vmbr0,hwaddr=12:34:56:78:90:12,ip=dhcp,ip6=dhcp,name=eth0,type=veth",
		  "name=eth0,bridge=vmbr0,hwaddr=12:34:56:78:90:12,ip=dhcp,ip6=dhcp,type=veth");
	roundtrip("name=eth0,bridge=simple1,firewall=1,hwaddr=BC:24:11:4D:B0:FF,ip=dhcp,ip6=fd80::1234/64,type=veth",
		  "name=eth0,bridge=simple1,firewall=1,hwaddr=BC:24:11:4D:B0:FF,ip=dhcp,ip6=fd80::1234/64,type=veth");
	roundtrip("type=veth,trunks=300;100;200,tag=42,rate=12.5,mtu=9000,link_down=yes,host-managed=TRUE,name=eth1,"
		  "gw6=fd00::0001,ip6=auto,gw=10.0.0.1,ip=10.0.0.2/8,firewall=Off,bridge=vmbr1,hwaddr=bc:24:11:aa:bb:cc",
		  "name=eth1,bridge=vmbr1,firewall=0,gw=10.0.0.1,gw6=fd00::1,host-managed=1,hwaddr=BC:24:11:AA:BB:CC,"
		  "ip=10.0.0.2/8,ip6=auto,link_down=1,mtu=9000,rate=12.5,tag=42,trunks=100;200;300,type=veth");
	roundtrip("name=e.t-h_0,ip=manual,ip6=manual", "name=e.t-h_0,ip=manual,ip6=manual");
	roundtrip("name=eth0,rate=0", "name=eth0,rate=0");
	roundtrip("name=eth0,rate=.25,trunks=7;7;7", "name=eth0,rate=0.25,trunks=7");
	/* Found by fuzz-netconf: a tiny rate must not print with an exponent. */
	roundtrip("name=eth0,rate=.000000000711254667", "name=eth0,rate=0.000000000711254667");
	roundtrip("name=eth0,rate=100000000000000000000", "name=eth0,rate=100000000000000000000");
	roundtrip("name=eth0,ip=192.0.2.1/32,ip6=2001:db8::1/128,mtu=64", "name=eth0,ip=192.0.2.1/32,ip6=2001:db8::1/128,mtu=64");
	/* Proxmox skips empty items of a comma list. */
	roundtrip("name=eth0,,bridge=vmbr0,", "name=eth0,bridge=vmbr0");

	ok(pve_net_parse("name=eth0,tag=4094,trunks=1;4094,mtu=65535,rate=1000", &n, &d) == 0, "upper bounds accepted");
	is_int(n.tag, 4094, "tag value");
	is_int(n.mtu, 65535, "mtu value");
	is_int(n.n_trunks, 2, "two trunk VLANs");
	ok(pve_net_trunk_has(&n, 1) && pve_net_trunk_has(&n, 4094) && !pve_net_trunk_has(&n, 2), "trunk bitmap");
	ok(n.rate == 1000.0, "rate value");
	ok(!pve_net_has(&n, PVE_NET_BRIDGE) && pve_net_has(&n, PVE_NET_TAG), "keys present bitmap");

	ok(pve_net_parse("name=eth0,ip=10.1.2.3/24,gw=10.1.2.1", &n, &d) == 0, "static IPv4 parses");
	is_int(n.ip.mode, PVE_IP_STATIC, "static mode");
	is_int(n.ip.prefixlen, 24, "prefix length");
	is_str(inet_ntop(AF_INET, &n.ip.addr.v4, buf, sizeof(buf)), "10.1.2.3", "address kept as written (not masked)");
	for (size_t i = 0; i < 7; i++) {
		static const char *const yes[] = { "1", "on", "yes", "true", "TRUE", "On", "YeS" };
		char s[64];

		snprintf(s, sizeof(s), "name=eth0,firewall=%s", yes[i]);
		ok(pve_net_parse(s, &n, &d) == 0 && n.firewall, "boolean '%s' is true", yes[i]);
	}
	for (size_t i = 0; i < 4; i++) {
		static const char *const no[] = { "0", "OFF", "No", "false" };
		char s[64];

		snprintf(s, sizeof(s), "name=eth0,link_down=%s", no[i]);
		ok(pve_net_parse(s, &n, &d) == 0 && !n.link_down && pve_net_has(&n, PVE_NET_LINK_DOWN),
		   "boolean '%s' is false", no[i]);
	}

	/* A failed parse leaves the output untouched. */
	memset(&n, 0xab, sizeof(n));
	ok(pve_net_parse("name=eth0,tag=0", &n, &d) < 0 && ((unsigned char *)&n)[0] == 0xab, "failed parse writes nothing");

	is_int(pve_net_index_from_key("net0"), 0, "net0");
	is_int(pve_net_index_from_key("net31"), 31, "net31");
	is_int(pve_net_index_from_key("net32"), -ERANGE, "net32 out of range");
	is_int(pve_net_index_from_key("net01"), -EINVAL, "net01 is not net1");
	is_int(pve_net_index_from_key("netx"), -EINVAL, "netx");
	is_int(pve_net_index_from_key("mp0"), -EINVAL, "mp0");

	pve_net_key_order(order);
	ok(order[0] == 0 && order[1] == 1 && order[2] == 10 && order[11] == 19 && order[12] == 2 && order[13] == 20 &&
		   order[31] == 9,
	   "net keys iterate in string order like Proxmox");

	/* The address parsers Proxmox's keys and the CNI plugin share (strutil.h). */
	{
		InetPrefix p;
		uint8_t mac[6];

		ok(inet_prefix_parse("10.0.0.5/24", AF_UNSPEC, 0, &p) == 0 && p.family == AF_INET && p.len == 24 &&
			   p.addr[0] == 10 && p.addr[3] == 5,
		   "10.0.0.5/24");
		ok(inet_prefix_parse("fd00::1/64", AF_UNSPEC, 0, &p) == 0 && p.family == AF_INET6 && p.len == 64,
		   "fd00::1/64: IPv6 by its ':'");
		ok(inet_prefix_parse("0.0.0.0/0", AF_UNSPEC, 0, &p) == 0 && p.len == 0, "a default route's 0.0.0.0/0 with min 0");
		is_int(inet_prefix_parse("0.0.0.0/0", AF_INET, 8, &p), -ERANGE, "/0 with min 8 (Proxmox's ip=): -ERANGE");
		is_int(inet_prefix_parse("10.0.0.5/33", AF_UNSPEC, 0, &p), -ERANGE, "/33: -ERANGE");
		is_int(inet_prefix_parse("10.0.0.5/x", AF_UNSPEC, 0, &p), -EDOM, "/x: -EDOM");
		is_int(inet_prefix_parse("10.0.0.5", AF_UNSPEC, 0, &p), -EINVAL, "no length: -EINVAL");
		is_int(inet_prefix_parse("fd00::1/64", AF_INET, 0, &p), -EINVAL, "IPv6 where IPv4 is asked: -EINVAL");
		is_int(inet_prefix_parse(NULL, AF_UNSPEC, 0, &p), -EINVAL, "NULL: -EINVAL");
		ok(mac_parse("bc:24:11:AA:00:0f", mac) == 0 && mac[0] == 0xbc && mac[3] == 0xaa && mac[5] == 0x0f, "a MAC");
		is_int(mac_parse("bc:24:11:aa:00:0", mac), -EINVAL, "a MAC one digit short");
		is_int(mac_parse("bc-24-11-aa-00-0f", mac), -EINVAL, "dashes");
		is_int(mac_parse("bc:24:11:aa:00:0g", mac), -EINVAL, "a g");
		is_int(mac_parse(" c:24:11:aa:00:0f", mac), -EINVAL, "a space");
		is_int(pve_parse_hwaddr("01:24:11:aa:00:0f", mac, &d), -EINVAL, "hwaddr: a multicast MAC is refused");
	}
	return tap_done();
}
