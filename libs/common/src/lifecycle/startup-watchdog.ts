/**
 * Bounds a process's start-up: if it is not serving within `timeoutMs` it says what it was
 * doing and exits non-zero, so an orchestrator restarts it and an operator sees why, instead of
 * a process that waits forever on a database, a lock or a port.
 */
export class StartupWatchdog {
  private current = 'starting';
  private readonly deadline: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly app: string,
    private readonly timeoutMs: number,
    onTimeout: (message: string) => void = (message) => {
      console.error(message);
      process.exit(1);
    },
  ) {
    this.deadline = Date.now() + timeoutMs;
    this.timer = setTimeout(
      () => onTimeout(`${this.app}: start-up did not finish within ${Math.round(this.timeoutMs / 1000)} s (${this.current}); exiting. STARTUP_TIMEOUT_MS sets the limit.`),
      timeoutMs,
    );
  }

  /** What start-up is doing now, for the message should it time out. */
  stage(what: string): void {
    this.current = what;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  done(): void {
    clearTimeout(this.timer);
  }
}
