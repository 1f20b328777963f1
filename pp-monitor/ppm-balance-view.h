/* ppm-balance-view.h
 *
 * Copyright 2026 The pp-glib developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ppm-view.h"

G_BEGIN_DECLS

#define PPM_TYPE_BALANCE_VIEW (ppm_balance_view_get_type ())

G_DECLARE_FINAL_TYPE (PpmBalanceView, ppm_balance_view, PPM, BALANCE_VIEW, PpmView)

G_END_DECLS
