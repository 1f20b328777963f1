/* ppd-config.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppd-options.h"

G_BEGIN_DECLS

gboolean ppd_config_load (PpdOptions  *options,
                          const char  *path,
                          GError     **error);

G_END_DECLS
