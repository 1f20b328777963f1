/* fuzz-dbus.c
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "pp-error.h"
#include "pp-job-private.h"
#include "pp-node-address-private.h"
#include "pp-server-bus-private.h"
#include "ppd/ppd-dbus-auth.h"
#include "ppd/ppd-dbus-error.h"
#include "ppd/ppd-dbus-generated.h"
#include "ppd/ppd-dbus-methods.h"
#include "ppd/ppd-dbus-submit.h"

/* libFuzzer target for the arguments of ppd's D-Bus calls, without a bus:
 * the input becomes a GVariant (g_variant_new_from_data(), untrusted, in
 * the normal form GDBus hands a handler), of a method's signature or of a
 * type the input names; GDBus's own check against the introspection data
 * (ppd-dbus-generated.c's) lets through what matches; then ppd's checks of
 * each call run as its handler runs them: SetWorkers, Submit
 * (ppd_dbus_submit_check(): the function name, modules, group, JSON
 * arguments, the job table's room), GetJob/WaitJob/CancelJob (a real job
 * table holding one job of uid 1000, asked by several uids), and
 * Properties.Set (any value in its "v"); and of a pp-glib client's
 * org.ppglib.PpClient1, AddNode (the node address parser). Every refusal
 * must make an error reply that GDBus can send: its message is
 * serialised.
 *
 * Input: byte 0 picks the method; byte 1 the caller's uid; if bit 7 of
 * byte 0 is set, the type is the input's text up to the next NUL; the
 * rest is the serialised value. */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef enum
{
  CALL_SET_WORKERS,
  CALL_SUBMIT,
  CALL_GET_JOB,
  CALL_WAIT_JOB,
  CALL_CANCEL_JOB,
  CALL_SET_PROPERTY,
  CALL_ADD_NODE,
  N_CALLS
} Call;

static const char * const method_names[N_CALLS] = {
  "SetWorkers", "Submit", "GetJob", "WaitJob", "CancelJob", "Set", "AddNode",
};

static const guint32 uids[] = { 0, 1000, 1001, G_MAXUINT32 };

static PpdJobTable *jobs;

static PpdJobTable *
make_job_table (void)
{
  static const char * const modules[] = { NULL };
  g_autoptr(PpFunction) function = pp_function_new ("f", "def f(x):\n    return x\n", modules);
  g_autoptr(GBytes) args = g_bytes_new_static ("[1]", 3);
  g_autoptr(PpJob) job = _pp_job_new (NULL, 1, function, args, PP_PAYLOAD_FORMAT_JSON, "default");
  PpdJobTable *table = ppd_job_table_new (PPD_JOB_TABLE_DEFAULT_RETENTION,
                                          PPD_JOB_TABLE_DEFAULT_MAX_FINISHED);

  g_assert (ppd_job_table_add (table, job, 16, 1000) == 1);
  return table;
}

/* The signature GDBus wants for @call's arguments. */
static char *
in_signature (Call call)
{
  GDBusMethodInfo *method;
  GString *signature;

  if (call == CALL_SET_PROPERTY)
    return g_strdup ("(ssv)");
  method = g_dbus_interface_info_lookup_method (call == CALL_ADD_NODE ? _pp_server_bus_interface_info ()
                                                                      : ppd_dbus_ppd1_interface_info (),
                                                method_names[call]);
  g_assert (method != NULL);
  signature = g_string_new ("(");
  for (guint i = 0; method->in_args != NULL && method->in_args[i] != NULL; i++)
    g_string_append (signature, method->in_args[i]->signature);
  g_string_append_c (signature, ')');
  return g_string_free (signature, FALSE);
}

/* The refusal goes back as an error reply: it must be one GDBus sends. */
static void
check_refusal (Call          call,
               const GError *error)
{
  g_autoptr(GDBusMessage) method_call = NULL;
  g_autoptr(GDBusMessage) reply = NULL;
  g_autofree char *name = NULL;
  g_autofree guchar *blob = NULL;
  g_autoptr(GError) blob_error = NULL;
  gsize blob_size;

  g_assert (error->domain == PPD_DBUS_ERROR || error->domain == G_DBUS_ERROR);
  g_assert (g_utf8_validate (error->message, -1, NULL));
  name = g_dbus_error_encode_gerror (error);
  method_call = g_dbus_message_new_method_call (":1.1", "/org/ppglib/Ppd",
                                                call == CALL_SET_PROPERTY ? "org.freedesktop.DBus.Properties"
                                                : call == CALL_ADD_NODE ? "org.ppglib.PpClient1"
                                                : "org.ppglib.Ppd1",
                                                method_names[call]);
  g_dbus_message_set_serial (method_call, 1);
  g_dbus_message_set_sender (method_call, ":1.2");
  reply = g_dbus_message_new_method_error_literal (method_call, name, error->message);
  g_dbus_message_set_serial (reply, 2);
  blob = g_dbus_message_to_blob (reply, &blob_size, G_DBUS_CAPABILITY_FLAGS_NONE, &blob_error);
  g_assert_no_error (blob_error);
}

