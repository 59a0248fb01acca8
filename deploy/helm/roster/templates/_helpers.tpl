{{/* Names, labels and the environment every Roster service shares. */}}

{{- define "roster.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "roster.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "contacts") */}}
{{- define "roster.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "roster.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "roster.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "roster.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{/* The Secret holding a chart-written secret value, or the existing one named. */}}
{{- define "roster.secretRef" -}}
{{- $secret := .secret -}}
secretKeyRef:
  name: {{ $secret.existingSecret | default (printf "%s-secrets" (include "roster.fullname" .root)) }}
  key: {{ $secret.key }}
{{- end -}}

{{/* The environment of every service that keeps data (and of the topics Job): the store,
the shared key and Kafka, then what every service has. */}}
{{- define "roster.env" -}}
{{ include "roster.env.process" . }}
{{ include "roster.env.stores" . }}
{{ include "roster.env.auth" . }}
{{- end -}}

{{/* The console's: no store, no Kafka, no secret while the services take the accounts
service's tokens only (its settings want the shared key otherwise). The services' addresses
are those of their Services, by the routing table the ingress uses. */}}
{{- define "roster.consoleEnv" -}}
{{ include "roster.env.process" . }}
{{- if not .Values.auth.accountsKeys }}
- name: ROSTER_JWT_SIGNING_KEY
  valueFrom:
    {{- include "roster.secretRef" (dict "root" . "secret" .Values.secrets.jwtSigningKey) | nindent 4 }}
{{- end }}
- name: ROSTER_CONSOLE_UPSTREAMS
  value: {{ include "roster.consoleUpstreams" . | quote }}
{{ include "roster.env.auth" . }}
{{- end -}}

{{/* {"accounts": "http://<fullname>-accounts", ...}: every service the routing table names. */}}
{{- define "roster.consoleUpstreams" -}}
{{- $upstreams := dict -}}
{{- range (.Files.Get "files/routes.yaml" | fromYaml).routes -}}
{{- $_ := set $upstreams .service (printf "http://%s-%s" (include "roster.fullname" $) .service) -}}
{{- end -}}
{{- toJson $upstreams -}}
{{- end -}}

{{- define "roster.env.process" -}}
- name: ROSTER_ENV
  value: {{ .Values.environment | quote }}
- name: ROSTER_PORT
  value: "8000"
- name: ROSTER_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: ROSTER_LOG_JSON
  value: "true"
{{- end -}}

{{- define "roster.env.stores" -}}
- name: ROSTER_MONGODB_DB_PREFIX
  value: {{ .Values.mongodb.databasePrefix | quote }}
- name: ROSTER_MONGODB_URL
  valueFrom:
    {{- include "roster.secretRef" (dict "root" . "secret" .Values.mongodb.uri) | nindent 4 }}
- name: ROSTER_JWT_SIGNING_KEY
  valueFrom:
    {{- include "roster.secretRef" (dict "root" . "secret" .Values.secrets.jwtSigningKey) | nindent 4 }}
- name: ROSTER_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: ROSTER_KAFKA_TOPIC_PREFIX
  value: {{ .Values.kafka.topicPrefix | quote }}
- name: ROSTER_KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: ROSTER_KAFKA_REPLICATION_FACTOR
  value: {{ .Values.kafka.replicationFactor | quote }}
- name: ROSTER_KAFKA_CREATE_TOPICS
  value: {{ .Values.kafka.createTopics | quote }}
- name: ROSTER_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- if .Values.kafka.tls.existingSecret }}
- name: ROSTER_KAFKA_SSL_CAFILE
  value: /etc/roster/kafka-tls/{{ .Values.kafka.tls.caKey }}
- name: ROSTER_KAFKA_SSL_CHECK_HOSTNAME
  value: {{ .Values.kafka.tls.checkHostname | quote }}
{{- if .Values.kafka.tls.certKey }}
- name: ROSTER_KAFKA_SSL_CERTFILE
  value: /etc/roster/kafka-tls/{{ .Values.kafka.tls.certKey }}
- name: ROSTER_KAFKA_SSL_KEYFILE
  value: /etc/roster/kafka-tls/{{ .Values.kafka.tls.keyKey }}
{{- end }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: ROSTER_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: ROSTER_KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
- name: ROSTER_KAFKA_SASL_PASSWORD
  valueFrom:
    {{- include "roster.secretRef" (dict "root" . "secret" .Values.kafka.sasl.password) | nindent 4 }}
{{- end }}
{{- end -}}

{{/* Tokens, proxies, tracing and the extra environment: every service's. */}}
{{- define "roster.env.auth" -}}
- name: ROSTER_TRUSTED_PROXIES
  value: {{ .Values.auth.trustedProxies | quote }}
{{- if .Values.auth.accountsKeys }}
- name: ROSTER_AUTH_JWKS_URL
  value: {{ printf "http://%s-accounts/.well-known/jwks.json" (include "roster.fullname" .) | quote }}
{{- end }}
{{- if .Values.tracing.enabled }}
- name: OTEL_TRACES_EXPORTER
  value: otlp
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "tracing.endpoint: the collector's OTLP/HTTP address" .Values.tracing.endpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.tracing.sampleRatio | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "deployment.environment=%s,k8s.namespace.name=%s" .Values.environment .Release.Namespace | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes for /tmp (the root file system is read-only) and Kafka's certificates. */}}
{{- define "roster.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
{{- end }}
{{- end -}}

{{- define "roster.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: /etc/roster/kafka-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "roster.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "roster.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}
