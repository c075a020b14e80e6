/**
 * Controller ownerReferences: they let the garbage collector delete a Greeter's children with it, and let the
 * operator tell its own children from foreign objects that happen to have the same name.
 */
import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { API_VERSION, KIND } from "../../api/v1alpha1/constants.ts";
import type { Greeter } from "../../api/v1alpha1/greeter.ts";

export function controllerRef(greeter: Greeter): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: greeter.metadata.name ?? "",
    uid: greeter.metadata.uid ?? "",
    controller: true,
    // Foreground deletion of a Greeter waits for its children (needs update on greeters/finalizers).
    blockOwnerDeletion: true,
  };
}

/** True when obj's controller is this very Greeter (same uid), not merely one with the same name. */
export function isControlledBy(obj: KubernetesObject, greeter: Greeter): boolean {
  const controller = obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  return controller !== undefined && controller.uid === greeter.metadata.uid && controller.kind === KIND;
}

/** A short description of who controls obj, for NameConflict messages. */
export function describeController(obj: KubernetesObject): string {
  const controller = obj.metadata?.ownerReferences?.find((ref) => ref.controller === true);
  return controller ? `${controller.kind} ${controller.name} (uid ${controller.uid})` : "no controller";
}
