/* pp-function.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(PP_INSIDE) && !defined(PP_COMPILATION)
# error "Only <pp-glib.h> can be included directly."
#endif

#include <glib-object.h>

#include "pp-version-macros.h"

G_BEGIN_DECLS

#define PP_TYPE_FUNCTION (pp_function_get_type ())

PP_AVAILABLE_IN_0_1
G_DECLARE_FINAL_TYPE (PpFunction, pp_function, PP, FUNCTION, GObject)

PP_AVAILABLE_IN_0_1
PpFunction         *pp_function_new         (const char         *name,
                                             const char         *source,
                                             const char * const *modules) G_GNUC_WARN_UNUSED_RESULT;
PP_AVAILABLE_IN_0_1
const char         *pp_function_get_name    (PpFunction         *self);
PP_AVAILABLE_IN_0_1
const char         *pp_function_get_source  (PpFunction         *self);
PP_AVAILABLE_IN_0_1
const char * const *pp_function_get_modules (PpFunction         *self);
PP_AVAILABLE_IN_0_1
const char         *pp_function_get_key     (PpFunction         *self);

G_END_DECLS
