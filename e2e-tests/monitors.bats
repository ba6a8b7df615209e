#!/usr/bin/env bats
# ServiceMonitor and PodMonitor rules (SPEC section 3), one case per rule.

load common

INTERNAL_ALLOW='{"certManagement":"internal","allowInsecureSkipVerify":true}'
EXTERNAL='{"certManagement":"external"}'

@test "M1: Kueue's insecureSkipVerify ServiceMonitor is rejected with the verified form to use" {
  evaluate monitors/kueue-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden" \
    "tlsConfig.ca.secret: {name: metrics-server-cert, key: ca.crt}" \
    "set serverName to a DNS name the target's certificate carries" \
    "[M1]"
  # Without lookups the advice names no guessed Service (SPEC 16).
  assert_message_lacks "kueue-controller-manager-metrics-service"
}

@test "M1: Kubebuilder's default monitor.yaml is rejected" {
  evaluate monitors/kubebuilder-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify" \
    "set serverName to a DNS name the target's certificate carries"
}

@test "M1: the KEP-4377 verified form is accepted untouched, also with external certificates" {
  evaluate monitors/kueue-verified.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
  evaluate monitors/kueue-verified.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
}

@test "M1: Kubebuilder's monitor_tls_patch form is accepted, as CREATE and as UPDATE" {
  evaluate monitors/kubebuilder-tls-patch.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
  evaluate monitors/kubebuilder-update-to-verified.json
  assert_allowed
  assert_no_patch
}

@test "M1: allowInsecureSkipVerify in internal mode turns M1 into a warning" {
  evaluate monitors/client-cert-skip-verify.json
  assert_rejected
  assert_message_contains "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden"
  evaluate monitors/client-cert-skip-verify.json "$INTERNAL_ALLOW"
  assert_allowed
  assert_no_patch
  assert_warning_contains "spec.endpoints[0].tlsConfig.insecureSkipVerify"
  assert_warning_contains "[M1]"
}

@test "M5: allowInsecureSkipVerify never lets a bearer token go to an unverified server" {
  evaluate monitors/kueue-insecure.json "$INTERNAL_ALLOW"
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].bearerTokenFile: Forbidden" \
    "allowInsecureSkipVerify does not cover credentials" "[M5]"
  assert_message_lacks "Forbidden: insecureSkipVerify"
  assert_warning_contains "[M1]"
}

@test "M5: basicAuth over plain http is rejected" {
  evaluate monitors/http-basic-auth.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].basicAuth: Forbidden" "in plaintext (scheme is http)" \
    "remove the credentials if the target does not need them, or scrape over https" "[M5]"
}

