import { CopyIn } from './copy-in';
import { fakeCopyClient } from './testing/copy-client';

describe('CopyIn', () => {
  it('waits only for a socket that did not take the piece: one over its high-water mark taken at once needs no wait', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN');
    // Held until the server takes the COPY.
    await copy.send('a\n');
    const big = Buffer.alloc(64 * 1024, 'b');
    expect(copy.send(big)).toBeUndefined();
    await copy.end();
    expect(received().pieces).toEqual([2, big.length]);
  });

  it('sends its last data and CopyDone in one write', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN');
    await copy.send('a\n');
    await copy.end(Buffer.from('b\n'));
    expect(received()).toMatchObject({ text: 'a\nb\n', writes: ['d', 'dc'] });
  });

  it('gives up a COPY under way with CopyFail, rejects with the error the server answers, and sends nothing after it', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN');
    await copy.send('a\n');
    await expect(copy.fail('no more rows')).rejects.toMatchObject({ code: '57014', message: 'COPY from stdin failed: no more rows' });
    expect(copy.failed).toBe(true);
    expect(copy.send('b\n')).toBeUndefined();
    await expect(copy.end(Buffer.from('c\n'))).rejects.toMatchObject({ code: '57014' });
    expect(received()).toMatchObject({ text: 'a\n', writes: ['d', 'f'], failure: 'no more rows' });
  });

  it('given up before the server takes the COPY, sends CopyFail alone once it does: none of the data held for it', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN');
    expect(copy.send('a\n')).toBeInstanceOf(Promise);
    // A C string: a zero would end the reason early.
    await expect(copy.fail('no\0more')).rejects.toMatchObject({ code: '57014' });
    await expect(copy.end()).rejects.toMatchObject({ code: '57014' });
    expect(received()).toMatchObject({ text: '', writes: ['f'], failure: 'no\uFFFDmore' });
  });
});

describe('CopyIn with a frame (binary COPY)', () => {
  const frame = { head: Buffer.from('HEAD'), tail: Buffer.from('TAIL') };

  it('sends the header in the same write as the data held for the server, and the trailer with CopyDone', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN WITH (FORMAT binary)', frame);
    await copy.send('a');
    await copy.send('b');
    await copy.end(Buffer.from('c'));
    expect(received()).toMatchObject({ text: 'HEADabcTAIL', writes: ['dd', 'd', 'ddc'] });
  });

  it('sends header, data and trailer once the server takes a COPY ended before it did', async () => {
    const { client, received } = fakeCopyClient();
    await new CopyIn(client, 'COPY t FROM STDIN WITH (FORMAT binary)', frame).end(Buffer.from('a'));
    expect(received()).toMatchObject({ text: 'HEADaTAIL', writes: ['dddc'] });
  });

  it('given up before the server takes the COPY, sends CopyFail alone', async () => {
    const { client, received } = fakeCopyClient();
    const copy = new CopyIn(client, 'COPY t FROM STDIN WITH (FORMAT binary)', frame);
    expect(copy.send('a')).toBeInstanceOf(Promise);
    await expect(copy.fail('no more rows')).rejects.toMatchObject({ code: '57014' });
    expect(received()).toMatchObject({ text: '', writes: ['f'] });
  });
});
