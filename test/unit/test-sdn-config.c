/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SDN: JSON running config and .cfg files give the same model; VNet resolution per zone type. */
#include <errno.h>

#include "sdn-config.h"
#include "strutil.h"
#include "tap.h"

static const char running[] =
	"{\"version\": 7,"
	" \"zones\": {\"ids\": {"
	"   \"zvlan\": {\"type\": \"vlan\", \"bridge\": \"vmbr0\", \"ipam\": \"pve\", \"mtu\": \"1450\"},"
	"   \"zq\": {\"type\": \"qinq\", \"bridge\": \"vmbr0\", \"tag\": 20, \"vlan-protocol\": \"802.1ad\"},"
	"   \"zs\": {\"type\": \"simple\", \"nodes\": {\"pve1\": 1, \"pve2\": 1}},"
	"   \"zx\": {\"type\": \"vxlan\", \"peers\": \"192.0.2.1,192.0.2.2\"},"
	"   \"ze\": {\"type\": \"evpn\", \"controller\": \"ctl\", \"vrf-vxlan\": 1000, \"exitnodes\": {\"pve1\": 1}},"
	"   \"zf\": {\"type\": \"faucet\", \"dpid\": 1}}},"
	" \"vnets\": {\"ids\": {"
	"   \"v100\": {\"type\": \"vnet\", \"zone\": \"zvlan\", \"tag\": 100, \"alias\": \"web\"},"
	"   \"v200\": {\"type\": \"vnet\", \"zone\": \"zvlan\", \"tag\": \"200\", \"vlanaware\": true},"
	"   \"vq\": {\"type\": \"vnet\", \"zone\": \"zq\", \"tag\": 100},"
	"   \"vs\": {\"zone\": \"zs\"},"
	"   \"vx\": {\"type\": \"vnet\", \"zone\": \"zx\", \"tag\": 5000},"
	"   \"vf\": {\"type\": \"vnet\", \"zone\": \"zf\"}}},"
	" \"subnets\": {\"ids\": {"
	"   \"zvlan-10.0.0.0-24\": {\"type\": \"subnet\", \"vnet\": \"v100\", \"gateway\": \"10.0.0.1\", \"snat\": 1,"
	"      \"dhcp-range\": [\"start-address=10.0.0.10,end-address=10.0.0.20\", \"start-address=10.0.0.30,end-address=10.0.0.40\"]}}},"
	" \"controllers\": {\"ids\": {}}}";

static const char zones_cfg[] = "vlan: zvlan\n\tbridge vmbr0\n\tipam pve\n\tmtu 1450\n\n"
				"qinq: zq\n\tbridge vmbr0\n\ttag 20\n\tvlan-protocol 802.1ad\n\n"
				"simple: zs\n\tnodes pve1,pve2\n\n"
				"vxlan: zx\n\tpeers 192.0.2.1,192.0.2.2\n\n"
				"evpn: ze\n\tcontroller ctl\n\tvrf-vxlan 1000\n\texitnodes pve1\n\n"
				"faucet: zf\n\tdpid 1\n";
static const char vnets_cfg[] = "vnet: v100\n\tzone zvlan\n\ttag 100\n\talias web\n\n"
				"vnet: v200\n\tzone zvlan\n\ttag 200\n\tvlanaware\n\n"
				"vnet: vq\n\tzone zq\n\ttag 100\n\n"
				"vnet: vs\n\tzone zs\n\n"
				"vnet: vx\n\tzone zx\n\ttag 5000\n\n"
				"vnet: vf\n\tzone zf\n";
static const char subnets_cfg[] = "subnet: zvlan-10.0.0.0-24\n\tvnet v100\n\tgateway 10.0.0.1\n\tsnat 1\n"
				  "\tdhcp-range start-address=10.0.0.10,end-address=10.0.0.20\n"
				  "\tdhcp-range start-address=10.0.0.30,end-address=10.0.0.40\n";

/* The test's host: these bridges "exist". */
static bool fake_bridges(const char *ifname, void *userdata)
{
	return strv_contains(userdata, ifname);
}

static void check_model(const char *what, const SdnConfig *c)
{
	const SdnZone *z;
	const SdnVnet *v;

	is_int(c->n_zones, 6, "%s: zones", what);
	is_int(c->n_vnets, 6, "%s: vnets", what);
	is_int(c->n_subnets, 1, "%s: subnets", what);
	z = sdn_config_find_zone(c, "zvlan");
	ok(z && z->type == SDN_ZONE_VLAN && strcmp(z->bridge, "vmbr0") == 0 && z->mtu == 1450, "%s: vlan zone", what);
	z = sdn_config_find_zone(c, "zq");
	ok(z && z->type == SDN_ZONE_QINQ && z->tag == 20 && z->vlan_protocol == 0x88a8, "%s: qinq zone", what);
	z = sdn_config_find_zone(c, "zs");
	ok(z && z->nodes && strv_length(z->nodes) == 2 && strv_contains(z->nodes, "pve2"), "%s: nodes list", what);
	z = sdn_config_find_zone(c, "zx");
	ok(z && strv_length(z->peers) == 2, "%s: vxlan peers", what);
	z = sdn_config_find_zone(c, "ze");
	ok(z && z->vrf_vxlan == 1000 && strcmp(z->controller, "ctl") == 0, "%s: evpn zone", what);
	z = sdn_config_find_zone(c, "zf");
	ok(z && z->type == SDN_ZONE_OTHER && strcmp(z->type_name, "faucet") == 0, "%s: unknown zone type kept", what);
	v = sdn_config_find_vnet(c, "v100");
	ok(v && v->tag == 100 && strcmp(v->alias, "web") == 0 && !v->vlanaware, "%s: vnet v100", what);
	v = sdn_config_find_vnet(c, "v200");
	ok(v && v->tag == 200 && v->vlanaware, "%s: vnet v200 (string tag, boolean flag)", what);
	v = sdn_config_find_vnet(c, "vx");
	ok(v && v->tag == 5000, "%s: VNI above 4094 allowed in vxlan zone", what);
	ok(c->subnets[0].snat && strv_length(c->subnets[0].dhcp_ranges) == 2 && strcmp(c->subnets[0].gateway, "10.0.0.1") == 0,
	   "%s: subnet", what);
}

