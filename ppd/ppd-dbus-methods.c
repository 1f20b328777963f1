/* ppd-dbus-methods.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ppd-dbus-auth.h"
#include "ppd-dbus-error.h"
#include "ppd-dbus-methods.h"
#include "ppd-dbus-properties.h"
#include "ppd-dbus-submit.h"

/* The calls of org.ppglib.Ppd1 (data/org.ppglib.Ppd1.xml), and setting
 * its Workers property. Each handler runs once ppd-dbus-auth.c has let the
 * call through, in the main context. */

#define SHUTTING_DOWN "ppd is shutting down"

/* Answers with @error, in ppd's domain whatever it came in. */
static void
return_error (GDBusMethodInvocation *invocation,
              const GError          *error)
{
  if (error->domain == PPD_DBUS_ERROR)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                                   SHUTTING_DOWN);
  else if (g_error_matches (error, PP_ERROR, PP_ERROR_TOO_LARGE))
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_TOO_LARGE,
                                                   error->message);
  else
    g_dbus_method_invocation_return_error_literal (invocation, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED,
                                                   error->message);
}

/* Monitoring methods ---------------------------------------------------- */

static gboolean
ppd_dbus_service_handle_get_stats (PpdDbusPpd1           *object,
                                   GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GPtrArray) stats = pp_server_list_stats (self->pool);
  g_autofree char *table = pp_server_format_stats (self->pool);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  guint64 jobs = 0;
  double time = 0;

  for (guint i = 0; i < stats->len; i++)
    {
      jobs += pp_node_stats_get_njobs (g_ptr_array_index (stats, i));
      time += pp_node_stats_get_time (g_ptr_array_index (stats, i));
    }
  g_variant_dict_insert (&dict, "jobs", "t", jobs);
  g_variant_dict_insert (&dict, "time", "d", time);
  g_variant_dict_insert (&dict, "time_per_job", "d", jobs > 0 ? time / jobs : 0.0);
  g_variant_dict_insert (&dict, "uptime", "d", pp_server_get_uptime (self->pool));
  /* As the table's "active tasks", like pp's print_stats(): queued and
   * running (the ActiveJobs property counts the running ones). */
  g_variant_dict_insert (&dict, "active_jobs", "u", pp_server_get_active_jobs (self->pool, NULL));
  g_variant_dict_insert (&dict, "cores", "u", pp_server_get_ncpus (self->pool));
  g_variant_dict_insert (&dict, "table", "s", table);
  ppd_dbus_ppd1_complete_get_stats (object, invocation, g_variant_dict_end (&dict));
  return TRUE;
}

/* As pp_server_dup_worker_info(): a job's id is the one Submit, JobStarted
 * and HTTP give. */
static gboolean
ppd_dbus_service_handle_list_workers (PpdDbusPpd1           *object,
                                      GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GVariant) info = pp_server_dup_worker_info (self->pool);

  ppd_dbus_ppd1_complete_list_workers (object, invocation, info);
  return TRUE;
}

static gboolean
ppd_dbus_service_handle_list_clients (PpdDbusPpd1           *object,
                                      GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GVariant) clients = pp_node_service_dup_clients (self->node);

  ppd_dbus_ppd1_complete_list_clients (object, invocation, clients);
  return TRUE;
}

/* The node document of docs/status.schema.json, as HTTP serves it. */
static gboolean
ppd_dbus_service_handle_get_status (PpdDbusPpd1           *object,
                                    GDBusMethodInvocation *invocation)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autofree char *status = pp_node_service_dup_status (self->node,
                                                                ppd_announce_get_status_name (self->announce));

  ppd_dbus_ppd1_complete_get_status (object, invocation, status);
  return TRUE;
}

/* Control methods -------------------------------------------------------- */

/**
 * ppd_dbus_methods_check_workers:
 * @workers: what SetWorkers or setting Workers asks for
 * @error: %PPD_DBUS_ERROR_INVALID_WORKER_COUNT
 *
 * The rule of ppd's -w (ppd_check_workers()), without -1.
 *
 * Returns: whether ppd takes @workers
 */
