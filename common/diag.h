/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Diag carries the one human-readable message of a failed parse or
 * validation, built from the inside out: the innermost function says
 * "tag: 5000 is out of range 1..4094", callers prefix their context
 * ("net1: ", then "100.conf:7: "). Functions still return -errno; the
 * Diag only explains it. A NULL Diag is allowed everywhere.
 */

#include <stddef.h>

#include "macro.h"

#define DIAG_MAX 512

typedef struct Diag {
	char msg[DIAG_MAX];
} Diag;

/* Set the message and return err (a negative errno), for "return diag_error(...)". */
int diag_error(Diag *d, int err, const char *fmt, ...) _printf_(3, 4);

/* Prepend context to an existing message. */
void diag_prefix(Diag *d, const char *fmt, ...) _printf_(2, 3);

/*
 * Write a printable, quoted-safe rendering of s[0..len) into buf: control
 * and non-ASCII bytes become \xNN, and values longer than 48 bytes are cut
 * with "...", so that a 1 MiB line or binary garbage makes a short message.
 */
const char *diag_escape(char *buf, size_t bufsz, const char *s, size_t len);

#define DIAG_ESCAPE_MAX 256
