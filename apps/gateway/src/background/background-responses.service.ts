import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, errorMessage, GatewayError } from '@app/common';
import type { Turn } from '../conversation/turn';
import { ResponseStore } from '../settle/response-store.service';
import { ResponseCache } from '../state/response-cache';
import { isJson, type Json, storedItemsOf, UNFINISHED } from '../state/stored-response';
import { StoredResponseRepository } from '../state/stored-response.repository';
import { statusOf, toStoredResponse } from '../state/stored-turn';

interface BackgroundTask {
  abort: AbortController;
  reason: 'cancel' | 'delete' | 'shutdown' | null;
  done: Promise<void>;
}

function gatewayErrorOf(err: unknown): Json {
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  return { code: 'server_error', message: 'The gateway failed to run the background response.' };
}

/**
 * `background: true` responses: stored as queued and answered at once, then run by the same
 * stages with no client connection, tracked here for cancel, delete, heartbeats and shutdown.
 */
@Injectable()
export class BackgroundResponses implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BackgroundResponses.name);
  private readonly running = new Map<string, BackgroundTask>();
  private shuttingDown = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: StoredResponseRepository,
    private readonly store: ResponseStore,
    private readonly cache: ResponseCache,
  ) {}

  /** Ids of the background responses this process is running (for heartbeats). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** A background response: stored as `queued` before the client hears of it. */
  async create(turn: Turn, model: string): Promise<Json> {
    const response = queuedResponse(turn, model);
    await this.store.save(turn, 'queued', response, JSON.stringify(response));
    return response;
  }

  /** Runs a background response's work, tracked for cancel, heartbeats and shutdown. */
  run(turn: Turn, work: (signal: AbortSignal) => Promise<void>): void {
    const task: BackgroundTask = { abort: new AbortController(), reason: null, done: Promise.resolve() };
    this.running.set(turn.id, task);
    task.done = (async () => {
      try {
        await this.repo.markInProgress(turn.id);
        await work(task.abort.signal);
        if (task.abort.signal.aborted) await this.endAborted(turn, task);
      } catch (err) {
        if (task.abort.signal.aborted) await this.endAborted(turn, task);
        else await this.repo.endUnfinished(turn.id, null, 'failed', gatewayErrorOf(err));
      } finally {
        this.running.delete(turn.id);
      }
    })().catch((err: unknown) => this.logger.error(`background response ${turn.id}: ${errorMessage(err)}`));
  }

  /** A background response's outcome (unless it was cancelled meanwhile). */
  async complete(turn: Turn, response: Json, responseJson: string): Promise<void> {
    const status = statusOf(response);
    // Its input items got their rows when it was queued: the output's alone.
    const outputItems = storedItemsOf(turn.stem, [], response);
    const took = await this.repo.finish(turn.id, turn.keyId, status, responseJson, isJson(response.error) ? response.error : null, outputItems);
    if (took && !UNFINISHED.has(status)) {
      this.cache.set(toStoredResponse(turn, status, response, this.store.expiresAt(turn)), responseJson, turn.inputItemsJson);
    }
  }

  /** Stops a running background response whose row a cancel or delete already ended. */
  abort(id: string, reason: 'cancel' | 'delete'): void {
    const task = this.running.get(id);
    if (task !== undefined) {
      task.reason = reason;
      task.abort.abort();
    }
  }

  /** Graceful shutdown: background work may finish within the grace period, then it is failed with a reason. */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const tasks = [...this.running.values()];
    if (tasks.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.config.shutdownGraceMs);
      });
      await Promise.race([Promise.all(tasks.map((t) => t.done)), grace]);
      clearTimeout(timer);
      for (const t of this.running.values()) {
        t.reason = 'shutdown';
        t.abort.abort();
      }
      await Promise.all(tasks.map((t) => t.done));
    }
    // After the work above: the last rows it stored are written before the database closes.
    await this.store.idle();
  }

  private async endAborted(turn: Turn, task: BackgroundTask): Promise<void> {
    // A cancel or delete already wrote its outcome; a shutdown must say why the work stopped.
    if (task.reason === 'shutdown' || (task.reason === null && this.shuttingDown)) {
      await this.repo.endUnfinished(turn.id, null, 'failed', { code: 'server_shutdown', message: 'The gateway shut down before the background response finished.' });
    }
  }
}

/** The Response a background request answers with at once (OpenAI's shape, status `queued`). */
function queuedResponse(turn: Turn, model: string): Json {
  const r = turn.request;
  return {
    id: turn.id,
    object: 'response',
    created_at: Math.floor(turn.createdAt / 1000),
    status: 'queued',
    background: true,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: turn.previousResponseId,
    reasoning: r.reasoning ?? { effort: null, summary: null },
    store: true,
    temperature: r.temperature ?? 1,
    text: r.text ?? { format: { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: r.truncation ?? 'disabled',
    usage: null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}
