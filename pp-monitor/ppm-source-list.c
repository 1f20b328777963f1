/* ppm-source-list.c: the sidebar's sources, live: pp programs appearing
 * and leaving the session bus, ppd on the session and system buses, and
 * the nodes added by address or found on the network
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <pp-glib.h>

#include "ppm-http-source.h"
#include "ppm-ppd-source.h"
#include "ppm-program-source.h"
#include "ppm-source-list.h"

struct _PpmSourceList
{
  GObject          parent_instance;
  GListStore      *store;
  GCancellable    *cancellable;
  GDBusConnection *session;
  GDBusConnection *system;
  guint            owner_changed_id;
  guint            session_ppd_watch;
  guint            system_ppd_watch;
  guint            refresh_msec;
  PpBrowser       *browser;
  GHashTable      *discovered;  /* URLs of the sources discovery added */
};

G_DEFINE_FINAL_TYPE (PpmSourceList, ppm_source_list, G_TYPE_OBJECT)

static gboolean
find_index (PpmSourceList *self,
            const char    *id,
            guint         *index)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PpmSource) source = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (ppm_source_get_id (source), id) == 0)
        {
          *index = i;
          return TRUE;
        }
    }
  return FALSE;
}

PpmSource *
ppm_source_list_find (PpmSourceList *self,
                      const char    *id)
{
  guint index;
  g_autoptr(PpmSource) source = NULL;

  if (!find_index (self, id, &index))
    return NULL;
  source = g_list_model_get_item (G_LIST_MODEL (self->store), index);
  return source;  /* the store keeps it alive */
}

void
ppm_source_list_add (PpmSourceList *self,
                     PpmSource     *source)
{
  guint index;

  if (find_index (self, ppm_source_get_id (source), &index))
    return;
  ppm_source_set_refresh_interval (source, self->refresh_msec);
  g_list_store_append (self->store, source);
}

static void
add_program (PpmSourceList *self,
             const char    *name,
             const char    *owner)
{
  g_autoptr(PpmSource) source = NULL;

  if (!g_str_has_prefix (name, PPM_PROGRAM_PREFIX))
    return;
  source = ppm_program_source_new (self->session, name, owner);
  ppm_source_list_add (self, source);
}

static void
remove_source (PpmSourceList *self,
               const char    *id)
{
  guint index;

  if (find_index (self, id, &index))
    g_list_store_remove (self->store, index);
}

static void
owner_changed_cb (GDBusConnection *connection,
                  const char      *sender,
                  const char      *path,
                  const char      *iface,
                  const char      *signal,
                  GVariant        *params,
                  gpointer         user_data)
{
  PpmSourceList *self = user_data;
  const char *name, *old_owner, *new_owner;

  if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (*old_owner)
    remove_source (self, name);
  if (*new_owner)
    add_program (self, name, new_owner);
}

static void
owner_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, NULL);
  const char *owner;

  if (reply == NULL || g_task_return_error_if_cancelled (task))
    return;
  g_variant_get (reply, "(&s)", &owner);
  add_program (g_task_get_source_object (task), g_task_get_task_data (task), owner);
}

static void
list_names_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PpmSourceList *self = user_data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, NULL);
  g_autoptr(GVariantIter) iter = NULL;
  const char *name;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(as)", &iter);
  while (g_variant_iter_next (iter, "&s", &name))
    {
      GTask *task;

      if (!g_str_has_prefix (name, PPM_PROGRAM_PREFIX))
        continue;
      task = g_task_new (self, self->cancellable, NULL, NULL);
      g_task_set_task_data (task, g_strdup (name), g_free);
      g_dbus_connection_call (self->session, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                              "org.freedesktop.DBus", "GetNameOwner", g_variant_new ("(s)", name),
                              G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                              self->cancellable, owner_cb, task);
    }
}

