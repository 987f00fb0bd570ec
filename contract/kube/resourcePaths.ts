import type { KubeClient } from './client.js';

interface Served {
  name: string;
  namespaced: boolean;
}

export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/**
 * An object's URL path by the API server's discovery (GET /api/v1 or /apis/<group>/<version>), one request per group
 * version, remembered. A kind the group version does not serve is looked up afresh next time: its CRD may come later.
 */
export class ResourcePaths {
  private readonly served = new Map<string, Promise<Map<string, Served>>>();

  constructor(private readonly client: KubeClient) {}

  /** /apis/apps/v1/namespaces/ns/deployments/name (the collection without a name). */
  async of(object: ObjectRef): Promise<string> {
    const { apiVersion = '', kind = '', metadata = {} } = object;
    const resource = (await this.resources(apiVersion)).get(kind);
    if (!resource) {
      this.served.delete(apiVersion);
      throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
    }
    const root = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = resource.namespaced ? `/namespaces/${metadata.namespace ?? 'default'}` : '';
    return `${root}${scope}/${resource.name}${metadata.name ? `/${encodeURIComponent(metadata.name)}` : ''}`;
  }

  private resources(apiVersion: string): Promise<Map<string, Served>> {
    let found = this.served.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.client.request<{ resources: Array<Served & { kind: string }> }>('GET', path).then(
        ({ resources }) => new Map(resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, r])),
        (cause: unknown) => {
          this.served.delete(apiVersion);
          throw new Error(`discovering the resources of ${apiVersion}`, { cause });
        },
      );
      this.served.set(apiVersion, found);
    }
    return found;
  }
}
