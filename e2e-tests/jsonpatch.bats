#!/usr/bin/env bats
# The suite's own JSON Patch applier (e2e-tests/jsonpatch.jq): second_pass
# and patched_object trust it with kwctl and with the bundled host alike, so
# it is held to RFC 6902 here, including the patches it must refuse.

load common

jp() { apply_patch "$2" <<<"$1"; }

@test "jsonpatch: add inserts at an array index, appends with -, and unescapes ~1 and ~0" {
  run jp '{"a":[1,2]}' '[{"op":"add","path":"/a/1","value":9},{"op":"add","path":"/a/-","value":3},
    {"op":"add","path":"/b~1c","value":{"x":1}},{"op":"add","path":"/d~0e","value":true}]'
  [ "$status" -eq 0 ]
  [ "$output" = '{"a":[1,9,2,3],"b/c":{"x":1},"d~e":true}' ]
}

@test "jsonpatch: remove, replace, move, copy and test, in order" {
  run jp '{"a":[1,2],"b":{"c":1}}' '[{"op":"remove","path":"/a/0"},{"op":"replace","path":"/b/c","value":2},
    {"op":"move","from":"/b","path":"/d"},{"op":"copy","from":"/d","path":"/a/0"},{"op":"test","path":"/d/c","value":2}]'
  [ "$status" -eq 0 ]
  [ "$output" = '{"a":[{"c":2},2],"d":{"c":2}}' ]
}

@test "jsonpatch: a patch that does not apply is an error, never a guess" {
  for patch in '[{"op":"add","path":"/a/5","value":9}]' '[{"op":"add","path":"/x/y","value":9}]' \
               '[{"op":"replace","path":"/x","value":9}]' '[{"op":"remove","path":"/a/2"}]' \
               '[{"op":"test","path":"/a/0","value":2}]' '[{"op":"add","path":"a","value":2}]' \
               '[{"op":"add","path":"/a/01","value":2}]' '[{"op":"frobnicate","path":"/a"}]'; do
    run jp '{"a":[1,2]}' "$patch"
    [ "$status" -ne 0 ] || { echo "applied $patch: $output" >&2; return 1; }
  done
}

@test "jsonpatch: the policy's own injection patch applies to its request" {
  evaluate workloads/kubebuilder-webhooks-without-metrics-cert.json
  assert_allowed
  patched_object | jq -e '.spec.template.spec as $s
    | ($s.volumes | any(.name == "metrics-certs" and .secret.secretName == "metrics-server-cert"))
    and ($s.containers[0].volumeMounts | any(.name == "metrics-certs" and .readOnly == true))
    and ($s.containers[0].args | index("--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs") != null)'
}
