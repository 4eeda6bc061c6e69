/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The MetricsWriter calls (metrics.h), for every part of the core that has families to give. */
#include <stdarg.h>
#include <stddef.h>

#include "metrics.h"

int metrics_family_open(MetricsWriter *w, const char *name, const char *type, const char *help)
{
	return w->family_open(w->ctx, name, type, help);
}

int metrics_family_close(MetricsWriter *w)
{
	return w->family_close(w->ctx);
}

int metrics_sample(MetricsWriter *w, const char *suffix, double value, ...)
{
	const char *labels[METRICS_LABELS_MAX * 2 + 1];
	size_t n = 0;
	va_list ap;

	va_start(ap, value);
	for (const char *name; n < METRICS_LABELS_MAX * 2 && (name = va_arg(ap, const char *));) {
		labels[n++] = name;
		labels[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	labels[n] = NULL;
	return w->sample(w->ctx, suffix, value, labels);
}
