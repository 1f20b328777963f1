/* pp-node-address-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *_pp_node_address_parse (const char  *entry,
                              guint16      default_port,
                              GError     **error);

G_END_DECLS
