{
  "targets": [
    {
      "target_name": "mmf_native",
      "sources": ["host/native/mmf_native.c", "host/native/truncation_guard.c"],
      "include_dirs": ["include"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
