/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Everything lxcnetd counts, as metric families the way Prometheus models
 * them (name, type, help, samples with labels), written through a
 * MetricsWriter: the bus layer's writes GetMetrics' reply.
 */

typedef struct Manager Manager;

typedef struct MetricsWriter {
	int (*family_open)(void *ctx, const char *name, const char *type, const char *help);
	/* labels: name, value, ..., NULL */
	int (*sample)(void *ctx, const char *suffix, double value, const char *const *labels);
	int (*family_close)(void *ctx);
	void *ctx;
} MetricsWriter;

#define METRICS_LABELS_MAX 8 /* label pairs in one sample */

int metrics_family_open(MetricsWriter *w, const char *name, const char *type, const char *help);
int metrics_family_close(MetricsWriter *w);
/* One sample: name suffix ("" or "_sum"...), value, then label name/value pairs up to NULL. */
int metrics_sample(MetricsWriter *w, const char *suffix, double value, ...);

/* Every family, in order; the writer's first error stops it. */
int metrics_write(Manager *m, MetricsWriter *w);
