// undici's Pool on its own (see http-executor.ts for why not the package's entry point). Loaded
// alone it has no request/stream/pipeline/connect/upgrade: the entry point adds those to
// Dispatcher.prototype, so they are left out of its type (present only where something else
// loaded the entry point, as some specs do).
declare module 'undici/lib/dispatcher/pool' {
  import Pool from 'undici/types/pool';

  type LonePool = Omit<Pool, 'request' | 'stream' | 'pipeline' | 'connect' | 'upgrade'>;
  const LonePool: new (url: string | URL, options?: Pool.Options) => LonePool;
  namespace LonePool {
    type Options = Pool.Options;
  }
  export = LonePool;
}

// undici's own reading of an answer's raw headers (lower-cased names, Latin-1 values, a repeated
// name's values in an array), used where it would run it (http-executor.ts: AnswerHead).
declare module 'undici/lib/core/util' {
  export function parseHeaders(headers: Buffer[], obj?: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined>;
}
