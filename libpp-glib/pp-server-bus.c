/* pp-server-bus.c
 *
 * A server on the session bus: connecting, exporting, the name, stopping.
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include "pp-server-bus-private.h"
#include "pp-server-private.h"

/* Every server of a process gets a name of its own: ...p<PID>_<N>. */
static gint server_count;

/* The session bus's address, without ever starting one (GLib would
 * autolaunch a dbus-daemon for a process with an X display and no bus):
 * $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus when it exists. */
static char *
session_bus_address (void)
{
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;

  if (address != NULL)
    return *address != '\0' ? g_strdup (address) : NULL;
  if (runtime_dir == NULL || *runtime_dir == '\0')
    return NULL;
  path = g_build_filename (runtime_dir, "bus", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  escaped = g_dbus_address_escape_value (path);
  return g_strconcat ("unix:path=", escaped, NULL);
}

/* PP_NO_BUS=1 (any value but "" and "0") turns the export off. */
static gboolean
disabled_by_environment (void)
{
  const char *value = g_getenv ("PP_NO_BUS");

  return value != NULL && *value != '\0' && g_strcmp0 (value, "0") != 0;
}

static void
bus_clear (gpointer data)
{
  PpServerBus *self = data;

  g_assert (self->connection == NULL);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->flush_source, g_source_unref);
  g_clear_pointer (&self->sent_nodes, g_hash_table_unref);
  g_clear_pointer (&self->sent_queue, g_variant_unref);
  g_clear_pointer (&self->started, g_array_unref);
  g_clear_pointer (&self->finished, g_array_unref);
  g_mutex_clear (&self->lock);
}

PpServerBus *
_pp_server_bus_ref (PpServerBus *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
_pp_server_bus_unref (PpServerBus *self)
{
  g_atomic_rc_box_release_full (self, bus_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PpServerBus, _pp_server_bus_unref)

/* Exporting, on the I/O thread ------------------------------------------- */

static void
name_requested_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(PpServerBus) self = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 answer = 0;

  g_atomic_int_dec_and_test (&self->pending_calls);
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &answer);
  /* 1: DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER; someone else may hold it */
  if (answer != 1)
    {
      g_debug ("Not on the session bus as %s: %s", self->name,
               error != NULL ? error->message : "the name is taken");
      return;
    }
  g_mutex_lock (&self->lock);
  self->exported = !self->stopped;
  g_mutex_unlock (&self->lock);
}

/* Asks for the name; its owner is known once the bus answers (the answer
 * is waited for when the server goes, as every pending call). */
static void
request_name (PpServerBus *self)
{
  g_atomic_int_inc (&self->pending_calls);
  g_dbus_connection_call (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "RequestName",
                          g_variant_new ("(su)", self->name, 4 /* DO_NOT_QUEUE */),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          name_requested_cb, _pp_server_bus_ref (self));
}

static gboolean
export_cb (gpointer data)
{
  PpServerBus *self = data;
  g_autoptr(GError) error = NULL;
  gboolean stopped;

  g_mutex_lock (&self->lock);
  stopped = self->stopped;
  g_mutex_unlock (&self->lock);
  if (stopped || self->connection == NULL)
    return G_SOURCE_REMOVE;

  /* Calls and property reads are dispatched here, on the I/O thread. */
  self->registration = g_dbus_connection_register_object (self->connection, PP_SERVER_BUS_PATH,
                                                          _pp_server_bus_interface_info (),
                                                          &_pp_server_bus_vtable, self, NULL, &error);
  if (self->registration == 0)
    {
      g_debug ("Cannot export %s on the session bus: %s", PP_SERVER_BUS_PATH, error->message);
      return G_SOURCE_REMOVE;
    }
  _pp_server_bus_remember (self);
  request_name (self);
  return G_SOURCE_REMOVE;
}

/* Connecting, in a thread of its own ------------------------------------- */

