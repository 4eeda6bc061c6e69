/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

int diag_error(Diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d) {
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

void diag_prefix(Diag *d, const char *fmt, ...)
{
	char prefix[DIAG_MAX], old[DIAG_MAX];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, d->msg, sizeof(old));
	/* Truncation is fine: the message stays a valid, shorter string. */
	size_t plen = strnlen(prefix, sizeof(d->msg) - 1);
	memcpy(d->msg, prefix, plen);
	snprintf(d->msg + plen, sizeof(d->msg) - plen, "%s", old);
}

const char *diag_escape(char *buf, size_t bufsz, const char *s, size_t len)
{
	const size_t keep = 48;
	size_t o = 0;

	if (bufsz == 0)
		return buf;
	for (size_t i = 0; i < len && i < keep; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 >= bufsz)
			break;
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'')
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (len > keep && o + 4 < bufsz) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
