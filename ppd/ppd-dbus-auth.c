/* ppd-dbus-auth.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include "ppd-dbus-auth.h"
#include "ppd-dbus-error.h"

/* Who may call what. Calls that change the node (SetWorkers, Submit,
 * CancelJob, Shutdown, setting Workers) are for ppd's own uid and root
 * only, on the session bus too: a bus configured to let other users in
 * must not let them run code as ppd's user. A D-Bus job belongs to the uid
 * that submitted it: only that uid and root may see it (GetJob, WaitJob)
 * or cancel it (ppd_dbus_auth_lookup_job()). The monitoring calls are for
 * anyone the bus lets through.
 *
 * As sysprofd does, this runs in the skeleton's ::g-authorize-method,
 * which GDBus emits in a worker thread for every method call (and for
 * Properties.Set, which the service's vtable takes as a call): the thread
 * asks the bus for the caller's uid (GetConnectionUnixUser) without
 * holding up the main loop, and GDBus dispatches an authorized call back
 * to the main context. Nothing here touches the service's state. */

typedef enum
{
  POLICY_ANYONE,    /* the caller's uid is not asked */
  POLICY_IDENTIFY,  /* anyone, with the caller's uid at hand */
  POLICY_CHANGE,    /* ppd's uid and root */
} Policy;

static const struct
{
  const char *interface;
  const char *method;
  Policy      policy;
} policies[] = {
  { "org.ppglib.Ppd1",                 "GetStats",    POLICY_ANYONE },
  { "org.ppglib.Ppd1",                 "ListWorkers", POLICY_ANYONE },
  { "org.ppglib.Ppd1",                 "ListClients", POLICY_ANYONE },
  { "org.ppglib.Ppd1",                 "GetStatus",   POLICY_ANYONE },
  { "org.ppglib.Ppd1",                 "GetJob",      POLICY_IDENTIFY },
  { "org.ppglib.Ppd1",                 "WaitJob",     POLICY_IDENTIFY },
  { "org.ppglib.Ppd1",                 "SetWorkers",  POLICY_CHANGE },
  { "org.ppglib.Ppd1",                 "Submit",      POLICY_CHANGE },
  { "org.ppglib.Ppd1",                 "CancelJob",   POLICY_CHANGE },
  { "org.ppglib.Ppd1",                 "Shutdown",    POLICY_CHANGE },
  { "org.freedesktop.DBus.Properties", "Set",         POLICY_CHANGE },
};

#define CALLER_UID_KEY "ppd-caller-uid"
#define SERVICE_KEY    "ppd-service"

/* A call this table does not know changes the node. */
static Policy
find_policy (GDBusMethodInvocation *invocation)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    if (g_strcmp0 (policies[i].interface, interface) == 0 &&
        g_strcmp0 (policies[i].method, method) == 0)
      return policies[i].policy;
  return POLICY_CHANGE;
}

/* Asks the bus, from the authorizing thread. */
static gboolean
ask_caller_uid (GDBusMethodInvocation  *invocation,
                guint32                *uid,
                GError                **error)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) local_error = NULL;

  if (sender == NULL)
    {
      g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_PERMISSION_DENIED,
                           "Cannot tell who is calling");
      return FALSE;
    }
  reply = g_dbus_connection_call_sync (g_dbus_method_invocation_get_connection (invocation),
                                       "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixUser",
                                       g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &local_error);
  if (reply == NULL)
    {
      g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_PERMISSION_DENIED,
                   "Cannot tell who is calling: %s", local_error->message);
      return FALSE;
    }
  g_variant_get (reply, "(u)", uid);
  return TRUE;
}

static gboolean
check_may_change (guint32   uid,
                  GError  **error)
{
  g_autofree char *who = NULL;

  if (uid == 0 || uid == geteuid ())
    return TRUE;
  who = geteuid () == 0 ? g_strdup ("root") : g_strdup_printf ("root and uid %u", (guint) geteuid ());
  g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_PERMISSION_DENIED,
               "Only %s may change this ppd; you are uid %u", who, uid);
  return FALSE;
}

