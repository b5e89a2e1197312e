/**
 * Steps that build on one another (a key created, then used, then revoked) and so must run in
 * order: `jest --randomize` reorders `it`s, so a story runs its steps inside one test, and a
 * failure names the step.
 */
export class Story {
  private readonly steps: [string, () => Promise<void>][] = [];

  step(name: string, run: () => Promise<void>): void {
    this.steps.push([name, run]);
  }

  async run(): Promise<void> {
    for (const [name, run] of this.steps) {
      try {
        await run();
      } catch (err) {
        throw new Error(`step "${name}" failed: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}
