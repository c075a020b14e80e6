/**
 * ResourceClient gives the verbs the operator uses on one ResourceType: paginated list, get, server-side
 * apply (also on a subresource), create, replace, merge-patch and delete with a UID precondition.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { isApiError } from "./api-error.ts";
import type { KubeClient } from "./kube-client.ts";
import { apiVersionOf, type ResourceType, resourcePath } from "./resource.ts";

export interface ListResult<T> {
  items: T[];
  /** Opaque; pass it back to the API server, never compare or parse it. */
  resourceVersion: string;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  subresource?: string;
  signal?: AbortSignal;
}

const PAGE_SIZE = 500;

/** Media types that make the API server send only metadata (PartialObjectMetadata), for any resource type. */
const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const METADATA_ITEM = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

export interface ResourceClientOptions {
  /**
   * Lists and watches return objects with metadata only: names, labels and owners of objects whose spec and
   * status are of no interest, at a fraction of the bytes and memory.
   */
  metadataOnly?: boolean;
}

export class ResourceClient<T extends KubernetesObject = KubernetesObject> {
  readonly client: KubeClient;
  readonly type: ResourceType;
  /** The Accept header for watches (undefined: plain JSON). */
  readonly watchAccept: string | undefined;
  readonly #listAccept: string | undefined;

  constructor(client: KubeClient, type: ResourceType, options: ResourceClientOptions = {}) {
    this.client = client;
    this.type = type;
    this.watchAccept = options.metadataOnly ? METADATA_ITEM : undefined;
    this.#listAccept = options.metadataOnly ? METADATA_LIST : undefined;
  }

  /**
   * Lists every page; restarts once from scratch if the continue token expired (410) mid-way. `map` is applied
   * to each item as its page arrives, so a caller that keeps less than the whole object (a cache) never holds
   * every page's full objects at once: at 10,000 Greeters those alone exceeded the heap a 384 MiB limit allows.
   */
  async list(
    opts: { namespace?: string; labelSelector?: string; signal?: AbortSignal; map?: (item: T) => T } = {},
  ): Promise<ListResult<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#listPages(opts);
      } catch (err) {
        // A first page is a fresh read and cannot be Gone; a 410 here is an expired continue token.
        if (attempt > 0 || !isApiError(err, 410)) throw err;
      }
    }
  }

  async #listPages(opts: {
    namespace?: string;
    labelSelector?: string;
    signal?: AbortSignal;
    map?: (item: T) => T;
  }): Promise<ListResult<T>> {
    const map = opts.map ?? ((item: T) => item);
    const items: T[] = [];
    let cont: string | undefined;
    for (;;) {
      const page = await this.client.request<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>({
        method: "GET",
        path: resourcePath(this.type, { namespace: opts.namespace }),
        query: { limit: PAGE_SIZE, continue: cont, labelSelector: opts.labelSelector },
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(this.#listAccept ? { accept: this.#listAccept } : {}),
      });
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind; restore them so cached objects are self-describing.
        items.push(map({ ...item, apiVersion: apiVersionOf(this.type), kind: this.type.kind }));
      }
      cont = page.metadata?.continue || undefined;
      if (!cont) return { items, resourceVersion: page.metadata?.resourceVersion ?? "" };
    }
  }

  get(namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    return this.client.request<T>({
      method: "GET",
      path: resourcePath(this.type, { namespace, name }),
      ...(signal ? { signal } : {}),
    });
  }

  /** Server-side apply: `obj` lists exactly the fields this manager owns. */
  apply(obj: KubernetesObject, opts: ApplyOptions): Promise<T> {
    const meta = obj.metadata ?? {};
    if (!meta.name) throw new Error(`apply ${this.type.kind}: metadata.name is required`);
    return this.client.request<T>({
      method: "PATCH",
      path: resourcePath(this.type, {
        namespace: meta.namespace,
        name: meta.name,
        subresource: opts.subresource,
      }),
      query: { fieldManager: opts.fieldManager, force: opts.force ? true : undefined },
      body: { ...obj, apiVersion: apiVersionOf(this.type), kind: this.type.kind },
      contentType: "application/apply-patch+yaml",
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  create(obj: T, signal?: AbortSignal): Promise<T> {
    return this.client.request<T>({
      method: "POST",
      path: resourcePath(this.type, { namespace: obj.metadata?.namespace }),
      body: { ...obj, apiVersion: apiVersionOf(this.type), kind: this.type.kind },
      ...(signal ? { signal } : {}),
    });
  }

  /** PUT; the object's metadata.resourceVersion makes it a compare-and-swap (409 when stale). */
  replace(obj: T, signal?: AbortSignal): Promise<T> {
    const meta = obj.metadata ?? {};
    return this.client.request<T>({
      method: "PUT",
      path: resourcePath(this.type, { namespace: meta.namespace, name: meta.name }),
      body: { ...obj, apiVersion: apiVersionOf(this.type), kind: this.type.kind },
      ...(signal ? { signal } : {}),
    });
  }

  mergePatch(namespace: string | undefined, name: string, patch: unknown, signal?: AbortSignal): Promise<T> {
    return this.client.request<T>({
      method: "PATCH",
      path: resourcePath(this.type, { namespace, name }),
      body: patch,
      contentType: "application/merge-patch+json",
      ...(signal ? { signal } : {}),
    });
  }

  /** Deletes in the background; with `uid`, only that incarnation of the object (409 if it was replaced). */
  async delete(
    namespace: string | undefined,
    name: string,
    opts: { uid?: string; signal?: AbortSignal } = {},
  ) {
    await this.client.request({
      method: "DELETE",
      path: resourcePath(this.type, { namespace, name }),
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(opts.uid ? { preconditions: { uid: opts.uid } } : {}),
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
}