static gboolean
check_submit (GVariant  *parameters,
              GError   **error)
{
  g_autofree const char **modules = NULL;
  const char *source, *function, *args_json, *group;

  g_variant_get (parameters, "(&s&s&s^a&s&s)", &source, &function, &args_json, &modules, &group);
  return ppd_dbus_submit_check (jobs, source, function, args_json, modules, group, error);
}

static gboolean
check_job_id (GVariant  *parameters,
              guint32    uid,
              GError   **error)
{
  guint64 id;
  PpJob *job;

  g_variant_get (parameters, "(t)", &id);
  job = ppd_dbus_auth_check_job (jobs, id, uid, error);
  g_assert (job == NULL || (id == 1 && (uid == 0 || uid == 1000)));
  return job != NULL;
}

/* As pp-server-bus-methods.c's add_node(), up to adding the node. */
static gboolean
check_add_node (GVariant  *parameters,
                GError   **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *host_and_port = NULL;
  const char *address;

  g_variant_get (parameters, "(&s)", &address);
  host_and_port = _pp_node_address_parse (address, 60000, &parse_error);
  if (host_and_port == NULL)
    {
      g_assert (g_error_matches (parse_error, PP_ERROR, PP_ERROR_INVALID_ARGUMENT));
      g_set_error_literal (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS, parse_error->message);
      return FALSE;
    }
  g_assert (g_utf8_validate (host_and_port, -1, NULL) && strrchr (host_and_port, ':') != NULL);
  return TRUE;
}

static void
dispatch (Call      call,
          GVariant *parameters,
          guint32   uid)
{
  g_autoptr(GError) error = NULL;
  guint32 workers = 0;
  gboolean ok = FALSE;

  switch (call)
    {
    case CALL_SET_WORKERS:
      g_variant_get (parameters, "(u)", &workers);
      ok = ppd_dbus_methods_check_workers (workers, &error);
      break;
    case CALL_SUBMIT:
      ok = check_submit (parameters, &error);
      break;
    case CALL_GET_JOB:
    case CALL_WAIT_JOB:
    case CALL_CANCEL_JOB:
      ok = check_job_id (parameters, uid, &error);
      break;
    case CALL_SET_PROPERTY:
      ok = ppd_dbus_methods_check_set_property (parameters, &workers, &error);
      g_assert (!ok || workers >= 1);
      break;
    case CALL_ADD_NODE:
      ok = check_add_node (parameters, &error);
      break;
    case N_CALLS:
    default:
      g_assert_not_reached ();
    }
  g_assert (ok == (error == NULL));
  if (!ok)
    check_refusal (call, error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *signature = NULL;
  g_autofree char *type_string = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) normal = NULL;
  gpointer copy;
  Call call;
  guint32 uid;

  if (jobs == NULL)
    jobs = make_job_table ();
  if (size < 2)
    return 0;
  call = (data[0] & 0x7f) % N_CALLS;
  uid = uids[data[1] % G_N_ELEMENTS (uids)];
  signature = in_signature (call);
  data += 2;
  size -= 2;
  if (data[-2] & 0x80)
    {
      const guint8 *nul = memchr (data, '\0', size);

      if (nul == NULL)
        return 0;
      type_string = g_strndup ((const char *) data, nul - data);
      size -= nul + 1 - data;
      data = nul + 1;
      if (!g_variant_type_string_is_valid (type_string) ||
          !g_variant_type_is_definite (G_VARIANT_TYPE (type_string)))
        return 0;
    }
  copy = g_memdup2 (data, size);
  value = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (type_string ? type_string : signature),
                                                       copy, size, FALSE, g_free, copy));
  /* What D-Bus delivers is in normal form. */
  normal = g_variant_get_normal_form (value);
  /* GDBus refuses arguments of another type before any handler. */
  if (!g_str_equal (g_variant_get_type_string (normal), signature))
    return 0;
  dispatch (call, normal, uid);
  return 0;
}
