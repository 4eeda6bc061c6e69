/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetMetrics: metrics_write() into the reply, one (name, type, help, a(suffix, labels, value)) per family. */
#include "bus.h"
#include "metrics.h"

static int family_open(void *ctx, const char *name, const char *type, const char *help)
{
	sd_bus_message *r = ctx;
	int k = sd_bus_message_open_container(r, 'r', "sssa" LXCNET_SIG_METRIC_SAMPLE);

	if (k >= 0)
		k = sd_bus_message_append(r, "sss", name, type, help);
	if (k >= 0)
		k = sd_bus_message_open_container(r, 'a', LXCNET_SIG_METRIC_SAMPLE);
	return k;
}

static int family_close(void *ctx)
{
	int k = sd_bus_message_close_container(ctx);

	return k < 0 ? k : sd_bus_message_close_container(ctx);
}

static int sample(void *ctx, const char *suffix, double value, const char *const *labels)
{
	sd_bus_message *r = ctx;
	int k;

	k = sd_bus_message_open_container(r, 'r', "sa{ss}d");
	if (k >= 0)
		k = sd_bus_message_append(r, "s", suffix);
	if (k >= 0)
		k = sd_bus_message_open_container(r, 'a', "{ss}");
	for (size_t i = 0; k >= 0 && labels[i]; i += 2)
		k = sd_bus_message_append(r, "{ss}", labels[i], labels[i + 1]);
	if (k >= 0)
		k = sd_bus_message_close_container(r);
	if (k >= 0)
		k = sd_bus_message_append(r, "d", value);
	if (k >= 0)
		k = sd_bus_message_close_container(r);
	return k;
}

static int append_families(sd_bus_message *reply, void *userdata)
{
	MetricsWriter w = { .family_open = family_open, .sample = sample, .family_close = family_close, .ctx = reply };

	return metrics_write(userdata, &w);
}

int method_get_metrics(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	(void)error;
	return bus_reply_array(msg, LXCNET_SIG_METRIC_FAMILY, append_families, userdata);
}
