/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Proxmox firewall files: the same text as cluster.fw, host.fw and a
 * guest's .fw, then every NIC's policy, and each in-effect NIC's firewall
 * compiled for the datapath (whose set must hold what it says it holds).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fw-compile.h"
#include "pve-fwconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FwConfig *c = NULL, *h = NULL, *g = NULL;
	Diag d;

	(void)fw_config_parse("cluster.fw", FW_CLUSTER, (const char *)data, size, &c, &d);
	(void)fw_config_parse("host.fw", FW_HOST, (const char *)data, size, &h, &d);
	if (fw_config_parse("100.fw", FW_GUEST, (const char *)data, size, &g, &d) >= 0) {
		PveNet n = { .firewall = true, .keys = 1u << PVE_NET_HWADDR, .hwaddr = { 0xbc, 0x24, 0x11, 0, 0, 1 } };
		DatapathFw *f = calloc(1, sizeof(*f));

		for (unsigned i = 0; f && i < PVE_NET_MAX; i++) {
			FwNicPolicy p;

			fw_nic_policy(c, g, i, &n, 0, &p);
			if (p.effective && fw_compile_nic(c, h, g, i, &n, &p, f, &d) >= 0 && f->n_set > DATAPATH_FW_SET_MAX)
				abort();
		}
		datapath_fw_free(f);
		(void)fw_backend(h, false, true);
	}
	fw_config_free(c);
	fw_config_free(h);
	fw_config_free(g);
	return 0;
}
