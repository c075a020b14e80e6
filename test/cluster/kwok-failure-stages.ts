/**
 * Pods that fail the way real ones do, for tests of how the operator reports them. kwok runs no containers,
 * so a Pod whose first container uses one of these images is given the status a kubelet would report:
 * an image it cannot pull, or a container in CrashLoopBackOff. These stages outweigh kwok's pod-ready
 * stage (a stage of weight 0 loses to any positive weight), so such Pods never become Ready. Since both keep
 * matching, the status written is the same every time (times come from the Pod's creation): a repeated
 * patch changes nothing, so it causes no new event and no loop.
 *
 * On a real node (USE_EXISTING_CLUSTER on kind) the pull really fails: a registry on the node's own loopback
 * port 1 refuses the connection at once, so no name is looked up and nothing leaves the node.
 */
export const FAILING_IMAGES = {
  imagePull: "127.0.0.1:1/image-pull-backoff:1",
  crashLoop: "127.0.0.1:1/crash-loop-backoff:1",
} as const;

function failureStage(name: string, image: string, phase: string, containerStatus: string): string {
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: 'DoesNotExist'
      - key: '.spec.nodeName'
        operator: 'Exists'
      - key: '.spec.containers.[0].image'
        operator: 'In'
        values: ['${image}']
  weight: 1
  next:
    statusTemplate: |
      {{ $at := .metadata.creationTimestamp }}
      phase: ${phase}
      conditions:
      - type: Initialized
        status: "True"
        lastTransitionTime: {{ $at | Quote }}
      - type: Ready
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $at | Quote }}
      - type: ContainersReady
        status: "False"
        reason: ContainersNotReady
        lastTransitionTime: {{ $at | Quote }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
${containerStatus}
      {{ end }}
`;
}

export function kwokFailureStages(): string[] {
  return [
    failureStage(
      "pod-image-pull-backoff",
      FAILING_IMAGES.imagePull,
      "Pending",
      `        restartCount: 0
        state:
          waiting:
            reason: ImagePullBackOff
            message: {{ printf "Back-off pulling image %q" .image | Quote }}`,
    ),
    failureStage(
      "pod-crash-loop-backoff",
      FAILING_IMAGES.crashLoop,
      "Running",
      `        restartCount: 5
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            startedAt: {{ $at | Quote }}
            finishedAt: {{ $at | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off 2m40s restarting failed container=%s" .name | Quote }}`,
    ),
  ];
}
