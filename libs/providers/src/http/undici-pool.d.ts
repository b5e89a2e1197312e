// undici's Pool on its own (see http-executor.ts for why not the package's entry point); its
// types are the package's own.
declare module 'undici/lib/dispatcher/pool' {
  import Pool from 'undici/types/pool';

  export = Pool;
}
