/* ppd-pidfile.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PpdPidfile PpdPidfile;

PpdPidfile *ppd_pidfile_claim   (const char  *path,
                                 GError     **error);
void        ppd_pidfile_release (PpdPidfile  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpdPidfile, ppd_pidfile_release)

G_END_DECLS
