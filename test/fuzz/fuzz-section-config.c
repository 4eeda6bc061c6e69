/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section config: generic parse, then typed as SDN (zones+vnets) and as storage.cfg. */
#include <stdint.h>
#include <stdlib.h>

#include "sdn-config.h"
#include "storage-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const multi[] = { "dhcp-range", NULL };
	SectionFile *f = NULL, *g = NULL;
	SdnConfig *sdn = NULL;
	StorageConfig *st = NULL;
	Diag d;

	if (section_file_parse("fuzz.cfg", (const char *)data, size, multi, &f, &d) < 0)
		return 0;
	/* The same text as zones and as vnets: exercises both typed readers and the cross checks. */
	if (sdn_config_from_sections(f, f, NULL, &sdn, &d) >= 0) {
		for (size_t i = 0; i < sdn->n_vnets; i++) {
			SdnPlug p;

			(void)sdn_vnet_resolve(sdn, sdn->vnets[i].id, "pve1", sdn_bridge_exists_sysfs, NULL, &p, &d);
		}
		sdn_config_free(sdn);
	}
	if (section_file_parse("storage.cfg", (const char *)data, size, NULL, &g, &d) >= 0 &&
	    storage_config_from_sections(g, &st, &d) >= 0)
		storage_config_free(st);
	section_file_free(f);
	return 0;
}
