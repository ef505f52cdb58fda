// Region operations of ABI version 3: mlock/munlock, mincore and mremap over the mappings the
// helper made in a Wasm memory. As everywhere in the helper, each address and length is checked
// against the memory it is given before any system call (non-empty, page-aligned, inside it);
// that a range lies inside one of the caller's live mappings is the host's check (host/mmf-host.ts),
// and remap's the guard's too (it only moves a mapping it watches). A failed N-API call throws
// N-API's own message; a bad value returns the ABI's refusal and a failed system call -errno
// (napi_check.h); the argument readers are mmf_native.c's (helper_args.h).
#define _GNU_SOURCE
#include "region_ops.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper_args.h"
#include "napi_check.h"
#include "truncation_guard.h"

// The most arguments any function here takes.
#define MAX_ARGS 5

// A non-empty, page-aligned [addr, addr+len) inside the memory of argv[0], from argv[at] and
// argv[at + 1] (view_range): its address in *out. 0, -EINVAL or -ERANGE.
static int range_at(napi_env env, napi_value* argv, size_t at, uint8_t** out, size_t* out_len) {
  uint64_t len;
  int rc = view_range(env, argv[0], argv[at], argv[at + 1], out, &len);
  if (rc == 0) *out_len = (size_t)len;
  return rc;
}

// The arguments of a call, exactly `want` of them (missing ones are EINVAL, not undefined).
static bool args_of(napi_env env, napi_callback_info info, size_t want, napi_value* argv, napi_status* status) {
  size_t argc = MAX_ARGS;
  *status = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  return *status == napi_ok && argc >= want;
}

// lock(view, addr, len) and unlock(view, addr, len): mlock or munlock (the function's data says
// which); 0 or -errno (lock: -ENOMEM over RLIMIT_MEMLOCK, -EPERM when it is 0 and the process lacks
// CAP_IPC_LOCK).
static napi_value js_lock(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  void* unlock = NULL;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, &unlock));
  uint8_t* at;
  size_t len;
  int rc = argc >= 3 ? range_at(env, argv, 1, &at, &len) : -EINVAL;
  if (rc == 0 && (unlock ? munlock(at, len) : mlock(at, len)) != 0) rc = -errno;
  return make_int(env, rc);
}

// residency(view, addr, len, vecAddr): how many pages of the range are resident (mincore), or
// -errno. vecAddr -1: no map; else one byte per page (1 resident, 0 not) goes to
// [vecAddr, vecAddr + len / pageSize) of the same memory, which must lie inside it (-ERANGE). The
// kernel writes into a buffer of ours, never into the memory: a store there that faults (a
// truncated file under it) is then the guard's to absorb, not an EFAULT halfway through.
static napi_value js_residency(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  napi_status status;
  bool enough = args_of(env, info, 4, argv, &status);
  NAPI_CALL(env, status);
  uint8_t* at;
  size_t len;
  int rc = enough ? range_at(env, argv, 1, &at, &len) : -EINVAL;
  if (rc != 0) return make_int(env, rc);
  size_t ps = (size_t)page_bytes;
  size_t pages = len / ps;
  uint8_t* vec = NULL;
  double vec_at = 0;
  if (get_double(env, argv[3], &vec_at, -EINVAL) != 0) return make_int(env, -EINVAL);
  if (vec_at != -1) {
    uint8_t* base = NULL;
    size_t mem_len = 0;
    uint64_t v;
    if (memory_of(env, argv[0], &base, &mem_len) != 0 || get_u64(env, argv[3], &v) != 0) return make_int(env, -EINVAL);
    if (v > mem_len || pages > mem_len - v) return make_int(env, -ERANGE);
    vec = base + v;
  }
  unsigned char chunk[4096];
  int64_t resident = 0;
  for (size_t done = 0; done < pages;) {
    size_t n = pages - done < sizeof chunk ? pages - done : sizeof chunk;
    if (mincore(at + done * ps, n * ps, chunk) != 0) return make_int(env, -errno);
    for (size_t k = 0; k < n; k++) {
      unsigned char in = chunk[k] & 1;
      resident += in;
      if (vec) vec[done + k] = in;
    }
    done += n;
  }
  return make_int(env, resident);
}

// remap(view, addr, len, newAddr, newLen): the helper's mapping that is exactly [addr, addr+len)
// becomes [newAddr, newAddr+newLen) (guard_remap: in place when newAddr == addr, else moved); 0 or
// -errno (-ERANGE: a whole page past the end of the file; -EINVAL: not a mapping of the helper's).
static napi_value js_remap(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  napi_status status;
  bool enough = args_of(env, info, 5, argv, &status);
  NAPI_CALL(env, status);
  uint8_t* at;
  uint8_t* to;
  size_t len, new_len;
  int rc = enough ? range_at(env, argv, 1, &at, &len) : -EINVAL;
  if (rc == 0) rc = range_at(env, argv, 3, &to, &new_len);
  if (rc == 0) rc = guard_remap((uintptr_t)at, len, (uintptr_t)to, new_len);
  return make_int(env, rc);
}

napi_status region_ops_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lock", NULL, js_lock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unlock", NULL, js_lock, NULL, NULL, NULL, napi_enumerable, (void*)1},
      {"residency", NULL, js_residency, NULL, NULL, NULL, napi_enumerable, NULL},
      {"remap", NULL, js_remap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
