import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { errorMessage, type ProviderConfig, SerialTask } from '@app/common';
import { Cancellation, HttpExecutor, type ListedModel, modelListRequest, parseModelList } from '@app/providers';
import { RoutePlanner } from '../routing/route-planner.service';

/** How often each provider's list is read again. */
const REFRESH_MS = 10 * 60_000;
// A list is a few hundred models at most; more pages than this is a loop.
const MAX_PAGES = 20;
const MAX_LIST_BYTES = 4 * 1024 * 1024;

/**
 * What each configured provider serves, read from its own list-models API when the gateway
 * starts and every ten minutes after, in the background: GET /v1/models only reads this cache
 * and never waits for a provider. A provider that fails to answer keeps its last list.
 */
@Injectable()
export class ModelCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModelCatalog.name);
  private readonly lists = new Map<string, ListedModel[]>();
  private readonly task = new SerialTask(() => this.refreshAll());
  private readonly stop = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private first: Promise<void> | null = null;

  constructor(
    private readonly planner: RoutePlanner,
    private readonly executor: HttpExecutor,
  ) {}

  onApplicationBootstrap(): void {
    this.first = this.task.run();
    this.timer = setInterval(() => void this.task.run(), REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.stop.abort();
  }

  /** The provider's models as it last listed them (empty until it answered). */
  listed(provider: string): readonly ListedModel[] {
    return this.lists.get(provider) ?? [];
  }

  /** Resolves once every provider answered (or failed) the first time after start. */
  loaded(): Promise<void> {
    return this.first ?? this.task.run();
  }

  /** Reads every provider's list again now (tests, and an operator's refresh). */
  refresh(): Promise<void> {
    return this.task.run();
  }

  private async refreshAll(): Promise<void> {
    await Promise.all(this.planner.providers().map((p) => this.refreshOne(p)));
  }

  private async refreshOne(provider: ProviderConfig): Promise<void> {
    const key = provider.keys[0];
    if (key === undefined) return;
    const cancel = Cancellation.fromSignal(this.stop.signal);
    try {
      const models: ListedModel[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await this.executor.send(modelListRequest(provider, key, cursor), { cancel, headersTimeoutMs: provider.timeoutMs, bodyTimeoutMs: provider.timeoutMs });
        const text = await res.body.text(MAX_LIST_BYTES);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        const parsed = parseModelList(provider.kind, text);
        models.push(...parsed.models);
        cursor = parsed.next;
        if (cursor === null) break;
      }
      this.lists.set(provider.name, models);
    } catch (err) {
      if (!this.stop.signal.aborted) this.logger.warn(`${provider.name}: the model list could not be read (${errorMessage(err)})`);
    }
  }
}
