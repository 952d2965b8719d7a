// Validates Kubernetes objects (JSON on stdin: [{path, object}]) with the
// validators kubernetes-models generates from the upstream OpenAPI schemas:
// the Prometheus Operator's CRDs (PrometheusRule, AlertmanagerConfig), Argo
// Rollouts' (AnalysisTemplate, ClusterAnalysisTemplate, Rollout) and
// Kubernetes' core types. Prints one
// line per object: `ok <path>` or `invalid <path>: <reason>`.
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { AlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Job } from "kubernetes-models/batch/v1/Job";
import { AnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { ClusterAnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/ClusterAnalysisTemplate";
import { Rollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";

const models = { PrometheusRule, AlertmanagerConfig, ConfigMap, ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, DaemonSet, Job, AnalysisTemplate, ClusterAnalysisTemplate, Rollout };

let input = "";
for await (const chunk of process.stdin) input += chunk;
for (const { path, object } of JSON.parse(input)) {
  const Model = models[object.kind];
  if (!Model) {
    console.log(`invalid ${path}: no validator for kind ${object.kind}`);
    continue;
  }
  try {
    const model = new Model(object);
    if (model.apiVersion !== object.apiVersion) {
      throw new Error(`apiVersion ${object.apiVersion}, expected ${model.apiVersion}`);
    }
    model.validate();
    console.log(`ok ${path}`);
  } catch (error) {
    console.log(`invalid ${path}: ${error.message}`);
  }
}
