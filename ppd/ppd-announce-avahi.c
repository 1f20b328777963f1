/* ppd-announce-avahi.c
 *
 * ppd -a over DNS-SD: an avahi entry group with one "_ppd._tcp" service,
 * on the interface ppd listens on. Renamed on collision; the client waits
 * for avahi-daemon (AVAHI_CLIENT_NO_FAIL) and publishes again when it
 * comes back.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <net/if.h>
#include <string.h>

#include <gio/gio.h>
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>

#include "ppd-announce-private.h"

#define SERVICE_TYPE "_ppd._tcp"

struct _PpdAnnounceAvahi
{
  PpdAnnounce     *owner;
  AvahiGLibPoll   *poll;
  AvahiClient     *client;
  AvahiEntryGroup *group;
  char            *name;        /* the name tried, renamed on collision */
  AvahiIfIndex     interface;
  AvahiProtocol    protocol;
  GSource         *restart_source;
  gboolean         told_absent;
};

static void start_client (PpdAnnounceAvahi *self);
static void publish (PpdAnnounceAvahi *self, AvahiClient *client);

static AvahiStringList *
build_txt (PpdAnnounceAvahi *self)
{
  g_autoptr(GPtrArray) txt = ppd_announce_build_txt (self->owner);
  AvahiStringList *list = NULL;

  for (guint i = txt->len; i > 0; i--)
    list = avahi_string_list_add (list, g_ptr_array_index (txt, i - 1));
  return list;
}

/* The interface that has @address, so that ppd is announced only where
 * it listens; AVAHI_IF_UNSPEC for every interface. */
static void
find_interface (PpdAnnounceAvahi *self,
                const char       *address)
{
  g_autoptr(GInetAddress) wanted = address ? g_inet_address_new_from_string (address) : NULL;
  struct ifaddrs *list = NULL;

  self->interface = AVAHI_IF_UNSPEC;
  self->protocol = AVAHI_PROTO_UNSPEC;
  if (wanted == NULL || g_inet_address_get_is_any (wanted) || getifaddrs (&list) != 0)
    return;
  self->protocol = g_inet_address_get_family (wanted) == G_SOCKET_FAMILY_IPV6 ? AVAHI_PROTO_INET6
                                                                              : AVAHI_PROTO_INET;
  for (struct ifaddrs *item = list; item != NULL; item = item->ifa_next)
    {
      g_autoptr(GSocketAddress) socket_address = NULL;

      if (item->ifa_addr == NULL ||
          (item->ifa_addr->sa_family != AF_INET && item->ifa_addr->sa_family != AF_INET6))
        continue;
      socket_address = g_socket_address_new_from_native (item->ifa_addr,
                                                         item->ifa_addr->sa_family == AF_INET
                                                           ? sizeof (struct sockaddr_in)
                                                           : sizeof (struct sockaddr_in6));
      if (G_IS_INET_SOCKET_ADDRESS (socket_address) &&
          g_inet_address_equal (wanted, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address))))
        {
          self->interface = (AvahiIfIndex) if_nametoindex (item->ifa_name);
          break;
        }
    }
  freeifaddrs (list);
}

static void
set_established (PpdAnnounceAvahi *self,
                 gboolean          established)
{
  PpdAnnounce *owner = self->owner;

  if (established == owner->dns_sd &&
      (!established || g_strcmp0 (owner->dns_sd_name, self->name) == 0))
    return;
  owner->dns_sd = established;
  g_free (owner->dns_sd_name);
  owner->dns_sd_name = established ? g_strdup (self->name) : NULL;
  ppd_announce_dns_sd_changed (owner);
}

static void
set_running (PpdAnnounceAvahi *self,
             gboolean          running)
{
  if (self->owner->avahi_running == running)
    return;
  self->owner->avahi_running = running;
  ppd_announce_dns_sd_changed (self->owner);
}

static void
rename_after_collision (PpdAnnounceAvahi *self)
{
  char *alternative = avahi_alternative_service_name (self->name);

  g_message ("DNS-SD: the name “%s” is taken, trying “%s”", self->name, alternative);
  g_free (self->name);
  self->name = g_strdup (alternative);
  avahi_free (alternative);
}

static void
group_cb (AvahiEntryGroup      *group,
          AvahiEntryGroupState  state,
          void                 *data)
{
  PpdAnnounceAvahi *self = data;

  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      set_established (self, TRUE);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      set_established (self, FALSE);
      rename_after_collision (self);
      avahi_entry_group_reset (group);
      publish (self, avahi_entry_group_get_client (group));
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      g_warning ("DNS-SD: announcing failed: %s",
                 avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
      set_established (self, FALSE);
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
    default:
      break;
    }
}

