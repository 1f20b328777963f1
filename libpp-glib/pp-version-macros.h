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

#include "pp-version.h"

#ifndef _PP_EXTERN
# define _PP_EXTERN __attribute__((visibility("default"))) extern
#endif

#ifdef PP_DISABLE_DEPRECATION_WARNINGS
# define PP_DEPRECATED _PP_EXTERN
# define PP_DEPRECATED_FOR(f) _PP_EXTERN
# define PP_UNAVAILABLE(maj,min) _PP_EXTERN
#else
# define PP_DEPRECATED G_DEPRECATED _PP_EXTERN
# define PP_DEPRECATED_FOR(f) G_DEPRECATED_FOR(f) _PP_EXTERN
# define PP_UNAVAILABLE(maj,min) G_UNAVAILABLE(maj,min) _PP_EXTERN
#endif

/* Each new minor release adds a PP_VERSION_x_y, and a block of
 * PP_DEPRECATED_IN_x_y / PP_AVAILABLE_IN_x_y at the end. */

/**
 * PP_VERSION_0_1:
 *
 * The encoded representation of pp-glib version 0.1.
 *
 * Since: 0.1
 */
#define PP_VERSION_0_1 (G_ENCODE_VERSION (0, 1))

/* The version of these headers, and the one before it. */
#define PP_VERSION_CUR_STABLE (G_ENCODE_VERSION (PP_MAJOR_VERSION, PP_MINOR_VERSION))
#if PP_MINOR_VERSION > 0
# define PP_VERSION_PREV_STABLE (G_ENCODE_VERSION (PP_MAJOR_VERSION, PP_MINOR_VERSION - 1))
#else
# define PP_VERSION_PREV_STABLE (G_ENCODE_VERSION (PP_MAJOR_VERSION - 1, 0))
#endif

/**
 * PP_VERSION_MIN_REQUIRED:
 *
 * Define it, to one of the `PP_VERSION_x_y` macros, before including
 * `pp-glib.h` to get no deprecation warnings for the API deprecated after
 * that version. It defaults to the version of the headers.
 *
 * Since: 0.1
 */
#ifndef PP_VERSION_MIN_REQUIRED
# define PP_VERSION_MIN_REQUIRED (PP_VERSION_CUR_STABLE)
#endif

/**
 * PP_VERSION_MAX_ALLOWED:
 *
 * Define it, to one of the `PP_VERSION_x_y` macros, before including
 * `pp-glib.h` to get a warning for every use of the API added after that
 * version. It defaults to the version of the headers.
 *
 * Since: 0.1
 */
#ifndef PP_VERSION_MAX_ALLOWED
# if PP_VERSION_MIN_REQUIRED > PP_VERSION_PREV_STABLE
#  define PP_VERSION_MAX_ALLOWED (PP_VERSION_MIN_REQUIRED)
# else
#  define PP_VERSION_MAX_ALLOWED (PP_VERSION_CUR_STABLE)
# endif
#endif

#if PP_VERSION_MAX_ALLOWED < PP_VERSION_MIN_REQUIRED
# error "PP_VERSION_MAX_ALLOWED must be >= PP_VERSION_MIN_REQUIRED"
#endif
#if PP_VERSION_MIN_REQUIRED < PP_VERSION_0_1
# error "PP_VERSION_MIN_REQUIRED must be >= PP_VERSION_0_1"
#endif

/* 0.1 */
#if PP_VERSION_MIN_REQUIRED >= PP_VERSION_0_1
# define PP_DEPRECATED_IN_0_1 PP_DEPRECATED
# define PP_DEPRECATED_IN_0_1_FOR(f) PP_DEPRECATED_FOR(f)
#else
# define PP_DEPRECATED_IN_0_1 _PP_EXTERN
# define PP_DEPRECATED_IN_0_1_FOR(f) _PP_EXTERN
#endif

#if PP_VERSION_MAX_ALLOWED < PP_VERSION_0_1
# define PP_AVAILABLE_IN_0_1 PP_UNAVAILABLE(0, 1)
#else
# define PP_AVAILABLE_IN_0_1 _PP_EXTERN
#endif

/* Exported whatever the version asked for. Kept for the declarations that
 * use it; new API names the release that adds it (PP_AVAILABLE_IN_x_y). */
#define PP_AVAILABLE_IN_ALL _PP_EXTERN
