/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hooks' datagram to lxcnetd: whatever arrives, and what it reads formatted again reads the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NotifyMessage m, again;
	char buf[LXCNET_NOTIFY_MAX];
	bool failed, failed_again;
	int n;

	if (notify_parse((const char *)data, size, &m, &failed) < 0)
		return 0;
	n = notify_format(&m, buf, sizeof(buf));
	if (n < 0)
		return 0;
	if (notify_parse(buf, (size_t)n, &again, &failed_again) < 0 || strcmp(again.container, m.container) != 0 ||
	    again.net != m.net || strcmp(again.vnet, m.vnet) != 0 || again.report != m.report)
		abort();
	return 0;
}
