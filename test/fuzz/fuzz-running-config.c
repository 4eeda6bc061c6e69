/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SDN .running-config JSON: parse, then resolve every VNet. */
#include <stdint.h>
#include <stdlib.h>

#include "sdn-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool some_bridges(const char *ifname, void *userdata)
{
	(void)userdata;
	return ifname[0] && (ifname[0] & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SdnConfig *c = NULL;
	Diag d;

	if (sdn_config_parse_running(".running-config", (const char *)data, size, &c, &d) < 0)
		return 0;
	for (size_t i = 0; i < c->n_vnets; i++) {
		SdnPlug p;

		(void)sdn_vnet_resolve(c, c->vnets[i].id, "pve1", some_bridges, NULL, &p, &d);
	}
	sdn_config_free(c);
	return 0;
}
