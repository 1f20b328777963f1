/* ppd-http.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <pp-glib.h>

#include "ppd-announce.h"

G_BEGIN_DECLS

typedef struct _PpdHttp PpdHttp;

/* What the command line says about HTTP. */
typedef struct
{
  const char      *address;         /* default 127.0.0.1 */
  guint16          port;            /* 0: a free one */
  const char      *secret;          /* the token is derived from it */
  GTlsCertificate *certificate;     /* nullable: plain HTTP */
  gboolean         metrics_public;  /* /metrics open beyond loopback */
} PpdHttpConfig;

char    *ppd_http_derive_token (const char          *secret);
PpdHttp *ppd_http_new          (const PpdHttpConfig *config,
                                PpServer            *pool,
                                PpNodeService       *node);
gboolean ppd_http_start        (PpdHttp             *self,
                                GError             **error);
guint16  ppd_http_get_port     (PpdHttp             *self);
void     ppd_http_set_announce (PpdHttp             *self,
                                PpdAnnounce         *announce);
void     ppd_http_free         (PpdHttp             *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpdHttp, ppd_http_free)

G_END_DECLS
