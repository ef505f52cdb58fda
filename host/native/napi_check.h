// How the native helper handles N-API statuses: every N-API call is checked, one way.
//
// A helper function has three kinds of failure, each with one answer:
//   - an N-API call fails (it should not: an engine out of memory, a call in the wrong state):
//     NAPI_CALL throws a JavaScript Error with N-API's own message (napi_get_last_error_info) and
//     the function returns NULL, as Node's addon examples do;
//   - an argument has the wrong type or is out of range: the function answers the ABI's code of
//     the refusal, negated (-EINVAL, -ERANGE, -EBADF), the backstop docs/abi.md describes
//     ("Who checks what"); NAPI_ARG reads an argument that way;
//   - a system call fails: the function answers -errno.
//
// Usage, in a callback that returns a napi_value:
//   NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
//   NAPI_CALL(env, napi_create_int64(env, value, &out));
// and in a function that reads an argument and answers 0 or a negated code:
//   NAPI_ARG(env, napi_get_value_double(env, value, &d), -EINVAL);
#pragma once
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

// Throws N-API's message for the call that just failed, unless a JavaScript exception is pending
// already (a getter that threw, say): that one says more, and a second throw would fail.
static inline void mmf_throw_napi_error(napi_env env) {
  const napi_extended_error_info* info = NULL;
  bool pending = false;
  // Read first: any later N-API call overwrites the last error.
  const char* message = napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL
                            ? info->error_message
                            : "an N-API call failed";
  if (napi_is_exception_pending(env, &pending) == napi_ok && !pending)
    (void)napi_throw_error(env, NULL, message);  // nothing more to do if it fails
}

// Whether a status says that a JavaScript value has the wrong type: the caller's value is wrong,
// N-API did not fail.
static inline bool mmf_napi_wrong_type(napi_status status) {
  return status == napi_number_expected || status == napi_boolean_expected || status == napi_string_expected ||
         status == napi_bigint_expected || status == napi_object_expected;
}

// Runs an N-API call; when it fails, throws N-API's message and returns `failed` from the calling
// function (NAPI_CALL_VOID: from a function that returns nothing).
#define NAPI_CALL_OR_RETURN(env, call, failed) \
  do {                                         \
    if ((call) != napi_ok) {                   \
      mmf_throw_napi_error(env);               \
      return failed;                           \
    }                                          \
  } while (0)
#define NAPI_CALL(env, call) NAPI_CALL_OR_RETURN(env, call, NULL)
#define NAPI_CALL_VOID(env, call) NAPI_CALL_OR_RETURN(env, call, )

// Reads an argument: when the value has the wrong type, returns `refusal` (a negated ABI code)
// from the calling function; when N-API fails otherwise, throws its message and returns `refusal`
// too (the pending exception is what JavaScript sees).
#define NAPI_ARG(env, call, refusal)                                         \
  do {                                                                       \
    napi_status napi_arg_status_ = (call);                                   \
    if (napi_arg_status_ != napi_ok) {                                       \
      if (!mmf_napi_wrong_type(napi_arg_status_)) mmf_throw_napi_error(env); \
      return refusal;                                                        \
    }                                                                        \
  } while (0)
