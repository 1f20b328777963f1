/* pp-io-thread-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A thread running its own GMainContext, where a PpServer does all its I/O
 * (like GDBus's worker thread). */
typedef struct _PpIoThread PpIoThread;

PpIoThread   *_pp_io_thread_new         (const char     *name);
GMainContext *_pp_io_thread_get_context (PpIoThread     *self);
gboolean      _pp_io_thread_is_current  (PpIoThread     *self);
void          _pp_io_thread_invoke_sync (PpIoThread     *self,
                                         GSourceFunc     func,
                                         gpointer        data);
void          _pp_io_thread_free        (PpIoThread     *self);

/* Calls @free_func on @data from @context once the current dispatch has
 * unwound (or when @context goes away first): for objects that must die
 * but may be in the middle of one of their own callbacks. */
void          _pp_free_later            (GMainContext   *context,
                                         gpointer        data,
                                         GDestroyNotify  free_func);

G_END_DECLS
