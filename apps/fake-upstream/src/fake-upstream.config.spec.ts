import { loadFakeUpstreamConfig } from './fake-upstream.config';

describe('fake upstream settings', () => {
  it('takes the port from --port, then FAKE_UPSTREAM_PORT, then PORT, else 9999', () => {
    expect(loadFakeUpstreamConfig({ FAKE_UPSTREAM_PORT: '7001', PORT: '7002' }, ['--port', '7000']).port).toBe(7000);
    expect(loadFakeUpstreamConfig({}, ['--port=7003']).port).toBe(7003);
    expect(loadFakeUpstreamConfig({ FAKE_UPSTREAM_PORT: '7001', PORT: '7002' }, []).port).toBe(7001);
    expect(loadFakeUpstreamConfig({ PORT: '7002' }, []).port).toBe(7002);
    expect(loadFakeUpstreamConfig({}, [])).toEqual({ port: 9999, host: '127.0.0.1' });
  });

  it('names the bad setting', () => {
    expect(() => loadFakeUpstreamConfig({}, ['--port', 'x'])).toThrow('--port must be an integer');
    expect(() => loadFakeUpstreamConfig({ PORT: '70000' }, [])).toThrow('PORT must be an integer');
    expect(() => loadFakeUpstreamConfig({}, ['--prot', '1'])).toThrow('unknown option --prot');
  });
});