static gpointer
connect_thread (gpointer data)
{
  g_autoptr(PpServerBus) self = data;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  /* A private connection: never exits the process when the bus goes, and
   * leaves the program's own use of the bus alone. */
  connection = g_dbus_connection_new_for_address_sync (self->address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, self->cancellable, &error);
  if (connection == NULL)
    {
      g_debug ("No session bus for the job server: %s", error->message);
      return NULL;
    }

  g_mutex_lock (&self->lock);
  if (!self->stopped)
    {
      self->connection = g_steal_pointer (&connection);
      g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, export_cb,
                                  _pp_server_bus_ref (self), (GDestroyNotify) _pp_server_bus_unref);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static PpServerBus *
bus_new (PpServer     *server,
         char         *address,
         GMainContext *io_context)
{
  PpServerBus *self = g_atomic_rc_box_new0 (PpServerBus);

  self->server = server;
  self->address = address;
  self->name = g_strdup_printf ("%s.p%d_%d", PP_SERVER_BUS_NAME_PREFIX, (int) getpid (),
                                g_atomic_int_add (&server_count, 1) + 1);
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
  self->context = io_context;
  self->sent_nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
  self->started = _pp_server_bus_new_job_array ();
  self->finished = _pp_server_bus_new_job_array ();
  self->flush_source = g_source_new (&_pp_server_ready_source_funcs, sizeof (GSource));
  g_source_set_callback (self->flush_source, _pp_server_bus_flush_cb, self, NULL);
  g_source_set_static_name (self->flush_source, "[pp-glib] bus signals");
  g_source_attach (self->flush_source, io_context);
  return self;
}

/* From initialisation: starts connecting to the session bus, if there is
 * one and the export is not turned off by the environment. Returns at
 * once; the export follows once connected, on the I/O thread. */
void
_pp_server_start_bus (PpServer *server)
{
  g_autoptr(GError) error = NULL;
  char *address;
  PpServerBus *self;
  GThread *thread;

  if (disabled_by_environment () || (address = session_bus_address ()) == NULL)
    return;
  self = bus_new (server, address, _pp_io_thread_get_context (server->io));
  thread = g_thread_try_new ("pp-bus-connect", connect_thread, _pp_server_bus_ref (self), &error);
  if (thread == NULL)
    {
      g_debug ("Cannot connect to the session bus: %s", error->message);
      _pp_server_bus_unref (self);    /* the thread's */
      g_source_destroy (self->flush_source);
      _pp_server_bus_unref (self);
      return;
    }
  g_thread_unref (thread);
  g_mutex_lock (&server->sched.lock);
  server->bus = self;
  g_mutex_unlock (&server->sched.lock);
}

/* Stopping, on the I/O thread -------------------------------------------- */

typedef struct
{
  gboolean done;
} Closing;

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Closing *closing = data;

  g_dbus_connection_close_finish (G_DBUS_CONNECTION (source), result, NULL);
  closing->done = TRUE;
  g_atomic_rc_box_release (closing);
}

/* Closes the connection (the bus drops the name with it) and lets the
 * callbacks of what was pending run (calls waiting for the bus to tell who
 * made them, flushes), so that nothing stays behind; for 2 seconds at
 * most: a bus that takes nothing (a stopped dbus-daemon) never holds up
 * the server. */
static void
close_connection (PpServerBus     *self,
                  GDBusConnection *connection)
{
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  Closing *closing = g_atomic_rc_box_new0 (Closing);

  g_dbus_connection_close (connection, NULL, closed_cb, g_atomic_rc_box_acquire (closing));
  while ((!closing->done || g_atomic_int_get (&self->pending_calls) > 0) &&
         g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (self->context, FALSE))
      g_usleep (1000);
  if (!closing->done)
    g_debug ("The session bus did not take the last messages of %s", self->name);
  g_atomic_rc_box_release (closing);
}

static gboolean
stop_cb (gpointer data)
{
  PpServerBus *self = data;
  g_autoptr(GDBusConnection) connection = NULL;

  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  self->exported = FALSE;
  connection = g_steal_pointer (&self->connection);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);

  g_mutex_lock (&self->server->sched.lock);
  self->live = FALSE;
  _pp_server_bus_clear_events_locked (self);
  g_mutex_unlock (&self->server->sched.lock);
  /* Its last reference goes here, while the context lives: a destroyed
   * source keeps a pointer to its context, which unreffing it locks, and
   * the connecting thread may hold the bus, whose clearing would drop it,
   * until after the server and its context are gone (valgrind saw it). No
   * one else touches it once not live. */
  g_source_destroy (self->flush_source);
  g_clear_pointer (&self->flush_source, g_source_unref);

  if (connection == NULL)
    return G_SOURCE_REMOVE;
  if (self->registration != 0)
    g_dbus_connection_unregister_object (connection, self->registration);
  self->registration = 0;
  close_connection (self, connection);
  return G_SOURCE_REMOVE;
}

/* From pp_server_destroy(): the name goes, at once. */
void
_pp_server_stop_bus (PpServer *server)
{
  PpServerBus *self;

  g_mutex_lock (&server->sched.lock);
  self = g_steal_pointer (&server->bus);
  g_mutex_unlock (&server->sched.lock);
  if (self == NULL)
    return;
  _pp_io_thread_invoke_sync (server->io, stop_cb, self);
  _pp_server_bus_unref (self);
}

/* Public API ------------------------------------------------------------- */

/**
 * pp_server_dup_bus_name:
 * @self: a #PpServer
 *
 * Gets the name the server owns on the session bus,
 * `org.ppglib.PpClient.p<PID>_<N>`, under which it exports
 * `org.ppglib.PpClient1` at `/org/ppglib/PpClient` (see
 * [property@Pp.Server:export-on-bus]). Connecting happens in the
 * background: until the bus has given the server its name (and without a
 * bus, with the export off, when the name is taken, or once destroyed)
 * there is none.
 *
 * Returns: (transfer full) (nullable): the bus name, or %NULL
 *
 * Since: 0.1
 */
char *
pp_server_dup_bus_name (PpServer *self)
{
  PpServerBus *bus;
  char *name = NULL;

  g_return_val_if_fail (PP_IS_SERVER (self), NULL);

  g_mutex_lock (&self->sched.lock);
  bus = self->bus != NULL ? _pp_server_bus_ref (self->bus) : NULL;
  g_mutex_unlock (&self->sched.lock);
  if (bus == NULL)
    return NULL;

  g_mutex_lock (&bus->lock);
  if (bus->exported)
    name = g_strdup (bus->name);
  g_mutex_unlock (&bus->lock);
  _pp_server_bus_unref (bus);
  return name;
}
