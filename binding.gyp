{
  "targets": [
    {
      "target_name": "mmf_native",
      "sources": ["host/native/mmf_native.c", "host/native/truncation_guard.c", "host/native/region_ops.c"],
      "include_dirs": ["include"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
