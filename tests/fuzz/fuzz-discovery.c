/* fuzz-discovery.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pp-browser-private.h"
#include "pp-discovered-node.h"
#ifdef HAVE_AVAHI
#include "pp-browser-avahi-private.h"
#endif

/* libFuzzer target for what discovery reads off the network: pp's UDP
 * announcement datagrams (pp-browser-udp.c) and DNS-SD TXT records
 * (pp-browser-avahi.c, the record's wire format as avahi hands it over),
 * then a browser merging the sightings (pp-browser.c) and the discovered
 * node they make (pp-discovered-node.c), every getter called.
 *
 * The input is a list of records: one byte (bit 0: a TXT record, else a
 * datagram; bits 1-2: which of four sources sent it; bit 3: a TXT record's
 * address is IPv6 link-local), its length (two bytes, big-endian), then
 * that many bytes. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char * const sources[] = { "192.0.2.1", "192.0.2.2", "fe80::1%lo", "2001:db8::1" };

static void
check_node (PpDiscoveredNode *node)
{
  g_autofree char *connect = pp_discovered_node_dup_connect_address (node);
  const char * const *addresses = pp_discovered_node_get_addresses (node);

  g_assert (pp_discovered_node_get_id (node) != NULL);
  g_assert (pp_discovered_node_get_name (node) != NULL);
  g_assert (pp_discovered_node_get_host (node) != NULL);
  g_assert (pp_discovered_node_get_address (node) != NULL);
  g_assert (addresses != NULL && addresses[0] != NULL);
  g_assert (connect != NULL && g_utf8_validate (connect, -1, NULL));
  g_assert (pp_discovered_node_get_port (node) <= 65535);
  g_assert (pp_discovered_node_get_http_port (node) <= 65535);
  (void) pp_discovered_node_get_ncpus (node);
  (void) pp_discovered_node_get_tls (node);
  (void) pp_discovered_node_get_secret_required (node);
  (void) pp_discovered_node_get_mechanism (node);
  (void) pp_discovered_node_lookup_txt (node, "id");
  (void) pp_discovered_node_lookup_txt (node, "proto");
}

/* Every string a sighting holds is UTF-8 (GObject properties, D-Bus). */
static void
check_sighting (const PpSighting *sighting)
{
  g_autoptr(GPtrArray) sightings = g_ptr_array_new ();
  g_autoptr(PpDiscoveredNode) node = _pp_discovered_node_new (sighting);
  GHashTableIter iter;
  gpointer key, value;

  g_assert (g_utf8_validate (sighting->id, -1, NULL));
  g_assert (g_utf8_validate (sighting->name, -1, NULL));
  g_assert (g_utf8_validate (sighting->host, -1, NULL));
  g_assert (g_utf8_validate (sighting->address, -1, NULL));
  g_hash_table_iter_init (&iter, sighting->txt);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_assert (g_utf8_validate (key, -1, NULL) && g_utf8_validate (value, -1, NULL));

  g_ptr_array_add (sightings, (gpointer) sighting);
  _pp_discovered_node_update (node, sightings);
  check_node (node);
}

static void
read_datagram (PpBrowser    *browser,
               const guint8 *data,
               gsize         len,
               guint         source)
{
  g_autofree char *key = NULL;
  gboolean bye = FALSE;
  guint expires = 0;
  PpSighting *sighting = _pp_announcement_read ((const char *) data, len, sources[source],
                                                &bye, &key, &expires);

  if (sighting == NULL)
    return;
  g_assert (key != NULL);
  g_assert (sighting->port >= 1 && sighting->port <= 65535);
  g_assert (expires >= 500 && expires <= 600000);
  check_sighting (sighting);
  if (bye)
    {
      _pp_sighting_free (sighting);
      _pp_browser_lost (browser, key);
    }
  else
    _pp_browser_sighted (browser, key, sighting);
}

#ifdef HAVE_AVAHI
static void
read_txt (PpBrowser    *browser,
          const guint8 *data,
          gsize         len,
          guint         source,
          gboolean      link_local)
{
  static const guint8 fe80[16] = { 0xfe, 0x80, [15] = 1 };
  AvahiStringList *txt = NULL;
  AvahiAddress address = { 0 };
  g_autofree char *key = g_strdup_printf ("dns-sd:%u", source);
  PpSighting *sighting;

  if (avahi_string_list_parse (data, len, &txt) < 0)
    return;
  if (link_local)
    {
      address.proto = AVAHI_PROTO_INET6;
      memcpy (address.data.ipv6.address, fe80, sizeof fe80);
    }
  else
    {
      address.proto = AVAHI_PROTO_INET;
      address.data.ipv4.address = g_htonl (0xc0000201 + source);
    }
  sighting = _pp_browser_avahi_make_sighting ("fuzz node", "fuzz.local", &address, 1,
                                              60000 + source, txt);
  avahi_string_list_free (txt);
  check_sighting (sighting);
  _pp_browser_sighted (browser, key, sighting);
}
#endif

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PpBrowser) browser = pp_browser_new (0);
  gsize pos = 0;

  while (pos + 3 <= size)
    {
      guint8 kind = data[pos];
      gsize len = MIN (((gsize) data[pos + 1] << 8) | data[pos + 2], size - pos - 3);
      const guint8 *record = data + pos + 3;

      pos += 3 + len;
      if ((kind & 1) == 0)
        read_datagram (browser, record, len, (kind >> 1) & 3);
#ifdef HAVE_AVAHI
      else
        read_txt (browser, record, len, (kind >> 1) & 3, kind & 8);
#endif
    }
  /* What DNS-SD going away does. */
  _pp_browser_lost_prefix (browser, "dns-sd:");
  return 0;
}