@test "M1+M5: a PodMonitor is checked under spec.podMetricsEndpoints" {
  evaluate monitors/podmonitor-insecure.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.podMetricsEndpoints[0].tlsConfig.insecureSkipVerify" \
    "spec.podMetricsEndpoints[0].authorization"
  evaluate monitors/podmonitor-verified.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "M2: a client certificate without its key is rejected at the missing field" {
  evaluate monitors/openshift-client-cert-half.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.keyFile: Required value" \
    "certFile /etc/prometheus/secrets/metrics-client-certs/tls.crt" "[M2]"
  evaluate monitors/openshift-client-cert.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
}

@test "M3: ca and caFile together are rejected" {
  evaluate monitors/ca-and-cafile.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.caFile: Conflicting fields" "both ca and caFile" "[M3]"
}

@test "M4: tlsConfig without scheme (http) is rejected" {
  evaluate monitors/tls-without-scheme.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig: Invalid value" "scheme is not set, which means http" \
    "set scheme: https" "[M4]"
}

@test "M6: plain http is accepted by default and rejected with requireHttps" {
  evaluate monitors/plain-http.json
  assert_allowed
  assert_no_patch
  evaluate monitors/plain-http.json '{"requireHttps":true}'
  assert_rejected
  assert_message_contains "spec.endpoints[0].scheme: Forbidden" "requireHttps" "[M6]"
  evaluate monitors/kueue-verified.json '{"requireHttps":true}'
  assert_allowed
}

@test "M7: minVersion above maxVersion and a deprecated TLS version are rejected" {
  evaluate monitors/tls-versions.json
  assert_rejected
  [ "$(violation_count)" -eq 2 ]
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.minVersion: Invalid value: minVersion TLS13 is above maxVersion TLS12" \
    "spec.endpoints[1].tlsConfig.maxVersion: Forbidden: TLS11 is deprecated by RFC 8996"
}

@test "M8: external mode requires a CA on https endpoints" {
  evaluate monitors/https-system-roots.json
  assert_allowed
  evaluate monitors/https-system-roots.json "$EXTERNAL"
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.ca: Required value" "certManagement: external" "[M8]"
  evaluate monitors/kube-state-metrics-verified.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
}

@test "W-serverName: a verifying endpoint without serverName is accepted with a warning" {
  evaluate cross-object/kube-prometheus-kube-state-metrics-no-servername.json
  assert_allowed
  assert_no_patch
  assert_warning_contains "[W-serverName] spec.endpoints[0].tlsConfig.serverName"
  assert_warning_contains "[W-serverName] spec.endpoints[1].tlsConfig.serverName"
  assert_warning_contains "sets no serverName; ...; set serverName to"
  # Without lookups no Service is named (SPEC 16).
  assert_warning_contains "; set serverName to a DNS name the target's certificate carries"
  [[ "$(field '.warnings | join(" ")')" != *".svc"* ]]
}

@test "W-serverName: no serverName advice for the kubelet and OpenShift's etcd, whose certificates carry IPs" {
  evaluate monitors/kubelet-https-bearer-ca.json
  assert_allowed
  assert_no_warnings
  evaluate monitors/openshift-etcd-servicemonitor.json "$EXTERNAL"
  assert_allowed
  assert_no_warnings
}

@test "one rejection names every bad endpoint" {
  evaluate monitors/multi-endpoint.json
  assert_rejected
  [ "$(violation_count)" -eq 7 ]
  assert_message_contains \
    "has 7 problems" \
    "spec.endpoints[1].tlsConfig.insecureSkipVerify" \
    "spec.endpoints[2].tlsConfig.keySecret" \
    "spec.endpoints[3].bearerTokenFile" \
    "spec.endpoints[3].tlsConfig:" \
    "spec.endpoints[4].tlsConfig.caFile" \
    "spec.endpoints[4].tlsConfig.minVersion" \
    "spec.endpoints[5].scheme: Invalid value"
  assert_message_lacks "spec.endpoints[0]"
}

@test "wrong JSON types are rejected with the field and the expected type" {
  evaluate monitors/wrong-types.json
  assert_rejected
  [ "$(violation_count)" -eq 3 ]
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify: Invalid type: expected boolean, got string [type]" \
    "spec.endpoints[1].scheme: Invalid type: expected string, got number" \
    "spec.endpoints[2].tlsConfig: Invalid type: expected object, got list"
}

# --- SPEC section 10: every scrape kind, scrape classes, OAuth2, relabeling, M9, M10

OCP_CLASS='{"certManagement":"external","scrapeClasses":[{"name":"tls-client-certificate-auth","tlsConfig":{"caFile":"/etc/prometheus/configmaps/serving-certs-ca-bundle/service-ca.crt","certFile":"/etc/prometheus/secrets/metrics-client-certs/tls.crt","keyFile":"/etc/prometheus/secrets/metrics-client-certs/tls.key"}}]}'

@test "M1/M5: kube-prometheus' kubelet monitor is rejected with advice for the kubelet, not the metrics Secret" {
  evaluate monitors/kube-prometheus-kubelet.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden" \
    "spec.endpoints[2].bearerTokenFile: Forbidden" \
    "kube-root-ca.crt" "[M1]" "[M5]"
  assert_message_lacks "metrics-server-cert" "kubelet.kube-system.svc"
}

@test "M10: the kubelet monitor's fixed form uses Secret and ConfigMap references, also with denyFileReferences" {
  evaluate monitors/kube-prometheus-kubelet.json '{"denyFileReferences":true}'
  assert_rejected
  assert_message_contains "spec.endpoints[0].bearerTokenFile: Forbidden" "authorization with credentials from a Secret" "[M10]"
  evaluate monitors/kube-prometheus-kubelet-fixed.json '{"certManagement":"external","denyFileReferences":true}'
  assert_allowed
  assert_no_patch
}

@test "scrape classes: OpenShift's tls-client-certificate-auth monitor verifies through its declared class" {
  evaluate monitors/openshift-kube-state-metrics-scrape-class.json "$OCP_CLASS"
  assert_allowed
  assert_no_patch
  assert_no_warnings
}

@test "scrape classes: an undeclared class is accepted with warnings, M8 among them" {
  evaluate monitors/openshift-kube-state-metrics-scrape-class.json "$EXTERNAL"
  assert_allowed
  assert_no_patch
  assert_warning_contains "[settings] spec.scrapeClass: scrape class tls-client-certificate-auth is not described"
  assert_warning_contains "[M8] spec.endpoints[0].tlsConfig.ca:"
}

@test "scrape classes at the source: a default class that skips verification is rejected on the Prometheus object" {
  evaluate monitors/openshift-prometheus-k8s-scrape-classes.json "$EXTERNAL"
  assert_allowed
  evaluate monitors/prometheus-default-class-insecure.json
  assert_rejected
  assert_message_contains "spec.scrapeClasses[1].tlsConfig.insecureSkipVerify: Forbidden" "[M1]"
  assert_message_lacks "spec.scrapeClasses[0]"
}

@test "scrape classes setting: a class that skips verification is refused outside internal mode" {
  refuse_settings '{"scrapeClasses":[{"name":"default","default":true,"tlsConfig":{"insecureSkipVerify":true}}]}' \
    "scrapeClasses[0].tlsConfig.insecureSkipVerify"
  refuse_settings '{"scrapeClasses":[{"name":"a"},{"name":"a"}]}' "scrapeClasses[1].name"
  refuse_settings '{"scrapeClasses":{"name":"a"}}' "scrapeClasses: Invalid type: expected a list"
  refuse_settings '{"denyFileReferences":"yes"}' "denyFileReferences: Invalid type: expected a boolean"
  evaluate monitors/probe-blackbox.json '{"certManagement":"internal","allowInsecureSkipVerify":true,"scrapeClasses":[{"name":"default","default":true,"tlsConfig":{"insecureSkipVerify":true}}]}'
  assert_allowed
}

@test "Probe: prometheus-operator's blackbox example is accepted; TLS and credentials at spec are judged" {
  evaluate monitors/probe-blackbox.json
  assert_allowed
  assert_no_warnings
  evaluate monitors/probe-blackbox-insecure.json
  assert_rejected
  assert_message_contains "spec.tlsConfig.insecureSkipVerify: Forbidden" "spec.basicAuth: Forbidden" "[M5]"
}

@test "ScrapeConfig: the static example is accepted; spec and *SDConfigs TLS are judged" {
  evaluate monitors/scrapeconfig-static.json "$EXTERNAL"
  assert_allowed
  evaluate monitors/scrapeconfig-http-sd-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.tlsConfig.insecureSkipVerify: Forbidden" \
    "spec.basicAuth: Forbidden" \
    "spec.httpSDConfigs[0].tlsConfig.insecureSkipVerify: Forbidden"
}

@test "VMServiceScrape: the example app is accepted; a __scheme__ relabeling to http is plaintext" {
  evaluate monitors/vmservicescrape-example-app.json
  assert_allowed
  evaluate monitors/vmservicescrape-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.insecureSkipVerify: Forbidden" \
    "spec.endpoints[0].bearerTokenFile: Forbidden" \
    "the relabeling at spec.endpoints[0].relabelConfigs[0] rewrites __scheme__ to http" \
    "[M4]"
}

@test "PodMonitoring (GKE): the example is accepted; TLS is read under tls" {
  evaluate monitors/gmp-pod-monitoring.json "$EXTERNAL"
  assert_allowed
  evaluate monitors/gmp-pod-monitoring-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tls.insecureSkipVerify: Forbidden" \
    "spec.endpoints[0].authorization: Forbidden" \
    "spec.endpoints[0].tls.serverName: Invalid value" "[M9]"
}

@test "M9: Kubebuilder's TLS patch without its replacements is rejected" {
  evaluate monitors/kubebuilder-tls-patch-placeholders.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig.serverName: Invalid value" \
    "placeholders SERVICE_NAME, SERVICE_NAMESPACE" "[M9]"
}

@test "M9: JobSet's monitor_tls_patch.yaml unrendered: placeholders in serverName and in the client Secret names" {
  evaluate monitors/jobset-monitor-tls-patch-unrendered.json
  assert_rejected
  assert_message_contains "has 3 problems" \
    'spec.endpoints[0].tlsConfig.serverName: Invalid value: "$(METRICS_SERVICE_NAME).$(METRICS_SERVICE_NAMESPACE).svc" still holds the kustomize placeholders METRICS_SERVICE_NAME, METRICS_SERVICE_NAMESPACE' \
    'spec.endpoints[0].tlsConfig.cert.secret.name: Invalid value: the Secret name "$(CLIENT_CERT_NAME)" still holds the placeholder CLIENT_CERT_NAME' \
    "spec.endpoints[0].tlsConfig.keySecret.name: Invalid value" "cannot exist" "[M9]"
  evaluate monitors/jobset-monitor-tls-patch.json
  assert_allowed
}

@test "M9: clusterctl's envsubst \${VAR:=default} left in serverName and a Secret name is rejected" {
  evaluate monitors/clusterctl-monitor-envsubst.json
  assert_rejected
  assert_message_contains \
    'spec.endpoints[0].tlsConfig.serverName: Invalid value: "capi-controller-manager-metrics-service.${CAPI_NAMESPACE:=capi-system}.svc" still holds the envsubst placeholder CAPI_NAMESPACE' \
    "spec.endpoints[0].authorization.credentials.name: Invalid value: the Secret name" "[M9]"
}

@test "M4/M5: VictoriaMetrics' target_label __scheme__ beside an empty targetLabel (and an empty action) is read" {
  evaluate monitors/scheme-relabel-victoriametrics-target-label-spellings.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tlsConfig: Invalid value: the TLS config is set but the relabeling at spec.endpoints[0].relabelConfigs[0] rewrites __scheme__ to http" "[M4]" \
    "spec.endpoints[0].bearerTokenSecret: Forbidden" "[M5]"
  evaluate monitors/scheme-relabel-victoriametrics-target-label-spellings-fixed.json
  assert_allowed
  assert_no_warnings
}

@test "M4/M5: lowercase on __scheme__ and a \$1 target label may write http; a Kubernetes labelmap cannot" {
  evaluate monitors/scheme-relabel-openshift-kube-state-metrics.json
  assert_rejected
  assert_message_contains \
    "the relabeling at spec.endpoints[0].relabelings[1] may rewrite __scheme__ (action lowercase" \
    "the relabeling at spec.endpoints[1].relabelings[0] may write __scheme__ (its target label \$1 is a template" \
    "spec.endpoints[1].bearerTokenFile: Forbidden" "[M4]" "[M5]"
  evaluate monitors/scheme-relabel-openshift-kube-state-metrics-fixed.json "$EXTERNAL"
  assert_allowed
  assert_no_warnings
}

@test "M6: a static __scheme__ label of a ScrapeConfig is plaintext" {
  evaluate monitors/scrapeconfig-static-scheme-label.json '{"requireHttps":true}'
  assert_rejected
  assert_message_contains \
    "spec.staticConfigs[0].labels[__scheme__]: Forbidden: requireHttps is set" "[M6]" \
    "spec.basicAuth: Forbidden" "[M5]"
  evaluate monitors/scrapeconfig-static-https.json '{"requireHttps":true}'
  assert_allowed
  assert_no_warnings
}

@test "M4/M5: a Probe's target relabeling of __scheme__ is read" {
  evaluate monitors/probe-blackbox-scheme-relabel.json
  assert_rejected
  assert_message_contains \
    "the relabeling at spec.targets.staticConfig.relabelingConfigs[0] rewrites __scheme__ to http" \
    "spec.bearerTokenSecret: Forbidden" "[M5]" "[M4]"
  evaluate monitors/probe-blackbox-scheme-relabel-fixed.json
  assert_allowed
  assert_no_warnings
}

@test "M4/M5: a scrape class's relabelings apply to every monitor of the class" {
  local class='{"scrapeClasses":[{"name":"default","default":true,"relabelings":[{"targetLabel":"__scheme__","replacement":"http"}]}]}'
  evaluate monitors/kube-state-metrics-verified.json "$class"
  assert_rejected
  assert_message_contains \
    "the relabeling at scrapeClasses[default].relabelings[0] (from scrape class default) rewrites __scheme__ to http" \
    "spec.endpoints[0].bearerTokenFile: Forbidden" "[M5]" "[M4]"
  evaluate monitors/kube-state-metrics-verified.json \
    '{"scrapeClasses":[{"name":"default","default":true,"relabelings":[{"action":"labelmap","regex":"__meta_kubernetes_service_label_(.+)"}]}]}'
  assert_allowed
  assert_no_warnings
}

@test "M10: VictoriaMetrics' OAuth2 client_secret_file and tls_config files are file references" {
  evaluate monitors/vmservicescrape-oauth2-client-secret-file.json '{"denyFileReferences":true}'
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].oauth2.client_secret_file: Forbidden" "use oauth2.client_secret from a Secret instead" \
    "spec.endpoints[0].oauth2.tls_config.caFile: Forbidden" "[M10]"
  evaluate monitors/vmservicescrape-oauth2-client-secret.json '{"denyFileReferences":true}'
  assert_allowed
  assert_no_warnings
}