gboolean
ppd_dbus_methods_check_workers (guint32   workers,
                                GError  **error)
{
  g_autofree char *problem = ppd_check_workers (workers, FALSE, "The number of workers");

  if (problem != NULL)
    {
      g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_INVALID_WORKER_COUNT, problem);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_workers (PpdDbusService  *self,
             guint32          workers,
             GError         **error)
{
  if (!ppd_dbus_methods_check_workers (workers, error))
    return FALSE;
  pp_server_set_ncpus (self->pool, workers);
  return TRUE;
}

static gboolean
ppd_dbus_service_handle_set_workers (PpdDbusPpd1           *object,
                                     GDBusMethodInvocation *invocation,
                                     guint                  workers)
{
  g_autoptr(GError) error = NULL;

  if (!set_workers (PPD_DBUS_SERVICE (object), workers, &error))
    return_error (invocation, error);
  else
    ppd_dbus_ppd1_complete_set_workers (object, invocation);
  return TRUE;
}

/**
 * ppd_dbus_methods_set_property:
 * @self: the service
 * @invocation: an authorized Properties.Set, of a property that exists,
 *   is writable and gets a value of its type (GDBus checks)
 *
 * Sets Workers, the only writable property.
 */
void
ppd_dbus_methods_set_property (PpdDbusService        *self,
                               GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  guint32 workers;

  if (!ppd_dbus_methods_check_set_property (g_dbus_method_invocation_get_parameters (invocation),
                                            &workers, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else if (!set_workers (self, workers, &error))
    return_error (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

/**
 * ppd_dbus_methods_check_set_property:
 * @parameters: the arguments of a Properties.Set, "(ssv)"
 * @workers: (out): the number of workers it asks for
 * @error: %G_DBUS_ERROR_PROPERTY_READ_ONLY, or
 *   %PPD_DBUS_ERROR_INVALID_WORKER_COUNT
 *
 * Returns: whether @parameters set Workers to a number ppd takes
 */
gboolean
ppd_dbus_methods_check_set_property (GVariant  *parameters,
                                     guint32   *workers,
                                     GError   **error)
{
  g_autoptr(GVariant) value = NULL;
  const char *name;

  g_variant_get (parameters, "(&s&sv)", NULL, &name, &value);
  if (!g_str_equal (name, "Workers") || !g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY,
                   "Property %s cannot be set to that", name);
      return FALSE;
    }
  *workers = g_variant_get_uint32 (value);
  return ppd_dbus_methods_check_workers (*workers, error);
}

static gboolean
ppd_dbus_service_handle_shutdown (PpdDbusPpd1           *object,
                                  GDBusMethodInvocation *invocation)
{
  ppd_dbus_ppd1_complete_shutdown (object, invocation);
  ppd_dbus_service_emit_shutdown_requested (PPD_DBUS_SERVICE (object));
  return TRUE;
}

/* Jobs ------------------------------------------------------------------ */

typedef struct
{
  PpdDbusService        *self;
  GDBusMethodInvocation *invocation;
} Call;

static Call *
call_new (PpdDbusService        *self,
          GDBusMethodInvocation *invocation)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->invocation = invocation;
  return call;
}

static void
call_free (Call *call)
{
  g_clear_object (&call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

/* Jobs are taken until ppd begins to shut down. */
static gboolean
check_accepting (PpdDbusService  *self,
                 GError         **error)
{
  if (!self->stopping)
    return TRUE;
  g_set_error_literal (error, PPD_DBUS_ERROR, PPD_DBUS_ERROR_FAILED, SHUTTING_DOWN);
  return FALSE;
}

/* The source compiles: submits the job, unless ppd began to shut down in
 * the meantime. */
static void
submit_checked (PpdDbusService        *self,
                GDBusMethodInvocation *invocation)
{
  g_autoptr(PpFunction) function = NULL;
  g_autoptr(GBytes) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PpJob) job = NULL;
  g_autofree const char **modules = NULL;
  const char *source, *name, *args_json, *group;
  guint64 id;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s&s&s^a&s&s)",
                 &source, &name, &args_json, &modules, &group);
  if (!check_accepting (self, &error))
    {
      return_error (invocation, error);
      return;
    }
  function = pp_function_new (name, source, modules);
  args = g_bytes_new (args_json, strlen (args_json));
  job = pp_server_submit (self->pool, function, args, PP_PAYLOAD_FORMAT_JSON,
                          *group != '\0' ? group : "default", &error);
  if (job == NULL)
    {
      return_error (invocation, error);
      return;
    }
  id = ppd_job_table_add (self->jobs, job, strlen (source) + strlen (args_json),
                          ppd_dbus_auth_caller_uid (invocation));
  g_debug ("D-Bus job %" G_GUINT64_FORMAT ": %s() for %s",
           id, name, g_dbus_method_invocation_get_sender (invocation));
  ppd_dbus_ppd1_complete_submit (PPD_DBUS_PPD1 (self), invocation, id);
  ppd_dbus_properties_poke (self);
}

static void
compile_checked_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(Call) call = data;
  g_autoptr(GError) error = NULL;

  if (!ppd_compile_check_run_finish (PPD_COMPILE_CHECK (object), result, &error))
    return_error (call->invocation, error);
  else
    submit_checked (call->self, call->invocation);
}

/* Checks the arguments, then (in a child) that the source compiles, then
 * submits the job. */
static gboolean
ppd_dbus_service_handle_submit (PpdDbusPpd1           *object,
                                GDBusMethodInvocation *invocation,
                                const char            *source,
                                const char            *function,
                                const char            *args_json,
                                const char * const    *modules,
                                const char            *group)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  g_autoptr(GError) error = NULL;

  if (!check_accepting (self, &error) ||
      !ppd_dbus_submit_check (self->jobs, source, function, args_json, modules, group, &error))
    return_error (invocation, error);
  else
    ppd_compile_check_run_async (self->checker, source, modules, self->cancellable,
                                 compile_checked_cb, call_new (self, invocation));
  return TRUE;
}

