/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CNI network configuration on lxcnet-cni's stdin: whatever arrives, a configuration or a CNI error with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni-conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	CniConf c = {};
	CniError err = {};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cni_conf_parse(text, &c, &err) < 0) {
		if (!err.code || !err.msg[0])
			abort();
	} else if (!c.name || !c.bridge || strncmp(c.spec, "bridge=", 7) != 0)
		abort();
	cni_conf_done(&c);
	free(text);
	return 0;
}
