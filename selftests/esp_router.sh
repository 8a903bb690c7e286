#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ESP suite (esp.sh) as routers run: the kernel's ESP offload modules
# loaded and raw packet captures on every interface (see esp.sh).
ESP_ROUTER=1 exec "$(dirname "$0")/esp.sh" "$@"
