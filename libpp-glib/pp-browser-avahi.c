/* pp-browser-avahi.c
 *
 * DNS-SD for PpBrowser: avahi-client on the avahi-glib poll, in the
 * browser's main context (GVfs's dns-sd backend is the model).
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <net/if.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>

#include "pp-browser-avahi-private.h"

struct _PpBrowserAvahi
{
  PpBrowser           *browser;      /* owns us */
  AvahiGLibPoll       *poll;
  AvahiClient         *client;
  AvahiServiceBrowser *service_browser;
  GHashTable          *resolvers;    /* key → Resolving */
  GMainContext        *context;
  GSource             *restart_source;
  gboolean             told_absent;
};

typedef struct
{
  PpBrowserAvahi       *owner;
  char                 *key;
  AvahiServiceResolver *resolver;
} Resolving;

static void start_client (PpBrowserAvahi *self);

static void
resolving_free (Resolving *resolving)
{
  if (resolving->resolver != NULL)
    avahi_service_resolver_free (resolving->resolver);
  g_free (resolving->key);
  g_free (resolving);
}

/* "dns-sd:IFINDEX:PROTOCOL:NAME": one announcement on one interface. */
static char *
make_key (AvahiIfIndex   interface,
          AvahiProtocol  protocol,
          const char    *name)
{
  return g_strdup_printf ("dns-sd:%d:%d:%s", interface, protocol, name);
}

/* Numeric, with the scope of an IPv6 link-local address. */
static char *
format_address (const AvahiAddress *address,
                AvahiIfIndex        interface)
{
  char text[AVAHI_ADDRESS_STR_MAX];
  char ifname[IF_NAMESIZE];

  avahi_address_snprint (text, sizeof text, address);
  if (address->proto == AVAHI_PROTO_INET6 && address->data.ipv6.address[0] == 0xfe &&
      (address->data.ipv6.address[1] & 0xc0) == 0x80 && if_indextoname (interface, ifname) != NULL)
    return g_strdup_printf ("%s%%%s", text, ifname);
  return g_strdup (text);
}

PpSighting *
_pp_browser_avahi_make_sighting (const char         *name,
                                 const char         *host,
                                 const AvahiAddress *address,
                                 AvahiIfIndex        interface,
                                 guint16             port,
                                 AvahiStringList    *txt)
{
  g_autoptr(PpSighting) sighting = _pp_sighting_new ();
  const char *id;

  for (AvahiStringList *item = txt; item != NULL; item = avahi_string_list_get_next (item))
    {
      char *key = NULL, *value = NULL;

      if (avahi_string_list_get_pair (item, &key, &value, NULL) < 0)
        continue;
      if (g_utf8_validate (key, -1, NULL) && (value == NULL || g_utf8_validate (value, -1, NULL)))
        g_hash_table_replace (sighting->txt, g_strdup (key), g_strdup (value ? value : ""));
      avahi_free (key);
      avahi_free (value);
    }
  sighting->name = g_strdup (name);
  sighting->host = g_strdup (host);
  sighting->address = format_address (address, interface);
  sighting->port = port;
  sighting->mechanism = "dns-sd";
  id = g_hash_table_lookup (sighting->txt, "id");
  sighting->id = id != NULL && *id != '\0' ? g_strdup (id)
                                           : g_strdup_printf ("%s@%s:%u", name, host, port);
  return g_steal_pointer (&sighting);
}

static void
resolve_cb (AvahiServiceResolver   *resolver,
            AvahiIfIndex            interface,
            AvahiProtocol           protocol,
            AvahiResolverEvent      event,
            const char             *name,
            const char             *type,
            const char             *domain,
            const char             *host,
            const AvahiAddress     *address,
            uint16_t                port,
            AvahiStringList        *txt,
            AvahiLookupResultFlags  flags,
            void                   *data)
{
  Resolving *resolving = data;
  PpBrowserAvahi *self = resolving->owner;
  g_autofree char *key = g_strdup (resolving->key);

  if (event == AVAHI_RESOLVER_FOUND)
    _pp_browser_sighted (self->browser, key,
                         _pp_browser_avahi_make_sighting (name, host, address, interface, port, txt));
  else
    g_debug ("Discovery: cannot resolve “%s”: %s", name,
             avahi_strerror (avahi_client_errno (self->client)));
  /* Done with it: frees the resolver too. */
  g_hash_table_remove (self->resolvers, key);
}

