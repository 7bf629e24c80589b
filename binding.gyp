{
  # node-gyp build of the addon (the primary build is CMakeLists.txt via cmake-js).
  #   node_modules/.bin/node-gyp rebuild --nodedir=/usr
  # libwebsockets is built first (at configure time) by scripts/build-lws-for-gyp.sh into
  # build/lws-gyp, against the OpenSSL/libuv/zlib headers of the Node being built for.
  "variables": {
    "lws_prefix": "<!(bash scripts/build-lws-for-gyp.sh --prefix \"<(node_root_dir)/include/node\")"
  },
  "targets": [
    {
      "target_name": "netstack_websocket",
      "sources": [
        "<!@(node -p \"['native/core','native/capi','native/addon'].flatMap(d=>{try{return require('fs').readdirSync(d).filter(f=>f.endsWith('.cc')).sort().map(f=>d+'/'+f)}catch(e){return []}}).join(' ')\")"
      ],
      "include_dirs": [
        "native/include",
        "native/core",
        "native/capi",
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_ADDON_API_CPP_EXCEPTIONS"
      ],
      "cflags": [
        "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-fPIC",
        "-isystem", "<(lws_prefix)/include"
      ],
      "cflags!": ["-fno-exceptions", "-Wno-unused-parameter"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-fvisibility-inlines-hidden"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "libraries": ["<(lws_prefix)/lib/libwebsockets.a"],
      "ldflags": [
        "-Wl,--exclude-libs,ALL",
        "-Wl,--gc-sections",
        "-Wl,--version-script=<(lws_prefix)/netstack_websocket.map"
      ]
    }
  ]
}
