{{/* Names: the release name when it already holds the chart's name, else release-chart (63 characters at most). */}}
{{- define "gptoss-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gptoss-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gptoss-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gptoss-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gptoss-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gptoss-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gptoss
{{- end }}

{{- define "gptoss-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gptoss-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest; the tag defaults to the chart's appVersion. */}}
{{- define "gptoss-operator.image" -}}
{{- $image := index . 0 }}
{{- $root := index . 1 }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/*
What the operator does to models and their children, in each watched namespace (or cluster-wide
when it watches all). Exactly the verbs it uses: server-side apply of a child that does not exist
yet is a create as well as a patch; reads of children go through informers and list calls.
*/}}
{{- define "gptoss-operator.namespacedRules" -}}
- apiGroups: ["gptoss.io"]
  resources: ["gptossmodels"]
  verbs: ["list", "watch"]
- apiGroups: ["gptoss.io"]
  resources: ["gptossmodels/status"]
  verbs: ["patch"]
- apiGroups: ["gptoss.io"]
  resources: ["gptossmodels/scale"]
  verbs: ["get", "update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["create", "patch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}

{{/*
Cluster-scoped reads: GPU nodes and their labels, to size and place replicas; StorageClasses, to check a weight
cache's class before its claim is made.
*/}}
{{- define "gptoss-operator.clusterRules" -}}
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["list", "watch"]
- apiGroups: ["storage.k8s.io"]
  resources: ["storageclasses"]
  verbs: ["list", "watch"]
{{- end }}

{{/* The runtime image's repository (no tag, no digest): the one image tenants may always name. */}}
{{- define "gptoss-operator.runtimeRepository" -}}
{{- .Values.runtimeImage.repository }}
{{- end }}

{{/* The operator's settings file (keys of operator/config.ts), mounted at /etc/gptoss/operator.yaml. */}}
{{- define "gptoss-operator.config" -}}
{{- $config := dict
  "namespaces" .Values.watchNamespaces
  "leaseName" (include "gptoss-operator.fullname" .)
  "leaseDurationSeconds" .Values.leaderElection.leaseDurationSeconds
  "workers" .Values.workers
  "port" .Values.metrics.port
  "resyncSeconds" .Values.resyncSeconds
  "runtimeImage" (include "gptoss-operator.image" (list .Values.runtimeImage .))
}}
{{- with .Values.leaderElection.renewDeadlineSeconds }}
{{- if ge (float64 .) (float64 $.Values.leaderElection.leaseDurationSeconds) }}
{{- fail "leaderElection.renewDeadlineSeconds must be shorter than leaderElection.leaseDurationSeconds" }}
{{- end }}
{{- $_ := set $config "renewDeadlineSeconds" . }}
{{- end }}
{{- $_ := set $config "policy" (omit .Values.policy "admission") }}
{{- if not .Values.policy.runtimeImages }}
{{- $_ := set $config.policy "runtimeImages" (list (include "gptoss-operator.runtimeRepository" .)) }}
{{- end }}
{{- with .Values.gpuCatalogue }}{{ $_ := set $config "catalogue" . }}{{ end }}
{{- with .Values.sizing }}{{ $_ := set $config "sizing" . }}{{ end }}
{{- if .Values.gateway.enabled }}
{{- $peers := printf "%s-peers.%s.svc:%v" (include "gptoss-operator.gateway.fullname" .) .Release.Namespace .Values.gateway.opsPort }}
{{- $_ := set $config "autoscaler" (dict "gateways" (list $peers)) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{- define "gptoss-operator.subjects" -}}
- kind: ServiceAccount
  name: {{ include "gptoss-operator.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
