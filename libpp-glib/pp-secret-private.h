/* pp-secret-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

/* Wiping secrets: the one place that does it, for the library and for ppd
 * (inline, so that ppd needs no private symbol of the shared library).
 * explicit_bzero(), unlike a memset() before free(), is never optimised
 * away. */

static inline void
_pp_secret_wipe (void  *data,
                 gsize  len)
{
  if (data != NULL)
    explicit_bzero (data, len);
}

/* Wipes and frees a NUL-terminated secret; NULL is fine. For
 * g_clear_pointer (&secret, _pp_secret_free). */
static inline void
_pp_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  _pp_secret_wipe (secret, strlen (secret));
  g_free (secret);
}

/* g_autoptr(PpSecretString) for a secret held in a local variable. */
typedef char PpSecretString;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpSecretString, _pp_secret_free)

G_END_DECLS
