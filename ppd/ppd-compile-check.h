/* ppd-compile-check.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PPD_TYPE_COMPILE_CHECK (ppd_compile_check_get_type ())

G_DECLARE_FINAL_TYPE (PpdCompileCheck, ppd_compile_check, PPD, COMPILE_CHECK, GObject)

PpdCompileCheck *ppd_compile_check_new        (const char          *python);
void             ppd_compile_check_run_async  (PpdCompileCheck     *self,
                                               const char          *source,
                                               const char * const  *modules,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean         ppd_compile_check_run_finish (PpdCompileCheck     *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void             ppd_compile_check_shutdown   (PpdCompileCheck     *self);
gboolean         ppd_compile_check_read_answer (GBytes             *result,
                                                GError            **error);

G_END_DECLS