static gboolean
ppd_dbus_service_handle_get_job (PpdDbusPpd1           *object,
                                 GDBusMethodInvocation *invocation,
                                 guint64                id)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  PpJob *job = ppd_dbus_auth_lookup_job (self, invocation);
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;

  if (job == NULL)
    return TRUE;
  if ((description = ppd_job_describe (job, self->max_reply_size, &error)) == NULL)
    return_error (invocation, error);
  else
    ppd_dbus_ppd1_complete_get_job (object, invocation, description);
  return TRUE;
}

static void
job_waited_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(Call) call = data;
  g_autoptr(GVariant) description = NULL;
  g_autoptr(GError) error = NULL;

  /* The job's own failure is in its description. */
  if (!pp_job_wait_finish (PP_JOB (object), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return_error (call->invocation, error);
  else if ((description = ppd_job_describe (PP_JOB (object), call->self->max_reply_size,
                                            &error)) == NULL)
    return_error (call->invocation, error);
  else
    ppd_dbus_ppd1_complete_wait_job (PPD_DBUS_PPD1 (call->self), call->invocation, description);
}

static gboolean
ppd_dbus_service_handle_wait_job (PpdDbusPpd1           *object,
                                  GDBusMethodInvocation *invocation,
                                  guint64                id)
{
  PpdDbusService *self = PPD_DBUS_SERVICE (object);
  PpJob *job = ppd_dbus_auth_lookup_job (self, invocation);

  if (job != NULL)
    pp_job_wait_async (job, self->cancellable, job_waited_cb, call_new (self, invocation));
  return TRUE;
}

static gboolean
ppd_dbus_service_handle_cancel_job (PpdDbusPpd1           *object,
                                    GDBusMethodInvocation *invocation,
                                    guint64                id)
{
  PpJob *job = ppd_dbus_auth_lookup_job (PPD_DBUS_SERVICE (object), invocation);

  if (job != NULL)
    ppd_dbus_ppd1_complete_cancel_job (object, invocation, pp_job_cancel (job));
  return TRUE;
}

/**
 * ppd_dbus_methods_iface_init:
 * @iface: the service's org.ppglib.Ppd1
 *
 * Fills in the handlers of the calls.
 */
void
ppd_dbus_methods_iface_init (PpdDbusPpd1Iface *iface)
{
  iface->handle_set_workers = ppd_dbus_service_handle_set_workers;
  iface->handle_get_stats = ppd_dbus_service_handle_get_stats;
  iface->handle_list_workers = ppd_dbus_service_handle_list_workers;
  iface->handle_list_clients = ppd_dbus_service_handle_list_clients;
  iface->handle_get_status = ppd_dbus_service_handle_get_status;
  iface->handle_submit = ppd_dbus_service_handle_submit;
  iface->handle_get_job = ppd_dbus_service_handle_get_job;
  iface->handle_wait_job = ppd_dbus_service_handle_wait_job;
  iface->handle_cancel_job = ppd_dbus_service_handle_cancel_job;
  iface->handle_shutdown = ppd_dbus_service_handle_shutdown;
}
