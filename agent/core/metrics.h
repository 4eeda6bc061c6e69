/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Building GetMetrics' families (metrics.c), for the parts that live elsewhere. */

#include <systemd/sd-bus.h>

int metrics_family_open(sd_bus_message *r, const char *name, const char *type, const char *help);
int metrics_family_close(sd_bus_message *r);
/* One sample: name suffix ("" or "_sum"...), value, then label name/value pairs up to NULL. */
int metrics_sample(sd_bus_message *r, const char *suffix, double value, ...);
