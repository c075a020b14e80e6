/**
 * What the Greeter controller keeps of each cached object. The caches hold one Deployment, Service,
 * ServiceMonitor and Pod per Greeter, so at thousands of Greeters their size is most of the operator's memory
 * (bench/operator). Each transform keeps exactly what the reconciler and the runtime read, nothing else.
 */
import type {
  KubernetesObject,
  V1ContainerStatus,
  V1ManagedFieldsEntry,
  V1Pod,
} from "@kubernetes/client-node";
import { FIELD_MANAGER, LABEL_GREETER } from "../api/v1alpha1/constants.ts";
import { PackedFields } from "./packed-fields.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

const ours = (e: V1ManagedFieldsEntry) =>
  e.manager === FIELD_MANAGER && e.operation === "Apply" && !e.subresource;

const packed = (e: V1ManagedFieldsEntry): V1ManagedFieldsEntry =>
  e.fieldsV1 && !(e.fieldsV1 instanceof PackedFields) ? { ...e, fieldsV1: new PackedFields(e.fieldsV1) } : e;

/**
 * Children: the whole object (the no-op check compares every field we set, and the rollout reads the status),
 * but of managedFields only our own Apply entry, which the no-op check reads to spot fields we must remove,
 * with its field list packed into one string (see PackedFields).
 * The controller manager's status entries and kubectl's last-applied copy are dropped.
 */
export function forChildCache<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta) return obj;
  const { managedFields, annotations, ...rest } = meta;
  const kept = managedFields?.filter(ours).map(packed);
  const metadata: NonNullable<KubernetesObject["metadata"]> = { ...rest };
  if (kept?.length) metadata.managedFields = kept;
  if (annotations) {
    if (LAST_APPLIED in annotations) {
      const { [LAST_APPLIED]: _dropped, ...others } = annotations;
      metadata.annotations = others;
    } else {
      metadata.annotations = annotations;
    }
  }
  return { ...obj, metadata };
}

const containerState = (s: V1ContainerStatus): V1ContainerStatus => {
  const waiting = s.state?.waiting;
  return {
    name: s.name,
    // Required by the type; nothing reads these.
    image: "",
    imageID: "",
    ready: s.ready,
    restartCount: s.restartCount,
    ...(waiting ? { state: { waiting: { reason: waiting.reason, message: waiting.message } } } : {}),
  };
};

/**
 * Pods: only what maps a Pod to its Greeter (the greeter label), what the informer compares
 * (resourceVersion), and what podFailure reads (deletion, waiting reasons). A Pod's spec and most of its
 * status are several kilobytes each and never read.
 */
export function forPodCache(pod: V1Pod): V1Pod {
  const m = pod.metadata ?? {};
  const greeter = m.labels?.[LABEL_GREETER];
  const status = pod.status;
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(greeter !== undefined ? { labels: { [LABEL_GREETER]: greeter } } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(status
      ? {
          status: {
            ...(status.phase ? { phase: status.phase } : {}),
            ...(status.initContainerStatuses
              ? { initContainerStatuses: status.initContainerStatuses.map(containerState) }
              : {}),
            ...(status.containerStatuses
              ? { containerStatuses: status.containerStatuses.map(containerState) }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * Objects of a child's kind that are not ours (no greeter label), kept only to see that a name is taken and by
 * whom: name, resourceVersion (the informer's change check) and the controller reference (ours, only with its
 * label removed, or a NameConflict naming that controller). Every unrelated Deployment and Service of the
 * watched namespaces is one of these, so nothing else is kept. They arrive as PartialObjectMetadata; the kind
 * they describe is restored so a conflict message can name it.
 */
export function forNameCache(type: { apiVersion: string; kind: string }) {
  return <T extends KubernetesObject>(obj: T): T => {
    const m = obj.metadata ?? {};
    const controller = m.ownerReferences?.find((r) => r.controller === true);
    return {
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: {
        name: m.name,
        namespace: m.namespace,
        resourceVersion: m.resourceVersion,
        ...(controller
          ? {
              ownerReferences: [
                {
                  apiVersion: controller.apiVersion,
                  kind: controller.kind,
                  name: controller.name,
                  uid: controller.uid,
                  controller: true,
                },
              ],
            }
          : {}),
      },
    } as T;
  };
}
