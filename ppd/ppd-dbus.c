/* ppd-dbus.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ppd-dbus-auth.h"
#include "ppd-dbus-methods.h"
#include "ppd-dbus-properties.h"

/* ppd on D-Bus: org.ppglib.Ppd1 (data/org.ppglib.Ppd1.xml) at
 * /org/ppglib/Ppd, under the name org.ppglib.Ppd, on the session bus or
 * (--system) the system bus. The generated skeleton does the marshalling;
 * this subclass is on the bus while ppd runs, and each D-Bus concern has
 * its file:
 *
 * - ppd-dbus-auth.c: who may call what, in the skeleton's
 *   ::g-authorize-method, before any handler runs;
 * - ppd-dbus-methods.c: the handlers of the calls;
 * - ppd-dbus-submit.c: what Submit takes;
 * - ppd-dbus-properties.c: the properties and signals, fed by the pool
 *   (PpServer) and the TCP front door (PpNodeService) and rate-limited.
 *
 * Properties.Set reaches method_call_cb() (and ::g-authorize-method before
 * it), since the vtable has no set_property (GDBus checks the property's
 * existence, access and type before). */

#define BUS_NAME    "org.ppglib.Ppd"
#define OBJECT_PATH "/org/ppglib/Ppd"

/* What one reply may carry: the system bus takes 32 MiB messages by
 * default; a session bus (dbus-daemon, dbus-broker) 128 MiB or more. */
/* A reply is one a{sv}, and a D-Bus array holds 64 MiB at most. */
#define MAX_REPLY_SESSION  (60 << 20)
#define MAX_REPLY_SYSTEM   (30 << 20)

enum {
  SHUTDOWN_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE_WITH_CODE (PpdDbusService, ppd_dbus_service, PPD_DBUS_TYPE_PPD1_SKELETON,
                               G_IMPLEMENT_INTERFACE (PPD_DBUS_TYPE_PPD1, ppd_dbus_methods_iface_init))

static const char *
bus_name (PpdDbusService *self)
{
  return self->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session";
}

/* The vtable ------------------------------------------------------------ */

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (user_data);
  GDBusInterfaceSkeletonClass *parent_class = G_DBUS_INTERFACE_SKELETON_CLASS (ppd_dbus_service_parent_class);

  if (g_strcmp0 (interface_name, "org.freedesktop.DBus.Properties") != 0)
    parent_class->get_vtable (G_DBUS_INTERFACE_SKELETON (self))->method_call (connection, sender, object_path,
                                                                            interface_name, method_name,
                                                                            parameters, invocation, user_data);
  else if (g_strcmp0 (method_name, "Set") == 0)
    ppd_dbus_methods_set_property (self, invocation);
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s.%s here", interface_name, method_name);
}

static const GDBusInterfaceVTable service_vtable = {
  method_call_cb,
  ppd_dbus_properties_get_cb,
  NULL,  /* Properties.Set goes to method_call_cb() */
  { NULL }
};

static GDBusInterfaceVTable *
ppd_dbus_service_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  return (GDBusInterfaceVTable *) &service_vtable;
}

/* The bus --------------------------------------------------------------- */

static void
unexport (PpdDbusService *self)
{
  if (!self->exported)
    return;
  self->exported = FALSE;
  ppd_dbus_properties_stop (self);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self));
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         data)
{
  g_message ("On the %s bus as %s", bus_name (data), name);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         data)
{
  PpdDbusService *self = data;

  if (connection == NULL || g_dbus_connection_is_closed (connection))
    g_message ("Lost the connection to the %s bus", bus_name (self));
  else
    g_message ("%s is owned by another process on the %s bus: not on D-Bus",
               name, bus_name (self));
  unexport (self);
}

static void
bus_got_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(PpdDbusService) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = g_bus_get_finish (result, &error);

  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Not on D-Bus (no %s bus: %s): serving TCP only", bus_name (self), error->message);
      return;
    }
  if (self->stopped)
    return;
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self), connection,
                                         OBJECT_PATH, &error))
    {
      g_warning ("Cannot export %s on the %s bus: %s", OBJECT_PATH, bus_name (self), error->message);
      return;
    }
  self->connection = g_steal_pointer (&connection);
  self->exported = TRUE;
  ppd_dbus_properties_start (self);
  self->owner_id = g_bus_own_name_on_connection (self->connection, BUS_NAME,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 name_acquired_cb, name_lost_cb, self, NULL);
}