static void
browse_cb (AvahiServiceBrowser    *browser,
           AvahiIfIndex            interface,
           AvahiProtocol           protocol,
           AvahiBrowserEvent       event,
           const char             *name,
           const char             *type,
           const char             *domain,
           AvahiLookupResultFlags  flags,
           void                   *data)
{
  PpBrowserAvahi *self = data;
  g_autofree char *key = NULL;
  Resolving *resolving;

  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      key = make_key (interface, protocol, name);
      resolving = g_new0 (Resolving, 1);
      resolving->owner = self;
      resolving->key = g_strdup (key);
      resolving->resolver = avahi_service_resolver_new (self->client, interface, protocol, name,
                                                        type, domain, protocol, 0,
                                                        resolve_cb, resolving);
      if (resolving->resolver == NULL)
        {
          g_debug ("Discovery: cannot resolve “%s”: %s", name,
                   avahi_strerror (avahi_client_errno (self->client)));
          resolving_free (resolving);
          break;
        }
      g_hash_table_replace (self->resolvers, g_steal_pointer (&key), resolving);
      break;
    case AVAHI_BROWSER_REMOVE:
      key = make_key (interface, protocol, name);
      g_hash_table_remove (self->resolvers, key);
      _pp_browser_lost (self->browser, key);
      break;
    case AVAHI_BROWSER_FAILURE:
      g_warning ("Discovery: DNS-SD browsing failed: %s",
                 avahi_strerror (avahi_client_errno (self->client)));
      break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    case AVAHI_BROWSER_ALL_FOR_NOW:
    default:
      break;
    }
}

/* Whatever the daemon gave is gone with it. */
static void
forget_daemon (PpBrowserAvahi *self)
{
  g_hash_table_remove_all (self->resolvers);
  g_clear_pointer (&self->service_browser, avahi_service_browser_free);
  _pp_browser_set_dns_sd (self->browser, FALSE);
}

static void
tell_absent (PpBrowserAvahi *self,
             const char     *why)
{
  if (self->told_absent)
    return;
  self->told_absent = TRUE;
  g_message ("Discovery: %s; finding nodes by UDP announcements only, "
             "and by DNS-SD when avahi-daemon starts", why);
}

static void
start_browsing (PpBrowserAvahi *self,
                AvahiClient    *client)
{
  if (self->service_browser != NULL)
    return;
  self->service_browser = avahi_service_browser_new (client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                     PP_BROWSER_SERVICE_TYPE, NULL, 0,
                                                     browse_cb, self);
  if (self->service_browser == NULL)
    {
      g_warning ("Discovery: cannot browse DNS-SD: %s",
                 avahi_strerror (avahi_client_errno (client)));
      return;
    }
  self->told_absent = FALSE;
  g_message ("Discovery: DNS-SD (avahi-daemon) finds nodes, and UDP announcements");
  _pp_browser_set_dns_sd (self->browser, TRUE);
}

static gboolean
restart_cb (gpointer data)
{
  PpBrowserAvahi *self = data;

  g_clear_pointer (&self->restart_source, g_source_unref);
  forget_daemon (self);
  g_clear_pointer (&self->client, avahi_client_free);
  start_client (self);
  return G_SOURCE_REMOVE;
}

static void
client_cb (AvahiClient      *client,
           AvahiClientState  state,
           void             *data)
{
  PpBrowserAvahi *self = data;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      start_browsing (self, client);
      break;
    case AVAHI_CLIENT_CONNECTING:
      forget_daemon (self);
      tell_absent (self, "avahi-daemon is not running");
      break;
    case AVAHI_CLIENT_FAILURE:
      forget_daemon (self);
      tell_absent (self, avahi_strerror (avahi_client_errno (client)));
      /* The client is dead: a new one waits for the daemon (not from
       * inside its own callback). */
      if (self->restart_source == NULL)
        {
          self->restart_source = g_timeout_source_new (100);
          g_source_set_callback (self->restart_source, restart_cb, self, NULL);
          g_source_attach (self->restart_source, self->context);
        }
      break;
    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
    default:
      break;
    }
}

static void
start_client (PpBrowserAvahi *self)
{
  int error = 0;

  self->client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_cb, self, &error);
  if (self->client == NULL)
    tell_absent (self, avahi_strerror (error));
}

PpBrowserAvahi *
_pp_browser_avahi_new (PpBrowser    *browser,
                       GMainContext *context)
{
  PpBrowserAvahi *self = g_new0 (PpBrowserAvahi, 1);

  self->browser = browser;
  self->context = context;
  self->poll = avahi_glib_poll_new (context, G_PRIORITY_DEFAULT);
  self->resolvers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) resolving_free);
  start_client (self);
  return self;
}

void
_pp_browser_avahi_free (PpBrowserAvahi *self)
{
  if (self->restart_source != NULL)
    g_source_destroy (self->restart_source);
  g_clear_pointer (&self->restart_source, g_source_unref);
  g_hash_table_unref (self->resolvers);
  g_clear_pointer (&self->service_browser, avahi_service_browser_free);
  g_clear_pointer (&self->client, avahi_client_free);
  avahi_glib_poll_free (self->poll);
  g_free (self);
}
