/* ppd-announce.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-handshake-private.h>

#include "ppd-announce-private.h"

/* ppd -a: announces the node as "_ppd._tcp" over DNS-SD through
 * avahi-daemon. Without avahi-daemon (not installed, not running, gone),
 * it says so once and falls back to pp's way, UDP announcements to the
 * broadcast address (-b) on its port, until avahi-daemon is back; with
 * -b given, the UDP announcements go out all the time. The TXT record
 * says what a client may want to know before connecting, never the
 * secret nor anything derived from it. */

GPtrArray *
ppd_announce_build_txt (PpdAnnounce *self)
{
  GPtrArray *txt = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (txt, g_strdup ("txtvers=1"));
  g_ptr_array_add (txt, g_strdup_printf ("id=%s", self->id));
  g_ptr_array_add (txt, g_strdup_printf ("proto=%d", PP_PROTOCOL_VERSION));
  g_ptr_array_add (txt, g_strdup_printf ("ncpus=%u", self->ncpus));
  g_ptr_array_add (txt, g_strdup_printf ("tls=%d", self->tls ? 1 : 0));
  /* ppd never runs without a secret. */
  g_ptr_array_add (txt, g_strdup ("secret=1"));
  if (self->http_port != 0)
    g_ptr_array_add (txt, g_strdup_printf ("http=%u", self->http_port));
  return txt;
}

PpdAnnounce *
ppd_announce_new (const PpdAnnounceConfig *config)
{
  PpdAnnounce *self = g_new0 (PpdAnnounce, 1);

  self->name = config->name ? g_strdup (config->name)
                            : g_strdup_printf ("ppd on %s", g_get_host_name ());
  /* A DNS-SD instance name is one label of 63 bytes at most. */
  if (strlen (self->name) > 63)
    {
      const char *end = self->name + 63;

      g_utf8_validate (self->name, 63, &end);
      self->name[end - self->name] = '\0';
    }
  self->id = g_strdup (config->id);
  self->listen_address = g_strdup (config->listen_address);
  self->port = config->port;
  self->ncpus = config->ncpus;
  self->tls = config->tls;
  self->broadcast_given = config->broadcast != NULL;
  self->broadcast = g_strdup (config->broadcast ? config->broadcast : "255.255.255.255");
  return self;
}

void
ppd_announce_set_changed_func (PpdAnnounce            *self,
                               PpdAnnounceChangedFunc  func,
                               gpointer                user_data)
{
  self->changed = func;
  self->changed_data = user_data;
}

static void
txt_changed (PpdAnnounce *self)
{
  if (self->avahi != NULL)
    ppd_announce_avahi_update_txt (self->avahi);
  if (self->udp != NULL)
    ppd_announce_udp_send_now (self->udp);
}

/* The port of ppd's HTTP status service (TXT "http"), 0 for none. */
void
ppd_announce_set_http_port (PpdAnnounce *self,
                            guint        port)
{
  if (self->http_port == port)
    return;
  self->http_port = port;
  txt_changed (self);
}

void
ppd_announce_set_ncpus (PpdAnnounce *self,
                        guint        ncpus)
{
  if (self->ncpus == ncpus)
    return;
  self->ncpus = ncpus;
  txt_changed (self);
}

static void
start_udp (PpdAnnounce *self)
{
  g_autoptr(GError) error = NULL;

  if (self->udp != NULL)
    return;
  self->udp = ppd_announce_udp_new (self, &error);
  if (self->udp == NULL)
    g_warning ("Cannot send UDP announcements to %s: %s", self->broadcast, error->message);
}

static void
tell_mechanism (PpdAnnounce *self)
{
  const char *mechanism = ppd_announce_get_mechanism (self);

  /* Not yet: avahi-daemon is registering the service. */
  if (g_strcmp0 (mechanism, self->told_mechanism) == 0 || (*mechanism == '\0' && self->avahi_running))
    return;
  self->told_mechanism = mechanism;
  if (self->dns_sd && self->udp != NULL)
    g_message ("Announced as “%s” over DNS-SD, and by UDP to %s port %u", self->dns_sd_name,
               self->broadcast, self->port);
  else if (self->dns_sd)
    g_message ("Announced as “%s” over DNS-SD (_ppd._tcp)", self->dns_sd_name);
  else if (self->udp != NULL)
    g_message ("Announced by UDP to %s port %u (pp's fallback)", self->broadcast, self->port);
  else
    g_message ("Not announced");
}

void
ppd_announce_dns_sd_changed (PpdAnnounce *self)
{
  if (self->avahi_running && !self->broadcast_given)
    g_clear_pointer (&self->udp, ppd_announce_udp_free);
  else
    start_udp (self);
  tell_mechanism (self);
  if (self->changed != NULL)
    self->changed (self, self->changed_data);
}

void
ppd_announce_start (PpdAnnounce *self)
{
#ifdef HAVE_AVAHI
  self->avahi = ppd_announce_avahi_new (self);
#else
  g_message ("Built without avahi: no DNS-SD");
#endif
  ppd_announce_dns_sd_changed (self);
}

/* Withdraws the announcements: DNS-SD's goodbye, UDP's "bye". */
void
ppd_announce_free (PpdAnnounce *self)
{
  g_clear_pointer (&self->avahi, ppd_announce_avahi_free);
  g_clear_pointer (&self->udp, ppd_announce_udp_free);
  g_free (self->name);
  g_free (self->id);
  g_free (self->listen_address);
  g_free (self->broadcast);
  g_free (self->dns_sd_name);
  g_free (self);
}

gboolean
ppd_announce_get_announced (PpdAnnounce *self)
{
  return self->dns_sd || self->udp != NULL;
}

/* The name it is announced under (DNS-SD may have renamed it). */
const char *
ppd_announce_get_name (PpdAnnounce *self)
{
  return self->dns_sd ? self->dns_sd_name : self->name;
}

/* "dns-sd", "dns-sd+broadcast", "broadcast" or "" */
const char *
ppd_announce_get_mechanism (PpdAnnounce *self)
{
  if (self->dns_sd)
    return self->udp != NULL ? "dns-sd+broadcast" : "dns-sd";
  return self->udp != NULL ? "broadcast" : "";
}

/* The name the status documents show: the announced name, or NULL when
 * @self is NULL (no -a) or not announced (yet). */
const char *
ppd_announce_get_status_name (PpdAnnounce *self)
{
  if (self == NULL || !ppd_announce_get_announced (self))
    return NULL;
  return ppd_announce_get_name (self);
}
