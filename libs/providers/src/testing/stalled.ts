/**
 * Resolves with what an upstream has sent once that stops growing: a few round trips on a second
 * connection (`ping`) between looks, traffic a test can wait on where a timer would be a guess.
 * Gives up after 10 s (the caller's expectation then fails).
 */
export async function untilStalled(sent: () => number, ping: () => Promise<unknown>): Promise<number> {
  let previous = -1;
  const deadline = Date.now() + 10_000;
  while (sent() !== previous && Date.now() < deadline) {
    previous = sent();
    for (let i = 0; i < 3; i++) await ping();
  }
  return previous;
}
