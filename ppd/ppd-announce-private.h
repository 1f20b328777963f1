/* ppd-announce-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ppd-announce.h"

G_BEGIN_DECLS

typedef struct _PpdAnnounceAvahi PpdAnnounceAvahi;
typedef struct _PpdAnnounceUdp   PpdAnnounceUdp;

/* ppd-announce.c (what and when), ppd-announce-avahi.c (DNS-SD),
 * ppd-announce-udp.c (pp's UDP fallback) */
struct _PpdAnnounce
{
  char                   *name;
  char                   *id;
  char                   *listen_address;
  guint                   port;
  guint                   ncpus;
  gboolean                tls;
  guint                   http_port;
  char                   *broadcast;
  gboolean                broadcast_given;

  PpdAnnounceAvahi       *avahi;
  PpdAnnounceUdp         *udp;
  gboolean                avahi_running;   /* avahi-daemon is there */
  gboolean                dns_sd;          /* established over DNS-SD */
  char                   *dns_sd_name;     /* the name it got there */
  const char             *told_mechanism;  /* what the log said last */

  PpdAnnounceChangedFunc  changed;
  gpointer                changed_data;
};

/* The TXT record, "key=value" strings. */
GPtrArray *ppd_announce_build_txt (PpdAnnounce *self);
/* The DNS-SD state changed: the fallback follows, the log tells. */
void       ppd_announce_dns_sd_changed (PpdAnnounce *self);

PpdAnnounceAvahi *ppd_announce_avahi_new        (PpdAnnounce      *owner);
void              ppd_announce_avahi_update_txt (PpdAnnounceAvahi *self);
void              ppd_announce_avahi_free       (PpdAnnounceAvahi *self);

PpdAnnounceUdp   *ppd_announce_udp_new          (PpdAnnounce      *owner,
                                                 GError          **error);
void              ppd_announce_udp_send_now     (PpdAnnounceUdp   *self);
void              ppd_announce_udp_free         (PpdAnnounceUdp   *self);

G_END_DECLS
