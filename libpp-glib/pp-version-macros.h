/* pp-version-macros.h
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

#ifndef _PP_EXTERN
# define _PP_EXTERN __attribute__((visibility("default"))) extern
#endif

#define PP_AVAILABLE_IN_ALL _PP_EXTERN
