/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Proxmox firewall files: the same text as cluster.fw, host.fw and a guest's .fw, then every NIC's policy. */
#include <stdint.h>
#include <stdlib.h>

#include "pve-fwconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FwConfig *c = NULL, *h = NULL, *g = NULL;
	Diag d;

	(void)fw_config_parse("cluster.fw", FW_CLUSTER, (const char *)data, size, &c, &d);
	(void)fw_config_parse("host.fw", FW_HOST, (const char *)data, size, &h, &d);
	if (fw_config_parse("100.fw", FW_GUEST, (const char *)data, size, &g, &d) >= 0) {
		PveNet n = { .firewall = true };

		for (unsigned i = 0; i < PVE_NET_MAX; i++) {
			FwNicPolicy p;

			fw_nic_policy(c, g, i, &n, 0, &p);
		}
		(void)fw_backend(h, false, true);
	}
	fw_config_free(c);
	fw_config_free(h);
	fw_config_free(g);
	return 0;
}
