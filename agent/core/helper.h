/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The agent's helper thread: slow work that must not stall the main loop
 * (event plugins, validations before a bind, the legacy command of a bind)
 * runs there, one job at a time in the order submitted; its done callback
 * then runs in the main loop.
 */

#include <stdbool.h>

typedef struct Manager Manager;
typedef void (*HelperFn)(Manager *m, void *userdata);

/* work in the helper thread, then done (may be NULL) in the main loop; userdata is theirs. */
int helper_submit(Manager *m, HelperFn work, HelperFn done, void *userdata);

/*
 * Tests stop a change in the middle (a hotplug operation, a bind, each just
 * before it writes the config): while the file named by $LXCNET_TEST_HOLD
 * exists (test_hold_armed()), test_hold() waits, 10 s at most.
 */
bool test_hold_armed(void);
void test_hold(void);

int helper_init(Manager *m);
/* Finish the queued work (each job is time-limited), then stop. */
void helper_stop(Manager *m);