static void check_resolve(const SdnConfig *c, const char *vnet, const char *node, char **bridges, int want_r,
			  const char *want_bridge, unsigned tag, unsigned stag, const char *want_msg)
{
	SdnPlug p = {};
	Diag d = {};
	int r = sdn_vnet_resolve(c, vnet, node, fake_bridges, bridges, &p, &d);

	is_int(r, want_r, "resolve %s: result", vnet);
	if (r >= 0)
		ok(strcmp(p.bridge, want_bridge) == 0 && p.tag == tag && p.service_tag == stag,
		   "resolve %s: %s tag %u service tag %u (got %s %u %u)", vnet, want_bridge, tag, stag, p.bridge, p.tag,
		   p.service_tag);
	else
		is_str(d.msg, want_msg, "resolve %s: message", vnet);
}

int main(void)
{
	_cleanup_(sdn_config_freep) SdnConfig *j = NULL, *s = NULL;
	_cleanup_(section_file_freep) SectionFile *zf = NULL, *vf = NULL, *sf = NULL;
	static const char *const multi[] = { "dhcp-range", NULL };
	char *host[] = { (char *)"vmbr0", NULL };
	char *host_sdn[] = { (char *)"vmbr0", (char *)"v100", (char *)"vs", (char *)"vx", NULL };
	Diag d = {};
	int r;

	r = sdn_config_parse_running(".running-config", running, sizeof(running) - 1, &j, &d);
	if (!ok(r >= 0, "running config parses (%s)", r < 0 ? d.msg : "ok"))
		return tap_done();
	is_int(j->version, 7, "version");
	check_model("json", j);

	r = section_file_parse("zones.cfg", zones_cfg, sizeof(zones_cfg) - 1, NULL, &zf, &d);
	if (r >= 0)
		r = section_file_parse("vnets.cfg", vnets_cfg, sizeof(vnets_cfg) - 1, NULL, &vf, &d);
	if (r >= 0)
		r = section_file_parse("subnets.cfg", subnets_cfg, sizeof(subnets_cfg) - 1, multi, &sf, &d);
	if (r >= 0)
		r = sdn_config_from_sections(zf, vf, sf, &s, &d);
	if (!ok(r >= 0, "cfg files parse (%s)", r < 0 ? d.msg : "ok"))
		return tap_done();
	check_model("cfg", s);

	/* No SDN bridges on the host: lxcnet plugs vlan/qinq VNets into the zone bridge with tags. */
	check_resolve(j, "v100", "pve1", host, 0, "vmbr0", 100, 0, NULL);
	check_resolve(j, "vq", "pve1", host, 0, "vmbr0", 100, 20, NULL);
	check_resolve(j, "vs", "pve1", host, -ENXIO, NULL, 0, 0,
		      "VNet 'vs': simple zone 'zs' needs the VNet bridge 'vs', which does not exist (apply the SDN configuration first)");
	check_resolve(j, "vx", NULL, host, -ENXIO, NULL, 0, 0,
		      "VNet 'vx': vxlan zone 'zx' needs the VNet bridge 'vx', which does not exist (apply the SDN configuration first)");
	check_resolve(j, "vf", NULL, host, -EOPNOTSUPP, NULL, 0, 0,
		      "VNet 'vf': zone 'zf' has type 'faucet', which lxcnet cannot plug");
	check_resolve(j, "nope", NULL, host, -ENOENT, NULL, 0, 0, "VNet 'nope' is not defined");
	check_resolve(j, "vs", "pve3", host, -EPERM, NULL, 0, 0, "VNet 'vs': zone 'zs' is not available on node 'pve3'");
	check_resolve(j, "v100", NULL, (char *[]){ NULL }, -ENXIO, NULL, 0, 0,
		      "VNet 'v100': bridge 'vmbr0' of zone 'zvlan' does not exist");
	/* Bridges named like the VNet (Proxmox SDN applied): used as is, no tag from lxcnet. */
	check_resolve(j, "v100", NULL, host_sdn, 0, "v100", 0, 0, NULL);
	check_resolve(j, "vs", "pve2", host_sdn, 0, "vs", 0, 0, NULL);
	check_resolve(j, "vx", NULL, host_sdn, 0, "vx", 0, 0, NULL);
	check_resolve(s, "vq", NULL, host, 0, "vmbr0", 100, 20, NULL);

	/* A running config without SDN objects is an empty config. */
	{
		_cleanup_(sdn_config_freep) SdnConfig *e = NULL;

		r = sdn_config_parse_running("x", "{\"version\": 1}", 14, &e, &d);
		ok(r >= 0 && e->n_zones == 0 && e->n_vnets == 0, "empty running config");
	}
	return tap_done();
}
