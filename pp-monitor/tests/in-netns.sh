#!/bin/sh
# in-netns.sh COMMAND [ARG...]: runs COMMAND in a user and network namespace
# of its own, loopback up, with PPM_TEST_NETNS=1 and without
# PPM_NO_DISCOVERY (the suite's closed-world switch): test-monitor-gui's
# discovery case, whose PpBrowser must see the test's ppd and nothing of the
# machine's network (and whose ppd takes the default pp port, 60000).
# Where namespaces cannot be created, a TAP plan that skips, with the reason.
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

if ! command -v ip >/dev/null || ! why=$(unshare -rn true 2>&1); then
  echo "1..0 # SKIP cannot create a network namespace (unshare -rn, ip): ${why:-no ip}"
  exit 0
fi
unset PPM_NO_DISCOVERY
PPM_TEST_NETNS=1 exec unshare -rn sh -c 'ip link set lo up && exec "$@"' sh "$@"
