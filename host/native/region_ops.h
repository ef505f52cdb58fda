// The region operations of ABI version 3 (lock, unlock, residency, remap) for the Node helper.
#pragma once
#include <node_api.h>

// Adds lock, unlock, residency and remap to the helper's exports; napi_ok or the failing status.
napi_status region_ops_register(napi_env env, napi_value exports);