/**
 * ppd_dbus_auth_authorize_method:
 * @skeleton: the service
 * @invocation: the call
 *
 * The service's ::g-authorize-method, in a worker thread: lets the call
 * through if its caller may make it, having recorded the caller's uid on
 * @invocation (ppd_dbus_auth_caller_uid()); otherwise answers it.
 *
 * Returns: whether GDBus may dispatch the call
 */
gboolean
ppd_dbus_auth_authorize_method (GDBusInterfaceSkeleton *skeleton,
                                GDBusMethodInvocation  *invocation)
{
  Policy policy = find_policy (invocation);
  g_autoptr(GError) error = NULL;
  guint32 uid = 0;

  if (policy != POLICY_ANYONE &&
      (!ask_caller_uid (invocation, &uid, &error) ||
       (policy == POLICY_CHANGE && !check_may_change (uid, &error))))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return FALSE;
    }
  if (policy != POLICY_ANYONE)
    g_object_set_data_full (G_OBJECT (invocation), CALLER_UID_KEY, g_memdup2 (&uid, sizeof uid), g_free);
  /* GDBus hands the call to the main context with no reference to the
   * service: the call keeps it until answered. */
  g_object_set_data_full (G_OBJECT (invocation), SERVICE_KEY, g_object_ref (skeleton), g_object_unref);
  return TRUE;
}

/**
 * ppd_dbus_auth_caller_uid:
 * @invocation: an authorized call
 *
 * Returns: the uid of whoever made @invocation, as the bus told;
 *   (uid_t) -1, nobody's, for a call whose caller was not asked
 */
guint32
ppd_dbus_auth_caller_uid (GDBusMethodInvocation *invocation)
{
  const guint32 *uid = g_object_get_data (G_OBJECT (invocation), CALLER_UID_KEY);

  return uid != NULL ? *uid : G_MAXUINT32;
}

/**
 * ppd_dbus_auth_lookup_job:
 * @self: the service
 * @invocation: a call whose parameters are "(t)", a D-Bus job id
 *
 * Returns: (transfer none) (nullable): the D-Bus job, if the caller may
 *   see it: the uid that submitted it, or root. Otherwise answers
 *   @invocation and returns %NULL.
 */
PpJob *
ppd_dbus_auth_lookup_job (PpdDbusService        *self,
                          GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  guint64 id;
  PpJob *job;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(t)", &id);
  job = ppd_dbus_auth_check_job (self->jobs, id, ppd_dbus_auth_caller_uid (invocation), &error);
  if (job == NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  return job;
}

/**
 * ppd_dbus_auth_check_job:
 * @jobs: the D-Bus jobs
 * @id: a D-Bus job id, from a caller
 * @uid: the caller's uid
 * @error: %PPD_DBUS_ERROR_UNKNOWN_JOB or %PPD_DBUS_ERROR_PERMISSION_DENIED
 *
 * Returns: (transfer none) (nullable): job @id, if @uid may see it: the
 *   uid that submitted it, or root
 */
PpJob *
ppd_dbus_auth_check_job (PpdJobTable  *jobs,
                         guint64       id,
                         guint32       uid,
                         GError      **error)
{
  guint32 owner = 0;
  PpJob *job = ppd_job_table_lookup (jobs, id, &owner);

  if (job == NULL)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_UNKNOWN_JOB,
                 "No job %" G_GUINT64_FORMAT ": never submitted here, or "
                 "dropped some time after it finished", id);
  else if (uid != 0 && uid != owner)
    g_set_error (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_PERMISSION_DENIED,
                 "Job %" G_GUINT64_FORMAT " is not yours: only the "
                 "user who submitted it and root may see it", id);
  else
    return job;
  return NULL;
}
