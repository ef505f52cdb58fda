{
  "targets": [
    {
      "target_name": "mmf_native",
      "sources": ["host/native/mmf_native.c", "host/native/truncation_guard.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
