/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CNI network configuration reader (common/cni-conf.c): what a valid
 * conflist entry gives (the netN property string, IPAM, prevResult, the
 * runtime's MAC), unknown keys listed or refused with "strict", and each
 * refusal with the CNI error code the runtime gets and a message naming
 * the key.
 */
#include <string.h>

#include "cni-conf.h"
#include "tap.h"

static void bad(const char *text, unsigned code, const char *says, const char *what)
{
	CniConf c = {};
	CniError err = {};
	int r = cni_conf_parse(text, &c, &err);

	ok(r < 0 && err.code == code && strstr(err.msg, says), "%s: error %u, '%s' (%u: %s)", what, code, says, err.code, err.msg);
	cni_conf_done(&c);
}

int main(void)
{
	CniConf c = {};
	CniError err = {};

	is_int(cni_conf_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"lan100\",\"type\":\"lxcnet-cni\",\"bridge\":\"vmbr0\","
			      "\"tag\":100,\"trunks\":[200,300],\"rate\":12.5,\"mtu\":1400,\"firewall\":true,"
			      "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.0.0.0/24\"},\"dns\":{\"nameservers\":[\"10.0.0.1\"]},"
			      "\"runtimeConfig\":{\"mac\":\"bc:24:11:00:00:01\"},\"prevResult\":{\"interfaces\":[]}}",
			      &c, &err),
	       0, "a full configuration");
	is_str(c.spec, "bridge=vmbr0,tag=100,trunks=200;300,rate=12.5,mtu=1400,firewall=1", "its netN property string");
	ok(strcmp(c.version, "1.0.0") == 0 && strcmp(c.name, "lan100") == 0 && !c.is_vnet && c.firewall, "version, name, bridge, firewall");
	ok(c.ipam_type && strcmp(c.ipam_type, "host-local") == 0 && c.dns && c.prev, "IPAM type, dns and prevResult kept");
	is_str(c.mac, "bc:24:11:00:00:01", "runtimeConfig's MAC");
	is_int(c.n_unknown_keys, 0, "no unknown key");
	cni_conf_done(&c);

	is_int(cni_conf_parse("{\"cniVersion\":\"0.4.0\",\"name\":\"v\",\"vnet\":\"prod\",\"trunks\":\"10;20\",\"tga\":5,"
			      "\"cni.dev/x\":1,\"ipam\":{}}",
			      &c, &err),
	       0, "a VNet, trunks as Proxmox writes them, a misspelt key");
	is_str(c.spec, "bridge=prod,trunks=10;20", "the VNet is the bridge; an empty ipam is none");
	ok(c.is_vnet && !c.ipam_type, "a VNet, no IPAM");
	ok(c.n_unknown_keys == 1 && strcmp(c.unknown_keys[0], "tga") == 0, "'tga' listed as unknown; cni.dev/ keys are not");
	cni_conf_done(&c);

	bad("not json", CNI_ERR_DECODE, "network configuration on stdin", "not JSON");
	bad("[1]", CNI_ERR_DECODE, "not a JSON object", "a JSON array");
	bad("{\"name\":\"a\"}", CNI_ERR_INVALID_CONFIG, "cniVersion: missing", "no cniVersion");
	bad("{\"cniVersion\":\"2.0.0\",\"name\":\"a\",\"bridge\":\"b\"}", CNI_ERR_INCOMPATIBLE_VERSION, "cniVersion 2.0.0", "cniVersion 2.0.0");
	bad("{\"cniVersion\":\"1.0.0\",\"bridge\":\"b\"}", CNI_ERR_INVALID_CONFIG, "name: missing", "no name");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"-a\",\"bridge\":\"b\"}", CNI_ERR_INVALID_CONFIG, "not a network name", "a name starting with '-'");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\"}", CNI_ERR_INVALID_CONFIG, "exactly one of", "neither bridge nor vnet");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"vnet\":\"c\"}", CNI_ERR_INVALID_CONFIG, "exactly one of", "both");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"a,tag=5\"}", CNI_ERR_INVALID_CONFIG, "is not a valid name",
	    "a bridge smuggling a key");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"tag\":\"100\"}", CNI_ERR_INVALID_CONFIG, "tag: must be an integer",
	    "tag as a string");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"rate\":\"x\"}", CNI_ERR_INVALID_CONFIG, "rate: must be a number",
	    "rate as a string");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"firewall\":1}", CNI_ERR_INVALID_CONFIG, "firewall: must be true",
	    "firewall as a number");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"trunks\":\"10,link_down=1\"}", CNI_ERR_INVALID_CONFIG,
	    "is not a list of VLAN ids", "trunks smuggling a key");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"trunks\":[1,\"x\"]}", CNI_ERR_INVALID_CONFIG,
	    "trunks: must be a list", "trunks with a string");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"ipam\":[]}", CNI_ERR_INVALID_CONFIG, "ipam: must be an object",
	    "ipam as a list");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"ipam\":{\"type\":\"../x\"}}", CNI_ERR_INVALID_CONFIG,
	    "not a plugin name", "an IPAM type with a '/'");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"tga\":1,\"strict\":true}", CNI_ERR_INVALID_CONFIG,
	    "'tga': unknown key", "a misspelt key with strict");
	bad("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"strict\":\"yes\"}", CNI_ERR_INVALID_CONFIG,
	    "strict: must be true or false", "strict as a string");
	{
		char text[2048];
		size_t n = (size_t)snprintf(text, sizeof(text), "{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"bridge\":\"b\",\"trunks\":[");

		for (unsigned i = 0; i < 200; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%u", i ? "," : "", 1000 + i);
		snprintf(text + n, sizeof(text) - n, "]}");
		bad(text, CNI_ERR_INVALID_CONFIG, "trunks: too many", "200 trunks do not fit a netN line");
	}
	/* The version of a configuration that failed later is still known, for the error's own cniVersion. */
	ok(cni_conf_parse("{\"cniVersion\":\"0.3.1\",\"name\":\"a\"}", &c, &err) < 0 && c.version && strcmp(c.version, "0.3.1") == 0,
	   "a failed configuration still gives its cniVersion");
	cni_conf_done(&c);
	ok(cni_version_at_least("1.1.0", "1.0.0") && !cni_version_at_least("0.4.0", "1.0.0") && cni_version_supported("0.3.0") &&
		   !cni_version_supported("0.2.0"),
	   "versions compared and known");
	return tap_done();
}
