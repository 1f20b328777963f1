/* test-browser.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <pp-glib.h>

#include "pp-browser-private.h"

/* PpBrowser without a network: the UDP announcement parser, and how
 * sightings become items (merged by id, the best address first, settled,
 * filtered by port, removed with the last sighting). The mechanisms
 * themselves run against real daemons in tests/python/test_discovery.py. */

static void
test_parse_announcement (void)
{
  const char *good = "PPD-ANNOUNCE 1\nport=60000\nid=abc\nname=ppd on x\nncpus=4\n";
  gboolean bye = TRUE;
  g_autoptr(GHashTable) fields = _pp_announcement_parse (good, strlen (good), &bye);
  g_autoptr(GHashTable) goodbye = NULL;

  g_assert_nonnull (fields);
  g_assert_false (bye);
  g_assert_cmpstr (g_hash_table_lookup (fields, "name"), ==, "ppd on x");
  g_assert_cmpstr (g_hash_table_lookup (fields, "ncpus"), ==, "4");
  goodbye = _pp_announcement_parse ("PPD-BYE 1\nport=1\nid=abc", strlen ("PPD-BYE 1\nport=1\nid=abc"), &bye);
  g_assert_nonnull (goodbye);
  g_assert_true (bye);
}

static void
test_parse_refuses (void)
{
  const char *bad[] = {
    "",
    "PPD-ANNOUNCE 1\n",                               /* no id, no port */
    "PPD-ANNOUNCE 1\nid=a\n",                         /* no port */
    "PPD-ANNOUNCE 2\nid=a\nport=1\n",                 /* another version */
    "ppd-announce 1\nid=a\nport=1\n",
    "PPD-ANNOUNCE 1\nid=a\nport=1\nid=b\n",           /* a key twice */
    "PPD-ANNOUNCE 1\nid=a\nport=1\nNAME=x\n",         /* not a key */
    "PPD-ANNOUNCE 1\nid=a\nport=1\nname\n",           /* no value */
    "PPD-ANNOUNCE 1\nid=a\nport=1\nname=a\tb\n",      /* a control character */
    "PPD-ANNOUNCE 1\nid=a\nport=1\n\nname=x\n",       /* an empty line */
    "PPD-ANNOUNCE 1\nid=\xff\nport=1\n",              /* not UTF-8 */
    "PPD-ANNOUNCE 1\nid=a\nport=1\nthisnameistoolong=1\n",
  };
  g_autoptr(GString) many = g_string_new ("PPD-ANNOUNCE 1\nid=a\nport=1\n");
  g_autoptr(GString) long_value = g_string_new ("PPD-ANNOUNCE 1\nid=a\nport=1\nname=");
  gboolean bye;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_null (_pp_announcement_parse (bad[i], strlen (bad[i]), &bye));
  g_assert_null (_pp_announcement_parse ("PPD-ANNOUNCE 1\nid=a\0\nport=1\n", 26, &bye));
  for (guint i = 0; i < 40; i++)
    g_string_append_printf (many, "k%u=v\n", i);
  g_assert_null (_pp_announcement_parse (many->str, many->len, &bye));
  for (guint i = 0; i < 256; i++)
    g_string_append_c (long_value, 'x');
  g_assert_null (_pp_announcement_parse (long_value->str, long_value->len, &bye));
}

static PpSighting *
sighting (const char *id,
          const char *address,
          guint       port)
{
  PpSighting *s = _pp_sighting_new ();

  s->id = g_strdup (id);
  s->name = g_strdup_printf ("ppd %s", id);
  s->host = g_strdup ("node.local");
  s->address = g_strdup (address);
  s->port = port;
  s->mechanism = "dns-sd";
  g_hash_table_insert (s->txt, g_strdup ("ncpus"), g_strdup ("8"));
  g_hash_table_insert (s->txt, g_strdup ("tls"), g_strdup ("1"));
  g_hash_table_insert (s->txt, g_strdup ("secret"), g_strdup ("1"));
  return s;
}

static void
changed_cb (GListModel *model,
            guint       position,
            guint       removed,
            guint       added,
            gpointer    data)
{
  (*(guint *) data)++;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
test_merge_by_id (void)
{
  g_autoptr(PpBrowser) browser = pp_browser_new (0);
  GListModel *model = G_LIST_MODEL (browser);
  g_autoptr(PpDiscoveredNode) node = NULL;
  g_autofree char *connect = NULL;
  guint changes = 0;

  g_signal_connect (browser, "items-changed", G_CALLBACK (changed_cb), &changes);
  _pp_browser_sighted (browser, "dns-sd:2:1:a", sighting ("a", "fe80::1%lo", 60000));
  _pp_browser_sighted (browser, "dns-sd:2:0:a", sighting ("a", "192.0.2.7", 60000));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);  /* settling */
  iterate_for (400);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpuint (changes, ==, 1);
  node = g_list_model_get_item (model, 0);
  g_assert_cmpstr (pp_discovered_node_get_id (node), ==, "a");
  g_assert_cmpstr (pp_discovered_node_get_address (node), ==, "192.0.2.7");
  g_assert_cmpstr (pp_discovered_node_get_addresses (node)[1], ==, "fe80::1%lo");
  g_assert_cmpuint (pp_discovered_node_get_ncpus (node), ==, 8);
  g_assert_true (pp_discovered_node_get_tls (node));
  g_assert_true (pp_discovered_node_get_secret_required (node));
  g_assert_cmpuint (pp_discovered_node_get_http_port (node), ==, 0);
  connect = pp_discovered_node_dup_connect_address (node);
  g_assert_cmpstr (connect, ==, "192.0.2.7:60000");

  /* One sighting goes: the node stays, at its other address. */
  _pp_browser_lost (browser, "dns-sd:2:0:a");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpstr (pp_discovered_node_get_address (node), ==, "fe80::1%lo");
  g_clear_pointer (&connect, g_free);
  connect = pp_discovered_node_dup_connect_address (node);
  g_assert_cmpstr (connect, ==, "[fe80::1%lo]:60000");
  /* The last goes: so does the node. */
  _pp_browser_lost (browser, "dns-sd:2:1:a");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_cmpuint (changes, ==, 2);
}

static void
test_gone_while_settling (void)
{
  g_autoptr(PpBrowser) browser = pp_browser_new (0);

  _pp_browser_sighted (browser, "k", sighting ("a", "192.0.2.7", 60000));
  _pp_browser_lost (browser, "k");
  iterate_for (400);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (browser)), ==, 0);
  /* and disposing a browser with a node settling is fine */
  _pp_browser_sighted (browser, "k", sighting ("a", "192.0.2.7", 60000));
}

static void
test_port_filter (void)
{
  g_autoptr(PpBrowser) browser = pp_browser_new (35000);

  _pp_browser_sighted (browser, "k1", sighting ("a", "192.0.2.7", 60000));
  _pp_browser_sighted (browser, "k2", sighting ("b", "192.0.2.8", 35000));
  iterate_for (400);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (browser)), ==, 1);
  /* an announcement that moves to another port leaves */
  _pp_browser_sighted (browser, "k2", sighting ("b", "192.0.2.8", 35001));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (browser)), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/browser/parse-announcement", test_parse_announcement);
  g_test_add_func ("/browser/parse-refuses", test_parse_refuses);
  g_test_add_func ("/browser/merge-by-id", test_merge_by_id);
  g_test_add_func ("/browser/gone-while-settling", test_gone_while_settling);
  g_test_add_func ("/browser/port-filter", test_port_filter);
  return g_test_run ();
}
