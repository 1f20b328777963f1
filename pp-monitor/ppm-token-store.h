/* ppm-token-store.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void  ppm_token_store_lookup_async  (const char          *url,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
char *ppm_token_store_lookup_finish (GAsyncResult        *result,
                                     GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void  ppm_token_store_save          (const char          *url,
                                     const char          *token);

G_END_DECLS
