export interface OpenApiDocument {
  openapi?: string;
  paths?: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

/** One service behind the gateway, as its document is merged: its route prefix and audience, and where it is. */
export interface DocumentSource {
  service: string;
  prefix: string;
  audience: string;
  url: string;
}

export interface MergedDocumentOptions {
  /** Fetches one service's document; undefined (or a rejection) when it cannot be had. */
  fetchDocument(url: string): Promise<OpenApiDocument | undefined>;
  /** How long a service's document is kept before it is fetched again. */
  freshMs: number;
  /** How long after a failed fetch a service is tried again (meanwhile its last good document serves). */
  retryMs: number;
  now?: () => number;
}

interface ServiceState {
  /** The last good document and when it came. */
  document?: OpenApiDocument;
  fetchedAt?: number;
  /** When the latest fetch failed, if it did (cleared by a success). */
  failedAt?: number;
  inflight?: Promise<void>;
}

const usable = (document: OpenApiDocument | undefined): document is OpenApiDocument => Boolean(document?.paths) && String(document?.openapi ?? '').startsWith('3.');

/**
 * The gateway's merged OpenAPI document, cached per service so that anonymous requests cannot turn into
 * internal fetches: a service's document is fetched at most once per `freshMs` while it answers, and at
 * most once per `retryMs` while it does not; concurrent requests share one fetch (single flight). The
 * first request waits for the first fetches; later ones get the current document at once while a due
 * refresh runs behind them. A service whose latest fetch failed is listed under `x-unavailable`, with
 * its last good paths if it ever had any.
 */
export class MergedDocument {
  private readonly states = new Map<string, ServiceState>();
  private readonly now: () => number;
  private merged: Record<string, unknown> | undefined;

  constructor(
    private readonly sources: readonly DocumentSource[],
    private readonly frame: Record<string, unknown>,
    private readonly options: MergedDocumentOptions,
  ) {
    this.now = options.now ?? Date.now;
    for (const source of sources) this.states.set(source.service, {});
  }

  async document(): Promise<Record<string, unknown>> {
    const firstFetches: Promise<void>[] = [];
    for (const source of this.sources) {
      const state = this.states.get(source.service)!;
      if (!state.inflight && this.due(state)) state.inflight = this.refresh(source, state);
      if (state.inflight && state.fetchedAt === undefined && state.failedAt === undefined) firstFetches.push(state.inflight);
    }
    await Promise.all(firstFetches);
    this.merged ??= this.merge();
    return this.merged;
  }

  private due(state: ServiceState): boolean {
    const now = this.now();
    if (state.failedAt !== undefined) return now - state.failedAt >= this.options.retryMs;
    return state.fetchedAt === undefined || now - state.fetchedAt >= this.options.freshMs;
  }

  private async refresh(source: DocumentSource, state: ServiceState): Promise<void> {
    const document = await this.options.fetchDocument(source.url).catch(() => undefined);
    if (usable(document)) {
      state.document = document;
      state.fetchedAt = this.now();
      state.failedAt = undefined;
    } else {
      state.failedAt = this.now();
    }
    state.inflight = undefined;
    this.merged = undefined;
  }

  private merge(): Record<string, unknown> {
    const paths: Record<string, unknown> = {};
    const schemas: Record<string, unknown> = {};
    const unavailable: string[] = [];
    for (const source of this.sources) {
      const state = this.states.get(source.service)!;
      if (state.failedAt !== undefined || !state.document) unavailable.push(source.service);
      if (!state.document?.paths) continue;
      for (const [path, operations] of Object.entries(state.document.paths)) {
        if (!path.startsWith(source.prefix)) continue;
        paths[path] = Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method, { ...operation, 'x-trustline-audience': source.audience }]));
      }
      Object.assign(schemas, state.document.components?.schemas ?? {});
    }
    const components = (this.frame.components ?? {}) as Record<string, unknown>;
    return { ...this.frame, paths, components: { ...components, schemas }, ...(unavailable.length ? { 'x-unavailable': unavailable } : {}) };
  }
}