@test "M5: service-discovery credentials over an http SD URL are rejected" {
  evaluate monitors/scrapeconfig-http-sd-basic-auth-over-http.json
  assert_rejected
  assert_message_contains \
    "spec.httpSDConfigs[0].basicAuth: Forbidden: basicAuth sends the service-discovery credentials in plaintext (url is http://my-external-api/discovery)" "[M5]"
  evaluate monitors/scrapeconfig-http-sd-basic-auth.json
  assert_allowed
  assert_no_warnings
}

@test "ClusterNodeMonitoring (GKE): the collector's token to an unverified kubelet is M1 and M5; the verified form is accepted" {
  evaluate monitors/gmp-cluster-node-monitoring-kubelet-insecure.json
  assert_rejected
  assert_message_contains \
    "spec.endpoints[0].tls.insecureSkipVerify: Forbidden" "[M1]" "service account token" "[M5]"
  assert_message_lacks "metrics-server-cert" ".svc"
  evaluate monitors/gmp-cluster-node-monitoring-kubelet.json "$EXTERNAL"
  assert_allowed
  assert_no_warnings
}

@test "M4/M5: a VMProbe scrapes over vmProberSpec.scheme, else its spec.scheme, as the VictoriaMetrics operator reads them" {
  evaluate monitors/vmprobe-victoriametrics-example-spec-scheme-https.json
  assert_allowed
  assert_no_patch
  assert_no_warnings
  evaluate monitors/vmprobe-victoriametrics-example-prober-http.json
  assert_rejected
  assert_message_contains "spec.bearerTokenSecret" "[M5]" "spec.tlsConfig" "[M4]"
}
