// The helper's argument readers and range check (defined in mmf_native.c), shared by the files of
// the Node helper so that every function reads its arguments one way (see napi_check.h).
#pragma once
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// The OS page size, read once when the library is loaded.
extern uint64_t page_bytes;
bool page_aligned(uint64_t value);
// An int64 as a JavaScript number (NULL with N-API's error thrown if that fails).
napi_value make_int(napi_env env, int64_t v);
// Base and byte length of the Wasm memory behind a whole-memory Uint8Array view; 0 or -EINVAL.
int memory_of(napi_env env, napi_value view, uint8_t** base, size_t* length);
// A number argument, or `refusal` when it is not a number.
int get_double(napi_env env, napi_value v, double* out, int refusal);
// An offset or length: an integer number from 0 to 2^53, never read modulo 2^32; 0 or -EINVAL.
int get_u64(napi_env env, napi_value v, uint64_t* out);
// [addr, addr+len) non-empty, page-aligned and inside the memory: 0, -EINVAL or -ERANGE.
int check_range(uint8_t* base, size_t mem_len, uint64_t addr, uint64_t len);
// A (view, addr, len) triple of arguments: the start of a non-empty, page-aligned range inside the
// memory of `view` in *at, its length in *len. 0, -EINVAL or -ERANGE.
int view_range(napi_env env, napi_value view, napi_value addr_arg, napi_value len_arg, uint8_t** at, uint64_t* len);
