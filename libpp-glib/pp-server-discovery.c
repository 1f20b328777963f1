/* pp-server-discovery.c
 *
 * A server's "*" and "*:PORT" ppservers entries: a PpBrowser on the I/O
 * thread for each, whose items become remote nodes (discovered) while
 * they are announced.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "pp-browser.h"
#include "pp-server-private.h"

/* One item of a browser, and the node made of it (NULL when the server
 * had that address already, from ppservers or another entry). */
typedef struct
{
  PpDiscoveredNode *item;
  PpRemoteNode     *node;
} Found;

typedef struct
{
  PpServer  *server;
  PpBrowser *browser;
  GPtrArray *found;     /* Found, as the browser's items */
} Browsing;

struct _PpServerDiscovery
{
  GPtrArray *browsings;  /* Browsing; created and freed on the I/O thread */
};

static void
found_free (Found *found)
{
  g_object_unref (found->item);
  g_clear_object (&found->node);
  g_free (found);
}

static Found *
add_found (PpServer         *self,
           PpDiscoveredNode *item)
{
  Found *found = g_new0 (Found, 1);
  g_autofree char *address = pp_discovered_node_dup_connect_address (item);

  found->item = g_object_ref (item);
  g_mutex_lock (&self->sched.lock);
  if (!self->destroyed && _pp_server_find_remote_locked (self, address) == NULL)
    found->node = g_object_ref (_pp_server_add_remote_locked (self, address, TRUE));
  g_mutex_unlock (&self->sched.lock);
  if (found->node != NULL)
    g_message ("Discovered node “%s” at %s (%s)", pp_discovered_node_get_name (item), address,
               pp_discovered_node_get_mechanism (item));
  return found;
}

/* On the I/O thread, which owns the connection: as pp_server_remove_node(),
 * its jobs go back to the front of the queue. */
static void
remove_found (PpServer *self,
              Found    *found)
{
  PpRemoteNode *node = found->node;
  gboolean ours;
  guint held = 0;

  if (node == NULL)
    return;
  g_mutex_lock (&self->sched.lock);
  ours = !self->destroyed && g_ptr_array_remove (self->remotes, node);
  if (ours)
    {
      held = g_hash_table_size (node->in_flight);
      g_ptr_array_remove (self->nodes, node);
      _pp_server_detach_remote_locked (self, node);
    }
  g_mutex_unlock (&self->sched.lock);
  if (!ours)
    return;
  g_message ("Discovered node %s is gone; %u job%s go back to the queue",
             _pp_remote_node_get_address (node), held, held == 1 ? "" : "s");
  _pp_remote_node_shutdown (node);
  g_object_unref (node);  /* the server's reference */
  _pp_server_kick (self);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  Browsing *browsing = data;

  for (guint i = 0; i < removed; i++)
    remove_found (browsing->server, g_ptr_array_index (browsing->found, position + i));
  g_ptr_array_remove_range (browsing->found, position, removed);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(PpDiscoveredNode) item = g_list_model_get_item (model, position + i);

      g_ptr_array_insert (browsing->found, position + i, add_found (browsing->server, item));
    }
}

static void
browsing_free (Browsing *browsing)
{
  g_signal_handlers_disconnect_by_data (browsing->browser, browsing);
  pp_browser_stop (browsing->browser);
  g_object_unref (browsing->browser);
  g_ptr_array_unref (browsing->found);
  g_free (browsing);
}

/* The port of a "*" (0: any) or "*:PORT" entry; -1 for other entries. */
static int
discovery_port (const char *entry)
{
  guint64 port = 0;

  if (g_str_equal (entry, "*"))
    return 0;
  if (!g_str_has_prefix (entry, "*:") ||
      !g_ascii_string_to_unsigned (entry + 2, 10, 1, 65535, &port, NULL))
    return -1;
  return (int) port;
}

gboolean
_pp_server_is_discovery_entry (const char *entry)
{
  return discovery_port (entry) >= 0;
}

/* On the I/O thread: its thread-default context is the browsers'. */
static gboolean
start_cb (gpointer data)
{
  PpServer *self = data;
  PpServerDiscovery *discovery = self->discovery;

  for (guint i = 0; self->ppservers[i] != NULL; i++)
    {
      int port = discovery_port (self->ppservers[i]);
      Browsing *browsing;
      gboolean seen = FALSE;

      for (guint j = 0; j < discovery->browsings->len; j++)
        seen |= pp_browser_get_port (((Browsing *) g_ptr_array_index (discovery->browsings, j))->browser) == (guint) port;
      if (port < 0 || seen)
        continue;
      browsing = g_new0 (Browsing, 1);
      browsing->server = self;
      browsing->browser = pp_browser_new (port);
      browsing->found = g_ptr_array_new_with_free_func ((GDestroyNotify) found_free);
      /* Before it starts, so that nothing it finds is missed. */
      g_signal_connect (browsing->browser, "items-changed", G_CALLBACK (items_changed_cb), browsing);
      g_ptr_array_add (discovery->browsings, browsing);
      pp_browser_start (browsing->browser);
    }
  return G_SOURCE_REMOVE;
}

/* From initialisation: browses for each "*" entry of ppservers. */
void
_pp_server_start_discovery (PpServer *self)
{
  gboolean wanted = FALSE;

  for (guint i = 0; self->ppservers != NULL && self->ppservers[i] != NULL; i++)
    wanted |= _pp_server_is_discovery_entry (self->ppservers[i]);
  if (!wanted)
    return;
  self->discovery = g_new0 (PpServerDiscovery, 1);
  self->discovery->browsings = g_ptr_array_new_with_free_func ((GDestroyNotify) browsing_free);
  _pp_io_thread_invoke_sync (self->io, start_cb, self);
}

/* On the I/O thread, as the server stops: no node comes or goes after. */
void
_pp_server_stop_discovery (PpServer *self)
{
  if (self->discovery == NULL)
    return;
  g_ptr_array_unref (self->discovery->browsings);
  g_clear_pointer (&self->discovery, g_free);
}
