/* pp-browser-private.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "pp-browser.h"

G_BEGIN_DECLS

/* One sighting of a node: what one DNS-SD resolver (an interface and a
 * protocol) or one UDP announcement told. A browser item gathers the
 * sightings that share an id. */
typedef struct
{
  char       *id;         /* TXT id, or "name@host:port" without one */
  char       *name;
  char       *host;
  char       *address;    /* numeric; IPv6 link-local with "%scope" */
  guint       port;
  GHashTable *txt;        /* key → value, both strings */
  const char *mechanism;  /* "dns-sd" or "broadcast" */
} PpSighting;

PpSighting *_pp_sighting_new  (void);
void        _pp_sighting_free (PpSighting *sighting);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpSighting, _pp_sighting_free)

/* pp-browser.c: what the mechanisms report, in the browser's context.
 * @key names the source (a resolver, an announcer's address). */
void _pp_browser_sighted       (PpBrowser   *self,
                                const char  *key,
                                PpSighting  *sighting);
void _pp_browser_lost          (PpBrowser   *self,
                                const char  *key);
void _pp_browser_lost_prefix   (PpBrowser   *self,
                                const char  *prefix);
void _pp_browser_set_dns_sd    (PpBrowser   *self,
                                gboolean     active);

/* pp-browser-avahi.c: DNS-SD through avahi-client and the avahi-glib poll */
typedef struct _PpBrowserAvahi PpBrowserAvahi;

PpBrowserAvahi *_pp_browser_avahi_new  (PpBrowser      *browser,
                                        GMainContext   *context);
void            _pp_browser_avahi_free (PpBrowserAvahi *self);

/* pp-browser-udp.c: pp's fallback, UDP announcements on a port */
typedef struct _PpBrowserUdp PpBrowserUdp;

PpBrowserUdp   *_pp_browser_udp_new    (PpBrowser      *browser,
                                        guint           port,
                                        GMainContext   *context,
                                        GError        **error);
void            _pp_browser_udp_free   (PpBrowserUdp   *self);
/* The fields of one announcement datagram (docs/protocol.md), or NULL. */
GHashTable     *_pp_announcement_parse (const char     *data,
                                        gsize           len,
                                        gboolean       *bye);
/* What one datagram from @address tells (the parse and the checks of
 * its port and expiry), or NULL. */
PpSighting     *_pp_announcement_read  (const char     *data,
                                        gsize           len,
                                        const char     *address,
                                        gboolean       *bye,
                                        char          **key,
                                        guint          *expires_ms);

/* pp-discovered-node.c */
PpDiscoveredNode *_pp_discovered_node_new    (const PpSighting *sighting);
/* Sets what the sightings of the node tell now; notifies what changed. */
void              _pp_discovered_node_update (PpDiscoveredNode *self,
                                              GPtrArray        *sightings);

G_END_DECLS
