import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { LABEL_GREETER } from "../api/v1alpha1/constants.ts";
import { GreeterSpecSchema } from "../api/v1alpha1/greeter.ts";
import { forChildCache, forNameCache, forPodCache } from "./cache-transforms.ts";
import { needsApply } from "./compare.ts";
import { desiredDeployment } from "./desired/deployment.ts";
import { PackedFields } from "./packed-fields.ts";
import { podFailure } from "./pod-failures.ts";
import { aGreeter, aPod, asServerReturns, CTX } from "./testing/fixtures.ts";

const deployment = (spec = {}) =>
  desiredDeployment(aGreeter(spec), GreeterSpecSchema.parse(spec), CTX.defaultImage);

describe("forChildCache", () => {
  const withStatusManager = (spec = {}) => {
    const obj = asServerReturns(deployment(spec));
    obj.metadata?.managedFields?.push({
      manager: "kube-controller-manager",
      operation: "Update",
      subresource: "status",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:status": { "f:replicas": {} } },
    });
    obj.metadata = {
      ...obj.metadata,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", keep: "me" },
    };
    return obj;
  };

  it("keeps only our own Apply entry of managedFields and drops kubectl's last-applied copy", () => {
    const cached = forChildCache(withStatusManager());
    expect(cached.metadata?.managedFields?.map((e) => e.manager)).toEqual(["greeter-operator"]);
    expect(cached.metadata?.managedFields?.[0]?.fieldsV1).toBeInstanceOf(PackedFields);
    expect(cached.metadata?.annotations).toEqual({ keep: "me" });
  });

  it("still lets the no-op check see a field we set before and must now remove", () => {
    const before = forChildCache(withStatusManager({ nodeSelector: { disk: "ssd" } }));
    expect(needsApply(deployment({ nodeSelector: { disk: "ssd" } }), before)).toBe(false);
    expect(needsApply(deployment(), before)).toBe(true);
  });
});

describe("forPodCache", () => {
  const bigPod = (waiting?: string): V1Pod => {
    const pod = aPod("web-1", waiting, waiting ? "back-off pulling image" : undefined);
    return {
      ...pod,
      metadata: {
        ...pod.metadata,
        resourceVersion: "7",
        labels: { [LABEL_GREETER]: "web", "pod-template-hash": "abc" },
        managedFields: [{ manager: "kubelet", operation: "Update" }],
      },
      spec: {
        containers: [{ name: "greeter", image: "greeter:0.1.0", env: [{ name: "GREETING", value: "x" }] }],
      },
    };
  };

  it("keeps what maps a pod to its Greeter and what spots a broken pod, not the spec", () => {
    const cached = forPodCache(bigPod("ImagePullBackOff"));
    expect(cached.spec).toBeUndefined();
    expect(cached.metadata).toEqual({
      name: "web-1",
      namespace: "demo",
      resourceVersion: "7",
      labels: { [LABEL_GREETER]: "web" },
    });
    expect(podFailure([cached])).toEqual(podFailure([bigPod("ImagePullBackOff")]));
    expect(podFailure([cached])?.reason).toBe("ImagePullFailed");
  });

  it("reports a healthy pod as healthy and a terminating one as ignored, as before", () => {
    expect(podFailure([forPodCache(bigPod())])).toBeUndefined();
    const terminating = bigPod("CrashLoopBackOff");
    terminating.metadata = { ...terminating.metadata, deletionTimestamp: new Date() };
    expect(podFailure([forPodCache(terminating)])).toBeUndefined();
    expect(podFailure([forPodCache(bigPod("CrashLoopBackOff"))])?.reason).toBe("CrashLooping");
  });
});

describe("forNameCache", () => {
  const toName = forNameCache({ apiVersion: "apps/v1", kind: "Deployment" });

  it("keeps of another's object only what a name check needs: name, version and controller", () => {
    const controller = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1", controller: true };
    const kept = toName({
      apiVersion: "meta.k8s.io/v1",
      kind: "PartialObjectMetadata",
      metadata: {
        name: "web",
        namespace: "team",
        uid: "obj-uid",
        resourceVersion: "7",
        labels: { app: "web" },
        annotations: { note: "x".repeat(1000) },
        ownerReferences: [
          { apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "u2", blockOwnerDeletion: true },
          { ...controller, blockOwnerDeletion: true },
        ],
        managedFields: [{ manager: "kubectl", operation: "Apply" }],
        creationTimestamp: new Date(0),
      },
    });
    expect(kept).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "team", resourceVersion: "7", ownerReferences: [controller] },
    });
  });
});
