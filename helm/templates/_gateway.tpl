{{/* The gateway's names and labels: its own app.kubernetes.io/name, so no operator selector ever takes its pods. */}}
{{- define "gptoss-operator.gateway.fullname" -}}
{{- printf "%s-gateway" (include "gptoss-operator.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{- define "gptoss-operator.gateway.selectorLabels" -}}
app.kubernetes.io/name: gptoss-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gptoss-operator.gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gptoss-operator.gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gptoss
app.kubernetes.io/component: gateway
{{- end }}

{{- define "gptoss-operator.gateway.serviceAccountName" -}}
{{- if .Values.gateway.serviceAccount.create }}
{{- default (include "gptoss-operator.gateway.fullname" .) .Values.gateway.serviceAccount.name }}
{{- else }}
{{- required "gateway.serviceAccount.name is required when gateway.serviceAccount.create is false" .Values.gateway.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Namespaces whose models the gateway serves: its own list, else the operator's; empty means all. */}}
{{- define "gptoss-operator.gateway.namespaces" -}}
{{- toJson (default .Values.watchNamespaces .Values.gateway.watchNamespaces) }}
{{- end }}

{{- define "gptoss-operator.gateway.keysNamespace" -}}
{{- default .Release.Namespace .Values.gateway.keysNamespace }}
{{- end }}

{{/*
What discovery reads, in each watched namespace (or cluster-wide when it watches all): GptOssModels
and the EndpointSlices of their runtime Services, through informers (list and watch, nothing else).
*/}}
{{- define "gptoss-operator.gateway.modelRules" -}}
- apiGroups: ["gptoss.io"]
  resources: ["gptossmodels"]
  verbs: ["list", "watch"]
# waking a model at zero for the requests held for it: the replica count, nothing else of the model
- apiGroups: ["gptoss.io"]
  resources: ["gptossmodels/scale"]
  verbs: ["get", "update"]
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
{{- end }}

{{- define "gptoss-operator.gateway.subjects" -}}
- kind: ServiceAccount
  name: {{ include "gptoss-operator.gateway.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
{{- end }}