/**
 * ppd_dbus_service_start:
 * @self: a #PpdDbusService
 *
 * Connects to the bus, exports the object and claims the name, in the
 * background. Without a bus, logs why and stays off D-Bus.
 */
void
ppd_dbus_service_start (PpdDbusService *self)
{
  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  g_bus_get (self->bus_type, self->cancellable, bus_got_cb, g_object_ref (self));
}

/**
 * ppd_dbus_service_begin_shutdown:
 * @self: a #PpdDbusService
 *
 * ppd is stopping: Submit is refused from now on, and the D-Bus jobs still
 * waiting for a worker are cancelled (the running ones may finish).
 */
void
ppd_dbus_service_begin_shutdown (PpdDbusService *self)
{
  guint cancelled;

  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  self->stopping = TRUE;
  cancelled = ppd_job_table_cancel_queued (self->jobs);
  if (cancelled > 0)
    g_message ("Cancelled %u queued D-Bus job%s", cancelled, cancelled == 1 ? "" : "s");
}

/**
 * ppd_dbus_service_stop:
 * @self: a #PpdDbusService
 *
 * Leaves the bus: releases the name, unexports the object, and answers
 * the calls still waiting (WaitJob, Submit) with an error once the main
 * context runs. The last replies are flushed when @self is finalized.
 */
void
ppd_dbus_service_stop (PpdDbusService *self)
{
  g_return_if_fail (PPD_IS_DBUS_SERVICE (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  self->stopping = TRUE;
  g_cancellable_cancel (self->cancellable);
  ppd_compile_check_shutdown (self->checker);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  unexport (self);
}

/* GObject --------------------------------------------------------------- */

static void
ppd_dbus_service_dispose (GObject *object)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);

  if (self->pool != NULL)
    ppd_dbus_service_stop (self);
  if (self->connection != NULL)
    g_dbus_connection_flush_sync (self->connection, NULL, NULL);
  g_clear_object (&self->connection);
  g_clear_object (&self->checker);
  g_clear_pointer (&self->jobs, ppd_job_table_free);
  g_clear_object (&self->node);
  g_clear_object (&self->pool);
  G_OBJECT_CLASS (ppd_dbus_service_parent_class)->dispose (object);
}

static void
ppd_dbus_service_finalize (GObject *object)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);

  ppd_dbus_properties_clear (self);
  g_clear_object (&self->cancellable);
  g_free (self->address);
  G_OBJECT_CLASS (ppd_dbus_service_parent_class)->finalize (object);
}

static void
ppd_dbus_service_class_init (PpdDbusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->dispose = ppd_dbus_service_dispose;
  object_class->finalize = ppd_dbus_service_finalize;
  skeleton_class->get_vtable = ppd_dbus_service_get_vtable;
  skeleton_class->g_authorize_method = ppd_dbus_auth_authorize_method;

  /**
   * PpdDbusService::shutdown-requested:
   * @self: the service
   *
   * Emitted when an authorized caller asked for Shutdown(), once it has its
   * answer: ppd stops as on SIGTERM.
   */
  signals[SHUTDOWN_REQUESTED] =
    g_signal_new ("shutdown-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ppd_dbus_service_init (PpdDbusService *self)
{
  self->cancellable = g_cancellable_new ();
}

/**
 * ppd_dbus_service_new:
 * @options: ppd's resolved options (the bus, the address, job retention)
 * @pool: the node's pool
 * @node: the node's TCP front door
 *
 * Returns: (transfer full): the service, not on the bus until
 *   ppd_dbus_service_start()
 */
PpdDbusService *
ppd_dbus_service_new (PpdOptions    *options,
                      PpServer      *pool,
                      PpNodeService *node)
{
  PpdDbusService *self = g_object_new (PPD_TYPE_DBUS_SERVICE, NULL);
  const char *address = options->listen_address ? options->listen_address : "*";

  self->pool = g_object_ref (pool);
  self->node = g_object_ref (node);
  self->address = g_utf8_make_valid (address, -1);
  self->bus_type = options->system_bus ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  self->max_reply_size = options->system_bus ? MAX_REPLY_SYSTEM : MAX_REPLY_SESSION;
  self->jobs = ppd_job_table_new (options->job_retention, options->max_retained_jobs);
  self->checker = ppd_compile_check_new (pp_server_get_python (pool));
  ppd_dbus_properties_init (self);
  return self;
}

/* Once Shutdown() has its answer. */
void
ppd_dbus_service_emit_shutdown_requested (PpdDbusService *self)
{
  g_signal_emit (self, signals[SHUTDOWN_REQUESTED], 0);
}
