/* pp-function-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-function.h"

G_BEGIN_DECLS

/* Average run time in seconds, or a negative number when not known yet. */
double _pp_function_get_avg_run_time (PpFunction *self);
void   _pp_function_add_run_time     (PpFunction *self,
                                      double      seconds);

/* The same function under a key of its own for @salt: workers give each key
 * its own namespace, so two clients of a node never share one. Its source
 * is not hashed again. */
PpFunction *_pp_function_new_salted  (PpFunction         *function,
                                      const char         *salt);

G_END_DECLS