static void
publish (PpdAnnounceAvahi *self,
         AvahiClient      *client)
{
  AvahiStringList *txt = NULL;
  int error;

  if (self->group == NULL)
    self->group = avahi_entry_group_new (client, group_cb, self);
  if (self->group == NULL)
    {
      g_warning ("DNS-SD: %s", avahi_strerror (avahi_client_errno (client)));
      return;
    }
  if (!avahi_entry_group_is_empty (self->group))
    return;
  txt = build_txt (self);
  for (guint tries = 0; tries < 20; tries++)
    {
      error = avahi_entry_group_add_service_strlst (self->group, self->interface, self->protocol, 0,
                                                    self->name, SERVICE_TYPE, NULL, NULL,
                                                    self->owner->port, txt);
      if (error != AVAHI_ERR_COLLISION)
        break;
      rename_after_collision (self);
    }
  avahi_string_list_free (txt);
  if (error == AVAHI_OK)
    error = avahi_entry_group_commit (self->group);
  if (error != AVAHI_OK)
    g_warning ("DNS-SD: cannot announce “%s”: %s", self->name, avahi_strerror (error));
}

void
ppd_announce_avahi_update_txt (PpdAnnounceAvahi *self)
{
  AvahiStringList *txt;
  int error;

  if (self->group == NULL || avahi_entry_group_is_empty (self->group))
    return;
  txt = build_txt (self);
  error = avahi_entry_group_update_service_txt_strlst (self->group, self->interface, self->protocol,
                                                       0, self->name, SERVICE_TYPE, NULL, txt);
  avahi_string_list_free (txt);
  if (error != AVAHI_OK)
    g_warning ("DNS-SD: cannot update the TXT record: %s", avahi_strerror (error));
}

static void
forget_daemon (PpdAnnounceAvahi *self,
               const char       *why)
{
  g_clear_pointer (&self->group, avahi_entry_group_free);
  if (!self->told_absent)
    g_message ("DNS-SD: %s; announcing again when avahi-daemon is back", why);
  self->told_absent = TRUE;
  self->owner->dns_sd = FALSE;
  g_clear_pointer (&self->owner->dns_sd_name, g_free);
  self->owner->avahi_running = TRUE;  /* so that set_running() tells */
  set_running (self, FALSE);
}

static gboolean
restart_cb (gpointer data)
{
  PpdAnnounceAvahi *self = data;

  g_clear_pointer (&self->restart_source, g_source_unref);
  g_clear_pointer (&self->group, avahi_entry_group_free);
  g_clear_pointer (&self->client, avahi_client_free);
  start_client (self);
  return G_SOURCE_REMOVE;
}

static void
client_cb (AvahiClient      *client,
           AvahiClientState  state,
           void             *data)
{
  PpdAnnounceAvahi *self = data;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      self->told_absent = FALSE;
      set_running (self, TRUE);
      publish (self, client);
      break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      /* The host name changes: publish again once it is settled. */
      if (self->group != NULL)
        avahi_entry_group_reset (self->group);
      set_established (self, FALSE);
      set_running (self, TRUE);
      break;
    case AVAHI_CLIENT_CONNECTING:
      forget_daemon (self, "avahi-daemon is not running");
      break;
    case AVAHI_CLIENT_FAILURE:
      forget_daemon (self, avahi_strerror (avahi_client_errno (client)));
      if (self->restart_source == NULL)
        {
          self->restart_source = g_timeout_source_new (100);
          g_source_set_callback (self->restart_source, restart_cb, self, NULL);
          g_source_attach (self->restart_source, NULL);
        }
      break;
    default:
      break;
    }
}

static void
start_client (PpdAnnounceAvahi *self)
{
  int error = 0;

  self->client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_cb, self, &error);
  if (self->client == NULL)
    forget_daemon (self, avahi_strerror (error));
}

PpdAnnounceAvahi *
ppd_announce_avahi_new (PpdAnnounce *owner)
{
  PpdAnnounceAvahi *self = g_new0 (PpdAnnounceAvahi, 1);

  self->owner = owner;
  self->name = g_strdup (owner->name);
  find_interface (self, owner->listen_address);
  self->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  start_client (self);
  return self;
}

/* Freeing the group withdraws the service (avahi-daemon says goodbye). */
void
ppd_announce_avahi_free (PpdAnnounceAvahi *self)
{
  if (self->restart_source != NULL)
    g_source_destroy (self->restart_source);
  g_clear_pointer (&self->restart_source, g_source_unref);
  g_clear_pointer (&self->group, avahi_entry_group_free);
  g_clear_pointer (&self->client, avahi_client_free);
  avahi_glib_poll_free (self->poll);
  g_free (self->name);
  g_free (self);
}