static void
ppd_appeared_cb (GDBusConnection *connection,
                 const char      *name,
                 const char      *owner,
                 gpointer         user_data)
{
  PpmSourceList *self = user_data;
  GBusType type = connection == self->system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  g_autoptr(PpmSource) source = NULL;
  guint index;

  if (find_index (self, type == G_BUS_TYPE_SYSTEM ? "ppd-system" : "ppd-session", &index))
    return;
  source = ppm_ppd_source_new (connection, type);
  ppm_source_list_add (self, source);
}

static void
watch_session (PpmSourceList *self)
{
  self->owner_changed_id =
    g_dbus_connection_signal_subscribe (self->session, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                        "NameOwnerChanged", "/org/freedesktop/DBus",
                                        "org.ppglib.PpClient",
                                        G_DBUS_SIGNAL_FLAGS_MATCH_ARG0_NAMESPACE,
                                        owner_changed_cb, self, NULL);
  g_dbus_connection_call (self->session, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "ListNames", NULL, G_VARIANT_TYPE ("(as)"),
                          G_DBUS_CALL_FLAGS_NONE, 5000, self->cancellable, list_names_cb, self);
  self->session_ppd_watch = g_bus_watch_name_on_connection (self->session, PPM_PPD_NAME,
                                                            G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                            ppd_appeared_cb, NULL, self, NULL);
}

static void
bus_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection = g_bus_get_finish (result, &error);
  PpmSourceList *self;

  if (g_task_return_error_if_cancelled (task))
    {
      g_clear_object (&connection);
      return;
    }
  self = g_task_get_source_object (task);
  if (connection == NULL)
    {
      g_debug ("No %s bus: %s", GPOINTER_TO_INT (g_task_get_task_data (task)) == G_BUS_TYPE_SYSTEM
               ? "system" : "session", error->message);
      return;
    }
  if (GPOINTER_TO_INT (g_task_get_task_data (task)) == G_BUS_TYPE_SYSTEM)
    {
      self->system = connection;
      self->system_ppd_watch = g_bus_watch_name_on_connection (connection, PPM_PPD_NAME,
                                                               G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                               ppd_appeared_cb, NULL, self, NULL);
    }
  else
    {
      self->session = connection;
      watch_session (self);
    }
}

static void
get_bus (PpmSourceList *self,
         GBusType       type)
{
  GTask *task = g_task_new (self, self->cancellable, NULL, NULL);

  g_task_set_task_data (task, GINT_TO_POINTER (type), NULL);
  g_bus_get (type, self->cancellable, bus_cb, task);
}

/* Where a node found on the network serves its HTTP API (TXT http=PORT),
 * NULL if it does not. */
static char *
discovered_url (PpDiscoveredNode *node)
{
  const char *address = pp_discovered_node_get_address (node);
  guint http_port = pp_discovered_node_get_http_port (node);

  if (address == NULL || http_port == 0)
    return NULL;
  return g_strdup_printf ("%s://%s%s%s:%u", pp_discovered_node_get_tls (node) ? "https" : "http",
                          strchr (address, ':') ? "[" : "", address, strchr (address, ':') ? "]" : "",
                          http_port);
}

/* A node found on the network: watched over its HTTP API when it
 * announces one. */
static void
add_discovered (PpmSourceList    *self,
                PpDiscoveredNode *node)
{
  g_autofree char *url = discovered_url (node);
  g_autoptr(PpmSource) source = NULL;
  guint index;

  if (url == NULL || find_index (self, url, &index))
    return;
  source = ppm_http_source_new (url, pp_discovered_node_get_name (node));
  g_hash_table_add (self->discovered, g_strdup (url));
  ppm_source_list_add (self, source);
}

/* Nodes no longer announced (stopped, or killed and their last
 * announcement expired) leave the list, unless added by address too. */
