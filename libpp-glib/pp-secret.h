/* pp-secret.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

PP_AVAILABLE_IN_0_1
char *pp_secret_get_default_path (void) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char *pp_secret_load_file        (const char  *path,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char *pp_secret_load_or_create   (const char  *path,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
char *pp_secret_load_default     (GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
