/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bad input in every format: each case must fail with its own specific
 * message (compared in full), never crash, and never succeed.
 */
#include <errno.h>

#include "pve-ctconf.h"
#include "pve-netconf.h"
#include "sdn-config.h"
#include "section-config.h"
#include "storage-config.h"
#include "tap.h"

typedef enum Kind {
	NET,	  /* a netN property string */
	CT,	  /* a container config file, "100.conf" */
	SECTION,  /* generic section config, "zones.cfg" */
	SDN,	  /* zones.cfg + vnets.cfg + subnets.cfg, typed */
	RUNNING,  /* the JSON .running-config */
	STORAGE,  /* storage.cfg, typed */
} Kind;

typedef struct Case {
	Kind kind;
	const char *in;	 /* NET/CT/SECTION/RUNNING/STORAGE input, or SDN zones.cfg */
	size_t len;	 /* 0: strlen(in) */
	const char *vnets, *subnets; /* SDN only */
	const char *expected;
	bool prefix; /* compare only the start (text from json-c) */
} Case;

#define Z "vlan: z1\n\tbridge vmbr0\n"

static const Case cases[] = {
	/* --- netN property strings --- */
	{ NET, "", 0, NULL, NULL, "name: missing (required)" },
	{ NET, "bridge=vmbr0", 0, NULL, NULL, "name: missing (required)" },
	{ NET, "name=eth0,foo=bar", 0, NULL, NULL, "'foo' is not a known key" },
	{ NET, "name=eth0,Name=eth1", 0, NULL, NULL, "'Name' is not a known key" },
	{ NET, "name=eth0,name=eth1", 0, NULL, NULL, "name: duplicate key" },
	{ NET, "name=eth0,tag=1,tag=2", 0, NULL, NULL, "tag: duplicate key" },
	{ NET, "name=eth0,bridge", 0, NULL, NULL, "'bridge' is not a key=value pair" },
	{ NET, "name=eth0,=vmbr0", 0, NULL, NULL, "'=vmbr0' has no key" },
	{ NET, "name=eth0,bridge=", 0, NULL, NULL, "bridge: empty value" },
	{ NET, "name=eth 0", 0, NULL, NULL, "name: 'eth 0' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=eth0/1", 0, NULL, NULL, "name: 'eth0/1' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=eth0 ", 0, NULL, NULL, "name: 'eth0 ' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=abcdefghijklmnop", 0, NULL, NULL, "name: 'abcdefghijklmnop' is longer than 15 characters" },
	{ NET, "name=.", 0, NULL, NULL, "name: '.' is not an interface name" },
	{ NET, "name=..", 0, NULL, NULL, "name: '..' is not an interface name" },
	{ NET, "name=eth0,bridge=..", 0, NULL, NULL, "bridge: '..' is not an interface name" },
	{ NET, "name=eth0,bridge=vmbr0;x", 0, NULL, NULL,
	  "bridge: 'vmbr0;x' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=eth0,bridge=vmbr0'x", 0, NULL, NULL,
	  "bridge: 'vmbr0\\x27x' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=eth0,tag=0", 0, NULL, NULL, "tag: 0 is out of range 1..4094" },
	{ NET, "name=eth0,tag=4095", 0, NULL, NULL, "tag: 4095 is out of range 1..4094" },
	{ NET, "name=eth0,tag=5000", 0, NULL, NULL, "tag: 5000 is out of range 1..4094" },
	{ NET, "name=eth0,tag=-1", 0, NULL, NULL, "tag: '-1' is not an integer" },
	{ NET, "name=eth0,tag=1e2", 0, NULL, NULL, "tag: '1e2' is not an integer" },
	{ NET, "name=eth0,tag= 5", 0, NULL, NULL, "tag: ' 5' is not an integer" },
	{ NET, "name=eth0,tag=0x10", 0, NULL, NULL, "tag: '0x10' is not an integer" },
	{ NET, "name=eth0,tag=99999999999999999999999", 0, NULL, NULL,
	  "tag: 99999999999999999999999 is out of range 1..4094" },
	{ NET, "name=eth0,mtu=63", 0, NULL, NULL, "mtu: 63 is out of range 64..65535" },
	{ NET, "name=eth0,mtu=65536", 0, NULL, NULL, "mtu: 65536 is out of range 64..65535" },
	{ NET, "name=eth0,mtu=1500.5", 0, NULL, NULL, "mtu: '1500.5' is not an integer" },
	{ NET, "name=eth0,trunks=", 0, NULL, NULL, "trunks: empty value" },
	{ NET, "name=eth0,trunks=10;;20", 0, NULL, NULL, "trunks: '10;;20' is not a list of VLAN ids (vlanid[;vlanid...])" },
	{ NET, "name=eth0,trunks=10;", 0, NULL, NULL, "trunks: '10;' is not a list of VLAN ids (vlanid[;vlanid...])" },
	{ NET, "name=eth0,trunks=10;5000", 0, NULL, NULL, "trunks: 5000 is out of range 1..4094" },
	{ NET, "name=eth0,trunks=0", 0, NULL, NULL, "trunks: 0 is out of range 1..4094" },
	{ NET, "name=eth0,trunks=a", 0, NULL, NULL, "trunks: 'a' is not an integer" },
	{ NET, "name=eth0,trunks=10,20", 0, NULL, NULL, "'20' is not a key=value pair" },
	{ NET, "name=eth0,hwaddr=zz:zz:zz:zz:zz:zz", 0, NULL, NULL,
	  "hwaddr: 'zz:zz:zz:zz:zz:zz' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ NET, "name=eth0,hwaddr=01:23:45:67:89:ab", 0, NULL, NULL, "hwaddr: '01:23:45:67:89:ab' is not a unicast MAC address" },
	{ NET, "name=eth0,hwaddr=FF:FF:FF:FF:FF:FF", 0, NULL, NULL, "hwaddr: 'FF:FF:FF:FF:FF:FF' is not a unicast MAC address" },
	{ NET, "name=eth0,hwaddr=BC:24:11:4D:B0", 0, NULL, NULL,
	  "hwaddr: 'BC:24:11:4D:B0' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ NET, "name=eth0,hwaddr=BC-24-11-4D-B0-FF", 0, NULL, NULL,
	  "hwaddr: 'BC-24-11-4D-B0-FF' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ NET, "name=eth0,hwaddr=BC:24:11:4D:B0:FF:00", 0, NULL, NULL,
	  "hwaddr: 'BC:24:11:4D:B0:FF:00' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ NET, "name=eth0,hwaddr= C:24:11:4D:B0:FF", 0, NULL, NULL,
	  "hwaddr: ' C:24:11:4D:B0:FF' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ NET, "name=eth0,ip=10.0.0.1", 0, NULL, NULL, "ip: '10.0.0.1' is not dhcp, manual or an address/prefix-length" },
	{ NET, "name=eth0,ip=10.0.0.1/7", 0, NULL, NULL, "ip: prefix length 7 is out of range 8..32" },
	{ NET, "name=eth0,ip=10.0.0.1/33", 0, NULL, NULL, "ip: prefix length 33 is out of range 8..32" },
	{ NET, "name=eth0,ip=10.0.0.1/x", 0, NULL, NULL, "ip: prefix length 'x' is not a number" },
	{ NET, "name=eth0,ip=10.0.0.256/24", 0, NULL, NULL, "ip: '10.0.0.256' is not an IPv4 address" },
	{ NET, "name=eth0,ip=fd00::1/64", 0, NULL, NULL, "ip: 'fd00::1' is not an IPv4 address" },
	{ NET, "name=eth0,ip=auto", 0, NULL, NULL, "ip: 'auto' is not dhcp, manual or an address/prefix-length" },
	{ NET, "name=eth0,ip=DHCP", 0, NULL, NULL, "ip: 'DHCP' is not dhcp, manual or an address/prefix-length" },
	{ NET, "name=eth0,ip6=fd00::1/129", 0, NULL, NULL, "ip6: prefix length 129 is out of range 8..128" },
	{ NET, "name=eth0,ip6=fd00::g/64", 0, NULL, NULL, "ip6: 'fd00::g' is not an IPv6 address" },
	{ NET, "name=eth0,ip6=slaac", 0, NULL, NULL, "ip6: 'slaac' is not auto, dhcp, manual or an address/prefix-length" },
	{ NET, "name=eth0,gw=10.0.0.1/24", 0, NULL, NULL, "gw: '10.0.0.1/24' is not an IPv4 address" },
	{ NET, "name=eth0,gw=fd00::1", 0, NULL, NULL, "gw: 'fd00::1' is not an IPv4 address" },
	{ NET, "name=eth0,gw6=10.0.0.1", 0, NULL, NULL, "gw6: '10.0.0.1' is not an IPv6 address" },
	{ NET, "name=eth0,firewall=2", 0, NULL, NULL, "firewall: '2' is not a boolean (1/0, on/off, yes/no, true/false)" },
	{ NET, "name=eth0,link_down=y", 0, NULL, NULL, "link_down: 'y' is not a boolean (1/0, on/off, yes/no, true/false)" },
	{ NET, "name=eth0,host-managed=enabled", 0, NULL, NULL,
	  "host-managed: 'enabled' is not a boolean (1/0, on/off, yes/no, true/false)" },
	{ NET, "name=eth0,rate=-1", 0, NULL, NULL, "rate: -1 is negative" },
	{ NET, "name=eth0,rate=fast", 0, NULL, NULL, "rate: 'fast' is not a number (MiB/s)" },
	{ NET, "name=eth0,rate=1e3", 0, NULL, NULL, "rate: '1e3' is not a number (MiB/s)" },
	{ NET, "name=eth0,rate=.", 0, NULL, NULL, "rate: '.' is not a number (MiB/s)" },
	{ NET, "name=eth0,type=macvlan", 0, NULL, NULL, "type: 'macvlan' is not supported (only veth)" },
	{ NET, "name=eth0,tag=1\x01", 0, NULL, NULL, "tag: '1\\x01' is not an integer" },
	{ NET, "name=\xff\xfe", 0, NULL, NULL, "name: '\\xff\\xfe' contains characters other than A-Z a-z 0-9 - _ ." },
	{ NET, "name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, NULL, NULL,
	  "name: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than 15 characters" },

	/* --- container config files --- */
	{ CT, "net0: name=eth0,tag=5000\n", 0, NULL, NULL, "100.conf:1: net0: tag: 5000 is out of range 1..4094" },
	{ CT, "\xef\xbb\xbfnet0: name=eth0\n", 0, NULL, NULL,
	  "100.conf:1: the line starts with a UTF-8 byte order mark (BOM): remove it" },
	{ CT, "arch: amd64\n\xef\xbb\xbfnet1: name=eth0\n", 0, NULL, NULL,
	  "100.conf:2: the line starts with a UTF-8 byte order mark (BOM): remove it" },
	{ CT, "arch: amd64\n\nnet1: name=eth0,tag=5000\n", 0, NULL, NULL, "100.conf:3: net1: tag: 5000 is out of range 1..4094" },
	{ CT, "net0: name=eth0\nnet0: name=eth1\n", 0, NULL, NULL, "100.conf:2: net0: duplicate entry (first on line 1)" },
	{ CT, "net32: name=eth0\n", 0, NULL, NULL, "100.conf:1: net32: not a NIC key (net0..net31)" },
	{ CT, "net01: name=eth0\n", 0, NULL, NULL, "100.conf:1: net01: not a NIC key (net0..net31)" },
	{ CT, "net0:\n", 0, NULL, NULL, "100.conf:1: net0: empty value" },
	{ CT, "net0:    \t\n", 0, NULL, NULL, "100.conf:1: net0: empty value" },
	{ CT, "net0 name=eth0\n", 0, NULL, NULL, "100.conf:1: 'net0 name=eth0' is not a 'netN: value' line" },
	{ CT, "hostname: ct\nnet0", 0, NULL, NULL, "100.conf:2: 'net0' is not a 'netN: value' line" },
	{ CT, "net0: name=eth0,bridge=vm\0br0\n", 30, NULL, NULL, "100.conf:1: net0: value contains a NUL byte" },
	{ CT, "net0: name=eth0,bridge=vmbr0,tag=1,tag=2\n", 0, NULL, NULL, "100.conf:1: net0: tag: duplicate key" },
	{ CT, "net7: \x80\x81name=eth0\n", 0, NULL, NULL, "100.conf:1: net7: '\\x80\\x81name' is not a known key" },
	{ CT, "net2: name=eth0,bridge=vmbr0,hwaddr=12:34\r\n", 0, NULL, NULL,
	  "100.conf:1: net2: hwaddr: '12:34' is not a MAC address (XX:XX:XX:XX:XX:XX)" },
	{ CT, "#net0: name=eth0,tag=5000\nnet3: name=eth0,,mtu=1\n", 0, NULL, NULL,
	  "100.conf:2: net3: mtu: 1 is out of range 64..65535" },

	/* --- section config syntax --- */
	{ SECTION, "vlan myzone\n", 0, NULL, NULL, "zones.cfg:1: 'vlan myzone' is not a 'type: id' section header" },
	{ SECTION, "vlan: my zone\n", 0, NULL, NULL, "zones.cfg:1: 'vlan: my zone' is not a 'type: id' section header" },
	{ SECTION, "vl@n: a\n", 0, NULL, NULL, "zones.cfg:1: 'vl@n: a' is not a 'type: id' section header" },
	{ SECTION, "vlan:\n", 0, NULL, NULL, "zones.cfg:1: 'vlan:' is not a 'type: id' section header" },
	{ SECTION, "\tbridge vmbr0\n", 0, NULL, NULL, "zones.cfg:1: '\\x09bridge vmbr0' is not a 'type: id' section header" },
	{ SECTION, "vlan: a\n\tbridge vmbr0\n\tbridge vmbr1\n", 0, NULL, NULL,
	  "zones.cfg:3: a: bridge: duplicate key (first on line 2)" },
	{ SECTION, "vlan: a\nbridge vmbr0\n", 0, NULL, NULL,
	  "zones.cfg:2: a: 'bridge vmbr0' is not indented (a blank line must end a section)" },
	{ SECTION, "vlan: a\n\tbridge vmbr0\n\nqinq: a\n", 0, NULL, NULL, "zones.cfg:4: a: duplicate section (first on line 1)" },
	{ SECTION, "vlan: a\n\tbridge vm\0br0\n", 22, NULL, NULL, "zones.cfg:2: line contains a NUL byte" },

	/* --- SDN, typed --- */
	{ SDN, "vlan: myzone\n", 0, NULL, NULL, "zones.cfg:1: myzone: bridge: missing (required)" },
	{ SDN, "vlan: z1\n\tbridge vmbr0!\n", 0, NULL, NULL, "zones.cfg:2: z1: bridge: 'vmbr0!' is not an interface name" },
	{ SDN, "qinq: z1\n\tbridge vmbr0\n\ttag 5000\n", 0, NULL, NULL, "zones.cfg:3: z1: tag: 5000 is out of range 1..4094" },
	{ SDN, "qinq: z1\n\tbridge vmbr0\n", 0, NULL, NULL, "zones.cfg:1: z1: tag: missing (required)" },
	{ SDN, "vlan: toolongzone\n\tbridge vmbr0\n", 0, NULL, NULL,
	  "zones.cfg:1: toolongzone: 'toolongzone' is not a valid zone id (2..8 letters and digits, starting with a letter)" },
	{ SDN, "qinq: z1\n\tbridge vmbr0\n\ttag 10\n\tvlan-protocol 802.1x\n", 0, NULL, NULL,
	  "zones.cfg:4: z1: vlan-protocol: '802.1x' is not 802.1q or 802.1ad" },
	{ SDN, "vlan: z1\n\tbridge vmbr0\n\tmtu 10\n", 0, NULL, NULL, "zones.cfg:3: z1: mtu: 10 is out of range 64..65535" },
	{ SDN, "evpn: z1\n\tcontroller c\n\tvrf-vxlan 0\n", 0, NULL, NULL,
	  "zones.cfg:3: z1: vrf-vxlan: 0 is out of range 1..16777215" },
	{ SDN, "evpn: z1\n\tvrf-vxlan 10\n", 0, NULL, NULL, "zones.cfg:1: z1: controller: missing (required)" },
	{ SDN, "vxlan: z1\n\tpeers 10.0.0.1,nothost\n", 0, NULL, NULL, "zones.cfg:2: z1: peers: 'nothost' is not an IP address" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z2\n\ttag 10\n", NULL, "vnets.cfg:2: v1: zone: 'z2' is not a defined zone" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n", NULL, "vnets.cfg:1: v1: tag: missing (required in vlan zone 'z1')" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n\ttag 5000\n", NULL,
	  "vnets.cfg:3: v1: tag: 5000 is out of range 1..4094 for vlan zone 'z1'" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n\ttag 16777216\n", NULL, "vnets.cfg:3: v1: tag: 16777216 is out of range 1..16777215" },
	{ SDN, "qinq: q1\n\tbridge vmbr0\n\ttag 10\n", 0, "vnet: v1\n\tzone q1\n\ttag 4095\n", NULL,
	  "vnets.cfg:3: v1: tag: 4095 is out of range 1..4094 for qinq zone 'q1'" },
	{ SDN, "vxlan: x1\n", 0, "vnet: v1\n\tzone x1\n", NULL, "vnets.cfg:1: v1: tag: missing (the VNI, required in vxlan zone 'x1')" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n\ttag 10\n\tvlanaware maybe\n", NULL,
	  "vnets.cfg:4: v1: vlanaware: 'maybe' is not a boolean" },
	{ SDN, Z, 0, "vnetz: v1\n\tzone z1\n", NULL, "vnets.cfg:1: v1: section type 'vnetz' is not 'vnet'" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n\ttag 10\n", "subnet: z1-10.0.0.0-24\n\tvnet nov\n",
	  "subnets.cfg:2: z1-10.0.0.0-24: vnet: 'nov' is not a defined VNet" },
	{ SDN, Z, 0, "vnet: v1\n\tzone z1\n\ttag 10\n", "subnet: z1-10.0.0.0-24\n\tvnet v1\n\tgateway 10.0.0.300\n",
	  "subnets.cfg:3: z1-10.0.0.0-24: gateway: '10.0.0.300' is not an IP address" },

	/* --- JSON running config --- */
	{ RUNNING, "{", 0, NULL, NULL, ".running-config: invalid JSON: unexpected end of input" },
	{ RUNNING, "", 0, NULL, NULL, ".running-config: invalid JSON: unexpected end of input" },
	{ RUNNING, "[]", 0, NULL, NULL, ".running-config: expected a JSON object at the top" },
	{ RUNNING, "{} x", 0, NULL, NULL, ".running-config: invalid JSON: trailing data at byte 3" },
	{ RUNNING, "{\"a\": tru}", 0, NULL, NULL, ".running-config: invalid JSON at byte ", true },
	{ RUNNING, "{\"a\"\0:1}", 8, NULL, NULL, ".running-config: contains a NUL byte" },
	{ RUNNING, "{\"zones\": 5}", 0, NULL, NULL, ".running-config: zones: expected an object with an 'ids' object" },
	{ RUNNING, "{\"zones\":{\"ids\":{\"z1\":{\"bridge\":\"vmbr0\"}}}}", 0, NULL, NULL,
	  ".running-config: zones: z1: type: missing (required)" },
	{ RUNNING, "{\"zones\":{\"ids\":{\"z1\":{\"type\":7}}}}", 0, NULL, NULL,
	  ".running-config: zones: z1: type: expected a string" },
	{ RUNNING, "{\"zones\":{\"ids\":{\"z1\":[1]}}}", 0, NULL, NULL, ".running-config: zones: z1: expected an object" },
	{ RUNNING, "{\"zones\":{\"ids\":{\"z1\":{\"type\":\"vlan\"}}}}", 0, NULL, NULL,
	  ".running-config: z1: bridge: missing (required)" },
	{ RUNNING,
	  "{\"zones\":{\"ids\":{\"z1\":{\"type\":\"vlan\",\"bridge\":\"vmbr0\"}}},"
	  "\"vnets\":{\"ids\":{\"v1\":{\"type\":\"vnet\",\"zone\":\"z1\",\"tag\":5000}}}}",
	  0, NULL, NULL, ".running-config: v1: tag: 5000 is out of range 1..4094 for vlan zone 'z1'" },
	{ RUNNING, "{\"zones\":{\"ids\":{\"z1\":{\"type\":\"vlan\",\"bridge\":[[\"a\"]]}}}}", 0, NULL, NULL,
	  ".running-config: z1: bridge: nested value in list" },

	/* --- storage.cfg --- */
	{ STORAGE, "nfs: n1\n\tserver a\n\texport /x\n\tdisable 2\n", 0, NULL, NULL,
	  "storage.cfg:4: n1: disable: '2' is not a boolean" },
};

static int run_case(const Case *c, Diag *d)
{
	size_t len = c->len ? c->len : strlen(c->in);

	switch (c->kind) {
	case NET: {
		PveNet n;

		return pve_net_parse(c->in, &n, d);
	}
	case CT: {
		_cleanup_(ct_config_freep) CtConfig *ct = NULL;

		return ct_config_parse("/etc/pve/lxc/100.conf", c->in, len, &ct, d);
	}
	case SECTION: {
		_cleanup_(section_file_freep) SectionFile *f = NULL;

		return section_file_parse("zones.cfg", c->in, len, NULL, &f, d);
	}
	case SDN: {
		_cleanup_(section_file_freep) SectionFile *z = NULL, *v = NULL, *s = NULL;
		_cleanup_(sdn_config_freep) SdnConfig *sdn = NULL;
		static const char *const multi[] = { "dhcp-range", NULL };
		int r;

		r = section_file_parse("zones.cfg", c->in, len, NULL, &z, d);
		if (r >= 0 && c->vnets)
			r = section_file_parse("vnets.cfg", c->vnets, strlen(c->vnets), NULL, &v, d);
		if (r >= 0 && c->subnets)
			r = section_file_parse("subnets.cfg", c->subnets, strlen(c->subnets), multi, &s, d);
		if (r < 0) {
			diag_prefix(d, "unexpected syntax error: ");
			return r;
		}
		return sdn_config_from_sections(z, v, s, &sdn, d);
	}
	case RUNNING: {
		_cleanup_(sdn_config_freep) SdnConfig *sdn = NULL;

		return sdn_config_parse_running(".running-config", c->in, len, &sdn, d);
	}
	case STORAGE: {
		_cleanup_(storage_config_freep) StorageConfig *st = NULL;
		SectionFile *f = NULL;
		int r;

		r = section_file_parse("storage.cfg", c->in, len, NULL, &f, d);
		if (r < 0)
			return r;
		return storage_config_from_sections(f, &st, d);
	}
	}
	return 0;
}

int main(void)
{
	_cleanup_free_ char *huge = NULL, *huge_ct = NULL, *garbage = NULL;
	const size_t mib = 1024 * 1024;
	PveNet n;
	Diag d = {};
	char expected[256];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const Case *c = &cases[i];
		char label[80];

		d = (Diag){};
		diag_escape(label, sizeof(label), c->in, c->len ? c->len : strlen(c->in));
		r = run_case(c, &d);
		if (!ok(r < 0, "case %zu fails: %s", i, label))
			continue;
		if (c->prefix)
			ok(strncmp(d.msg, c->expected, strlen(c->expected)) == 0, "case %zu message starts '%s' (got '%s')", i,
			   c->expected, d.msg);
		else
			is_str(d.msg, c->expected, "case %zu message", i);
	}

	/* A 1 MiB property string, alone and as a config line. */
	huge = malloc(mib + 6);
	memcpy(huge, "name=", 5);
	memset(huge + 5, 'a', mib);
	huge[mib + 5] = '\0';
	ok(pve_net_parse(huge, &n, &d) == -E2BIG, "1 MiB property string rejected");
	snprintf(expected, sizeof(expected), "property string is too long (%zu bytes, at most 65536)", mib + 5);
	is_str(d.msg, expected, "1 MiB property string message");

	huge_ct = malloc(mib + 16);
	memcpy(huge_ct, "net4: ", 6);
	memcpy(huge_ct + 6, huge, mib + 5);
	huge_ct[mib + 11] = '\n';
	{
		_cleanup_(ct_config_freep) CtConfig *ct = NULL;

		ok(ct_config_parse("100.conf", huge_ct, mib + 12, &ct, &d) < 0, "1 MiB config line rejected");
		snprintf(expected, sizeof(expected), "100.conf:1: net4: property string is too long (%zu bytes, at most 65536)",
			 mib + 5);
		is_str(d.msg, expected, "1 MiB config line message");
	}

	/* Binary garbage: every reader fails cleanly or accepts, never crashes. */
	garbage = malloc(mib);
	srand(42);
	for (size_t i = 0; i < mib; i++)
		garbage[i] = (char)(rand() & 0xff);
	{
		_cleanup_(ct_config_freep) CtConfig *ct = NULL;
		_cleanup_(section_file_freep) SectionFile *f = NULL;
		_cleanup_(sdn_config_freep) SdnConfig *sdn = NULL;

		/* Random bytes have NULs and non-indented text: the section reader must say so. */
		ok(section_file_parse("zones.cfg", garbage, mib, NULL, &f, &d) < 0 && strncmp(d.msg, "zones.cfg:", 10) == 0,
		   "binary garbage as section config: error names the file (%s)", d.msg);
		ok(sdn_config_parse_running(".running-config", garbage, mib, &sdn, &d) < 0 &&
			   strncmp(d.msg, ".running-config:", 16) == 0,
		   "binary garbage as running config: error names the file (%s)", d.msg);
		r = ct_config_parse("100.conf", garbage, mib, &ct, &d);
		ok(r >= 0 || strncmp(d.msg, "100.conf:", 9) == 0, "binary garbage as container config: no crash (%s)",
		   r >= 0 ? "accepted, no NIC line" : d.msg);
		/* With a NIC line buried in it, the line is found and judged. */
		memcpy(garbage + 1000, "\nnet9: name=eth0,tag=9999\n", 26);
		ct_config_free(TAKE_PTR(ct));
		r = ct_config_parse("100.conf", garbage, mib, &ct, &d);
		ok(r < 0 && strstr(d.msg, "net9: tag: 9999 is out of range 1..4094"), "NIC line inside garbage is checked (%s)",
		   d.msg);
	}

	is_int(ELEMENTSOF(cases) >= 60, 1, "at least 60 table cases (%zu)", ELEMENTSOF(cases));
	return tap_done();
}
