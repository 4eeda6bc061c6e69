/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netN property strings: parse; on success, print and re-parse to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pve-netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *out = NULL;
	PveNet n, m;
	Diag d;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pve_net_parse(s, &n, &d) >= 0) {
		if (pve_net_format(&n, &out) < 0 || pve_net_parse(out, &m, &d) < 0 || !pve_net_equal(&n, &m))
			abort();
		free(out);
	}
	free(s);
	return 0;
}
