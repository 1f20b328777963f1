/* ppd-announce.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PpdAnnounce PpdAnnounce;

/* What ppd -a announces, and where. */
typedef struct
{
  const char *name;            /* NULL: "ppd on HOSTNAME" */
  const char *id;              /* the stable node id (ppd-node-id.c) */
  const char *listen_address;  /* NULL: every interface */
  guint       port;
  guint       ncpus;
  gboolean    tls;
  const char *broadcast;       /* -b; NULL: 255.255.255.255 */
} PpdAnnounceConfig;

typedef void (*PpdAnnounceChangedFunc) (PpdAnnounce *self,
                                        gpointer     user_data);

PpdAnnounce *ppd_announce_new               (const PpdAnnounceConfig *config);
void         ppd_announce_set_changed_func  (PpdAnnounce             *self,
                                             PpdAnnounceChangedFunc   func,
                                             gpointer                 user_data);
void         ppd_announce_set_http_port     (PpdAnnounce             *self,
                                             guint                    port);
void         ppd_announce_set_ncpus         (PpdAnnounce             *self,
                                             guint                    ncpus);
void         ppd_announce_start             (PpdAnnounce             *self);
void         ppd_announce_free              (PpdAnnounce             *self);
gboolean     ppd_announce_get_announced     (PpdAnnounce             *self);
const char  *ppd_announce_get_name          (PpdAnnounce             *self);
const char  *ppd_announce_get_mechanism     (PpdAnnounce             *self);
const char  *ppd_announce_get_status_name  (PpdAnnounce             *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpdAnnounce, ppd_announce_free)

G_END_DECLS
