/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container config: parse; on success, set each NIC to its own value (no
 * byte may change), then add net31 and delete it again (back to the start).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pve-ctconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CtConfig *c = NULL;
	PveNet n;
	Diag d;

	if (ct_config_parse("100.conf", (const char *)data, size, &c, &d) < 0)
		return 0;
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		if (!c->nets[i].present)
			continue;
		n = c->nets[i].net;
		if (ct_config_set_net(c, i, &n, &d) < 0 || c->size != size || memcmp(c->data, data, size) != 0)
			abort();
	}
	if (!c->nets[31].present && pve_net_parse("name=fz0,bridge=vmbr0,tag=7", &n, &d) >= 0) {
		if (ct_config_set_net(c, 31, &n, &d) >= 0) {
			if (!c->nets[31].present || ct_config_set_net(c, 31, NULL, &d) < 0 || c->nets[31].present)
				abort();
		}
	}
	ct_config_free(c);
	return 0;
}
