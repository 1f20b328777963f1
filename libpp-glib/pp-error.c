/* pp-error.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-error.h"

/**
 * pp_error_quark:
 *
 * Returns: the quark of the [error@Pp.Error] domain, %PP_ERROR
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (pp-error-quark, pp_error)