static void
drop_undiscovered (PpmSourceList *self,
                   GListModel    *model)
{
  g_autoptr(GHashTable) announced = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer url;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(PpDiscoveredNode) node = g_list_model_get_item (model, i);
      char *node_url = discovered_url (node);

      if (node_url)
        g_hash_table_add (announced, node_url);
    }
  g_hash_table_iter_init (&iter, self->discovered);
  while (g_hash_table_iter_next (&iter, &url, NULL))
    if (!g_hash_table_contains (announced, url))
      {
        g_ptr_array_add (gone, g_strdup (url));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < gone->len; i++)
    remove_source (self, g_ptr_array_index (gone, i));
}

static void
browser_changed_cb (GListModel    *model,
                    guint          position,
                    guint          removed,
                    guint          added,
                    PpmSourceList *self)
{
  if (removed)
    drop_undiscovered (self, model);
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(PpDiscoveredNode) node = g_list_model_get_item (model, i);

      add_discovered (self, node);
    }
}

/* A ppd's HTTP API by address ("host:port", "http://host:port",
 * "https://..."). Returns the source (new or already listed), NULL on a
 * malformed address. */
PpmSource *
ppm_source_list_add_url (PpmSourceList  *self,
                         const char     *address,
                         GError        **error)
{
  g_autofree char *url = ppm_http_source_normalize_url (address, error);
  g_autoptr(PpmSource) source = NULL;
  guint index;

  if (url == NULL)
    return NULL;
  /* Asked for: it stays, announced or not. */
  g_hash_table_remove (self->discovered, url);
  if (find_index (self, url, &index))
    return ppm_source_list_find (self, url);
  source = ppm_http_source_new (url, NULL);
  ppm_source_list_add (self, source);
  return source;
}

static void
ppm_source_list_dispose (GObject *object)
{
  PpmSourceList *self = PPM_SOURCE_LIST (object);

  if (self->browser)
    {
      g_signal_handlers_disconnect_by_data (self->browser, self);
      pp_browser_stop (self->browser);
    }
  g_clear_object (&self->browser);
  g_clear_pointer (&self->discovered, g_hash_table_unref);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->session_ppd_watch, g_bus_unwatch_name);
  g_clear_handle_id (&self->system_ppd_watch, g_bus_unwatch_name);
  if (self->owner_changed_id)
    g_dbus_connection_signal_unsubscribe (self->session, self->owner_changed_id);
  self->owner_changed_id = 0;
  if (self->store)
    g_list_store_remove_all (self->store);
  g_clear_object (&self->store);
  g_clear_object (&self->session);
  g_clear_object (&self->system);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (ppm_source_list_parent_class)->dispose (object);
}

static void
ppm_source_list_class_init (PpmSourceListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ppm_source_list_dispose;
}

static void
ppm_source_list_init (PpmSourceList *self)
{
  self->store = g_list_store_new (PPM_TYPE_SOURCE);
  self->discovered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->refresh_msec = 250;
}

PpmSourceList *
ppm_source_list_new (void)
{
  PpmSourceList *self = g_object_new (PPM_TYPE_SOURCE_LIST, NULL);

  get_bus (self, G_BUS_TYPE_SESSION);
  get_bus (self, G_BUS_TYPE_SYSTEM);
  /* Every ppd announced on the network (DNS-SD, else UDP); off with
   * PPM_NO_DISCOVERY=1 (the tests that want a closed world). */
  if (g_getenv ("PPM_NO_DISCOVERY") == NULL)
    {
      self->browser = pp_browser_new (0);
      g_signal_connect (self->browser, "items-changed", G_CALLBACK (browser_changed_cb), self);
      pp_browser_start (self->browser);
    }
  return self;
}

GListModel *
ppm_source_list_get_model (PpmSourceList *self)
{
  return G_LIST_MODEL (self->store);
}

void
ppm_source_list_set_refresh_interval (PpmSourceList *self,
                                      guint          msec)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  self->refresh_msec = msec;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PpmSource) source = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      ppm_source_set_refresh_interval (source, msec);
    }
}
